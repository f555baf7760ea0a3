"""Where the learner's data lives: `TRAINER_HOME`, else the platform's user data dir."""

from __future__ import annotations

import os
from pathlib import Path

DB_NAME = "trainer.db"


def data_dir() -> Path:
    """TRAINER_HOME wins so tests and portable installs never touch the real profile."""
    home = os.environ.get("TRAINER_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_path

    return user_data_path("trainer", appauthor=False)


def db_path(override: str | os.PathLike[str] | None = None) -> Path:
    """`--db PATH` beats TRAINER_HOME, which beats the platform default."""
    return Path(override).expanduser() if override else data_dir() / DB_NAME


def bundled_deck(name: str) -> Path:
    """Path of a deck shipped in the package (`exam`, ...), found the same way after `pip install .`."""
    from importlib.resources import files

    return Path(str(files("trainer.decks").joinpath(f"{name}.yaml")))


def bundled_deck_names() -> list[str]:
    from importlib.resources import files

    return sorted(p.name[:-5] for p in files("trainer.decks").iterdir() if p.name.endswith(".yaml"))
