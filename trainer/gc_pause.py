"""Python's cycle collector paused while a deck is read, planned and written: those steps make hundreds of
thousands of objects and no cycles, and the collector walked them all again and again (half of a YAML parse)."""

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
