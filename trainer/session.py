"""The study loop as plain logic over a prompt interface, so it runs the same in a terminal, a pipe and tests."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Callable, Protocol

from trainer import store
from trainer.cards import CardSpec, make_card, names_of, port_list, with_choices
from trainer.db import Database
from trainer.deck import Fact, transport_list
from trainer.grading import Verdict, check, grade, normalise, parse_port_answer
from trainer.index import port_key
from trainer.scheduler import CardState, Params, review

LEARN_AHEAD = timedelta(minutes=20)
UNDO = 0  # what choose_rating returns when the learner presses `u`


class Prompter(Protocol):
    """What the loop needs from a user interface; None from a prompt means the learner has left."""

    def ask(self, card: CardSpec, number: int, total: int) -> str | None: ...

    def show_verdict(self, card: CardSpec, verdict: Verdict, after: CardState | None, now: datetime,
                     extra: list[str]) -> None: ...

    def choose_rating(self, suggested: int, previews: dict[int, CardState], now: datetime) -> int | None: ...

    def notice(self, line: str) -> None: ...

    def offer_suspend(self, card: CardSpec) -> bool: ...

    def self_grade(self, card: CardSpec, number: int, total: int) -> tuple[str, int] | None: ...


class Previews(dict):  # type: ignore[type-arg]
    """What each rating would do, computed only when a prompt asks (a pipe never does)."""

    def __init__(self, state: CardState, now: datetime, params: Params, known: dict[int, CardState]) -> None:
        super().__init__(known)
        self.state, self.now, self.params = state, now, params

    def __missing__(self, rating: int) -> CardState:
        self[rating] = review(self.state, rating, self.now, self.params)
        return self[rating]


@dataclass(frozen=True)
class Options:
    """How a session behaves: the daily review, a drill, or an exam-style quiz."""

    mode: str = "review"  # "practice" logs answers without moving the schedule
    choice: bool = False
    requeue: bool = True  # failed cards come back within the session
    rate: bool = True  # the learner confirms or overrides the suggested rating
    seed: int | None = None


@dataclass
class Summary:
    answered: int = 0
    correct: int = 0
    ended_early: bool = False
    misses: list[CardSpec] = field(default_factory=list)
    left: int = 0  # cards of the session's queue never asked (the learner left early)
    leeches: list[CardSpec] = field(default_factory=list)
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
                deck: str | None = None, new_limit: int | None = None, extra: int = 0) -> list[store.CardRow]:
    """Due cards first (most overdue first), then new cards up to what today's limit leaves (+ extra)."""
    today = start_of_day(now, tz, int(settings["day_starts_at"]))
    done_reviews, done_new = store.counts_since(db, today)
    due = store.due_cards(db, now, int(settings["reviews_per_day"]) - (done_reviews - done_new), deck)
    allowed_new = (new_limit if new_limit is not None else int(settings["new_per_day"]) - done_new)
    skip = {c.fact_id for c in due} | store.facts_started_since(db, today)
    fresh = store.new_cards(db, max(allowed_new, 0) + extra, deck, skip_facts=skip)
    return due + fresh


def ahead_queue(db: Database, count: int, deck: str | None = None) -> list[store.CardRow]:
    """The cards due soonest, for studying ahead when nothing is due."""
    return store.find_cards(db, deck, studied=True, soonest_first=True, limit=count)


def leech_queue(db: Database, deck: str | None = None) -> list[store.CardRow]:
    return store.find_cards(db, deck, leeches=True)


def confusion_queue(db: Database, deck: str | None = None, pairs: int = 10) -> list[tuple[str, list[store.CardRow]]]:
    """The worst confused pairs, each as (heading, [the card failed, the other fact's card of that kind])."""
    out = []
    for a, b, times, card_id in store.worst_confusions(db, pairs, deck):
        failed = store.card_by_id(db, card_id)
        if failed is None:
            continue
        other_fact = b if failed.fact_id == a else a
        other = store.card_by_id(db, f"{other_fact}/{failed.kind}")
        cards = [c for c in (failed, other) if c is not None]
        heading = " vs ".join(f"{c.fact.service or c.fact.front} ({port_list(c.fact.ports)})" if c.fact.ports
                              else (c.fact.front or "") for c in cards)
        out.append((f"{heading}: confused {times} time{'s' if times != 1 else ''}", cards))
    return out


