"""FSRS scheduling as pure functions of (state, rating, now): the one place that touches `fsrs`."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from enum import IntEnum
from functools import lru_cache
from typing import Any

from trainer.clock import iso, parse_time

LEECH_FAILS = 8  # lapses (forgotten after learning, as Anki counts) that make a leech; every message says it


class State(IntEnum):
    """A card's FSRS state, as py-fsrs numbers it (stored as that number)."""

    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class Rating(IntEnum):
    """An answer's FSRS rating, as py-fsrs numbers it (stored as that number)."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()


def fuzz_seed(card_id: str, at: datetime) -> str:
    """One fuzz draw per card and moment of answer: what the rating prompt previews is what is applied, and a
    replay of the log gives the same due dates."""
    return f"{card_id}@{iso(at)}"


def is_lapse(rating: int, before: CardState) -> bool:
    """A lapse is forgetting a card that had graduated to review: Again on a card in review state."""
    return rating == Rating.AGAIN and before.state == State.REVIEW


@dataclass(frozen=True)
class ExamAim:
    """Exam mode: a card of the exam whose next review would fall on or after the exam day is brought forward
    into the final window (the `window` days before it), on a day its seed picks, so every exam card is reviewed
    shortly before the exam without an eve-of-exam pile; a review inside the window is the card's last."""

    day: date
    window: int = 6
    cards: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Params:
    """The scheduler's knobs, read from settings; fuzz is off in tests so intervals are exact."""

    desired_retention: float = 0.9
    learning_steps: tuple[int, ...] = (60, 600)
    relearning_steps: tuple[int, ...] = (600,)
    maximum_interval: int = 36500
    enable_fuzzing: bool = True
    weights: tuple[float, ...] | None = None
    exam: ExamAim | None = None
    breaks: tuple[tuple[date, date], ...] = ()  # `trainer break FROM TO`: days with no study
    load: dict[date, int] | None = field(default=None, compare=False)  # smoothing: reviews due per UTC day

    def for_card(self, card_id: str) -> Params:
        """These knobs as they schedule one card: exam mode only for the exam's cards."""
        if self.exam is None or card_id in self.exam.cards:
            return self
        return replace(self, exam=None)


@dataclass(frozen=True)
class CardState:
    """A card's cached FSRS memory state; State.NEW until its first review."""

    state: int = State.NEW
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "step": self.step, "stability": self.stability, "difficulty": self.difficulty,
                "due": iso(self.due) if self.due else None,
                "last_review": iso(self.last_review) if self.last_review else None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CardState:
        return cls(
            state=int(d.get("state") or State.NEW),
            step=d.get("step"),
            stability=d.get("stability"),
            difficulty=d.get("difficulty"),
            due=parse_time(d.get("due")),
            last_review=parse_time(d.get("last_review")),
        )


def prepare(params: Params) -> None:
    """Build fsrs's scheduler for these settings before the first answer needs it (from another thread)."""
    _scheduler(params)


def _scheduler(params: Params) -> Any:
    return _fsrs(params.desired_retention, params.learning_steps, params.relearning_steps, params.maximum_interval,
                 params.enable_fuzzing, params.weights)


@lru_cache(maxsize=8)
def _fsrs(desired_retention: float, learning_steps: tuple[int, ...], relearning_steps: tuple[int, ...],
          maximum_interval: int, enable_fuzzing: bool, weights: tuple[float, ...] | None) -> Any:
    import fsrs

    kwargs: dict[str, Any] = dict(
        desired_retention=desired_retention,
        learning_steps=tuple(timedelta(seconds=s) for s in learning_steps),
        relearning_steps=tuple(timedelta(seconds=s) for s in relearning_steps),
        maximum_interval=maximum_interval,
        enable_fuzzing=enable_fuzzing,
    )
    if weights:
        kwargs["parameters"] = weights
    return fsrs.Scheduler(**kwargs)


