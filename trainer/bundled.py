"""The decks shipped with trainer: imported on first use, and brought up to date when trainer is upgraded,
keeping every review (a card whose answer changed starts again as new; the learner is told once)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from trainer import store
from trainer.db import Database
from trainer.deck import load_deck
from trainer.import_plan import changed_answers, plan
from trainer.paths import bundled_deck


def sha1_of(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def install(db: Database, name: str, now: datetime, record: bool = True) -> store.ImportSummary:
    path = bundled_deck(name)
    return store.import_decks(db, [plan(load_deck(path), bundled_sha1=sha1_of(path))], now, record)[0]


def refresh(db: Database, now: datetime) -> list[str]:
    """Bring every bundled deck the learner has up to this version's file; one line per deck updated."""
    lines = []
    for name, was in store.bundled_decks(db).items():
        path = bundled_deck(name)
        if not path.exists() or sha1_of(path) == was:
            continue
        deck = load_deck(path)
        kinds = store.chosen_kinds(db, name) or deck.kinds
        old = {f.key: f for f in store.facts(db, name)}
        reset = changed_answers(old, deck, kinds)
        s = store.import_decks(db, [plan(deck, store.chosen_kinds(db, name), reset=reset,
                                         bundled_sha1=sha1_of(path))], now)[0]
        parts = [f"Updated the bundled deck '{name}' to this version of trainer ({s.added} facts added, "
                 f"{s.updated} changed, {s.suspended} removed)"]
        if s.reset_studied:
            one = s.reset_studied == 1
            parts.append(f"{s.reset_studied} card{'' if one else 's'} you studied now expect{'s' if one else ''} "
                         f"another answer and start{'s' if one else ''} again as new, history kept")
        if s.set_aside_studied:
            one = s.set_aside_studied == 1
            parts.append(f"{s.set_aside_studied} studied card{'' if one else 's'} no longer asked "
                         f"{'is' if one else 'are'} set aside, history kept")
        lines.append("; ".join(parts) + ".")
    return lines
