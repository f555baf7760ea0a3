"""The learner's settings: each one's default, range and meaning, and what the scheduler makes of them."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from trainer.errors import TrainerError
from trainer.scheduler import DEFAULT_WEIGHTS, Params

TRUE, FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


@dataclass(frozen=True)
class Settings:
    new_per_day: int = 20
    reviews_per_day: int = 200
    desired_retention: float = 0.9
    day_starts_at: int = 4
    learning_steps: tuple[int, ...] = (60, 600)  # seconds
    relearning_steps: tuple[int, ...] = (600,)
    maximum_interval: int = 36500  # days
    choice: bool = False
    fuzz: bool = True
    smoothing: bool = True  # fuzz picks the least loaded day of its range
    weights: tuple[float, ...] | None = None  # fitted by `trainer optimize`, never typed in
    exam_date: str | None = None  # `trainer exam DATE`: YYYY-MM-DD
    exam_decks: tuple[str, ...] = ("exam",)
    exam_source: str | None = None  # only the exam decks' facts whose source starts with this
    exam_cutoff: int = 7  # every exam card met this many days before the exam
    exam_window: int = 6  # each exam card's last review falls in these days before the exam
    breaks: tuple[tuple[str, str], ...] = ()  # `trainer break FROM TO`: YYYY-MM-DD pairs

    def params(self) -> Params:
        return Params(desired_retention=self.desired_retention, learning_steps=self.learning_steps,
                      relearning_steps=self.relearning_steps, maximum_interval=self.maximum_interval,
                      enable_fuzzing=self.fuzz, weights=self.weights,
                      breaks=tuple((date.fromisoformat(a), date.fromisoformat(b)) for a, b in self.breaks))

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> Settings:
        """Defaults overlaid with what the learner set (values as stored: JSON); unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in stored.items() if k in known}
        return replace(cls(), **values)

    def shown(self, key: str) -> str:
        """A value as the learner types it: `1m 10m`, `0.9`, `true`."""
        value = getattr(self, key)
        if key in ("learning_steps", "relearning_steps"):
            return " ".join(_duration(s) for s in value) or "none"
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


def _int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not re.fullmatch(r"[0-9]{1,6}", text.strip()):
            raise ValueError(f"a whole number from {lo} to {hi}")
        n = int(text)
        if not lo <= n <= hi:
            raise ValueError(f"a whole number from {lo} to {hi}")
        return n
    return parse


def _retention(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = -1.0
    if not 0.7 <= x <= 0.99:
        raise ValueError("a number from 0.70 to 0.99 (0.90 is the usual choice)")
    return round(x, 4)


def _bool(text: str) -> bool:
    t = text.strip().casefold()
    if t in TRUE or t in FALSE:
        return t in TRUE
    raise ValueError("true or false")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _steps(text: str) -> tuple[int, ...]:
    """`1m 10m`, `1m,10m`, `30s`, `none` -> seconds; each step from 1 second to 1 day."""
    if text.strip().casefold() in ("none", ""):
        return ()
    out = []
    for item in re.split(r"[\s,]+", text.strip()):
        m = re.fullmatch(r"(\d{1,5})([smhd]?)", item.casefold())
        seconds = int(m.group(1)) * _UNITS[m.group(2) or "s"] if m else 0
        if not 1 <= seconds <= 86400:
            raise ValueError("steps such as `1m 10m` (each from 1s to 1d), or `none`")
        out.append(seconds)
    return tuple(out)


def _duration(seconds: int) -> str:
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


SETTABLE: dict[str, tuple[Callable[[str], Any], str]] = {
    "new_per_day": (_int(0, 9999), "new cards a day"),
    "reviews_per_day": (_int(0, 99999), "reviews a day at most"),
    "desired_retention": (_retention, "the recall FSRS aims for when it schedules"),
    "day_starts_at": (_int(0, 23), "the hour a study day starts"),
    "learning_steps": (_steps, "waits between a new card's first answers"),
    "relearning_steps": (_steps, "waits after a lapse"),
    "maximum_interval": (_int(1, 36500), "the longest interval, in days"),
    "choice": (_bool, "multiple choice by default in review"),
    "fuzz": (_bool, "spread due dates a little so cards learned together part"),
    "smoothing": (_bool, "within that spread, pick the day with the fewest reviews due"),
}


def parse(key: str, text: str) -> Any:
    """A setting typed by the learner -> the value stored; TrainerError names what is allowed."""
    if key not in SETTABLE:
        raise TrainerError(f"unknown setting '{key}' (settings: {', '.join(SETTABLE)})")
    try:
        return SETTABLE[key][0](text)
    except ValueError as e:
        raise TrainerError(f"{key}: {text!r} is not {e}") from None


def stored(key: str, value: Any) -> Any:
    """The JSON-ready form of a parsed value."""
    return list(value) if isinstance(value, tuple) else value


# What follows the learner to every device; `choice` (multiple choice or typing) belongs to a terminal.
TRAVELLING = frozenset(f.name for f in fields(Settings)) - {"choice"}
# What a card's scheduled state depends on: a change replays the cards several devices reviewed (as each does).
SHAPES_SCHEDULES = frozenset({"desired_retention", "learning_steps", "relearning_steps", "maximum_interval", "fuzz",
                              "weights", "exam_date", "exam_decks", "exam_source", "exam_cutoff", "exam_window",
                              "breaks"})


def valid_stored(key: str, value: Any) -> bool:
    """Whether a stored value (as JSON gives it, from another device's event) is one this version could have
    set: an event from a newer or a damaged copy never breaks the settings here."""
    try:
        if key in SETTABLE:
            if isinstance(value, list):
                return key in ("learning_steps", "relearning_steps") and all(
                    isinstance(v, int) and 1 <= v <= 86400 for v in value)
            if isinstance(value, bool) != (SETTABLE[key][0] is _bool):
                return False
            text = _duration(value) if key.endswith("steps") else str(value).lower()
            return parse(key, text) == value
        if key == "weights":  # FSRS's parameters: as many as its defaults, each a finite number
            return value is None or (isinstance(value, list) and len(value) == len(DEFAULT_WEIGHTS) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value))
        if key in ("exam_date",):
            return value is None or bool(date.fromisoformat(value))
        if key == "exam_decks":
            return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v for v in value)
        if key == "exam_source":
            return value is None or isinstance(value, str)
        if key in ("exam_cutoff", "exam_window"):
            return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 60
        if key == "breaks":
            return isinstance(value, list) and all(
                isinstance(b, list) and len(b) == 2 and date.fromisoformat(b[0]) <= date.fromisoformat(b[1])
                for b in value)
    except (TrainerError, ValueError, TypeError):
        return False
    return False
