"""The bundled decks, shipped inside the package as `trainer.decks` so they work from any directory."""
