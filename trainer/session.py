"""The study loop as plain logic over a prompt interface, so it runs the same in a terminal, a pipe and tests."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from trainer import history, pace, store
from trainer.answers import DeckAnswers
from trainer.cards import CardSpec, fact_id, make_card, port_list, with_choices
from trainer.clock import LEARN_AHEAD, end_of_day, start_of_day
from trainer.db import Database
from trainer.deck import Fact, Kind
from trainer.grading import Verdict, check, confusion_line, grade, normalise, with_accepted
from trainer.scheduler import CardState, Params, Rating, State, count_load, fuzz_seed, prepare, review
from trainer.settings import Settings

UNDO = 0  # what choose_rating returns when the learner presses `u`
ACCEPT = -1  # ... and `a`: accept this answer on this card from now on (the learner's own decks)


class Prompter(Protocol):
    """What the loop needs from a user interface; None from a prompt means the learner has left.
    `timed` is False where answers arrive without a person typing them (a pipe): their speed means nothing."""

    timed: bool

    def ask(self, card: CardSpec, number: int, total: int) -> str | None: ...

    def show_verdict(self, card: CardSpec, verdict: Verdict, after: CardState | None, now: datetime,
                     extra: list[str]) -> None: ...

    def choose_rating(self, suggested: int, previews: dict[int, CardState], now: datetime,
                      offer_accept: bool = False) -> int | None: ...

    def notice(self, line: str) -> None: ...

    def ask_text(self, mark: str) -> str | None: ...

    def offer_suspend(self, card: CardSpec) -> bool: ...

    def self_grade(self, card: CardSpec, number: int, total: int) -> tuple[str, int] | None: ...


class Previews(dict[int, CardState]):
    """What each rating would do, computed only when a prompt asks (a pipe never does)."""

    def __init__(self, state: CardState, now: datetime, params: Params, known: dict[int, CardState],
                 seed: str | None = None) -> None:
        super().__init__(known)
        self.state, self.now, self.params, self.seed = state, now, params, seed

    def __missing__(self, rating: int) -> CardState:
        self[rating] = review(self.state, rating, self.now, self.params, self.seed)
        return self[rating]


def _warm_up(params: Params) -> None:
    """fsrs (15 ms to import), its scheduler for these settings, and grading's word lists and patterns."""
    import fsrs  # noqa: F401

    from trainer.answers import warm_up

    warm_up()
    prepare(params)  # (no sample review: py-fsrs draws its fuzz from the module's random state, shared)


@dataclass(frozen=True)
class Options:
    """How a session behaves: the daily review, a drill, or an exam-style quiz."""

    mode: store.Mode = store.Mode.REVIEW  # practice logs answers without moving the schedule
    choice: bool = False
    requeue: bool = True  # failed cards come back within the session
    rate: bool = True  # the learner confirms or overrides the suggested rating
    seed: int | None = None
    practice_unless_due: bool = False  # a drill: cards that are not due are practice, their schedule untouched


@dataclass
class Summary:
    answered: int = 0
    correct: int = 0
    ended_early: bool = False
    misses: list[CardSpec] = field(default_factory=list)
    left: int = 0  # cards of the session's queue due now and not asked (the learner left early)
    coming: int = 0  # cards in learning whose next step falls within the learn-ahead (20 minutes)
    leeches: list[CardSpec] = field(default_factory=list)
    next_due: datetime | None = None

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.answered if self.answered else 0.0


CLAIM_HOURS = 6


def build_queue(db: Database, now: datetime, settings: Settings, tz: tzinfo,
                deck: str | store.Scope | None = None, new_limit: int | None = None, extra: int = 0,
                session: str = "") -> list[store.CardRow]:
    """Due cards first (most overdue first), then new cards up to what today's limit leaves (+ extra); the new
    cards are claimed for `session`, so a second session open at the same time hands out others."""
    today = start_of_day(now, tz, settings.day_starts_at)
    done_reviews, done_new = store.counts_since(db, today)
    due = store.due_cards(db, now, settings.reviews_per_day - (done_reviews - done_new), deck,
                          end_of_day(now, tz, settings.day_starts_at))
    fresh = pace.new_for_today(db, now, settings, tz, deck, new_limit, extra, session, {c.fact_id for c in due})
    if session and fresh:
        store.claim(db, [c.id for c in fresh], session, now + timedelta(hours=CLAIM_HOURS))
    return due + fresh


