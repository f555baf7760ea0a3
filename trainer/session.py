"""The review loop as plain logic over a prompt interface, so it runs the same in a terminal, a pipe and tests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Callable, Protocol

from sqlite_utils import Database

from trainer import store
from trainer.cards import CardSpec, make_card, names_of
from trainer.grading import Verdict, grade, normalise
from trainer.scheduler import CardState, Params, review

LEARN_AHEAD = timedelta(minutes=20)


class Prompter(Protocol):
    """What the loop needs from a user interface; None from a prompt means the learner has left."""

    def ask(self, card: CardSpec, number: int, total: int) -> str | None: ...

    def show_verdict(self, card: CardSpec, verdict: Verdict, after: CardState, now: datetime) -> None: ...

    def choose_rating(self, suggested: int, previews: dict[int, CardState], now: datetime) -> int | None: ...


@dataclass
class Summary:
    answered: int = 0
    correct: int = 0
    ended_early: bool = False
    misses: list[CardSpec] = field(default_factory=list)
    next_due: datetime | None = None

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.answered if self.answered else 0.0


def params_from(settings: dict[str, Any]) -> Params:
    return Params(
        desired_retention=float(settings["desired_retention"]),
        learning_steps=tuple(int(s) for s in settings["learning_steps"]),
        relearning_steps=tuple(int(s) for s in settings["relearning_steps"]),
        maximum_interval=int(settings["maximum_interval"]),
        enable_fuzzing=bool(settings.get("fuzz", True)),
        weights=tuple(settings["weights"]) if settings.get("weights") else None,
    )


def start_of_day(now: datetime, tz: tzinfo, rollover_hour: int) -> datetime:
    """Study days start at `rollover_hour` local time (Anki's 4 am), so a late session counts for that day."""
    local = now.astimezone(tz)
    start = local.replace(hour=rollover_hour, minute=0, second=0, microsecond=0)
    if local < start:
        start -= timedelta(days=1)
    return start.astimezone(timezone.utc)


def build_queue(db: Database, now: datetime, settings: dict[str, Any], tz: tzinfo,
                deck: str | None = None, new_limit: int | None = None) -> list[store.CardRow]:
    """Due cards first (most overdue first), then new cards up to what today's limit leaves."""
    done_reviews, done_new = store.counts_since(db, start_of_day(now, tz, int(settings["day_starts_at"])))
    due = store.due_cards(db, now, int(settings["reviews_per_day"]) - (done_reviews - done_new), deck)
    allowed_new = new_limit if new_limit is not None else int(settings["new_per_day"]) - done_new
    fresh = store.new_cards(db, max(allowed_new, 0), deck, skip_facts={c.fact_id for c in due})
    return due + fresh


def spec_for(db: Database, card: store.CardRow) -> CardSpec:
    facts = {card.fact.key: card.fact}
    if card.kind == "secure":
        for key in card.fact.secure:
            target = store.fact_of(db, card.deck, key)
            if target:
                facts[key] = target
    return make_card(card.deck, card.fact, card.kind, facts)


def run(db: Database, prompter: Prompter, queue: list[store.CardRow], clock: Callable[[], datetime],
        timer: Callable[[], float], params: Params, deck: str | None = None) -> Summary:
    """Ask each card, grade, save at once, let the learner override the rating; failed cards come back."""
    summary = Summary()
    taken: dict[str, set[str]] = {}
    pending = list(queue)
    total = len(pending)
    while pending:
        card = pending.pop(0)
        spec = spec_for(db, card)
        started = timer()
        answer = prompter.ask(spec, summary.answered + 1, total)
        if answer is None:
            summary.ended_early = True
            break
        seconds = timer() - started
        if card.deck not in taken:
            taken[card.deck] = {normalise(n) for f in store.facts(db, card.deck) if f.is_port for n in names_of(f)}
        verdict = grade(spec, answer, seconds, taken[card.deck])
        now = clock()
        after = review(card.state, verdict.rating, now, params)
        review_id = store.record_review(db, card, now, answer, verdict.correct, verdict.rating,
                                        int(seconds * 1000), after)
        summary.answered += 1
        summary.correct += int(verdict.correct)
        if not verdict.correct:
            summary.misses.append(spec)
        prompter.show_verdict(spec, verdict, after, now)
        previews = {r: after if r == verdict.rating else review(card.state, r, now, params) for r in (1, 2, 3, 4)}
        chosen = prompter.choose_rating(verdict.rating, previews, now)
        if chosen is None:
            summary.ended_early = True
            break
        if chosen != verdict.rating:
            after = previews[chosen]
            store.amend_rating(db, review_id, card, verdict.rating, chosen, after)
        if after.due is not None and after.due <= now + LEARN_AHEAD:
            pending.append(replace(card, state=after, reps=card.reps + 1))
            total += 1
    summary.next_due = store.next_due(db, deck)
    return summary

