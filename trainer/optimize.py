"""Personal FSRS parameters fitted from the review log (fsrs-rs-python: no torch), and card states rebuilt from it."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trainer.db import Database, writing
from trainer.errors import TrainerError
from trainer.scheduler import DEFAULT_WEIGHTS, CardState, Params, iso, parse_time, review

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
    for cid, at, rating in db.execute(
            "SELECT card_id, reviewed_at, rating FROM reviews WHERE mode = 'review' ORDER BY card_id, reviewed_at, id"):
        out.setdefault(cid, []).append((parse_time(at), int(rating)))  # type: ignore[arg-type]
    return out


def _items(history: dict[str, list[tuple[datetime, int]]]) -> list[tuple[str, Any]]:
    """One FSRSItem per review that came on a later day than its card's first: the reviews up to it."""
    from fsrs_rs_python import FSRSItem, FSRSReview

    out = []
    for cid, revs in history.items():
        days = [t.date() for t, _ in revs]
        reviews = [FSRSReview(r, 0 if i == 0 else (days[i] - days[i - 1]).days) for i, (_, r) in enumerate(revs)]
        for i in range(1, len(revs)):
            if days[i] > days[0]:
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
        raise TrainerError(f"optimize needs {MIN_ITEMS} reviews made on a later day than each card's first; "
                           f"you have {len(items)}: study {MIN_ITEMS - len(items)} more and try again. Nothing changed.")
    train = [it for cid, it in items if not _held_out(cid)]
    test = [it for cid, it in items if _held_out(cid)] or train
    current = list(params.weights or DEFAULT_WEIGHTS)
    fitted = list(FSRS(parameters=[]).compute_parameters(train))
    before = FSRS(parameters=current).evaluate(test)
    after = FSRS(parameters=fitted).evaluate(test)
    return Fit(sum(len(v) for v in history.values()), len(train), len(test),
               (before.log_loss, before.rmse_bins), (after.log_loss, after.rmse_bins), tuple(fitted))


def rebuild(db: Database, params: Params) -> int:
    """Replay every card's reviews with `params`: the log is the truth, card states only a cache. Returns cards."""
    rows = db.execute("SELECT id, card_id, reviewed_at, rating, mode FROM reviews ORDER BY card_id, reviewed_at, id").fetchall()
    by_card: dict[str, list[tuple[int, datetime, int, str]]] = {}
    for rid, cid, at, rating, mode in rows:
        by_card.setdefault(cid, []).append((rid, parse_time(at), int(rating), mode))  # type: ignore[arg-type]
    with writing(db):
        for cid, revs in by_card.items():
            state = CardState()
            reps = lapses = 0
            for rid, at, rating, mode in revs:
                before = state
                if mode == "review":
                    state = review(state, rating, at, params)
                    reps += 1
                    lapses += int(rating == 1 and before.state == 2)
                db.execute("UPDATE reviews SET state_before = ?, state_after = ? WHERE id = ?",
                           [json.dumps(before.to_dict()), json.dumps(state.to_dict()), rid])
            db.execute("UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, last_review = ?, "
                       "reps = ?, lapses = ? WHERE id = ?",
                       [state.state, state.step, state.stability, state.difficulty,
                        iso(state.due) if state.due else None, iso(state.last_review) if state.last_review else None,
                        reps, lapses, cid])
    return len(by_card)