def review(state: CardState, rating: int, now: datetime, params: Params = Params(),
           seed: str | None = None) -> CardState:
    """The state after answering with `rating` at `now`; the input is never changed.

    With `seed` (the card and the time of the answer), FSRS's fuzz draws the same number for every rating:
    the interval a prompt previews is the one applied. As in Anki, an answer that schedules days ahead is a
    day past the lower button's (Hard 1d, Good 1d, Easy 1d was a choice of nothing)."""
    out = _smoothed(state, rating, now, params, seed, _fuzzed(state, rating, now, params, seed))
    if rating <= Rating.HARD or out.state != State.REVIEW or out.due is None:
        return around_breaks(_aimed(out, now, params.exam, seed), params.breaks)
    lower = _fuzzed(state, rating - 1, now, params, seed)
    if lower.state == State.REVIEW and rating - 1 > Rating.HARD:
        lower = review(state, rating - 1, now, replace(params, exam=None), seed)  # Good itself a day past Hard
    floor = _days(lower, now) + 1 if lower.state == State.REVIEW else 1
    if _days(out, now) < floor:
        out = replace(out, due=now.astimezone(timezone.utc) + timedelta(days=floor))
    return around_breaks(_aimed(out, now, params.exam, seed), params.breaks)


def count_load(load: dict[date, int] | None, state: CardState) -> None:
    """A review card's due day joins the load smoothing reads, so a session's own answers spread too (a load read
    once would send every card of the session to the same quiet day)."""
    if load is not None and state.state == State.REVIEW and state.due is not None:
        day = state.due.astimezone(timezone.utc).date()
        load[day] = load.get(day, 0) + 1


def fuzz_range(days: int, maximum: int = 36500) -> tuple[int, int]:
    """The days FSRS's fuzz may pick for an interval of `days` (py-fsrs's own ranges: 15%, 10%, 5%)."""
    delta = 1.0
    for start, end, factor in ((2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, math.inf, 0.05)):
        delta += factor * max(min(float(days), end) - start, 0.0)
    low, high = max(2, round(days - delta)), min(round(days + delta), maximum)
    return min(low, high), high


def _smoothed(state: CardState, rating: int, now: datetime, params: Params, seed: str | None,
              out: CardState) -> CardState:
    """Load smoothing: instead of a random day of the fuzz range, the day of it with the fewest reviews due
    (ties: the seed's pick). Only where a session knows the load; a replay draws the seeded fuzz."""
    if params.load is None or out.state != State.REVIEW or out.due is None or not params.enable_fuzzing:
        return out
    exact = _fuzzed(state, rating, now, replace(params, enable_fuzzing=False, load=None), None)
    if exact.due is None or exact.state != State.REVIEW:
        return out
    days = (exact.due - now).days
    if days < 3:
        return out
    low, high = fuzz_range(days, params.maximum_interval)
    high = min(high, days)  # never later than FSRS's own interval: evening out the load costs no recall
    today = now.astimezone(timezone.utc).date()
    tie = _drawn(seed, now)
    load = params.load
    best = min(range(low, high + 1), key=lambda d: (load.get(today + timedelta(days=d), 0), (d * 7919 + tie) % 101))
    return replace(out, due=now.astimezone(timezone.utc) + timedelta(days=best))


def on_break(day: date, breaks: tuple[tuple[date, date], ...]) -> bool:
    """A day of a break (`trainer break`): no study is asked of it."""
    return any(a <= day <= b for a, b in breaks)


def around_breaks(state: CardState, breaks: tuple[tuple[date, date], ...]) -> CardState:
    """A review card due on a day of a break is due the day before it instead (after it, when that day is not
    after its last review): a pure function of the state, so every device and every replay moves the same cards."""
    if not breaks or state.state != State.REVIEW or state.due is None:
        return state
    due = state.due.astimezone(timezone.utc)
    for first, last in breaks:
        if first <= due.date() <= last:
            before = first - timedelta(days=1)
            after = last + timedelta(days=1)
            floor = state.last_review.astimezone(timezone.utc).date() if state.last_review else before
            day = before if before > floor else after
            return replace(state, due=datetime(day.year, day.month, day.day, due.hour, due.minute, due.second,
                                               tzinfo=timezone.utc))
    return state