def quiz_queue(db: Database, count: int, rng: random.Random, deck: str | None = None,
               kind: str | None = None) -> list[store.CardRow]:
    """N cards across the deck, at most one per fact while facts last, in random order."""
    cards = store.find_cards(db, deck, kind)
    rng.shuffle(cards)
    picked, facts = [], set()
    for c in cards:
        if c.fact_id not in facts:
            facts.add(c.fact_id)
            picked.append(c)
    if len(picked) < count:
        chosen = {c.id for c in picked}
        picked += [c for c in cards if c.id not in chosen][: count - len(picked)]
    return picked[:count]


@dataclass
class DeckIndex:
    """What grading needs from the rest of a deck, read from its stored answer index; facts load on demand."""

    deck: str
    names: dict[str, list[str]]
    port_sets: dict[str, list[str]]
    by_ports: dict[str, list[str]]
    db: Database
    _facts: tuple[Fact, ...] | None = None

    @classmethod
    def load(cls, db: Database, deck: str) -> DeckIndex:
        ix = store.answer_index(db, deck)
        return cls(deck, ix["names"], ix["port_sets"], ix["by_ports"], db)

    @property
    def facts(self) -> tuple[Fact, ...]:
        """Every fact of the deck: only multiple choice needs them, and reads them once."""
        if self._facts is None:
            self._facts = tuple(store.facts(self.db, self.deck))
        return self._facts

    def _load(self, keys: list[str]) -> list[Fact]:
        return store.facts_by_key(self.db, self.deck, keys)

    def widen(self, spec: CardSpec, fact: Fact) -> CardSpec:
        """Other facts may rightly answer too: www on port 80/tcp; 587, which CompTIA calls SMTPS, for SMTPS."""
        if spec.kind == "port-service":
            keys = [k for t in transport_list(fact.transport) for k in self.by_ports.get(f"{port_key(fact.ports)}/{t}", ())
                    if k != fact.key]
            others = [n for f in self._load(keys) for n in names_of(f)]
            return replace(spec, answers=spec.answers + tuple(others)) if others else spec
        if spec.kind == "service-port" and fact.service:
            keys = [k for k in self.names.get(normalise(fact.service), ()) if k != fact.key]
            extra = [frozenset(f.ports) for f in self._load(keys)]
            if extra:
                both = frozenset().union(*spec.port_sets, *extra)
                return replace(spec, port_sets=spec.port_sets + tuple(extra) + (both,))
        return spec

    def owner(self, spec: CardSpec, fact: Fact, answer: str) -> Fact | None:
        """The other fact whose right answer this wrong answer is: 993 for IMAP belongs to IMAPS."""
        keys: list[str] = []
        if spec.kind in ("service-port", "secure"):
            ports = parse_port_answer(answer)
            keys = self.port_sets.get(port_key(ports), []) if ports else []
        elif spec.kind == "port-service":
            keys = self.names.get(normalise(answer), [])
        keys = [k for k in keys if k != fact.key and not (spec.kind == "secure" and k in fact.secure)]
        found = self._load(keys[:1])
        return found[0] if found else None


def partly_right(spec: CardSpec, answer: str) -> str | None:
    """Some but not all of a multi-port answer: say so, it is nearer than a plain miss."""
    given = parse_port_answer(answer)
    if not given or not spec.port_sets:
        return None
    for want in spec.port_sets:
        if given < want:
            part = ", ".join(map(str, sorted(given)))
            return f"Partly: {part} {'is' if len(given) == 1 else 'are'} right; the answer has {len(want)} ports."
    return None


def confusion_line(spec: CardSpec, other: Fact) -> str:
    if spec.kind == "port-service":
        return f"{other.service} uses {port_list(other.ports)}; this one is {spec.expected}."
    return f"{port_list(other.ports)} is {other.service}."


def spec_for(db: Database, card: store.CardRow) -> CardSpec:
    facts = {card.fact.key: card.fact}
    if card.kind == "secure":
        for key in card.fact.secure:
            target = store.fact_of(db, card.deck, key)
            if target:
                facts[key] = target
    return make_card(card.deck, card.fact, card.kind, facts)


