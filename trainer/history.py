"""The review log is the truth: an undo cancels a review, an override amends one, and a card's state is
what its log says. An undo or an override puts back the states the learner saw (recorded with each answer), so
a change of settings since then moves nothing; `rebuild_all` replays every log through FSRS, for new parameters
(each answer's fuzz drawn as it was)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from trainer import store
from trainer.db import Database, writing
from trainer.errors import StoreError
from trainer.scheduler import CardState, Params, around_breaks, fuzz_seed, is_lapse, review


@dataclass(frozen=True)
class Replay:
    state: CardState
    reps: int
    lapses: int


def replay(card_id: str, log: list[store.LoggedAnswer], params: Params) -> Replay:
    """A card's reviews replayed in order; practice answers never moved the schedule."""
    state, reps, lapses = CardState(), 0, 0
    params = replace(params.for_card(card_id), load=None)  # a replay draws the seeded fuzz: the same everywhere
    for r in log:
        if r.mode != store.Mode.REVIEW:
            continue
        before = state
        state = review(state, r.rating, r.at, params, fuzz_seed(card_id, r.at))
        reps += 1
        lapses += int(is_lapse(r.rating, before))
    return Replay(state, reps, lapses)


def restore(db: Database, card_id: str, params: Params) -> CardState:
    """Set a card's cached state to what its log records: the state after its last review since it was reset
    (new when none is left), its reviews and lapses counted from the log, moved out of a break set since. A card
    reviewed on several devices is replayed instead, as every other device computes it (a recorded state there
    predates the merge)."""
    if store.mixed_origin(db, [card_id]):
        return replay_card(db, card_id, params)
    store.restore_many(db, [card_id])
    state = store.card_state(db, card_id)
    moved = around_breaks(state, params.breaks)
    if moved != state:
        store.set_state(db, card_id, moved)
    return moved


def replay_card(db: Database, card_id: str, params: Params) -> CardState:
    """Set a card reviewed on several devices to its log replayed through FSRS, as every device computes it."""
    result = replay(card_id, store.card_log(db, card_id), params)
    store.set_card(db, card_id, result.state, result.reps, result.lapses)
    store.refresh_leech(db, card_id)
    return result.state


@dataclass(frozen=True)
class Undone:
    card_id: str
    answer: str
    state: CardState  # the card's state now


def undo(db: Database, params: Params, now: datetime, review_id: int | None = None) -> Undone | None:
    """Cancel the newest review (or `review_id`) and put the card back as the reviews left record it; None when
    there is nothing to undo. Practice answers changed nothing, so `trainer undo` passes over them."""
    with writing(db):
        last = store.last_answer(db, review_id)
        if last is None:
            return None
        if store.reviewed_elsewhere_since(db, last.card_id, last.at):
            raise StoreError(f"another device has reviewed {last.card_id} since your answer '{last.answer}' "
                             "(synced here): it stays")
        store.cancel_review(db, last.id, now)
        state = restore(db, last.card_id, params)
    return Undone(last.card_id, last.answer, state)


def override(db: Database, params: Params, now: datetime, review_id: int, card_id: str, rating: int,
             correct: bool | None = None) -> CardState:
    """The learner chose another rating for a review: an event amends it, with the state that rating gives from
    the state recorded before it (the interval the prompt previewed), and the card is restored from its log."""
    with writing(db):
        before, at = store.review_before(db, review_id)
        after = review(before, rating, at, params.for_card(card_id), fuzz_seed(card_id, at))
        store.amend_review(db, review_id, now, rating, correct, after)
        return restore(db, card_id, params)


def rebuild_mixed(db: Database, params: Params) -> int:
    """After a setting that shapes schedules changed (here or on another device): every card reviewed on several
    devices is replayed with it, as every device does, so they agree; a card one device reviewed keeps the states
    that device recorded."""
    cards = store.mixed_origin(db)
    with writing(db):
        for cid in cards:
            replay_card(db, cid, params)
    return len(cards)


def rebuild_all(db: Database, params: Params) -> int:
    """Every card rebuilt from its log (after new parameters); returns the number of cards."""
    by_card: dict[str, list[store.LoggedAnswer]] = {}
    for r in store.review_log(db):
        by_card.setdefault(r.card_id, []).append(
            store.LoggedAnswer(r.id, r.card_id, "", r.at, r.rating, store.Mode(r.mode)))
    with writing(db):
        for cid, log in by_card.items():
            result = replay(cid, log, params)
            store.set_card(db, cid, result.state, result.reps, result.lapses)
    return len(by_card)
