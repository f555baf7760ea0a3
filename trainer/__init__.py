"""trainer: spaced-repetition flashcards for IT certification study."""

__version__ = "0.1.0"
