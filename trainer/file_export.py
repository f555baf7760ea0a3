"""Decks out of the database: YAML and CSV that import back unchanged, and Anki packages."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from trainer.cards import make_card, plan_cards, port_list
from trainer.deck import Deck, Kind, compact_ports, dump_deck
from trainer.errors import TrainerError
from trainer.file_import import CSV_FIELDS, DECK_FIELDS, join_list
from trainer.scheduler import CardState, State
from trainer.store import Studied


def with_accepted(deck: Deck, accepted: dict[str, list[str]]) -> Deck:
    """The deck with the answers its learner accepted in study ("accept my answer"), written where a deck keeps
    them: a front/back card's `accept`, a port fact's `aliases` (names) or `accept_ports` (ports)."""
    from dataclasses import replace

    from trainer.grading import read_ports

    facts = []
    for fact in deck.facts:
        extra = {kind: accepted.get(f"{deck.name}/{fact.key}/{kind.value}", []) for kind in Kind}
        sets = [r[0].ports for r in (read_ports(a) for a in extra[Kind.SERVICE_PORT]) if r and r[0].ports]
        facts.append(replace(
            fact, accept=tuple(dict.fromkeys(fact.accept + tuple(extra[Kind.FRONT_BACK]))),
            aliases=tuple(dict.fromkeys(fact.aliases + tuple(extra[Kind.PORT_SERVICE]))),
            accept_ports=tuple(dict.fromkeys(fact.accept_ports + tuple(tuple(sorted(s)) for s in sets)))))
    return replace(deck, facts=tuple(facts))


def to_yaml(deck: Deck) -> str:
    return dump_deck(deck)


def to_csv(deck: Deck) -> str:
    """Only the columns some fact uses, in a fixed order, then the deck's own fields (first row only); lists
    joined with `|` (a `|` inside an item written `\\|`): it imports back as the same deck."""
    rows = [f.to_dict() for f in deck.facts]
    cols = [c for c in CSV_FIELDS if any(c in r for r in rows)]
    own = {"deck": deck.name, "deck_title": deck.title, "deck_description": deck.description,
           "deck_kinds": join_list([Kind(k).value for k in deck.kinds])}
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")  # RFC 4180: a field holding a lone CR is then quoted too
    w.writerow(cols + list(DECK_FIELDS))
    for i, (f, r) in enumerate(zip(deck.facts, rows, strict=False)):
        cells = []
        for c in cols:
            v = r.get(c, "")
            if c == "ports":
                v = "|".join(map(str, compact_ports(f.ports)))
            elif c == "accept_ports":
                v = "|".join(",".join(map(str, compact_ports(p))) for p in f.accept_ports)
            elif isinstance(v, list):
                v = join_list(v)
            cells.append(v)
        w.writerow(cells + ([own[c] for c in DECK_FIELDS] if i == 0 else [""] * len(DECK_FIELDS)))
    return out.getvalue()


def write_atomic(target: Path, write: Callable[[Path], object]) -> None:
    """Every export lands whole or not at all: written beside the target under a temporary name, then renamed
    over it (a symlink at the target is replaced, never followed); the temporary file never outlives a failure."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    except OSError as e:
        raise TrainerError(f"{target}: cannot write ({e.strerror or e})") from None
    finally:
        tmp.unlink(missing_ok=True)


def _stable_id(text: str) -> int:
    """Anki wants 31-bit-ish ids; derive them from names so re-exports update rather than duplicate."""
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) % (1 << 30) + (1 << 30)


def to_apkg(deck: Deck, target: Path, studied: Mapping[str, Studied] | None = None) -> int:
    """One Basic note per card (question / answer and note), so every question kind survives; with `studied`,
    each card keeps its schedule and review log (Anki imports them with "include scheduling"). Returns notes."""
    import genanki

    model = genanki.Model(
        _stable_id("trainer-model-v1"), "trainer card",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Note"}],
        templates=[{"name": "Card 1", "qfmt": "{{Question}}",
                    "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}<br><small>{{Note}}</small>"}],
    )
    adeck = genanki.Deck(_stable_id(f"trainer-deck:{deck.name}"), deck.title or deck.name)
    by_key = {f.key: f for f in deck.facts}
    planned = plan_cards(deck)
    for card in planned:
        fact = by_key[card.fact_key]
        spec = make_card(deck.name, fact, card.kind, by_key)
        answer = port_list(fact.ports) if card.kind == Kind.SERVICE_PORT else spec.expected
        note = f"{spec.expected}. {spec.note}" if answer != spec.expected else spec.note
        fields = [_html(spec.question), _html(answer), _html(note)]
        adeck.add_note(genanki.Note(model=model, fields=fields, guid=genanki.guid_for(spec.id),
                                    tags=[t.replace(" ", "_") for t in fact.tags]))
    guids = {genanki.guid_for(c.id): c.id for c in planned}

    def write(tmp: Path) -> None:
        _write_package(genanki.Package(adeck), tmp, guids, studied)

    write_atomic(target, write)
    return len(planned)