def run(db: Database, prompter: Prompter, queue: list[store.CardRow], clock: Callable[[], datetime],
        timer: Callable[[], float], params: Params, options: Options = Options(),
        deck: str | None = None, headings: dict[int, str] | None = None,
        refill: Callable[[datetime], list[store.CardRow]] | None = None) -> Summary:
    """Ask each card, grade, save at once, let the learner override or undo; failed cards come back,
    and `refill` brings in cards that fell due while the session ran."""
    summary = Summary()
    indexes: dict[str, DeckIndex] = {}
    usual = store.usual_seconds(db)
    base = options.seed if options.seed is not None else random.random()
    pending = list(queue)
    total = len(pending)
    asked = 0
    while pending or refill:
        if refill and (not pending or (pending[0].state.due or clock()) > clock()):
            # before studying ahead (or stopping), take any card that has fallen due meanwhile
            queued = {c.id for c in pending}
            fresh = [c for c in refill(clock()) if c.id not in queued]
            pending = fresh + pending
            total += len(fresh)
            if not pending:
                break
        card = pending.pop(0)
        if headings and asked in headings:
            prompter.notice(headings[asked])
        asked += 1
        if card.deck not in indexes:
            indexes[card.deck] = DeckIndex.load(db, card.deck)
        index = indexes[card.deck]
        spec = index.widen(spec_for(db, card), card.fact)
        if options.choice:
            rng = random.Random(f"{base}:{card.id}:{card.reps}")  # an undone card keeps its option order
            spec = with_choices(spec, card.fact, index.facts, rng,
                                lambda text, s=spec, ix=index: check(s, text, ix.names)[0])
        started = timer()
        graded_by_learner = spec.self_graded and not spec.choices
        if graded_by_learner:
            attempt = prompter.self_grade(spec, summary.answered + 1, total)
            answer = attempt[0] if attempt else None
        else:
            answer = prompter.ask(spec, summary.answered + 1, total)
        if answer is None:
            summary.ended_early = True
            summary.left = len({c.id for c in pending} | {card.id})
            break
        seconds = timer() - started
        if graded_by_learner and attempt:
            verdict = Verdict(attempt[1] > 1, False, attempt[1], answer)
        else:
            timed = getattr(prompter, "timed", True)
            verdict = grade(spec, answer, seconds if timed else None, index.names, usual.get(card.kind))
        now = clock()
        other = None if verdict.correct else index.owner(spec, card.fact, answer)
        after = review(card.state, verdict.rating, now, params)
        saved = store.record_review(db, card, now, answer, verdict.correct, verdict.rating, int(seconds * 1000),
                                    after, mode=options.mode,
                                    confused_with=f"{card.deck}/{other.key}" if other else None)
        summary.answered += 1
        summary.correct += int(verdict.correct)
        extra = [confusion_line(spec, other)] if other else []
        part = None if verdict.correct else partly_right(spec, answer)
        if part:
            extra.append(part)
        shown_after = after if options.mode == "review" else None
        if not graded_by_learner:
            prompter.show_verdict(spec, verdict, shown_after, now, extra)
        if options.rate and options.mode == "review" and not graded_by_learner:
            previews = Previews(card.state, now, params, {verdict.rating: after})
            chosen = prompter.choose_rating(verdict.rating, previews, now)
            if chosen is None:
                summary.ended_early = True
                break
            if chosen == UNDO:
                store.undo_last(db, saved.review_id)
                summary.answered -= 1
                summary.correct -= int(verdict.correct)
                prompter.notice("Undone: that answer is forgotten; the card comes again.")
                pending.insert(0, card)
                continue
            if chosen != verdict.rating:
                after = previews[chosen]
                store.amend_rating(db, saved.review_id, card, verdict.rating, chosen, after)
                if (chosen == 1) != (verdict.rating == 1):
                    saved = replace(saved, new_leech=store.refresh_leech(db, card.id))
        if not verdict.correct:
            summary.misses.append(spec)
        if saved.new_leech:
            summary.leeches.append(spec)
            if prompter.offer_suspend(spec):
                store.set_suspended(db, [card.id], True)
                continue
        if options.requeue and options.mode == "review" and after.due is not None and after.due <= now + LEARN_AHEAD:
            pending.append(replace(card, state=after, reps=card.reps + 1))
            total += 1
    summary.next_due = store.next_due(db, deck)
    return summary
