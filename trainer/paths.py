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


def bundled_decks_dir() -> Path:
    """The installed `trainer.decks` package; in a source checkout (`python -m trainer` in the repo), `decks/`."""
    try:
        from importlib.resources import files

        return Path(str(files("trainer.decks")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "decks"


def bundled_deck(name: str) -> Path:
    """Path of a deck shipped with trainer (`exam`, ...), wherever it was installed from."""
    return bundled_decks_dir() / f"{name}.yaml"


def bundled_deck_names() -> list[str]:
    return sorted(p.stem for p in bundled_decks_dir().glob("*.yaml"))
