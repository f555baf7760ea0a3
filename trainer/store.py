"""The only module that knows the tables: decks, facts, cards, reviews, settings."""

from __future__ import annotations

import json
import math
import sqlite3
from bisect import bisect_right
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Any

from trainer.answers import NameRow, PortRow
from trainer.cards import fact_id
from trainer.clock import LEARN_AHEAD, iso, parse_time
from trainer.db import Database, writing
from trainer.deck import Deck, Fact
from trainer.errors import StoreError
from trainer.scheduler import LEECH_FAILS, CardState, ExamAim, Params, Rating, State, around_breaks, is_lapse
from trainer.settings import TRAVELLING, Settings

if TYPE_CHECKING:
    from trainer.import_plan import DeckImport

class Suspension(IntEnum):
    """cards.suspended and facts.suspended: why a card is not asked."""

    ACTIVE = 0
    SET_ASIDE = 1  # by the learner (`trainer suspend`, a leech)
    REMOVED = 2  # its fact left the deck's file, or the deck no longer asks its kind: kept with its history
    PRUNED = 3  # pruned or its deck removed: hidden for good (its reviews stay in the log)


class Mode(str, Enum):
    """reviews.mode: a review moves the schedule; a practice answer (a quiz) is only logged."""

    REVIEW = "review"
    PRACTICE = "practice"

    def __str__(self) -> str:
        return self.value


# The vocabulary is written into the SQL text rather than bound, because SQLite uses a partial index
# (cards_due, cards_new) only when a query names the same constant as the index does.
ACTIVE, SET_ASIDE, REMOVED = int(Suspension.ACTIVE), int(Suspension.SET_ASIDE), int(Suspension.REMOVED)
PRUNED = int(Suspension.PRUNED)
REVIEW_MODE, PRACTICE_MODE = f"'{Mode.REVIEW.value}'", f"'{Mode.PRACTICE.value}'"
NEW_STATE, REVIEW_STATE = int(State.NEW), int(State.REVIEW)
LEARNING_STATES = f"({int(State.LEARNING)}, {int(State.RELEARNING)})"
_CARD_COLS = ("c.id, c.deck, c.fact_id, c.kind, c.state, c.step, c.stability, c.difficulty, c.due, c.last_review, "
              "c.reps, c.lapses, f.data, c.suspended")


@dataclass(frozen=True)
class CardRow:
    id: str
    deck: str
    kind: str
    fact: Fact
    state: CardState
    reps: int
    lapses: int
    fact_id: str = ""
    suspended: int = 0


@dataclass(frozen=True)
class ImportSummary:
    deck: str
    added: int
    updated: int
    unchanged: int
    suspended: int
    cards_added: int
    cards: int
    cards_set_aside: int = 0  # cards of facts still in the deck whose question kind the deck dropped
    reset_studied: int = 0  # studied cards whose answer changed: they start again as new
    set_aside_studied: int = 0  # studied cards no longer asked (kept, with their history)
    history: int = 0  # past answers brought along (an Anki package's review log)


@dataclass(frozen=True)
class DeckCounts:
    name: str
    title: str
    facts: int
    cards: int
    new: int
    learning: int
    due: int
    suspended: int
    review: int = 0
    source: str = ""


def _state_of(state: int | None, step: int | None, stability: float | None, difficulty: float | None,
              due: str | None, last_review: str | None) -> CardState:
    """A card's cached state from its columns (state, step, stability, difficulty, due, last_review)."""
    return CardState(state=State(state or 0), step=step, stability=stability, difficulty=difficulty,
                     due=parse_time(due), last_review=parse_time(last_review))


def _row_to_card(row: tuple) -> CardRow:
    cid, deck, fid, kind, *state, reps, lapses, data, suspended = row
    return CardRow(cid, deck, kind, Fact.from_dict(json.loads(data)), _state_of(*state), reps, lapses, fact_id=fid,
                   suspended=suspended)


def import_decks(db: Database, imports: Sequence[DeckImport], now: datetime,
                 record: bool = True) -> list[ImportSummary]:
    """Write planned deck imports in one transaction: all of them or none. Cards keep their reviews when
    their fact key stays; cards no longer planned are set aside with their history; `reset` cards start
    again as new (their reviews stay in the log). `record`: an event says so, for other devices (not when the
    import came from one)."""
    from trainer.event_yaml import deck_yaml
    from trainer.gc_pause import paused

    with paused(), writing(db):
        out = []
        for imp in imports:
            summary, fact_data = _import_one(db, imp, now)
            out.append(summary)
            if record:
                text = None if imp.bundled_sha1 is not None else deck_yaml(imp.deck, fact_data)
                del fact_data  # the big strings of an import live one after another, never all at once
                data = json.dumps({"bundled": imp.bundled_sha1 is not None,
                                   "kinds": list(imp.kinds) if imp.choose_kinds else None, "yaml": text})
                del text
                _event(db, now, "import", deck=imp.deck.name, data_json=data)
        return out


_FACT_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # facts.data: one encoder, not one a fact


def _import_one(db: Database, imp: DeckImport, now: datetime) -> tuple[ImportSummary, list[str]]:
    """One deck's rows; returns its summary and each fact's data as stored (JSON)."""
    deck = imp.deck
    added = updated = unchanged = 0
    db.execute(
        "INSERT INTO decks (name, title, description, source, kinds, format, imported_at, bundled_sha1) "
        "VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT(name) DO UPDATE SET title=excluded.title, "
        "description=excluded.description, source=excluded.source, kinds=excluded.kinds, "
        "imported_at=excluded.imported_at, bundled_sha1=excluded.bundled_sha1, removed_at=NULL",
        [deck.name, deck.title, deck.description, deck.source, json.dumps(list(deck.kinds)), iso(now),
         imp.bundled_sha1],
    )
    write_index(db, deck.name, imp.names, imp.ports)
    fact_data = [_FACT_JSON.encode(f.to_dict()) for f in deck.facts]
    if imp.choose_kinds:  # the deck's own kinds chosen: no choice left, so the file's kinds apply again
        chosen = None if set(imp.kinds) == set(deck.kinds) else json.dumps(list(imp.kinds))
        db.execute("UPDATE decks SET kinds_chosen = ? WHERE name = ?", [chosen, deck.name])
    old = {fid: (data, susp) for fid, data, susp in
           db.execute("SELECT id, data, suspended FROM facts WHERE deck = ?", [deck.name])}
    old_cards = {cid: susp for cid, susp in db.execute("SELECT id, suspended FROM cards WHERE deck = ?", [deck.name])}
    ids = [fact_id(deck.name, f.key) for f in deck.facts]
    for fid, data in zip(ids, fact_data, strict=True):
        was = old.get(fid)
        if was is None:
            added += 1
        elif was[0] != data or was[1] >= REMOVED:
            updated += 1
        else:
            unchanged += 1
    # rows are made as SQLite takes them (generators): a list of every card's row took 20 MB for 125,000 cards
    db.conn.executemany(
        f"INSERT INTO facts (id, deck, key, position, data, suspended) VALUES (?, ?, ?, ?, ?, {ACTIVE}) "
        "ON CONFLICT(id) DO UPDATE SET position=excluded.position, data=excluded.data, "
        f"suspended=CASE WHEN facts.suspended >= {REMOVED} THEN {ACTIVE} ELSE facts.suspended END",
        ((fid, deck.name, f.key, pos, data)
         for pos, (fid, f, data) in enumerate(zip(ids, deck.facts, fact_data, strict=True))),
    )
    new_cards = [c for c in imp.cards if c.id not in old_cards] if old_cards else imp.cards
    db.conn.executemany("INSERT INTO cards (id, deck, fact_id, kind, position) VALUES (?, ?, ?, ?, ?)",
                        ((c.id, deck.name, fact_id(deck.name, c.fact_key), c.kind, c.position) for c in new_cards))
    db.conn.executemany(
        f"UPDATE cards SET position = ?, suspended = CASE WHEN suspended >= {REMOVED} THEN {ACTIVE} ELSE suspended END "
        "WHERE id = ?", [(c.position, c.id) for c in imp.cards if c.id in old_cards] if old_cards else [])
    kept = set(ids) if old else set()
    gone_facts = [fid for fid in old if fid not in kept and old[fid][1] < REMOVED]
    db.conn.executemany(f"UPDATE facts SET suspended = {REMOVED} WHERE id = ?", [(f,) for f in gone_facts])
    wanted_cards = {c.id for c in imp.cards} if old_cards else set()
    gone_cards = [(c,) for c, s in old_cards.items() if c not in wanted_cards and s < REMOVED]
    db.conn.executemany(f"UPDATE cards SET suspended = {REMOVED} WHERE id = ?", gone_cards)
    reset = [(c,) for c in sorted(imp.reset) if c in old_cards]
    studied_reset = sum(db.execute("SELECT reps > 0 FROM cards WHERE id = ?", r).fetchone()[0] for r in reset)
    db.conn.executemany(
        f"UPDATE cards SET state = {NEW_STATE}, step = NULL, stability = NULL, difficulty = NULL, due = NULL, "
        "last_review = NULL, reps = 0, lapses = 0, leech = 0 WHERE id = ?", reset)
    for (cid,) in reset:  # the card starts again: an undo or a rebuild never brings its old answers back
        _event(db, now, "reset", card_id=cid, deck=deck.name)
    history = _import_history(db, imp, now)
    total = db.execute(f"SELECT count(*) FROM cards WHERE deck = ? AND suspended = {ACTIVE}", [deck.name]).fetchone()[0]
    gone = set(gone_facts)
    dropped = [c for (c,) in gone_cards if c.rsplit("/", 1)[0] not in gone]
    studied_dropped = sum(db.execute("SELECT reps > 0 FROM cards WHERE id = ?", [c]).fetchone()[0] for c in dropped)
    return ImportSummary(deck.name, added, updated, unchanged, len(gone_facts), len(new_cards), total,
                         len(dropped), studied_reset, studied_dropped, history), fact_data


