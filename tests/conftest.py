"""Every test gets its own TRAINER_HOME, plain colourless output and a fixed width."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REGISTRY_DIR = Path(os.environ.get("TRAINER_REGISTRY_DIR")
                    or Path(__file__).resolve().parent.parent.parent / "shared" / "registry")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("TRAINER_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("TRAINER_NOW", raising=False)
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
