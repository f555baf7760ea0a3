"""The `trainer` command's first code: a Ctrl-C while the program is still loading ends it quietly (exit 130)
instead of printing a traceback from deep inside an import; once loaded, Ctrl-C works as each prompt says."""

from __future__ import annotations

import signal
import sys
from types import FrameType


def _quiet(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(130)


def main() -> None:
    signal.signal(signal.SIGINT, _quiet)
    from trainer.cli import main as run

    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        run()
    except KeyboardInterrupt:  # between prompts, where no prompt catches it: the answers are already saved
        sys.exit(130)