ANKI_MAX_ANSWER_MS = 60_000
ANKI_ROLLOVER_HOUR = 4
_REVLOG_TYPE = {int(State.NEW): 0, int(State.LEARNING): 0, int(State.REVIEW): 1}  # else relearning: 2


def _write_package(package: Any, target: Path, guids: Mapping[str, str],
                   studied: Mapping[str, Studied] | None) -> None:
    """The package's collection is built in a private folder removed afterwards (genanki's own write_to_file
    leaves a copy of the collection in the temp dir every time), scheduled, and zipped once."""
    import itertools
    import sqlite3
    import tempfile
    import time
    import zipfile

    with tempfile.TemporaryDirectory() as tmp:
        col = Path(tmp) / "collection.anki2"
        con = sqlite3.connect(col)
        try:
            stamp = time.time()
            package.write_to_db(con.cursor(), stamp, itertools.count(int(stamp * 1000)))
            if studied:
                _schedule(con, guids, studied)
            con.commit()
        finally:
            con.close()
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(col, "collection.anki2")
            z.writestr("media", "{}")


def _schedule(con: Any, guids: Mapping[str, str], studied: Mapping[str, Studied]) -> None:
    """Write each studied card's state into the collection's `cards` and its reviews into `revlog` (genanki
    writes neither): Anki's numbers are days since the collection's creation for reviews, epoch seconds for
    learning."""
    crt = int(con.execute("SELECT crt FROM col").fetchone()[0])
    revlog: list[tuple[int, ...]] = []
    used: set[int] = set()
    for cid, guid in con.execute("SELECT c.id, n.guid FROM cards c JOIN notes n ON n.id = c.nid").fetchall():
        card = studied.get(guids.get(guid, ""))
        if card is None or not card.reps:
            continue
        con.execute("UPDATE cards SET type = ?, queue = ?, due = ?, ivl = ?, factor = ?, reps = ?, lapses = ?, "
                    "left = ?, data = ? WHERE id = ?", [*_anki_card(card, crt), cid])
        for at, rating, ms, before, after in card.log:
            rid = int(at.timestamp() * 1000)
            while rid in used:
                rid += 1
            used.add(rid)
            revlog.append((rid, cid, -1, rating, _anki_ivl(after), _anki_ivl(before),
                           2500 if after.state == State.REVIEW else 0, min(ms, ANKI_MAX_ANSWER_MS),
                           _REVLOG_TYPE.get(int(before.state), 2)))
    con.executemany("INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", revlog)


def _anki_ivl(s: CardState) -> int:
    """Anki's interval: days for a card in review, minus the seconds to its next step while learning."""
    if s.due is None or s.last_review is None or s.state == State.NEW:
        return 0
    if s.state == State.REVIEW:
        return max(1, round((s.due - s.last_review).total_seconds() / 86400))
    return -max(1, int((s.due - s.last_review).total_seconds()))


def _anki_day(ts: int) -> date:
    return (datetime.fromtimestamp(ts, tz=timezone.utc) - timedelta(hours=ANKI_ROLLOVER_HOUR)).date()


def _anki_card(card: Studied, crt: int) -> tuple[object, ...]:
    """(type, queue, due, ivl, factor, reps, lapses, left, data) for Anki's `cards` row."""
    s = card.state
    due_ts = int(s.due.timestamp()) if s.due else crt
    if s.state == State.REVIEW:  # Anki counts days from the collection's first study day (4 am rollover)
        kind, queue, due = 2, 2, (_anki_day(due_ts) - _anki_day(crt)).days
    else:
        kind, queue, due = (3 if s.state == State.RELEARNING else 1), 1, due_ts
    data = {"s": round(s.stability or 0, 4), "d": round(s.difficulty or 0, 4),
            "lrt": int(s.last_review.timestamp()) if s.last_review else 0}
    return (kind, -1 if card.suspended else queue, due, max(_anki_ivl(s), 0), 2500 if kind == 2 else 0, card.reps,
            card.lapses, 1 if queue == 1 else 0, json.dumps(data))


def _html(text: str) -> str:
    import html

    return html.escape(text)
