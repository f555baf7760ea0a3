"""Any file a learner imports becomes a Deck: YAML decks, /etc/services files (CSV and .apkg come later)."""

from __future__ import annotations

from pathlib import Path

from trainer.deck import Deck, load_deck
from trainer.errors import DeckError, located

YAML_SUFFIXES = {".yaml", ".yml"}


def read_deck(path: Path) -> Deck:
    """Pick the reader by suffix, else by sniffing; every failure is one DeckError naming the file."""
    if not path.exists():
        raise DeckError(located(path, None, "no such file"))
    if path.is_dir():
        raise DeckError(located(path, None, "is a directory, not a deck file"))
    if path.suffix.lower() in YAML_SUFFIXES:
        return load_deck(path)
    from trainer.registry import detect_format, parse_services

    kind = detect_format(path)
    if kind == "services":
        from trainer.build import services_deck

        return services_deck(path, parse_services(path))
    raise DeckError(located(path, None, f"a {kind} file is a registry, not a deck: "
                                        "scripts/build_decks.py turns registries into decks"))