def _import_history(db: Database, imp: DeckImport, now: datetime) -> int:
    """Past answers become reviews of the cards not studied here yet (so importing a package twice adds
    nothing twice); each card takes the state its replayed history leaves. Returns the reviews written.
    Answers dated after `now` (a clock gone wrong elsewhere) are left out: they would count as today's."""
    if not imp.history:
        return 0
    fresh = {cid for (cid,) in db.execute("SELECT id FROM cards WHERE deck = ? AND reps = 0", [imp.deck.name])}
    rows = [r for r in imp.history if r.card_id in fresh and r.at <= now]
    first, device = _next_id(db, "reviews"), device_id(db)  # each uid written with its row, as record_review's
    db.conn.executemany(
        "INSERT INTO reviews (id, uid, card_id, reviewed_at, answer, correct, rating, duration_ms, mode, "
        "state_before, state_after) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?)",
        [(n, f"{device}.r{n}", r.card_id, iso(r.at), int(r.rating > Rating.AGAIN), r.rating, r.duration_ms,
          Mode.REVIEW, json.dumps(r.before.to_dict()), json.dumps(r.after.to_dict()))
         for n, r in enumerate(rows, start=first)])
    last: dict[str, tuple[CardState, int, int]] = {}
    for r in rows:
        _, reps, lapses = last.get(r.card_id, (r.after, 0, 0))
        last[r.card_id] = (r.after, reps + 1, lapses + int(is_lapse(r.rating, r.before)))
    for cid, (state, reps, lapses) in last.items():
        _set_card_state(db, cid, state, reps_delta=reps, lapses_delta=lapses)
    return len(rows)


def chosen_kinds(db: Database, deck: str) -> tuple[str, ...] | None:
    """The question kinds the learner chose for a deck (`trainer decks set`), or None for the deck's own."""
    row = db.execute("SELECT kinds_chosen FROM decks WHERE name = ?", [deck]).fetchone()
    return tuple(json.loads(row[0])) if row and row[0] else None


def bundled_decks(db: Database) -> dict[str, str]:
    """Decks imported from a file shipped with trainer, with that file's sha1 at the time."""
    return {name: sha or "" for name, sha in
            db.execute("SELECT name, bundled_sha1 FROM decks WHERE bundled_sha1 IS NOT NULL")}


def deck_of(db: Database, name: str) -> Deck | None:
    """A deck as stored: its live facts in order, ready to export."""
    row = db.execute("SELECT name, title, description, source, kinds FROM decks WHERE name = ? AND removed_at IS NULL",
                     [name]).fetchone()
    if row is None:
        return None
    return Deck(name=row[0], title=row[1] or row[0], description=row[2] or "", source=row[3] or "",
                kinds=tuple(json.loads(row[4])), facts=tuple(facts(db, name)))


def removed_facts(db: Database, deck: str) -> list[str]:
    """Facts that left the deck file on a re-import (kept, suspended, with their reviews)."""
    return [r[0] for r in db.execute(f"SELECT id FROM facts WHERE deck = ? AND suspended = {REMOVED} "
                                     "ORDER BY position", [deck])]


def prune_facts(db: Database, fact_ids: list[str], now: datetime) -> int:
    """Hide facts gone from their deck's file for good, with their cards; the caller has asked the learner
    first. Nothing is deleted: an event says so, and their reviews stay in the log."""
    with writing(db):
        for fid in fact_ids:
            _event(db, now, "prune", deck=fid.split("/")[0], data={"fact": fid})
            hide_fact(db, fid)
    return len(fact_ids)


def hide_fact(db: Database, fact: str) -> None:
    """A fact pruned, here or on another device: hidden for good with its cards (their reviews stay)."""
    db.execute(f"UPDATE facts SET suspended = {PRUNED} WHERE id = ?", [fact])
    db.execute(f"UPDATE cards SET suspended = {PRUNED} WHERE fact_id = ?", [fact])


def hide_deck(db: Database, name: str, at: str) -> None:
    """A deck removed, here or on another device: out of study and of every listing (its reviews stay)."""
    db.execute("UPDATE decks SET removed_at = ? WHERE name = ?", [at, name])
    db.execute(f"UPDATE facts SET suspended = {PRUNED} WHERE deck = ?", [name])
    db.execute(f"UPDATE cards SET suspended = {PRUNED} WHERE deck = ?", [name])


def remove_deck(db: Database, name: str, now: datetime) -> int:
    """Remove a deck from study and from every listing; returns how many of its reviews the log keeps.
    Importing a deck of that name again brings it back, with its history."""
    with writing(db):
        n = db.execute("SELECT count(*) FROM log WHERE card_id IN (SELECT id FROM cards WHERE deck = ?)",
                       [name]).fetchone()[0]
        _event(db, now, "remove_deck", deck=name)
        hide_deck(db, name, iso(now))
    return int(n)


def deck_source(db: Database, name: str) -> str | None:
    row = db.execute("SELECT source FROM decks WHERE name = ? AND removed_at IS NULL", [name]).fetchone()
    return None if row is None else (row[0] or "")


