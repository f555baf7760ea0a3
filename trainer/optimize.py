"""Personal FSRS parameters fitted from the review log (fsrs-rs-python: no torch), and card states rebuilt from it."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trainer import history, store
from trainer.db import Database, writing
from trainer.errors import TrainerError
from trainer.scheduler import DEFAULT_WEIGHTS, Params

MIN_ITEMS = 400


@dataclass(frozen=True)
class Fit:
    reviews: int
    train_items: int
    test_items: int
    before: tuple[float, float]  # held-out (log loss, RMSE) with the parameters in use
    after: tuple[float, float]  # the same with the fitted parameters
    weights: tuple[float, ...]


def _history(db: Database) -> dict[str, list[tuple[datetime, int]]]:
    out: dict[str, list[tuple[datetime, int]]] = {}
    for r in store.review_log(db, mode=store.Mode.REVIEW):
        out.setdefault(r.card_id, []).append((r.at, r.rating))
    return out


def _items(history: dict[str, list[tuple[datetime, int]]]) -> list[tuple[str, Any]]:
    """One FSRSItem per review that came on a later day than the card's review before it: the reviews up to it.
    A relearning step the same day says nothing of memory across days (and fsrs-rs refuses such an item)."""
    from fsrs_rs_python import FSRSItem, FSRSReview

    out = []
    for cid, revs in history.items():
        days = [t.date() for t, _ in revs]
        reviews = [FSRSReview(r, 0 if i == 0 else (days[i] - days[i - 1]).days) for i, (_, r) in enumerate(revs)]
        for i in range(1, len(revs)):
            if days[i] > days[i - 1]:
                out.append((cid, FSRSItem(reviews[: i + 1])))
    return out


def _held_out(card_id: str) -> bool:
    """A fixed fifth of the cards (by a hash of the id) is kept out of the fit to judge it."""
    return zlib.crc32(card_id.encode()) % 5 == 0


def fit(db: Database, params: Params) -> Fit:
    """Fit on four fifths of the cards, compare log loss and RMSE on the rest; raise when history is too short."""
    from fsrs_rs_python import FSRS

    history = _history(db)
    items = _items(history)
    if len(items) < MIN_ITEMS:
        raise TrainerError(f"optimize needs {MIN_ITEMS} reviews made on a later day than the card's review before; "
                           f"you have {len(items)}: study {MIN_ITEMS - len(items)} more and try again. "
                           "Nothing changed.")
    train = [it for cid, it in items if not _held_out(cid)]
    test = [it for cid, it in items if _held_out(cid)] or train
    current = list(params.weights or DEFAULT_WEIGHTS)
    fitted = list(FSRS(parameters=[]).compute_parameters(train))
    before = FSRS(parameters=current).evaluate(test)
    after = FSRS(parameters=fitted).evaluate(test)
    return Fit(sum(len(v) for v in history.values()), len(train), len(test),
               (before.log_loss, before.rmse_bins), (after.log_loss, after.rmse_bins), tuple(fitted))


def adopt(db: Database, weights: tuple[float, ...], params: Params, now: datetime) -> int:
    """Keep the fitted parameters (an event takes them to the learner's other devices) and rebuild every card from its
    log with them, in one transaction: a kill or a full disk leaves the old parameters with the old states, never
    one without the other."""
    from dataclasses import replace

    with writing(db):
        store.set_setting(db, "weights", list(weights), now)
        return history.rebuild_all(db, replace(params, weights=weights))
