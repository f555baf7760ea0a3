"""Python's cycle collector kept off work that gains nothing from it: paused while a deck is read, planned and written
(hundreds of thousands of objects and no cycles, walked again and again: half of a YAML parse), and kept off what a
session loaded before its first question."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No collection inside; nests, and leaves the collector as it found it."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """What exists now is left out of every collection inside (gc.freeze): a session's queue (100,000 due cards at
    ten times the registry) was walked by each full collection, 4-10 ms inside an answer. Not to be nested."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