def queue_counts(queue: list[store.CardRow]) -> tuple[int, int, int]:
    """(due reviews, learning, new) in a session's queue, for its header."""
    due = sum(1 for c in queue if c.reps and c.state.state == State.REVIEW)
    new = sum(1 for c in queue if not c.reps)
    return due, len(queue) - due - new, new


def ahead_queue(db: Database, count: int, deck: str | store.Scope | None = None) -> list[store.CardRow]:
    """The cards due soonest, for studying ahead when nothing is due."""
    return store.find_cards(db, deck, studied=True, soonest_first=True, limit=count)


def leech_queue(db: Database, deck: str | store.Scope | None = None) -> list[store.CardRow]:
    return store.find_cards(db, deck, leeches=True)


def confusion_queue(db: Database, deck: str | store.Scope | None = None,
                    pairs: int = 10) -> list[tuple[str, list[store.CardRow]]]:
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


def quiz_queue(db: Database, count: int, rng: random.Random, deck: str | store.Scope | None = None,
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


def spec_for(db: Database, card: store.CardRow) -> CardSpec:
    facts = {card.fact.key: card.fact}
    if card.kind == Kind.SECURE:
        for key in card.fact.secure:
            target = store.fact_of(db, card.deck, key)
            if target:
                facts[key] = target
    return make_card(card.deck, card.fact, card.kind, facts)


class _Decks:
    """The answer index of each deck met in a session, and (for multiple choice) its facts: each read once."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._answers: dict[str, DeckAnswers] = {}
        self._facts: dict[str, tuple[Fact, ...]] = {}
        self.bundled = set(store.bundled_decks(db))

    def own(self, deck: str) -> bool:
        """A deck of the learner's own (not shipped with trainer): its answers are theirs to extend."""
        return deck not in self.bundled

    def answers(self, deck: str) -> DeckAnswers:
        if deck not in self._answers:
            def load(keys: Sequence[str]) -> list[Fact]:
                return store.facts_by_key(self.db, deck, keys)

            self._answers[deck] = DeckAnswers(store.answer_index(self.db, deck), load)
        return self._answers[deck]

    def facts(self, deck: str) -> tuple[Fact, ...]:
        if deck not in self._facts:
            self._facts[deck] = tuple(store.facts(self.db, deck))
        return self._facts[deck]


@dataclass(frozen=True)
class _Answer:
    text: str
    seconds: float
    self_rating: int | None = None  # the learner graded a prose card themselves


def _ask(prompter: Prompter, spec: CardSpec, number: int, total: int, timer: Callable[[], float]) -> _Answer | None:
    """One answer from the learner (None: they left); prose cards come back with the learner's own rating."""
    started = timer()
    if spec.self_graded and not spec.choices:
        attempt = prompter.self_grade(spec, number, total)
        return None if attempt is None else _Answer(attempt[0], timer() - started, attempt[1])
    text = prompter.ask(spec, number, total)
    return None if text is None else _Answer(text, timer() - started)


def _ready_and_ahead(cards: list[store.CardRow], now: datetime) -> tuple[list[store.CardRow], list[store.CardRow]]:
    """Cards due now, and learning steps due a little later (soonest first)."""
    ahead = sorted((c for c in cards if c.reps and c.state.state != State.REVIEW and c.state.due
                    and c.state.due > now), key=lambda c: c.state.due or now)
    later = {c.id for c in ahead}
    return [c for c in cards if c.id not in later], ahead


class _Queue:
    """The session's cards in asking order: a card failed or in a learning step comes back as soon as its step
    is due, ahead of the rest; `refill` brings in cards that fell due while the session ran. Counts each card
    once: `number` is its place among the session's cards, 0 when it comes again."""

    def __init__(self, cards: list[store.CardRow], clock: Callable[[], datetime],
                 refill: Callable[[datetime], list[store.CardRow]] | None) -> None:
        self.total, self.clock, self.refill = len(cards), clock, refill
        # a learning step due within the learn-ahead limit is in the session, asked when its time comes; a list a
        # command chose (a drill's pairs side by side, a quiz's seeded order: no refill) is asked as it stands
        self.pending, self.steps = _ready_and_ahead(cards, clock()) if refill else (list(cards), [])
        self.numbers: dict[str, int] = {}
        self.repeats: set[str] = set()
        self.added = 0  # cards that fell due meanwhile, not yet announced

    def next(self) -> store.CardRow | None:
        now = self.clock()
        if self.steps and (self.steps[0].state.due or now) <= now:
            return self.steps.pop(0)
        if self.refill and (not self.pending or (self.pending[0].state.due or now) > now):
            # before studying ahead (or stopping), take any card that has fallen due meanwhile
            queued = {c.id for c in [*self.pending, *self.steps]}
            due, ahead = _ready_and_ahead([c for c in self.refill(self.clock()) if c.id not in queued], now)
            fresh = [c for c in due + ahead if c.id not in self.numbers]
            self.repeats.update(c.id for c in due + ahead if c.id in self.numbers)
            self.pending = [c for c in due if c.id not in self.numbers] + [
                c for c in due if c.id in self.numbers] + self.pending
            self.steps = sorted(self.steps + ahead, key=lambda c: c.state.due or now)
            self.total += len(fresh)
            self.added += len(fresh)
        if self.pending:
            return self.pending.pop(0)
        return self.steps.pop(0) if self.steps else None  # nothing else left: its step a little early (as Anki)

    def announce(self, prompter: Prompter) -> None:
        """Say why the count of the session's cards grew."""
        if self.added:
            n = self.added
            prompter.notice(f"{n} more card{'s' if n != 1 else ''} fell due meanwhile: "
                            f"{'they are' if n != 1 else 'it is'} added to this session.")
            self.added = 0

    def number(self, card: store.CardRow) -> int:
        if card.id in self.repeats:
            return 0
        return self.numbers.setdefault(card.id, len(self.numbers) + 1)

    def again(self, card: store.CardRow) -> None:
        """An undone card: asked again at once, under its own number (and no longer waiting for a step)."""
        self.steps = [c for c in self.steps if c.id != card.id]
        self.pending = [card] + [c for c in self.pending if c.id != card.id]

    def later(self, card: store.CardRow) -> None:
        """A card due again within the session (a learning step): asked when its step is due, as `again`."""
        self.steps.append(card)
        self.steps.sort(key=lambda c: c.state.due or self.clock())
        self.repeats.add(card.id)

    def due_left(self, current: store.CardRow | None) -> tuple[int, int]:
        """Cards of the session still to ask: (due now, learning steps due within the learn-ahead). New cards
        simply wait for the next session; a learning step due later is not counted."""
        now = self.clock()
        left = {c.id: c for c in [*([current] if current else []), *self.pending, *self.steps]}
        due = [c for c in left.values() if c.reps > 0 and c.state.due is not None
               and (c.state.due <= now + LEARN_AHEAD or c.state.state == State.REVIEW)]
        soon = sum(1 for c in due if c.state.due is not None and c.state.due > now and c.state.state != State.REVIEW)
        return len(due) - soon, soon


def _spec(db: Database, card: store.CardRow, decks: _Decks, options: Options, base: object) -> CardSpec:
    """The card as asked: every answer the deck accepts, and options when it is multiple choice."""
    answers = decks.answers(card.deck)
    spec = answers.widen(spec_for(db, card), card.fact)
    if decks.own(card.deck):
        spec = with_accepted(spec, store.accepted_answers(db, card.deck, card.id).get(card.id, []))
    if not options.choice:
        return spec
    rng = random.Random(f"{base}:{card.id}:{card.reps}")  # an undone card keeps its option order
    named = {normalise(a) for a in spec.answers} if spec.kind == Kind.PORT_SERVICE else set()

    def right(text: str) -> bool:  # an accepted name is right at a glance: options are checked in linear time
        return normalise(text) in named or check(spec, text, answers.known)[0]

    return with_choices(spec, card.fact, decks.facts(card.deck), rng, right)


@dataclass(frozen=True)
class _Last:
    """The session's last answer, which `u` typed at the next question takes back."""

    card: store.CardRow
    review_id: int
    counted_right: bool
    missed: CardSpec | None


def _suspended_leech(db: Database, prompter: Prompter, summary: Summary, spec: CardSpec, card: store.CardRow,
                     now: datetime) -> bool:
    """A card that has just become a leech: noted, and set aside at once if the learner says so."""
    summary.leeches.append(spec)
    if prompter.offer_suspend(spec):
        store.set_suspended(db, [card.id], True, now)
        return True
    return False


def _undo_last(db: Database, prompter: Prompter, cards: _Queue, summary: Summary, last: _Last | None,
               now: datetime, params: Params) -> None:
    """`u` typed as an answer takes back the session's last answer (the card asked now waits behind it)."""
    if last is None:
        prompter.notice("Nothing to undo yet in this session: type the answer.")
        return
    history.undo(db, params, now, last.review_id)
    summary.answered -= 1
    summary.correct -= int(last.counted_right)
    if last.missed in summary.misses:
        summary.misses.remove(last.missed)
    cards.again(store.card_by_id(db, last.card.id) or last.card)
    prompter.notice("Undone: your last answer is forgotten; that card comes again.")


def _verdict(spec: CardSpec, given: _Answer, timed: bool, answers: DeckAnswers, usual: float | None,
             first_sight: bool) -> Verdict:
    """The program's verdict, or the learner's own on a prose card they graded."""
    if given.self_rating is not None:
        return Verdict(given.self_rating > Rating.AGAIN, False, given.self_rating, given.text)
    return grade(spec, given.text, given.seconds if timed else None, answers, usual, first_sight)


def _show(prompter: Prompter, spec: CardSpec, verdict: Verdict, after: CardState | None, now: datetime) -> None:
    extra = [confusion_line(spec, verdict.owner)] if verdict.owner else []
    extra += [verdict.partial] if verdict.partial else []
    prompter.show_verdict(spec, verdict, after, now, extra)


def _rate(db: Database, prompter: Prompter, card: store.CardRow, verdict: Verdict, saved: store.Recorded,
          now: datetime, params: Params, offer_accept: bool = False) -> tuple[int | None, CardState, store.Recorded]:
    """The learner confirms or overrides the suggested rating, undoes the answer, or (`offer_accept`) accepts
    their answer from now on; the rating chosen (None: they left, UNDO), the card's state after it, and the
    review as recorded. Undo and overrides are events: the review stays in the log, the card is rebuilt."""
    previews = Previews(saved.before, now, params, {verdict.rating: saved.after}, fuzz_seed(card.id, now))
    chosen = prompter.choose_rating(verdict.rating, previews, now, offer_accept)
    after = saved.after
    if chosen == ACCEPT:
        store.accept_answer(db, card.id, verdict.answer, now)
        after = history.override(db, params, now, saved.review_id, card.id, Rating.GOOD, correct=True)
        prompter.notice(f"Accepted: '{verdict.answer.strip()}' is right for this card from now on.")
        return Rating.GOOD, after, replace(saved, new_leech=False)
    if chosen == UNDO:
        history.undo(db, params, now, saved.review_id)
        prompter.notice("Undone: that answer is forgotten; the card comes again.")
    elif chosen is not None and chosen != verdict.rating:
        after = history.override(db, params, now, saved.review_id, card.id, chosen)  # = the interval previewed
        if (chosen == Rating.AGAIN) != (verdict.rating == Rating.AGAIN):
            saved = replace(saved, new_leech=store.refresh_leech(db, card.id))
    return chosen, after, saved


def _record(db: Database, card: store.CardRow, given: _Answer, verdict: Verdict, now: datetime, params: Params,
            mode: store.Mode) -> store.Recorded:
    """Save the answer at once, scheduled from the card's state as it is in the database at that moment; load
    smoothing then counts the day it is due, so the session's next answers spread around it."""
    def schedule(state: CardState) -> CardState:
        return review(state, verdict.rating, now, params, fuzz_seed(card.id, now))

    saved = store.record_review(db, card, now, given.text, verdict.correct, verdict.rating,
                                int(given.seconds * 1000), schedule, mode=mode,
                                confused_with=fact_id(card.deck, verdict.owner.key) if verdict.owner else None)
    if mode == store.Mode.REVIEW:
        count_load(params.load, saved.after)
    return saved


def _mode(card: store.CardRow, options: Options, now: datetime,
          day_start: Callable[[datetime], datetime] | None) -> store.Mode:
    """A review moves the schedule; in a drill, a card that is not due is practice."""
    if options.mode == store.Mode.PRACTICE or not options.practice_unless_due:
        return options.mode
    due = card.state.due
    due_now = due is not None and (due <= now or (card.state.state == State.REVIEW and day_start is not None
                                                   and day_start(due) <= now))
    return store.Mode.REVIEW if due_now else store.Mode.PRACTICE


def _prepare(db: Database, queue: list[store.CardRow], params: Params) -> Callable[[], None]:
    """What the first answer needs, begun on other threads while the first question is read (~30 ms): the log's
    stamp, fsrs and its scheduler, grading's word lists and patterns. Nothing for a session with nothing to ask.
    Returns what waits for them, called before an answer is scheduled."""
    if not queue:
        return lambda: None
    db.stamp_early()
    warming = threading.Thread(target=_warm_up, args=(params,), daemon=True)
    warming.start()
    return warming.join


def run(db: Database, prompter: Prompter, queue: list[store.CardRow], clock: Callable[[], datetime],
        timer: Callable[[], float], params: Params, options: Options = Options(),
        deck: str | store.Scope | None = None, headings: dict[str, list[str]] | None = None,
        refill: Callable[[datetime], list[store.CardRow]] | None = None,
        day_start: Callable[[datetime], datetime] | None = None) -> Summary:
    """Ask, grade, schedule, record (committed at once), show; then the learner may override or undo.
    Failed cards come back, and `refill` brings in cards that fell due while the session ran; `day_start`
    says when a review card due at some time becomes due (its study day's start). `headings[card id]` are said
    after that card's answers, one each time (a drill's pair, which would give the answer away before it)."""
    from trainer.gc_pause import frozen

    with frozen():
        summary = Summary()
        ready = _prepare(db, queue, params)
        decks = _Decks(db)
        usual = store.usual_seconds(db)
        base = options.seed if options.seed is not None else random.random()
        cards = _Queue(queue, clock, refill)
        last: _Last | None = None
        while (card := cards.next()) is not None:
            cards.announce(prompter)
            mode = _mode(card, options, clock(), day_start)
            reviewing = mode == store.Mode.REVIEW
            spec = _spec(db, card, decks, options, base)
            given = _ask(prompter, spec, cards.number(card), cards.total, timer)
            if given is None:
                summary.ended_early, (summary.left, summary.coming) = True, cards.due_left(card)
                break
            if given.text.strip().casefold() == "u" and given.self_rating is None:  # Anki's habit: undo the last one
                cards.again(card)
                _undo_last(db, prompter, cards, summary, last, clock(), params)
                last = None
                continue
            verdict = _verdict(spec, given, prompter.timed, decks.answers(card.deck), usual.get(card.kind),
                               card.state.state != State.REVIEW)  # never Easy for a card still being learned
            now = clock()
            ready()  # fsrs and the scheduler, before this answer is scheduled
            knobs = params.for_card(card.id)
            saved = _record(db, card, given, verdict, now, knobs, mode)
            after = saved.after
            summary.answered += 1
            if given.self_rating is None:
                _show(prompter, spec, verdict, after if reviewing else None, now)
            if headings and headings.get(card.id):  # a drill's heading comes after the answer: it would give it away
                prompter.notice(headings[card.id].pop(0))
            rating: int | None = verdict.rating
            if options.rate and reviewing and given.self_rating is None:
                offer = (decks.own(card.deck) and not verdict.correct and not spec.choices
                         and bool(verdict.answer.strip()))
                rating, after, saved = _rate(db, prompter, card, verdict, saved, now, knobs, offer)
                if rating == UNDO:
                    summary.answered -= 1
                    cards.again(card)
                    continue
            final = verdict.rating if rating is None else rating
            summary.correct += int(final > Rating.AGAIN)  # overridden to Good: the learner knew it
            if final == Rating.AGAIN:
                summary.misses.append(spec)
            last = _Last(card, saved.review_id, final > Rating.AGAIN, spec if final == Rating.AGAIN else None)
            if rating is None:  # the learner left at the rating prompt: the answer is saved
                summary.ended_early, (summary.left, summary.coming) = True, cards.due_left(None)
                break
            if saved.new_leech and _suspended_leech(db, prompter, summary, spec, card, clock()):
                continue
            if options.requeue and reviewing and after.due is not None and after.due <= now + LEARN_AHEAD:
                cards.later(replace(card, state=after, reps=card.reps + 1))
    summary.next_due = store.next_due(db, deck, day_start)
    return summary