def deck_names(db: Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT name FROM decks WHERE removed_at IS NULL ORDER BY name")]


def has_cards(db: Database) -> bool:
    return db.execute("SELECT 1 FROM cards LIMIT 1").fetchone() is not None


# The order decks are listed and their new cards met in (decks `d`): the exam deck first, then as they were added.
_DECK_ORDER = "d.name != 'exam', d.rowid"


def deck_counts(db: Database, now: datetime, day_end: datetime | None = None) -> list[DeckCounts]:
    """The listed decks (the exam deck first) with their cards counted as `stats` counts them (card_tallies)."""
    tallies = card_tallies(db, now, day_end, now, None)
    out = []
    for name, title, fact_count, source in db.execute(
            f"SELECT d.name, d.title, (SELECT count(*) FROM facts f WHERE f.deck = d.name AND f.suspended = {ACTIVE}), "
            f"coalesce(d.source, '') FROM decks d WHERE d.removed_at IS NULL ORDER BY {_DECK_ORDER}"):
        t = tallies.get(name, CardTally())
        out.append(DeckCounts(name, title, fact_count, t.cards, t.new, t.learning, t.due, t.suspended, t.review,
                              source))
    return out


@dataclass(frozen=True)
class Scope:
    """The cards a command works on: one deck (or all, or those in `decks`), and only the facts whose `source`
    starts with `source` (`N10-009`, `Security+`, `RFC 6335`), case ignored."""
    deck: str | None = None
    source: str | None = None
    decks: tuple[str, ...] = ()


def _deck_filter(deck: str | Scope | None) -> tuple[str, list[Any]]:
    """The SQL condition (on cards `c`) and arguments limiting a query to one deck or scope, or to all."""
    scope = deck if isinstance(deck, Scope) else Scope(deck)
    where, args = (" AND c.deck = ?", [scope.deck]) if scope.deck else ("", [])
    if scope.decks:
        where += f" AND c.deck IN ({', '.join('?' * len(scope.decks))})"
        args += list(scope.decks)
    if scope.source:
        pattern = scope.source.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where += (" AND c.fact_id IN (SELECT id FROM facts WHERE json_extract(data, '$.source') LIKE ? "
                  "ESCAPE '\\')")
        args.append(pattern)
    return where, args


def deck_new_limits(db: Database) -> dict[str, int]:
    """The decks with a daily new-card limit of their own."""
    return dict(db.execute("SELECT name, new_per_day FROM decks WHERE new_per_day IS NOT NULL "
                           "AND removed_at IS NULL").fetchall())


def set_deck_new_limit(db: Database, name: str, limit: int | None) -> None:
    with writing(db):
        db.execute("UPDATE decks SET new_per_day = ? WHERE name = ?", [limit, name])


# New cards met since a time (bound first): the reviews of cards that were new, with their cards `c`. A quiz or a
# drill meets no card: its practice rows hold nothing back.
_MET_SINCE = ("FROM log r JOIN cards c ON c.id = r.card_id WHERE r.reviewed_at >= ? "
              f"AND r.mode = {REVIEW_MODE} AND json_extract(r.state_before, '$.state') = {NEW_STATE}")


def new_in_scope_since(db: Database, scope: Scope, since: datetime) -> int:
    """New cards of a scope (the exam's) met since `since`."""
    where, args = _deck_filter(scope)
    return int(db.execute(
        f"SELECT count(DISTINCT r.card_id) {_MET_SINCE}{where}", [iso(since), *args]).fetchone()[0])


def new_by_deck_since(db: Database, since: datetime) -> dict[str, int]:
    """New cards met since `since`, per deck: what each deck's own limit has left today."""
    return dict(db.execute(
        f"SELECT c.deck, count(DISTINCT r.card_id) {_MET_SINCE} GROUP BY c.deck", [iso(since)]).fetchall())


def _due(now: datetime, day_end: datetime | None, c: str = "c.") -> tuple[str, list[Any]]:
    """The SQL condition for a studied card being due: a review card for the whole study day (until `day_end`),
    a learning step by the minute (within the learn-ahead limit of `now`)."""
    steps = now + LEARN_AHEAD
    if day_end is None or day_end <= now:
        return f"({c}due <= ? OR ({c}state != {REVIEW_STATE} AND {c}due <= ?))", [iso(now), iso(steps)]
    return f"{c}due < ? AND ({c}state = {REVIEW_STATE} OR {c}due <= ?)", [iso(day_end), iso(steps)]


# a practice answer (drill, quiz) that missed card `c` after its last review, as the log reads (undone ones left out)
_MISSED_IN_PRACTICE = (f"SELECT 1 FROM log p WHERE p.card_id = c.id AND p.mode = {PRACTICE_MODE} AND p.correct = 0 "
                       "AND p.reviewed_at > coalesce(c.last_review, '')")


def due_cards(db: Database, now: datetime, limit: int, deck: str | Scope | None = None,
              day_end: datetime | None = None) -> list[CardRow]:
    """Cards already studied that are due (today's reviews, learning steps whose time has come): what a drill or a
    quiz found forgotten first, then the most overdue. Two queries, so the second reads the due index in order and
    stops at `limit` (sorting every due card by the first condition took 0.5 s at 100,000 due cards)."""
    where, args = _deck_filter(deck)
    due, due_args = _due(now, day_end)
    missed = db.execute(
        f"SELECT {_CARD_COLS} FROM cards c JOIN facts f ON f.id = c.fact_id WHERE c.id IN (SELECT card_id FROM "
        f"reviews WHERE mode = {PRACTICE_MODE} AND correct = 0) AND c.suspended = {ACTIVE} AND c.reps > 0 AND {due}"
        f"{where} AND EXISTS ({_MISSED_IN_PRACTICE}) ORDER BY c.due LIMIT ?",  # candidates from a small index
        [*due_args, *args, max(limit, 0)]).fetchall()
    first = {r[0] for r in missed}
    rows = db.execute(
        f"SELECT {_CARD_COLS} FROM cards c JOIN facts f ON f.id = c.fact_id "
        f"WHERE c.suspended = {ACTIVE} AND c.reps > 0 AND {due}{where} ORDER BY c.due LIMIT ?",
        [*due_args, *args, max(limit, 0)]).fetchall()
    return [_row_to_card(r) for r in [*missed, *(r for r in rows if r[0] not in first)][:max(limit, 0)]]


def new_cards(db: Database, limit: int, deck: str | Scope | None = None, skip_facts: Iterable[str] = (),
              claimed_by_others: Iterable[str] = (), room: dict[str, int] | None = None,
              paced: tuple[frozenset[str], int] | None = None) -> list[CardRow]:
    """Unseen cards: the exam deck's first, then deck by deck in the order they were added; at most one per fact
    so a card never gives away its sibling, none another session holds, and no more from a deck than its own
    limit leaves (`room`)."""
    where, args = _deck_filter(deck)
    seen = set(skip_facts)
    taken = set(claimed_by_others)
    room = dict(room or {})
    out: list[CardRow] = []
    cursor = db.execute(
        f"SELECT {_CARD_COLS} FROM cards c JOIN facts f ON f.id = c.fact_id JOIN decks d ON d.name = c.deck "
        f"WHERE c.suspended = {ACTIVE} AND c.reps = 0{where} ORDER BY {_DECK_ORDER}, c.position",
        args,
    )
    for row in cursor:
        if len(out) >= limit:
            break
        if row[2] in seen or row[0] in taken or room.get(row[1], 1) <= 0:
            continue
        if paced is not None and row[0] in paced[0]:  # exam mode: the exam's cards at the pace that meets them
            if paced[1] <= 0:
                continue
            paced = (paced[0], paced[1] - 1)
        seen.add(row[2])
        if row[1] in room:
            room[row[1]] -= 1
        out.append(_row_to_card(row))
    return out


def claims_of_others(db: Database, session: str, now: datetime) -> dict[str, str]:
    """New cards other sessions have handed out, and which session holds each (claims lapse after a few hours)."""
    return dict(db.execute("SELECT card_id, session FROM claims WHERE session != ? AND until > ?",
                           [session, iso(now)]).fetchall())


def claim(db: Database, card_ids: Iterable[str], session: str, until: datetime) -> None:
    """This session hands out these new cards: no other session takes them until it ends or `until`."""
    with writing(db):
        db.conn.executemany("INSERT INTO claims (card_id, session, until) VALUES (?, ?, ?) ON CONFLICT(card_id) "
                            "DO UPDATE SET session = excluded.session, until = excluded.until",
                            [(cid, session, iso(until)) for cid in card_ids])


def release(db: Database, session: str) -> None:
    with writing(db):
        db.execute("DELETE FROM claims WHERE session = ?", [session])


def fact_of(db: Database, deck: str, key: str) -> Fact | None:
    row = db.execute("SELECT data FROM facts WHERE id = ?", [fact_id(deck, key)]).fetchone()
    return Fact.from_dict(json.loads(row[0])) if row else None


def write_index(db: Database, deck: str, names: Iterable[NameRow], ports: Iterable[PortRow]) -> None:
    """Replace the deck's answer index (answers.index_rows)."""
    db.execute("DELETE FROM answer_names WHERE deck = ?", [deck])
    db.execute("DELETE FROM answer_ports WHERE deck = ?", [deck])
    db.conn.executemany("INSERT INTO answer_names (deck, name, facts, label) VALUES (?, ?, ?, ?)",
                        ((deck, *row) for row in names))
    db.conn.executemany("INSERT INTO answer_ports (deck, numbering, number, sets) VALUES (?, ?, ?, ?)",
                        ((deck, *row) for row in ports))


class StoredIndex:
    """A deck's answer index read name by name and port by port, each once: a session meets a few hundred of
    the registry deck's 12,000 entries, and parsing all of them (640 KB) at a deck's first answer cost 20-60 ms."""

    def __init__(self, db: Database, deck: str) -> None:
        self.db = db
        self.deck = deck
        self._names: dict[str, tuple[tuple[str, ...], bool] | None] = {}
        self._ports: dict[tuple[str, int], dict[str, dict[str, list[str]]]] = {}

    def named(self, name: str) -> tuple[tuple[str, ...], bool] | None:
        if name not in self._names:
            row = self.db.execute("SELECT facts, label FROM answer_names WHERE deck = ? AND name = ?",
                                  [self.deck, name]).fetchone()
            self._names[name] = (tuple(row[0].split("/")), bool(row[1])) if row else None
        return self._names[name]

    def sets_with(self, numbering: str, number: int) -> dict[str, dict[str, list[str]]]:
        at = (numbering, number)
        if at not in self._ports:
            row = self.db.execute("SELECT sets FROM answer_ports WHERE deck = ? AND numbering = ? AND number = ?",
                                  [self.deck, numbering, number]).fetchone()
            self._ports[at] = json.loads(row[0]) if row else {}
        return self._ports[at]


def answer_index(db: Database, deck: str) -> StoredIndex:
    return StoredIndex(db, deck)


def facts_by_key(db: Database, deck: str, keys: Iterable[str]) -> list[Fact]:
    ids = [fact_id(deck, k) for k in keys]
    if not ids:
        return []
    rows = db.execute(f"SELECT data FROM facts WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()
    return [Fact.from_dict(json.loads(d)) for (d,) in rows]


def facts(db: Database, deck: str) -> list[Fact]:
    """The deck's live facts in deck order."""
    return [Fact.from_dict(json.loads(d)) for (d,) in
            db.execute(f"SELECT data FROM facts WHERE deck = ? AND suspended < {REMOVED} ORDER BY position", [deck])]


def counts_since(db: Database, since: datetime) -> tuple[int, int]:
    """(reviews, new cards introduced) since `since`, for today's limits."""
    row = db.execute(
        f"SELECT count(*), count(DISTINCT CASE WHEN json_extract(state_before, '$.state') = {NEW_STATE} "
        f"THEN card_id END) FROM log WHERE reviewed_at >= ? AND mode = {REVIEW_MODE}",  # a card met on two devices
                                                                                         # is one new card
        [iso(since)],
    ).fetchone()
    return int(row[0]), int(row[1])


def facts_started_since(db: Database, since: datetime) -> set[str]:
    """Facts that had a card seen for the first time since `since`: their siblings wait a day."""
    return {fid for (fid,) in db.execute(f"SELECT DISTINCT c.fact_id {_MET_SINCE}", [iso(since)])}


@dataclass(frozen=True)
class Recorded:
    review_id: int
    new_leech: bool
    before: CardState  # the card's state when the answer was written (another session may have moved it)
    after: CardState


def card_state(db: Database, card_id: str) -> CardState:
    """A card's cached state as it is now."""
    row = db.execute("SELECT state, step, stability, difficulty, due, last_review FROM cards WHERE id = ?",
                     [card_id]).fetchone()
    if row is None:
        raise StoreError(f"card {card_id} is no longer in the database (its deck was removed meanwhile)")
    return _state_of(*row)


def record_review(db: Database, card: CardRow, now: datetime, answer: str, correct: bool, rating: int,
                  duration_ms: int, schedule: Callable[[CardState], CardState], mode: Mode = Mode.REVIEW,
                  confused_with: str | None = None) -> Recorded:
    """Append the answer and, for a review, move the card's cached state: one committed transaction. The new
    state is `schedule` of the card's state as read inside that transaction, so two sessions answering the
    same card each build on the other. Practice answers are logged with the state unchanged."""
    with writing(db):
        if db.execute("SELECT suspended FROM cards WHERE id = ?", [card.id]).fetchone() in (None, (PRUNED,)):
            raise StoreError(f"card {card.id} is no longer in its deck (the deck was removed meanwhile): "
                             "this answer was not saved")
        before = card_state(db, card.id)
        after = before if mode == Mode.PRACTICE else schedule(before)
        # the id chosen here (the one SQLite would choose) so the uid is written with the row: set afterwards, it
        # moved the row's uid index entry from the NULLs to the end, a page more to sync at every answer
        cur = db.execute(
            "INSERT INTO reviews (id, uid, card_id, reviewed_at, answer, correct, rating, duration_ms, mode, "
            "state_before, state_after) SELECT n, ? || '.r' || n, ?, ?, ?, ?, ?, ?, ?, ?, ? "
            "FROM (SELECT coalesce(max(id), 0) + 1 AS n FROM reviews)",
            [device_id(db), card.id, iso(now), answer, int(correct), rating, duration_ms, mode,
             json.dumps(before.to_dict()), json.dumps(after.to_dict())],
        )
        review_id = int(cur.lastrowid or 0)
        if confused_with:
            db.execute("INSERT INTO confusions (review_id, card_id, fact_id, other_fact_id, at) VALUES (?, ?, ?, ?, ?)",
                       [review_id, card.id, card.fact_id, confused_with, iso(now)])
        new_leech = False
        if mode != Mode.PRACTICE:
            lapse = is_lapse(rating, before)
            _set_card_state(db, card.id, after, reps_delta=1, lapses_delta=int(lapse))
            if lapse:  # only a lapse counts towards a leech (_fails)
                new_leech = _mark_leech(db, card.id)
    return Recorded(review_id, new_leech, before, after)


# scheduler.is_lapse as SQL on the log: Again on a card that was in review
_LAPSE = f"rating = {int(Rating.AGAIN)} AND json_extract(state_before, '$.state') = {REVIEW_STATE}"


def _fails(db: Database, card_id: str) -> int:
    """Lapses, as Anki counts leeches: a card forgotten after it was learned (Again on a card in review). Misses
    while learning do not count: a new card missed eight times in its first session was a leech within a minute."""
    return db.execute(f"SELECT count(*) FROM log WHERE card_id = ? AND mode = {REVIEW_MODE} AND {_LAPSE}",
                      [card_id]).fetchone()[0]


def refresh_leech(db: Database, card_id: str) -> bool:
    """After a rating changed: set or clear the flag; True when the card has just become a leech."""
    with writing(db):
        if _fails(db, card_id) < LEECH_FAILS:
            db.execute("UPDATE cards SET leech = 0 WHERE id = ?", [card_id])
            return False
        return _mark_leech(db, card_id)


def _mark_leech(db: Database, card_id: str) -> bool:
    """Flag a card the moment its fail count reaches the threshold; True only that first time."""
    if _fails(db, card_id) < LEECH_FAILS:
        return False
    cur = db.execute("UPDATE cards SET leech = 1 WHERE id = ? AND leech = 0", [card_id])
    return cur.rowcount == 1


@dataclass(frozen=True)
class LoggedAnswer:
    """One review as the log now reads (overrides applied), for `trainer undo` and replays."""

    id: int
    card_id: str
    answer: str
    at: datetime
    rating: int
    mode: Mode


def last_answer(db: Database, review_id: int | None = None) -> LoggedAnswer | None:
    """The newest review still in the log (practice answers changed nothing: passed over), or `review_id`."""
    row = db.execute(
        "SELECT id, card_id, answer, reviewed_at, rating, mode FROM log "
        + ("WHERE id = ?" if review_id is not None else  # this device's: another's answers are theirs to undo
           f"WHERE mode = {REVIEW_MODE} AND uid LIKE ? ORDER BY id DESC LIMIT 1"),
        [review_id] if review_id is not None else [device_id(db) + ".%"]).fetchone()
    return None if row is None else LoggedAnswer(row[0], row[1], row[2], parse_time(row[3]) or datetime.min,
                                                 int(row[4]), Mode(row[5]))


# Reviews made before a card was last reset (its answer changed in a deck update) no longer make its state.
_SINCE_RESET = ("reviewed_at > coalesce((SELECT max(e.at) FROM events e WHERE e.kind = 'reset' "
                "AND e.card_id = log.card_id), '')")


def reviewed_elsewhere_since(db: Database, card_id: str, at: datetime) -> bool:
    """Another device has reviewed this card after `at` (synced here): undoing the earlier answer would rewrite
    a history that device built on."""
    return db.execute(f"SELECT 1 FROM log WHERE card_id = ? AND reviewed_at > ? AND mode = {REVIEW_MODE} "
                      "AND uid NOT LIKE ? LIMIT 1", [card_id, iso(at), device_id(db) + ".%"]).fetchone() is not None


def card_log(db: Database, card_id: str) -> list[LoggedAnswer]:
    """A card's reviews as the log now reads, oldest first, since it was last reset: what its state is rebuilt
    from."""
    return [LoggedAnswer(rid, card_id, answer, parse_time(at) or datetime.min, int(r), Mode(m))
            for rid, answer, at, r, m in db.execute(
                f"SELECT id, answer, reviewed_at, rating, mode FROM log WHERE card_id = ? AND {_SINCE_RESET} "
                "ORDER BY reviewed_at, uid", [card_id])]


def review_before(db: Database, review_id: int) -> tuple[CardState, datetime]:
    """The card's state as recorded before a review, and when the review was made."""
    before, at = db.execute("SELECT state_before, reviewed_at FROM reviews WHERE id = ?", [review_id]).fetchone()
    return CardState.from_dict(json.loads(before)), parse_time(at) or datetime.min


def device_id(db: Database) -> str:
    """This database's device id: names the events made here, and its folder in a sync folder (read once a
    connection: every answer stamps it)."""
    if db.device is None:
        db.device = str(db.execute("SELECT value FROM local WHERE key = 'device'").fetchone()[0])
    return db.device


def local_value(db: Database, key: str) -> str | None:
    """What stays on this device (the sync folder, where the database lives): never synced."""
    row = db.execute("SELECT value FROM local WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def set_local_value(db: Database, key: str, value: str) -> None:
    with writing(db):
        db.execute("INSERT INTO local (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                   "value = excluded.value", [key, value])
        db.device = None  # read again: a copied database takes a new id


def _next_id(db: Database, table: str) -> int:
    """The id SQLite would give the next row of `reviews` or `events`, so that its uid is written with it (an
    UPDATE afterwards rewrote the whole row: 9 MB more for the import of a 7 MB deck)."""
    return int(db.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0])


def _event(db: Database, now: datetime, kind: str, review_id: int | None = None, card_id: str | None = None,
           deck: str | None = None, data: Any = None, data_json: str | None = None) -> None:
    """An event of the log; `data_json` is its data already as JSON (an import's, made while little else lives)."""
    if data is not None:
        data_json = json.dumps(data)
    eid = _next_id(db, "events")
    db.execute("INSERT INTO events (id, uid, at, kind, review_id, card_id, deck, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               [eid, f"{device_id(db)}.e{eid}", iso(now), kind, review_id, card_id, deck, data_json])


def cancel_review(db: Database, review_id: int, now: datetime) -> None:
    """An undo: the review stays in the table, an event cancels it, and the log reads as if it never was."""
    with writing(db):
        _event(db, now, "undo", review_id=review_id)
        _cancel(db, review_id)


def _cancel(db: Database, review_id: int) -> None:
    db.execute("INSERT INTO amends (review_id, cancelled) VALUES (?, 1) "
               "ON CONFLICT(review_id) DO UPDATE SET cancelled = 1", [review_id])


def amend_review(db: Database, review_id: int, now: datetime, rating: int, correct: bool | None = None,
                 after: CardState | None = None) -> None:
    """A rating override (or an answer accepted after the fact): an event, and the log reads the new rating and
    the state it leaves the card at (`after`), which travels with the event: another device reads the same."""
    state = None if after is None else after.to_dict()
    with writing(db):
        _event(db, now, "rating", review_id=review_id,
               data={"rating": rating, "correct": correct, **({"after": state} if state else {})})
        _amend(db, review_id, rating, correct, state)


def _amend(db: Database, review_id: int, rating: int, correct: bool | None,
           after: dict[str, Any] | None = None) -> None:
    db.execute("INSERT INTO amends (review_id, rating, correct, state_after) VALUES (?, ?, ?, ?) "
               "ON CONFLICT(review_id) DO UPDATE SET rating = excluded.rating, "
               "correct = coalesce(excluded.correct, amends.correct), state_after = excluded.state_after",
               [review_id, rating, None if correct is None else int(correct),
                None if after is None else json.dumps(after)])


def set_card(db: Database, card_id: str, state: CardState, reps: int, lapses: int) -> None:
    """Replace a card's cached state (rebuilt from its log)."""
    with writing(db):
        db.execute("UPDATE cards SET reps = ?, lapses = ? WHERE id = ?", [reps, lapses, card_id])
        _set_card_state(db, card_id, state, reps_delta=0, lapses_delta=0)


def card_by_id(db: Database, card_id: str) -> CardRow | None:
    row = db.execute(f"SELECT {_CARD_COLS} FROM cards c JOIN facts f ON f.id = c.fact_id WHERE c.id = ?",
                     [card_id]).fetchone()
    return _row_to_card(row) if row else None


def _cards_where(db: Database, where: str, args: list[Any], order: str = "c.deck, c.position",
                 limit: int = -1) -> list[CardRow]:
    rows = db.execute(f"SELECT {_CARD_COLS} FROM cards c JOIN facts f ON f.id = c.fact_id "
                      f"WHERE {where} ORDER BY {order} LIMIT ?", [*args, limit]).fetchall()
    return [_row_to_card(r) for r in rows]


def find_cards(db: Database, deck: str | Scope | None = None, kind: str | None = None, *, studied: bool = False,
               leeches: bool = False, suspended: bool = False, with_suspended: bool = False,
               soonest_first: bool = False, limit: int = -1) -> list[CardRow]:
    """Cards for listings, drills and quizzes: active ones (`with_suspended`: and those set aside), or
    (`suspended`) only those set aside or gone from their deck's file; optionally only studied cards, only
    leeches, soonest due first."""
    where = [f"c.suspended IN ({SET_ASIDE}, {REMOVED})" if suspended else
             f"c.suspended IN ({ACTIVE}, {SET_ASIDE})" if with_suspended else f"c.suspended = {ACTIVE}"]
    scoped, args = _deck_filter(deck)
    if scoped:
        where.append(scoped.removeprefix(" AND "))
    if kind:
        where.append("c.kind = ?")
        args.append(kind)
    if studied:
        where.append("c.reps > 0")
    if leeches:
        where.append("c.leech = 1")
    return _cards_where(db, " AND ".join(where), args, order="c.due" if soonest_first else "c.deck, c.position",
                        limit=limit)


def card_ids_matching(db: Database, pattern: str) -> list[str]:
    """Ids of the cards still in their deck that match a glob pattern (`exam/*/range`), in deck order."""
    return [r[0] for r in db.execute("SELECT id FROM cards WHERE id GLOB ? AND suspended < ? "
                                      "ORDER BY deck, position", [pattern, REMOVED])]


def set_suspended(db: Database, card_ids: Iterable[str], suspended: bool, now: datetime | None = None) -> int:
    """Suspend or restore cards by id; returns how many changed (removed-from-deck cards are left alone). With
    `now`, each change is an event other devices apply."""
    with writing(db):
        n = 0
        for cid in card_ids:
            changed = db.execute("UPDATE cards SET suspended = ? WHERE id = ? AND suspended = ?",
                                 [int(suspended), cid, int(not suspended)]).rowcount
            if changed and now is not None:
                _event(db, now, "suspend" if suspended else "unsuspend", card_id=cid)
            n += changed
    return n


def worst_confusions(db: Database, limit: int = 10, deck: str | Scope | None = None) -> list[tuple[str, str, int, str]]:
    """(fact, other fact, times, card last failed) for the most frequent confusions, either way round."""
    where, args = _deck_filter(deck)  # every part of a scope (its decks too), as every other query reads it
    where = f" AND card_id IN (SELECT c.id FROM cards c WHERE 1{where})" if where else ""
    rows = db.execute(
        "SELECT min(fact_id, other_fact_id) AS a, max(fact_id, other_fact_id) AS b, count(*) AS n, "
        "max(card_id) FROM confusions WHERE review_id NOT IN (SELECT review_id FROM amends WHERE cancelled = 1)"
        f"{where} GROUP BY a, b ORDER BY n DESC, a LIMIT ?", [*args, limit]).fetchall()
    return [(a, b, n, cid) for a, b, n, cid in rows]


def usual_seconds(db: Database, sample: int = 50, minimum: int = 10, window: int = 5000) -> dict[str, float]:
    """Median time of the learner's recent right answers, per card kind (only kinds with enough answers among the
    last `window` right ones: a kind asked long ago is not this week's pace, and a million reviews are not read)."""
    times: dict[str, list[int]] = {}
    for kind, ms in db.execute(
            "SELECT c.kind, r.duration_ms FROM log r JOIN cards c ON c.id = r.card_id "
            f"WHERE r.correct = 1 AND r.mode = {REVIEW_MODE} ORDER BY r.id DESC LIMIT ?", [window]):
        if len(got := times.setdefault(kind, [])) < sample:
            got.append(ms)
    out: dict[str, float] = {}
    for kind, got in times.items():
        if len(got) >= minimum:
            got.sort()
            mid = len(got) // 2
            out[kind] = (got[mid] if len(got) % 2 else (got[mid - 1] + got[mid]) / 2) / 1000
    return out


def accept_answer(db: Database, card_id: str, answer: str, now: datetime) -> None:
    """The learner accepted this answer on this card from now on (their own deck): kept apart from the deck."""
    with writing(db):
        _event(db, now, "accept", card_id=card_id, data={"answer": answer})
        _accept(db, card_id, answer, iso(now))


def _accept(db: Database, card_id: str, answer: str, at: str) -> None:
    db.execute("INSERT OR IGNORE INTO accepted (card_id, answer, at) VALUES (?, ?, ?)", [card_id, answer, at])


@dataclass(frozen=True)
class Studied:
    """A card as studied here: its FSRS state, counts, and its review log (answer time, rating, milliseconds,
    state before, state after), for an Anki package that keeps the learner's progress."""

    state: CardState
    reps: int
    lapses: int
    suspended: bool
    log: tuple[tuple[datetime, int, int, CardState, CardState], ...] = ()


def studied(db: Database, deck: str) -> dict[str, Studied]:
    """Every studied card of a deck with its state and review log (reviews only: practice moved nothing)."""
    logs: dict[str, list[tuple[datetime, int, int, CardState, CardState]]] = {}
    for cid, at, rating, ms, before, after in db.execute(
            f"SELECT r.card_id, r.reviewed_at, r.rating, r.duration_ms, r.state_before, r.state_after FROM log r "
            f"JOIN cards c ON c.id = r.card_id WHERE c.deck = ? AND r.mode = {REVIEW_MODE} ORDER BY r.id", [deck]):
        was, now = CardState.from_dict(json.loads(before)), CardState.from_dict(json.loads(after))
        logs.setdefault(cid, []).append((parse_time(at) or datetime.min, int(rating), int(ms or 0), was, now))
    return {c.id: Studied(c.state, c.reps, c.lapses, c.suspended == Suspension.SET_ASIDE, tuple(logs.get(c.id, ())))
            for c in find_cards(db, deck, with_suspended=True, studied=True)}


def accepted_answers(db: Database, deck: str, card_id: str | None = None) -> dict[str, list[str]]:
    """Answers the learner accepted, by card id: for one card, or for a whole deck (to export them)."""
    if card_id is not None:
        rows = db.execute("SELECT card_id, answer FROM accepted WHERE card_id = ? ORDER BY at", [card_id])
    else:
        rows = db.execute("SELECT card_id, answer FROM accepted WHERE substr(card_id, 1, ?) = ? ORDER BY at",
                          [len(deck) + 1, deck + "/"])
    out: dict[str, list[str]] = {}
    for cid, answer in rows:
        out.setdefault(cid, []).append(answer)
    return out


def set_state(db: Database, card_id: str, state: CardState) -> None:
    """Move a card's cached state (its reviews and lapses as they are)."""
    with writing(db):
        _set_card_state(db, card_id, state, reps_delta=0, lapses_delta=0)


def card_states(db: Database, deck: str | Scope | None = None) -> list[tuple[CardState, int]]:
    """(memory state, reps) of every active card, for recall averages and the exam plan."""
    where, args = _deck_filter(deck)
    rows = db.execute("SELECT c.state, c.step, c.stability, c.difficulty, c.due, c.last_review, c.reps FROM cards c "
                      f"WHERE c.suspended = {ACTIVE}{where}", args).fetchall()
    return [(_state_of(*r[:6]), int(r[6])) for r in rows]


@dataclass(frozen=True)
class CardTally:
    """Cards as `stats` counts them, in one pass: what `decks` shows, and the recall of the seen cards summed at one
    moment (the forgetting curve computed in SQL: no card becomes an object)."""

    cards: int = 0  # active or set aside
    active: int = 0
    new: int = 0
    learning: int = 0
    review: int = 0
    due: int = 0
    suspended: int = 0  # set aside
    leeches: int = 0
    seen: int = 0  # active, with a memory state (reviewed, a stability, a last review): what recall averages over
    recall: float = 0.0  # the sum of their probabilities of recall


def card_tallies(db: Database, now: datetime, day_end: datetime | None, at: datetime,
                 curve: tuple[float, float] | None, deck: str | Scope | None = None) -> dict[str, CardTally]:
    """Each deck's CardTally (decks without a card left out); recall at `at` on `curve` (None: not summed)."""
    return {name: CardTally(*row) for name, *row in _tally(db, now, day_end, at, curve, deck, by_deck=True)}


def card_tally(db: Database, now: datetime, day_end: datetime | None, at: datetime,
               curve: tuple[float, float] | None, deck: str | Scope | None = None) -> CardTally:
    """One CardTally for all the cards of `deck` (a scope, or all), recall summed in the table's order."""
    return CardTally(*_tally(db, now, day_end, at, curve, deck, by_deck=False)[0][1:])


def _tally(db: Database, now: datetime, day_end: datetime | None, at: datetime, curve: tuple[float, float] | None,
           deck: str | Scope | None, by_deck: bool) -> list[tuple[Any, ...]]:
    """The counts in one pass over the cards; `curve` is (factor, decay) of scheduler.recall, whose arithmetic the SQL
    repeats on the same numbers, so the sums are those the Python loop made."""
    where, args = _deck_filter(deck)
    due, due_args = _due(now, day_end)
    seen = f"c.suspended = {ACTIVE} AND c.reps != 0 AND c.stability != 0 AND c.last_review != ''"
    recall, recall_args = "NULL", []
    if curve is not None:
        _need_pow(db)
        stamp = iso(at)  # whole days since the last review as timedelta.days counts them: the dates' difference,
        # less one where its time of day is later than at's (julianday() of the whole time rounds to milliseconds)
        recall = (f"CASE WHEN {seen} THEN pow(1 + ? * max(julianday(?) - julianday(c.last_review, 'start of day') "
                  "- (substr(c.last_review, 11) > ?), 0) / c.stability, ?) END")
        recall_args = [curve[0], stamp[:10], stamp[10:], curve[1]]
    active = f"c.suspended = {ACTIVE}"
    return db.execute(
        f"SELECT {'c.deck' if by_deck else 'NULL'}, count(*), coalesce(sum({active}), 0), "
        f"coalesce(sum({active} AND c.reps = 0), 0), "
        f"coalesce(sum({active} AND c.reps > 0 AND c.state IN {LEARNING_STATES}), 0), "
        f"coalesce(sum({active} AND c.reps > 0 AND c.state = {REVIEW_STATE}), 0), "
        f"coalesce(sum({active} AND c.reps > 0 AND {due}), 0), coalesce(sum(c.suspended = {SET_ASIDE}), 0), "
        f"coalesce(sum({active} AND c.leech = 1), 0), coalesce(sum({seen}), 0), coalesce(sum({recall}), 0.0) "
        f"FROM cards c WHERE c.suspended < {REMOVED}{where}{' GROUP BY c.deck' if by_deck else ''}",
        [*due_args, *recall_args, *args]).fetchall()


def _need_pow(db: Database) -> None:
    """SQLite built without its math functions gets Python's pow (the C library's, as `**` calls): slower, the
    same numbers."""
    try:
        db.execute("SELECT pow(2, 2)")
    except sqlite3.OperationalError:
        db.conn.create_function("pow", 2, math.pow, deterministic=True)


def due_beside_new(db: Database, now: datetime, day_end: datetime | None) -> set[str]:
    """The facts of the due cards whose fact still has a new card: of today's due cards, the only ones that keep a
    new card back (one card of a fact a day), so `stats` need not read every due card. Read from the smaller side."""
    due, due_args = _due(now, day_end, c="s.")
    new = db.execute(f"SELECT count(*) FROM cards WHERE suspended = {ACTIVE} AND reps = 0").fetchone()[0]
    soon = db.execute(f"SELECT count(*) FROM cards WHERE suspended = {ACTIVE} AND reps > 0 AND due <= ?",
                      [max(due_args)]).fetchone()[0]  # every due card, and a few more
    pair = (f"s.suspended = {ACTIVE} AND s.reps > 0 AND {due} AND n.suspended = {ACTIVE} AND n.reps = 0 "
            "AND n.fact_id = s.fact_id")
    first = "cards n CROSS JOIN cards s" if new <= soon else "cards s CROSS JOIN cards n"  # the outer loop
    return {fid for (fid,) in db.execute(f"SELECT DISTINCT s.fact_id FROM {first} WHERE {pair}", due_args)}


def due_facts(db: Database, now: datetime, deck: str | Scope | None, day_end: datetime | None) -> set[str]:
    """The facts with a card due now (as due_cards reads due), without building the cards."""
    due, due_args = _due(now, day_end)
    where, args = _deck_filter(deck)
    return {fid for (fid,) in db.execute(f"SELECT DISTINCT c.fact_id FROM cards c WHERE c.suspended = {ACTIVE} "
                                         f"AND c.reps > 0 AND {due}{where}", [*due_args, *args])}


def _span_counts(db: Database, count: str, marks: Sequence[str]) -> list[int]:
    """`count` (a query with `>= ? AND ... < ?`) over each span between consecutive `marks`: one index range each,
    where grouping by a computed day called a date function on every row."""
    return [int(db.execute(count, [a, b]).fetchone()[0]) for a, b in zip(marks, marks[1:], strict=False)]


def reviews_between(db: Database, bounds: Sequence[datetime]) -> list[int]:
    """Reviews in each span [bounds[i], bounds[i+1]) as the log reads: counted on the review index alone, the few
    undone ones taken off after (the `log` view would read every row and join it to `amends`)."""
    marks = [iso(t) for t in bounds]
    counts = _span_counts(db, f"SELECT count(*) FROM reviews WHERE mode = {REVIEW_MODE} AND reviewed_at >= ? "
                              "AND reviewed_at < ?", marks)
    for (at,) in db.execute(f"SELECT r.reviewed_at FROM amends a CROSS JOIN reviews r ON r.id = a.review_id "
                            f"WHERE a.cancelled IS 1 AND r.mode = {REVIEW_MODE} AND r.reviewed_at >= ? "
                            "AND r.reviewed_at < ?", [marks[0], marks[-1]]):  # CROSS JOIN: amends (small) first
        counts[bisect_right(marks, at) - 1] -= 1
    return counts


def due_between(db: Database, bounds: Sequence[datetime]) -> list[int]:
    """Studied active cards falling due before bounds[0], then in each span [bounds[i], bounds[i+1]): ranges of the
    due index, which holds just those cards."""
    marks = [iso(t) for t in bounds]
    cards = f"SELECT count(*) FROM cards WHERE suspended = {ACTIVE} AND reps > 0 AND due"
    return [int(db.execute(f"{cards} < ?", marks[:1]).fetchone()[0]),
            *_span_counts(db, f"{cards} >= ? AND due < ?", marks)]


def mature_reviews_since(db: Database, since: datetime, deck: str | Scope | None = None) -> tuple[int, int]:
    """(reviews, passed) of cards that were in review state when answered: the "true retention" sample, of all
    the cards or of a deck or scope."""
    where, args = _deck_filter(deck)
    cards = " JOIN cards c ON c.id = r.card_id" if where else ""
    row = db.execute(f"SELECT count(*), coalesce(sum(r.rating > {int(Rating.AGAIN)}), 0) FROM log r{cards} "
                     f"WHERE r.mode = {REVIEW_MODE} AND r.reviewed_at >= ? AND json_extract(r.state_before, '$.state') "
                     f"= {REVIEW_STATE}{where}", [iso(since), *args]).fetchone()
    return int(row[0]), int(row[1])


@dataclass(frozen=True)
class LoggedReview:
    id: int
    card_id: str
    at: datetime
    rating: int
    mode: str


def review_log(db: Database, mode: str | None = None) -> list[LoggedReview]:
    """The review log, card by card in time order: the source of truth the card states are cached from."""
    where, args = (" AND mode = ?", [mode]) if mode else ("", [])
    return [LoggedReview(rid, cid, parse_time(at), int(r), m)  # type: ignore[arg-type]
            for rid, cid, at, r, m in db.execute(
                f"SELECT id, card_id, reviewed_at, rating, mode FROM log WHERE {_SINCE_RESET}{where} "
                "ORDER BY card_id, reviewed_at, uid", args)]


def _set_card_state(db: Database, cid: str, s: CardState, reps_delta: int, lapses_delta: int) -> None:
    db.execute(
        "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, last_review = ?, "
        "reps = reps + ?, lapses = lapses + ? WHERE id = ?",
        [s.state, s.step, s.stability, s.difficulty, iso(s.due) if s.due else None,
         iso(s.last_review) if s.last_review else None, reps_delta, lapses_delta, cid],
    )


def next_due(db: Database, deck: str | Scope | None = None,
             day_start: Callable[[datetime], datetime] | None = None) -> datetime | None:
    """When the next card falls due: a learning step at its minute, a review card when its study day starts
    (`day_start` of its due time). Each read from the due index in order, stopping at the first card."""
    where, args = _deck_filter(deck)
    found = []
    for kind in (f"c.state = {REVIEW_STATE}", f"c.state != {REVIEW_STATE}"):
        row = db.execute(f"SELECT c.due FROM cards c WHERE c.suspended = {ACTIVE} AND c.reps > 0 AND {kind}{where} "
                         "AND c.due IS NOT NULL ORDER BY c.due LIMIT 1", args).fetchone()
        found.append(parse_time(row[0]) if row else None)
    review_at, learning_at = found
    if review_at is not None and day_start is not None:
        review_at = day_start(review_at)
    return min((t for t in (review_at, learning_at) if t is not None), default=None)


def source_prefixes(db: Database) -> dict[str, int]:
    """The first word of every active fact's source, with how many facts: what `--source` can be given."""
    out: dict[str, int] = {}
    for (source,) in db.execute(f"SELECT json_extract(data, '$.source') FROM facts WHERE suspended = {ACTIVE}"):
        if source:
            word = source.split()[0]
            out[word] = out.get(word, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def review_totals(db: Database) -> tuple[int, int, int]:
    """(reviews, right ones, practice answers) as the `log` view reads them, counted on the two indexes that split the
    reviews (m013: each query names its index's condition) and the few amended reviews corrected apart."""
    reviews, right = db.execute(f"SELECT count(*), coalesce(sum(correct), 0) FROM reviews WHERE mode = {REVIEW_MODE} "
                                "AND reviewed_at IS NOT NULL").fetchone()
    more, more_right, practice = db.execute(  # the rest: practice answers, and reviews without a time (none)
        f"SELECT coalesce(sum(mode = {REVIEW_MODE}), 0), coalesce(sum(CASE WHEN mode = {REVIEW_MODE} THEN correct "
        f"END), 0), coalesce(sum(mode = {PRACTICE_MODE}), 0) FROM reviews "
        f"WHERE mode IS NOT {REVIEW_MODE} OR reviewed_at IS NULL").fetchone()
    undone, amended_right, undone_practice = db.execute(
        f"SELECT coalesce(sum(r.mode = {REVIEW_MODE} AND a.cancelled IS 1), 0), "
        f"coalesce(sum(CASE WHEN r.mode = {REVIEW_MODE} AND a.cancelled IS NOT 1 THEN coalesce(a.correct, r.correct) "
        f"END), 0) - coalesce(sum(CASE WHEN r.mode = {REVIEW_MODE} THEN r.correct END), 0), "
        f"coalesce(sum(r.mode = {PRACTICE_MODE} AND a.cancelled IS 1), 0) "
        "FROM amends a CROSS JOIN reviews r ON r.id = a.review_id").fetchone()  # CROSS JOIN: amends (small) first
    return (int(reviews + more - undone), right + more_right + amended_right, int(practice - undone_practice))


def shown_decks(db: Database) -> list[str]:
    """The decks `decks` and `stats` list, in their order (the exam deck first)."""
    return [name for (name,) in db.execute("SELECT d.name FROM decks d WHERE d.removed_at IS NULL "
                                           f"ORDER BY {_DECK_ORDER}")]


def settings(db: Database) -> Settings:
    """Defaults overlaid with what the learner has set."""
    rows = db.execute("SELECT key, value FROM settings")
    return Settings.from_stored({key: json.loads(value) for key, value in rows})


def set_setting(db: Database, key: str, value: Any, now: datetime | None = None) -> None:
    """With `now`, the change is an event other devices apply (`choice`, a terminal preference, stays here)."""
    with writing(db):
        db.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, json.dumps(value)])
        if now is not None and key in TRAVELLING:
            _event(db, now, "setting", data={"key": key, "value": value})


def move_out_of_breaks(db: Database, params: Params) -> list[tuple[str, str, str]]:
    """Every review card due on a day of a break moves out of it (the day before, as `around_breaks` says);
    returns (card, was, now) for each card moved."""
    if not params.breaks:
        return []
    first = min(a for a, _ in params.breaks).isoformat()
    moved = []
    with writing(db):
        for cid, state, step, stab, diff, due, last in db.execute(
                "SELECT id, state, step, stability, difficulty, due, last_review FROM cards "
                f"WHERE state = {REVIEW_STATE} AND due >= ?", [first]).fetchall():
            s = _state_of(state, step, stab, diff, due, last)
            out = around_breaks(s, params.breaks)
            if out.due != s.due and out.due is not None:
                db.execute("UPDATE cards SET due = ? WHERE id = ?", [iso(out.due), cid])
                moved.append((cid, due, iso(out.due)))
    return moved


def load_by_day(db: Database) -> dict[Any, int]:
    """Reviews due on each (UTC) day ahead: what load smoothing evens out, keyed as the scheduler reads it."""
    return {date.fromisoformat(d): n for d, n in db.execute(
        f"SELECT date(due) AS d, count(*) FROM cards WHERE suspended = {ACTIVE} AND reps > 0 "
        "GROUP BY d") if d}


def exam_scope(s: Settings) -> Scope | None:
    """The exam's cards: its decks, limited to a source; None without an exam date."""
    if not s.exam_date:
        return None
    return Scope(source=s.exam_source, decks=tuple(s.exam_decks))


def schedule_params(db: Database, s: Settings | None = None) -> Params:
    """The scheduler's knobs, with exam mode aimed at the exam's cards while the exam is ahead."""
    s = s or settings(db)
    params = s.params()
    scope = exam_scope(s)
    if scope is None or s.exam_date is None:
        return params
    where, args = _deck_filter(scope)
    cards = frozenset(c for (c,) in db.execute(f"SELECT c.id FROM cards c WHERE 1{where}", args))
    return replace(params, exam=ExamAim(date.fromisoformat(s.exam_date), s.exam_window, cards))


# Sync: what travels between devices ------------------------------------------------------------------------------

_OWN_REVIEWS = "FROM reviews r WHERE r.uid LIKE ?"  # a device's: its uids start `device.`
_OWN_EVENTS = "FROM events e WHERE e.uid LIKE ? AND e.kind != 'reset'"


def own_events(db: Database, device: str) -> Iterator[dict[str, Any]]:
    """Every review and event made on this device, as the lines its sync folder holds (format 1), one at a time;
    resets stay here (each device resets a card when its own copy of a bundled deck changes the answer)."""
    like = device + ".%"
    for uid, cid, at, answer, correct, rating, ms, mode, before, after, other in db.execute(
            "SELECT r.uid, r.card_id, r.reviewed_at, r.answer, r.correct, r.rating, r.duration_ms, r.mode, "
            "r.state_before, r.state_after, (SELECT min(other_fact_id) FROM confusions c WHERE c.review_id = r.id) "
            f"{_OWN_REVIEWS} ORDER BY r.id", [like]):
        yield {"v": 1, "uid": uid, "type": "review", "at": at, "card": cid, "answer": answer, "correct": correct,
               "rating": rating, "ms": ms, "mode": mode, "before": before, "after": after,
               "confused": other}  # the states as stored (JSON text): copied, never re-encoded
    for uid, at, kind, review, cid, deck, data in db.execute(
            "SELECT e.uid, e.at, e.kind, (SELECT r.uid FROM reviews r WHERE r.id = e.review_id), e.card_id, "
            f"e.deck, e.data {_OWN_EVENTS} ORDER BY e.id", [like]):
        yield {"v": 1, "uid": uid, "type": "event", "kind": kind, "at": at, "review": review, "card": cid,
               "deck": deck, "data": None if data is None else json.loads(data)}


def own_uids(db: Database, device: str) -> Iterator[str]:
    """The uids of own_events, without reading the events (an import's carries its whole deck)."""
    like = device + ".%"
    for table in (f"SELECT r.uid {_OWN_REVIEWS}", f"SELECT e.uid {_OWN_EVENTS}"):
        for (uid,) in db.execute(table, [like]):
            yield uid


def uids(db: Database) -> Iterator[str]:
    """Every review and event this database holds, from any device, one at a time."""
    for (uid,) in db.execute("SELECT uid FROM reviews UNION ALL SELECT uid FROM events"):
        if uid:
            yield uid


def add_remote_reviews(db: Database, evs: Sequence[dict[str, Any]]) -> None:
    """Reviews made on another device, as they were made there (the cards are rebuilt afterwards)."""
    rows = [(ev["card"], str(ev["at"]), str(ev.get("answer") or ""), int(ev.get("correct") or 0), int(ev["rating"]),
             int(ev.get("ms") or 0), str(ev.get("mode") or Mode.REVIEW), _state_text(ev.get("before")),
             _state_text(ev.get("after")), ev["uid"]) for ev in evs]
    db.conn.executemany(
        "INSERT INTO reviews (card_id, reviewed_at, answer, correct, rating, duration_ms, mode, state_before, "
        "state_after, uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    confused = [(ev["uid"], ev["card"], ev["card"].rsplit("/", 1)[0], ev["confused"], ev["at"])
                for ev in evs if ev.get("confused")]
    db.conn.executemany("INSERT INTO confusions (review_id, card_id, fact_id, other_fact_id, at) "
                        "SELECT id, ?, ?, ?, ? FROM reviews WHERE uid = ?",
                        [(c, f, o, at, uid) for uid, c, f, o, at in confused])


def _state_text(value: Any) -> str:
    """A card state as it travels (the JSON text this database stores), checked to be an object."""
    text = value if isinstance(value, str) else json.dumps(value or {})
    if not text.startswith("{"):
        raise ValueError("a card state is a JSON object")
    return text


def _parts(ids: Iterable[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
    """Ids a few hundred at a time, each part with its `?, ?, ...`: a statement a part, well within SQLite's limit
    on bound values."""
    every = list(ids)
    for i in range(0, len(every), size):
        part = every[i:i + size]
        yield part, ", ".join("?" * len(part))


def mixed_origin(db: Database, card_ids: Iterable[str] | None = None) -> set[str]:
    """Of these cards (None: all), those whose log holds reviews from more than one device: only their states need
    an FSRS replay (a single device's chain of recorded states is already what a replay gives)."""
    several = "GROUP BY card_id HAVING count(DISTINCT substr(uid, 1, instr(uid, '.'))) > 1"
    if card_ids is None:
        return {c for (c,) in db.execute(f"SELECT card_id FROM log WHERE mode = {REVIEW_MODE} {several}")}
    out: set[str] = set()
    for part, marks in _parts(card_ids):
        out |= {c for (c,) in db.execute(
            f"SELECT card_id FROM log WHERE card_id IN ({marks}) AND mode = {REVIEW_MODE} {several}", part)}
    return out


def stateless_amends(db: Database, card_ids: Iterable[str]) -> set[str]:
    """Of these cards, those with a review re-rated by an event that did not carry the state it leaves (an older
    trainer's): only a replay through FSRS gives it."""
    out: set[str] = set()
    for part, marks in _parts(card_ids):
        out |= {c for (c,) in db.execute(
            "SELECT DISTINCT r.card_id FROM amends a CROSS JOIN reviews r ON r.id = a.review_id WHERE a.rating IS NOT "
            f"NULL AND a.state_after IS NULL AND a.cancelled IS NOT 1 AND r.card_id IN ({marks})", part)}
    return out


def restore_many(db: Database, card_ids: Iterable[str]) -> int:
    """Set each card's cached state to what its log records (its last review's state since it was reset, its
    reviews and lapses counted), in a few statements: taking in a device's whole history stays fast."""
    n = 0
    with writing(db):
        for part, marks in _parts(card_ids):
            rows = db.execute(
                f"""SELECT card_id, state_after, n, lapses FROM (
                      SELECT card_id, state_after, count(*) OVER w AS n,
                        sum({_LAPSE}) OVER w AS lapses,
                        row_number() OVER (PARTITION BY card_id ORDER BY reviewed_at DESC, uid DESC) AS rk
                      FROM log WHERE card_id IN ({marks}) AND mode = {REVIEW_MODE} AND {_SINCE_RESET}
                      WINDOW w AS (PARTITION BY card_id)) WHERE rk = 1""", part).fetchall()
            blank = json.dumps(CardState().to_dict())  # every review undone: new again
            rows += [(cid, blank, 0, 0) for cid in set(part) - {r[0] for r in rows}]
            updates = []
            for cid, after, reps, lapses in rows:
                s = CardState.from_dict(json.loads(after))
                updates.append((int(s.state), s.step, s.stability, s.difficulty, iso(s.due) if s.due else None,
                                iso(s.last_review) if s.last_review else None, reps, lapses, cid))
            db.conn.executemany("UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, "
                                "last_review = ?, reps = ?, lapses = ? WHERE id = ?", updates)
            n += len(updates)
            db.execute(f"UPDATE cards SET leech = (SELECT count(*) >= {LEECH_FAILS} FROM log "
                       f"WHERE log.card_id = cards.id AND mode = {REVIEW_MODE} AND {_LAPSE}) WHERE id IN ({marks})",
                       part)
    return n


def review_id_of(db: Database, uid: str) -> int | None:
    row = db.execute("SELECT id FROM reviews WHERE uid = ?", [uid]).fetchone()
    return None if row is None else int(row[0])


def add_remote_event(db: Database, ev: dict[str, Any], review_id: int | None) -> None:
    """An event made on another device, kept with its id (what it does is applied by the caller)."""
    db.execute("INSERT INTO events (at, kind, review_id, card_id, deck, data, uid) VALUES (?, ?, ?, ?, ?, ?, ?)",
               [ev["at"], ev["kind"], review_id, ev.get("card"), ev.get("deck"),
                None if ev.get("data") is None else json.dumps(ev["data"]), ev["uid"]])
    if ev["kind"] == "undo" and review_id is not None:
        _cancel(db, review_id)
    elif ev["kind"] == "rating" and review_id is not None:
        data = ev.get("data") or {}
        correct = data.get("correct")
        _amend(db, review_id, int(data["rating"]), None if correct is None else bool(correct), data.get("after"))
    elif ev["kind"] == "accept" and ev.get("card"):
        _accept(db, ev["card"], (ev.get("data") or {}).get("answer", ""), ev["at"])


def is_latest(db: Database, kinds: Sequence[str], at: str, uid: str, *, card: str | None = None,
              deck: str | None = None, key: str | None = None) -> bool:
    """No event of these kinds about the same card, deck or setting is later than (at, uid): the last word,
    by time and then device, is the one every device keeps."""
    where, args = [f"kind IN ({', '.join('?' * len(kinds))})"], list(kinds)
    if card is not None:
        where.append("card_id = ?")
        args.append(card)
    if deck is not None:
        where.append("deck = ?")
        args.append(deck)
    if key is not None:
        where.append("json_extract(data, '$.key') = ?")
        args.append(key)
    return db.execute(f"SELECT 1 FROM events WHERE {' AND '.join(where)} AND (at > ? OR (at = ? AND uid > ?)) "
                      "LIMIT 1", [*args, at, at, uid]).fetchone() is None


def cards_exist(db: Database, card_ids: Iterable[str]) -> list[str]:
    """Of these ids, the cards this database has."""
    out: list[str] = []
    for part, marks in _parts(card_ids):
        out += [c for (c,) in db.execute(f"SELECT id FROM cards WHERE id IN ({marks})", part)]
    return out


def card_of_review(db: Database, review_id: int | None) -> str:
    row = db.execute("SELECT card_id FROM reviews WHERE id = ?", [review_id]).fetchone()
    return str(row[0]) if row else ""


def relabel_unsent(db: Database, old: str, new: str, sent: Container[str]) -> int:
    """A copied database takes a new device id: what it made that the original's folder does not hold is its
    own, so it travels under the new id (what both copies share keeps the old one)."""
    n = 0
    for table, tag in (("reviews", "r"), ("events", "e")):
        for rid, uid in db.execute(f"SELECT id, uid FROM {table} WHERE uid LIKE ?", [old + ".%"]).fetchall():
            if uid not in sent:
                db.execute(f"UPDATE {table} SET uid = ? WHERE id = ?", [f"{new}.{tag}{rid}", rid])
                n += 1
    return n


# Drills -----------------------------------------------------------------------------------------------------------

def record_drill(db: Database, now: datetime, kind: str, deck: str, score: int, total: int,
                 touched: Sequence[tuple[str, bool, str | None]], answer: str) -> None:
    """A drill's score, and a practice row for each fact it touched (`fact key`, right, the fact it was confused
    with): the schedule does not move, but the misses are asked first in the next review."""
    with writing(db):
        db.execute("INSERT INTO drills (at, kind, deck, score, total) VALUES (?, ?, ?, ?, ?)",
                   [iso(now), kind, deck, score, total])
        for key, right, other in touched:
            card = card_by_id(db, f"{deck}/{key}/service-port")
            if card is not None:
                record_review(db, card, now, answer[:200], right, Rating.GOOD if right else Rating.AGAIN, 0,
                              lambda s: s, Mode.PRACTICE, fact_id(deck, other) if other else None)


def drill_scores(db: Database, limit: int = 10) -> list[dict[str, Any]]:
    return [{"at": at, "kind": kind, "deck": deck, "score": score, "total": total}
            for at, kind, deck, score, total in db.execute(
                "SELECT at, kind, deck, score, total FROM drills ORDER BY id DESC LIMIT ?", [limit])]


def missed_in_practice(db: Database, since: datetime, deck: str | Scope | None = None) -> list[CardRow]:
    """Cards a drill or a quiz found forgotten since (and not reviewed since): `review --missed` practises them."""
    where, args = _deck_filter(deck)
    rows = db.execute(
        f"SELECT {_CARD_COLS} FROM cards c JOIN facts f ON f.id = c.fact_id WHERE c.suspended = {ACTIVE}{where} "
        f"AND EXISTS ({_MISSED_IN_PRACTICE} AND p.reviewed_at >= ?) ORDER BY c.deck, c.position",
        [*args, iso(since)]).fetchall()
    return [_row_to_card(r) for r in rows]
