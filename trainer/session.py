"""The review loop as plain logic over a prompt interface, so it runs the same in a terminal, a pipe and tests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Callable, Protocol

from sqlite_utils import Database

from trainer import store
from trainer.cards import CardSpec, make_card, names_of
from trainer.deck import Fact
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
    today = start_of_day(now, tz, int(settings["day_starts_at"]))
    done_reviews, done_new = store.counts_since(db, today)
    due = store.due_cards(db, now, int(settings["reviews_per_day"]) - (done_reviews - done_new), deck)
    allowed_new = new_limit if new_limit is not None else int(settings["new_per_day"]) - done_new
    skip = {c.fact_id for c in due} | store.facts_started_since(db, today)
    fresh = store.new_cards(db, max(allowed_new, 0), deck, skip_facts=skip)
    return due + fresh


@dataclass(frozen=True)
class DeckIndex:
    """Per-deck lookups the grader needs: every known name, and which facts share a port."""

    names: frozenset[str]
    by_ports: dict[tuple[tuple[int, ...], str], tuple[Fact, ...]]

    @classmethod
    def of(cls, facts: list[Fact]) -> DeckIndex:
        by_ports: dict[tuple[tuple[int, ...], str], list[Fact]] = {}
        for f in facts:
            if f.is_port:
                for t in ("tcp", "udp") if f.transport == "both" else (f.transport or "tcp",):
                    by_ports.setdefault((f.ports, t), []).append(f)
        names = frozenset(normalise(n) for f in facts if f.is_port for n in names_of(f))
        return cls(names, {k: tuple(v) for k, v in by_ports.items()})

    def widen(self, spec: CardSpec, fact: Fact) -> CardSpec:
        """"Which service uses port 80/tcp?" is also rightly answered by www, registered on the same port."""
        if spec.kind != "port-service":
            return spec
        ts = ("tcp", "udp") if fact.transport == "both" else (fact.transport or "tcp",)
        others = [n for t in ts for f in self.by_ports.get((fact.ports, t), ()) if f.key != fact.key
                  for n in names_of(f)]
        return replace(spec, answers=spec.answers + tuple(others)) if others else spec


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
    indexes: dict[str, DeckIndex] = {}
    pending = list(queue)
    total = len(pending)
    while pending:
        card = pending.pop(0)
        if card.deck not in indexes:
            indexes[card.deck] = DeckIndex.of(store.facts(db, card.deck))
        index = indexes[card.deck]
        spec = index.widen(spec_for(db, card), card.fact)
        started = timer()
        answer = prompter.ask(spec, summary.answered + 1, total)
        if answer is None:
            summary.ended_early = True
            break
        seconds = timer() - started
        verdict = grade(spec, answer, seconds, index.names)
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