def _aimed(out: CardState, now: datetime, exam: ExamAim | None, seed: str | None) -> CardState:
    """Exam mode: a next review on or after the exam day moves into the final window (deterministic: the day is
    drawn from the seed, so a replay or another device computes the same)."""
    if exam is None or out.state != State.REVIEW or out.due is None or exam.window < 1:
        return out
    first = exam.day - timedelta(days=exam.window)
    today = now.astimezone(timezone.utc).date()
    due = out.due.astimezone(timezone.utc)
    if today >= exam.day or due.date() < exam.day:
        return out  # after the exam: plain FSRS; or the next review comes before the exam anyway
    if today >= first:  # in the final window this review is the last before the exam: the next comes after it
        if due.date() == exam.day:
            return replace(out, due=due + timedelta(days=1))
        return out
    # a card that will still be strong on the day (stability of a window or more) may take any day of the window;
    # a shaky one only its last days, so it is reviewed close enough to the exam to hold
    span = min(exam.window, max(1, int(out.stability or 1)))
    pick = _drawn(seed, now) % span
    day = max(exam.day - timedelta(days=span) + timedelta(days=pick), today + timedelta(days=1))
    at = now.astimezone(timezone.utc)
    return replace(out, due=datetime(day.year, day.month, day.day, at.hour, at.minute, at.second, tzinfo=timezone.utc))


def _drawn(seed: str | None, now: datetime) -> int:
    """A number from the answer's seed (the card and the time), the same on every device and in every replay."""
    return int(hashlib.sha1((seed or iso(now)).encode()).hexdigest(), 16)


def _days(state: CardState, now: datetime) -> int:
    return round((state.due - now).total_seconds() / 86400) if state.due else 0


def _fuzzed(state: CardState, rating: int, now: datetime, params: Params, seed: str | None) -> CardState:
    if seed is None or not params.enable_fuzzing:
        return _review(state, rating, now, params)
    import random

    saved = random.getstate()  # py-fsrs draws its fuzz from the module-level generator
    try:
        random.seed(seed)
        return _review(state, rating, now, params)
    finally:
        random.setstate(saved)


def _review(state: CardState, rating: int, now: datetime, params: Params) -> CardState:
    import fsrs

    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    now = now.astimezone(timezone.utc)
    card = fsrs.Card(card_id=1)  # a fixed id: py-fsrs sleeps to invent one otherwise
    if state.state != State.NEW:
        card.state = fsrs.State(state.state)
        card.step = state.step
        card.stability = state.stability
        card.difficulty = state.difficulty
        card.due = state.due or now
        card.last_review = state.last_review
    else:
        card.due = now
    new_card, _log = _scheduler(params).review_card(card, fsrs.Rating(rating), review_datetime=now)
    return CardState(
        state=int(new_card.state),
        step=new_card.step,
        stability=new_card.stability,
        difficulty=new_card.difficulty,
        due=new_card.due.astimezone(timezone.utc),
        last_review=new_card.last_review.astimezone(timezone.utc) if new_card.last_review else now,
    )


DEFAULT_WEIGHTS = (0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796, 1.4835,
                   0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542)


def recall_curve(params: Params) -> tuple[float, float]:
    """(factor, decay) of the forgetting curve: what `recall` computes with, and what stats computes with in SQL."""
    decay = -(params.weights or DEFAULT_WEIGHTS)[20]
    return 0.9 ** (1 / decay) - 1, decay


def recall(stability: float, elapsed_days: float, params: Params = Params()) -> float:
    """FSRS-6 forgetting curve R(t) = (1 + f * t / S) ** -w20; the same as py-fsrs, without building a Card."""
    factor, decay = recall_curve(params)
    return (1 + factor * elapsed_days / stability) ** decay


def retrievability(state: CardState, now: datetime, params: Params = Params()) -> float:
    """Probability of recall at `now`; 0 for a card never studied."""
    import fsrs

    if state.state == State.NEW or state.stability is None or state.last_review is None:
        return 0.0
    card = fsrs.Card(card_id=1, state=fsrs.State(state.state), step=state.step,
                     stability=state.stability, difficulty=state.difficulty,
                     due=state.due, last_review=state.last_review)
    return float(_scheduler(params).get_card_retrievability(card, now))

