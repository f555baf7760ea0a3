"""What importing a deck writes, decided before anything is written: the cards in the order they are first
met, the deck's answer index, and (when a deck changes under a learner) the cards whose answer changed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from trainer.answers import NameRow, PortRow, index_rows
from trainer.cards import PlannedCard, applicable, make_card, plan_cards
from trainer.deck import KINDS, Deck, Fact, Kind, PastAnswer
from trainer.errors import TrainerError
from trainer.grading import check, read_range, read_transport
from trainer.scheduler import CardState, Params, fuzz_seed, review


@dataclass(frozen=True)
class Replayed:
    """One answer of a deck's history (from Anki), with the card's state before and after it under FSRS."""

    card_id: str
    at: datetime
    rating: int
    duration_ms: int
    before: CardState
    after: CardState


def replay(deck: Deck, cards: Sequence[PlannedCard], params: Params) -> tuple[Replayed, ...]:
    """The deck's past answers replayed through FSRS, card by card in time order, so the cards are scheduled
    as if they had been studied here; answers to cards the deck does not ask are left out."""
    ids = {(c.fact_key, c.kind): c.id for c in cards}
    by_card: dict[str, list[PastAnswer]] = {}
    for past in deck.history:
        cid = ids.get((past.fact_key, past.kind))
        if cid is not None:
            by_card.setdefault(cid, []).append(past)
    out = []
    for cid, answers in by_card.items():
        state = CardState()
        for past in sorted(answers, key=lambda p: p.at):
            after = review(state, past.rating, past.at, params, fuzz_seed(cid, past.at))
            out.append(Replayed(cid, past.at, past.rating, past.duration_ms, state, after))
            state = after
    return tuple(out)


@dataclass(frozen=True)
class DeckImport:
    """Everything `store.import_decks` writes for one deck, in one transaction with the others."""

    deck: Deck
    cards: tuple[PlannedCard, ...]
    names: list[NameRow]  # the deck's answer index as stored (answers.index_rows)
    ports: list[PortRow]
    kinds: tuple[str, ...]  # the question kinds asked: the learner's choice, else the deck's own
    choose_kinds: bool = False  # store `kinds` as the learner's choice for this deck
    reset: frozenset[str] = frozenset()  # cards whose answer changed: they start again as new
    bundled_sha1: str | None = None  # the bundled file this deck was imported from
    history: tuple[Replayed, ...] = ()  # past answers (Anki's), for cards not studied here yet


def plan(deck: Deck, chosen_kinds: Sequence[str] | None = None, *, choose: bool = False,
         reset: Iterable[str] = (), bundled_sha1: str | None = None, params: Params | None = None) -> DeckImport:
    from trainer.gc_pause import paused

    kinds = tuple(chosen_kinds) if chosen_kinds else deck.kinds
    with paused():
        cards = tuple(plan_cards(deck, kinds))
        history = replay(deck, cards, params or Params()) if deck.history else ()
        names, ports = index_rows(deck.facts)
    return DeckImport(deck, cards, names, ports, kinds, choose, frozenset(reset), bundled_sha1, history)


def parse_kinds(text: str, deck: Deck) -> tuple[str, ...]:
    """`service-port,port-service,transport` -> the kinds, each one a deck of this sort can ask; `all` -> the deck's
    own (what its file asks)."""
    if text.strip().casefold() in ("all", "default"):
        return tuple(deck.kinds)
    kinds = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    by_key = {f.key: f for f in deck.facts}
    allowed = [k for k in KINDS if any(applicable(f, k, by_key) or (k in (Kind.TRANSPORT, Kind.RANGE) and f.is_port)
                                       for f in deck.facts)]  # what some fact can be asked
    bad = [k for k in kinds if k not in allowed]
    if not kinds or bad:
        raise TrainerError(f"--kinds: {bad[0] + ' is not' if bad else 'give'} one of {', '.join(allowed)} "
                           f"for deck '{deck.name}', or all")
    return kinds


def changed_answers(old_facts: Mapping[str, Fact], deck: Deck, kinds: Sequence[str]) -> set[str]:
    """Cards of `deck` that existed before with another answer: what the learner remembers is now wrong.

    A card keeps its history when only wording, notes or accepted alternatives changed; it is changed when
    its fact's ports or transport moved, or the answer it used to want is no longer accepted."""
    new = {f.key: f for f in deck.facts}
    changed = set()
    for card in plan_cards(deck, kinds):
        before = old_facts.get(card.fact_key)
        if before is None:
            continue
        after = new[card.fact_key]
        if card.kind in (Kind.FRONT_BACK, Kind.BACK_FRONT):
            was, now_ = make_card(deck.name, before, card.kind), make_card(deck.name, after, card.kind)
            if not check(now_, was.expected)[0]:
                changed.add(card.id)
            continue
        if card.kind == Kind.SECURE and not all(k in old_facts for k in before.secure):
            continue
        if (before.ports, before.transport) != (after.ports, after.transport) and card.kind != Kind.SECURE:
            changed.add(card.id)
            continue
        was = make_card(deck.name, before, card.kind, old_facts)
        now_ = make_card(deck.name, after, card.kind, new)
        if card.kind == Kind.TRANSPORT:
            still = read_transport(was.expected) in now_.answers
        elif card.kind == Kind.RANGE:
            still = read_range(was.expected)[0] in now_.answers
        elif was.port_sets:
            still = was.port_sets[0] in now_.port_sets
        else:
            still = check(now_, was.expected)[0]
        if not still:
            changed.add(card.id)
    return changed
