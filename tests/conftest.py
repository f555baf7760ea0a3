"""Every test gets its own TRAINER_HOME, plain colourless output and a fixed width; the helpers every test
file shares: the `trainer` command at a pinned time, the learner's database as rows, keys for the terminal."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

DAY1 = "2026-03-02T09:00:00+00:00"

REGISTRY_DIR = Path(os.environ.get("TRAINER_REGISTRY_DIR")
                    or Path(__file__).resolve().parent.parent.parent / "shared" / "registry")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("TRAINER_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("TRAINER_NOW", raising=False)
    monkeypatch.setenv("TZ", "UTC")  # study days start at 04:00 UTC in every test, wherever it runs
    time.tzset()
    return home


@pytest.fixture
def registry_dir() -> Path:
    if not (REGISTRY_DIR / "service-names-port-numbers.csv").exists():
        pytest.skip(f"registry files not found in {REGISTRY_DIR}")
    return REGISTRY_DIR


@contextmanager
def keys(text: str) -> Iterator[None]:
    """Type `text` into every prompt_toolkit prompt opened inside the block, then close the pipe (EOF)."""
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    with create_pipe_input() as pipe:
        pipe.send_text(text)
        pipe.close()  # closes the write end only: prompts then see end of input, as after the last key
        with create_app_session(input=pipe, output=DummyOutput()):
            yield


def run(args: list[str], input: str | None = None, when: str | datetime = DAY1) -> Result:
    """`trainer ARGS` as a learner runs it, at a pinned time (TRAINER_NOW); stdin from `input`."""
    from trainer.cli import cli

    at = when.isoformat() if isinstance(when, datetime) else when
    return CliRunner().invoke(cli, args, input=input, env={"TRAINER_NOW": at}, catch_exceptions=False)


def rows(home: Path, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    """Rows of the learner's database, as dicts: what a test checks after running a command."""
    con = sqlite3.connect(home / "trainer.db")
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


def env_for(home: Path) -> dict[str, str]:
    """The environment of a `trainer` started as its own process (a pipe, a pseudo-terminal)."""
    env = dict(os.environ, TRAINER_HOME=str(home), NO_COLOR="1", COLUMNS="100", LINES="30")
    env.pop("TRAINER_NOW", None)
    return env


def exam_cards(kinds: tuple[str, ...] | None = None) -> list[Any]:
    """The cards the bundled exam deck gets (with `kinds`: only those), so tests follow the deck as it grows."""
    from trainer.cards import plan_cards
    from trainer.deck import load_deck
    from trainer.paths import bundled_deck

    return plan_cards(load_deck(bundled_deck("exam")), kinds)


def exam_facts() -> int:
    from trainer.deck import load_deck
    from trainer.paths import bundled_deck

    return len(load_deck(bundled_deck("exam")).facts)


def import_deck(folder: Path, name: str, text: str) -> Path:
    """A deck file `NAME.yaml` holding `text`, imported as a learner would (`trainer import`)."""
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    result = run(["import", str(path)])
    assert result.exit_code == 0, result.output
    return path
