"""Opening the learner's database: WAL, a busy timeout, durable commits, and its migrations."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlite_utils import Database, Migrations

from trainer.errors import StoreError

migrations = Migrations("trainer")


@migrations()
def m001_initial(db: Database) -> None:
    """Decks hold facts; each fact yields cards; reviews are append-only and the source of truth."""
    db["decks"].create(
        {"name": str, "title": str, "description": str, "source": str, "kinds": str,
         "format": int, "imported_at": str},
        pk="name",
    )
    db["facts"].create(
        {"id": str, "deck": str, "key": str, "position": int, "data": str, "suspended": int},
        pk="id", foreign_keys=[("deck", "decks", "name")], defaults={"suspended": 0},
    )
    db["cards"].create(
        {"id": str, "deck": str, "fact_id": str, "kind": str, "position": int,
         "state": int, "step": int, "stability": float, "difficulty": float,
         "due": str, "last_review": str, "reps": int, "lapses": int, "suspended": int},
        pk="id", foreign_keys=[("deck", "decks", "name"), ("fact_id", "facts", "id")],
        defaults={"state": 0, "reps": 0, "lapses": 0, "suspended": 0},
    )
    db["reviews"].create(
        {"id": int, "card_id": str, "reviewed_at": str, "answer": str, "correct": int,
         "rating": int, "duration_ms": int, "mode": str, "state_before": str, "state_after": str},
        pk="id", defaults={"mode": "review"},
    )
    db["settings"].create({"key": str, "value": str}, pk="key")
    db["cards"].create_index(["suspended", "reps", "due"])
    db["cards"].create_index(["suspended", "reps", "deck", "position"])
    db["cards"].create_index(["fact_id"])
    db["reviews"].create_index(["card_id", "reviewed_at"])
    db["reviews"].create_index(["reviewed_at"])


@migrations()
def m002_confusions_and_leeches(db: Database) -> None:
    """A wrong answer that is another fact's answer is a confusion; a card failed 8 times is a leech."""
    db["confusions"].create(
        {"id": int, "review_id": int, "card_id": str, "fact_id": str, "other_fact_id": str, "at": str},
        pk="id", foreign_keys=[("review_id", "reviews", "id")],
    )
    db["confusions"].create_index(["fact_id", "other_fact_id"])
    db["confusions"].create_index(["review_id"])
    db["cards"].add_column("leech", int, not_null_default=0)


@contextmanager
def writing(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock up front (BEGIN IMMEDIATE), so a second process
    waits its turn (busy timeout) instead of failing with "database is locked" halfway through."""
    if db.conn.in_transaction:
        with db.atomic():  # nested: a savepoint inside the outer transaction
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")


def open_db(path: Path) -> Database:
    """Open (creating if needed) and migrate; a database from a newer trainer is refused untouched."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"{path.parent}: cannot create the data directory ({e.strerror or e})") from None
    try:
        conn = sqlite3.connect(str(path), timeout=10)
        db = Database(conn, execute_plugins=False)
        db.execute("PRAGMA busy_timeout = 10000")
        db.execute("PRAGMA journal_mode = WAL")  # readers never block the one writer
        db.execute("PRAGMA synchronous = FULL")  # each answer reaches the disk before the next question
        db.execute("PRAGMA foreign_keys = ON")
        _check_version(db, path)
        if migrations.pending(db):
            if migrations.applied(db):
                _backup(db, path)
            with writing(db):  # one process migrates; another opening at the same moment waits
                _check_version(db, path)
                if migrations.pending(db):
                    migrations.apply(db)
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{path}: cannot open the database ({e})") from None
    return db


def open_for_reading(path: Path) -> Database:
    """For commands that only read: no file is created, and a read-only disk still answers."""
    if not path.exists():
        db = Database(sqlite3.connect(":memory:"), execute_plugins=False)
        migrations.apply(db)  # an empty database of the current shape: every count is zero
        return db
    for uri in (f"file:{path}?mode=ro", f"file:{path}?immutable=1"):
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=10)
            db = Database(conn, execute_plugins=False)
            db.execute("PRAGMA busy_timeout = 10000")
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError:
            continue
        _check_version(db, path)
        if not migrations.pending(db):
            return db
        db.close()
        return open_db(path)  # an older database: migrate it first (this needs to write)
    return open_db(path)  # let the writable path report what is wrong


def _backup(db: Database, path: Path) -> Path:
    """Before migrating a database that holds a learner's history, copy it next to itself."""
    target = path.with_name(f"{path.name}.before-{migrations.pending(db)[0].name}.bak")
    dest = sqlite3.connect(str(target))
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    return target


def _check_version(db: Database, path: Path) -> None:
    known = {m.name for m in migrations._migrations}
    unknown = [m.name for m in migrations.applied(db) if m.name not in known]
    if unknown:
        raise StoreError(
            f"{path}: written by a newer version of trainer (migration {unknown[-1]}); "
            "upgrade trainer to use it"
        )
