"""Opening the learner's database: WAL, a busy timeout, durable commits, and its migrations."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer import dbfile
from trainer.errors import StoreError

if TYPE_CHECKING:
    import sqlite_utils

MIGRATION_SET = "trainer"


class Database:
    """The learner's connection: plain sqlite3 for the few calls the app makes, so starting a session does
    not import sqlite-utils (40 ms); sqlite-utils runs the migrations when there are any."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None) -> None:
        self.conn = conn
        self.path = path
        self.on_wait: Callable[[], None] | None = None  # told once when a write must wait for another process
        self.created = False  # the file did not exist before this connection
        self.stamped = False  # this connection has stamped the log (before its first write)
        self.device: str | None = None  # this database's device id, once read (store.device_id)
        self.commits = 0  # write transactions since this connection last stamped the log
        self._restart: threading.Thread | None = None

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """A savepoint: nests inside a transaction, or is one on its own."""
        self.conn.execute("SAVEPOINT trainer_atomic")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:  # an error such as a full disk may already have ended it
                self.conn.execute("ROLLBACK TO SAVEPOINT trainer_atomic")
                self.conn.execute("RELEASE SAVEPOINT trainer_atomic")
            raise
        else:
            self.conn.execute("RELEASE SAVEPOINT trainer_atomic")

    def committed(self) -> None:
        """Every RESTART_AFTER commits, restart the stamped log on another thread, while the learner reads: a log
        that only grows costs each answer's sync about twice what overwriting a kept one does."""
        self.commits += 1
        if self.commits < RESTART_AFTER or not self.stamped or self.path is None or self.conn.in_transaction:
            return
        self.commits = 0
        path = self.path
        self._in_background(lambda: _restamp(path))

    def stamp_early(self) -> None:
        """Stamp the log on another thread now (a session, while its first question is read): the first answer
        then does not wait for the checkpoint and the stamp's own commit."""
        if self.stamped or self.path is None:
            return
        path = self.path

        def stamp() -> None:
            if _restamp(path, delay=0.0):
                self.stamped = True

        self._in_background(stamp)

    def _in_background(self, work: Callable[[], object]) -> None:
        """One log restart at a time, on a thread of its own (`settle` waits for it)."""
        self.settle()
        self._restart = threading.Thread(target=work, daemon=True)
        self._restart.start()

    def settle(self) -> None:
        """Wait for a log restart under way (before closing: the last connection decides whether the log stays)."""
        if self._restart is not None:
            self._restart.join()
            self._restart = None

    def close(self) -> None:
        """After writing, restart the log before closing: the log file is kept, and the next session would
        otherwise find every frame of this one's log valid and copy them all again at its first answer."""
        self.settle()
        if self.stamped and self.path is not None and not self.conn.in_transaction:
            try:
                dbfile.stamp(self.conn, self.path)
            except sqlite3.Error:
                pass  # the next session restarts it, as it always does
        self.conn.close()


RESTART_AFTER = 300  # commits between log restarts in a session: about 2,700 pages (11 MB, under a kept log)
RESTART_TRIES = 40  # a restart tried this often, 0.5 ms apart: the session's own reads end within that
RESTART_DELAY = 0.005  # seconds: the verdict and the next question are shown first, the restart runs as they are read


def _restamp(path: Path, delay: float = RESTART_DELAY) -> bool:
    """Checkpoint, restart and stamp the log from a connection of its own. The pages are copied first without a
    lock (PASSIVE); the restart never waits holding the write lock, which the session's next answer needs: it is
    tried again shortly, and given up if a reader or writer stays in the way (the next restart tries again)."""
    import time

    time.sleep(delay)
    try:
        conn = sqlite3.connect(str(path), timeout=0, isolation_level=None)  # made and used on this thread
    except sqlite3.Error:
        return False
    try:
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        for _ in range(RESTART_TRIES):
            if dbfile.stamp(conn, path):
                return True
            time.sleep(0.0005)
        return False
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def m001_initial(db: sqlite_utils.Database) -> None:
    """Decks hold facts; each fact yields cards; reviews are append-only and the source of truth."""
    db.table("decks").create(
        {"name": str, "title": str, "description": str, "source": str, "kinds": str,
         "format": int, "imported_at": str},
        pk="name",
    )
    db.table("facts").create(
        {"id": str, "deck": str, "key": str, "position": int, "data": str, "suspended": int},
        pk="id", foreign_keys=[("deck", "decks", "name")], defaults={"suspended": 0},
    )
    db.table("cards").create(
        {"id": str, "deck": str, "fact_id": str, "kind": str, "position": int,
         "state": int, "step": int, "stability": float, "difficulty": float,
         "due": str, "last_review": str, "reps": int, "lapses": int, "suspended": int},
        pk="id", foreign_keys=[("deck", "decks", "name"), ("fact_id", "facts", "id")],
        defaults={"state": 0, "reps": 0, "lapses": 0, "suspended": 0},
    )
    db.table("reviews").create(
        {"id": int, "card_id": str, "reviewed_at": str, "answer": str, "correct": int,
         "rating": int, "duration_ms": int, "mode": str, "state_before": str, "state_after": str},
        pk="id", defaults={"mode": "review"},
    )
    db.table("settings").create({"key": str, "value": str}, pk="key")
    db.table("cards").create_index(["suspended", "reps", "due"])
    db.table("cards").create_index(["suspended", "reps", "deck", "position"])
    db.table("cards").create_index(["fact_id"])
    db.table("reviews").create_index(["card_id", "reviewed_at"])
    db.table("reviews").create_index(["reviewed_at"])


def m002_confusions_and_leeches(db: sqlite_utils.Database) -> None:
    """A wrong answer that is another fact's answer is a confusion; a card failed 8 times is a leech."""
    db.table("confusions").create(
        {"id": int, "review_id": int, "card_id": str, "fact_id": str, "other_fact_id": str, "at": str},
        pk="id", foreign_keys=[("review_id", "reviews", "id")],
    )
    db.table("confusions").create_index(["fact_id", "other_fact_id"])
    db.table("confusions").create_index(["review_id"])
    db.table("cards").add_column("leech", int, not_null_default=0)


def m003_deck_index(db: sqlite_utils.Database) -> None:
    """Each deck keeps its answer index (names and port sets to facts), so grading never reads a whole deck.

    Frozen: this builds the index as it was when the migration was written, from the stored fact data, and
    imports no live code; a later import (or the bundled decks' update) rebuilds it with the current rules."""
    import json
    import re
    import unicodedata

    def normalise(text: str) -> str:
        text = unicodedata.normalize("NFKC", text).casefold()
        return re.sub(r"[\s\-_.,;:!?'\"`()]+", "", text)

    db.table("decks").add_column("answer_index", str)
    for (name,) in db.execute("SELECT name FROM decks").fetchall():
        names: dict[str, list[str]] = {}
        port_sets: dict[str, list[str]] = {}
        by_ports: dict[str, list[str]] = {}
        for (data,) in db.execute("SELECT data FROM facts WHERE deck = ? AND suspended != 2", [name]).fetchall():
            f = json.loads(data)
            if f.get("service") is None:
                continue
            ports: list[int] = []
            for item in f.get("ports", []):
                lo, _, hi = str(item).partition("-")
                ports += range(int(lo), int(hi or lo) + 1)
            key = ",".join(map(str, sorted(ports)))
            registry = [n.split("(")[0].strip() for n in (f.get("registry") or "").split(",")]
            for n in dict.fromkeys(x for x in [f["service"], *f.get("aliases", []), *registry] if x):
                keys = names.setdefault(normalise(n), [])
                if f["key"] not in keys:
                    keys.append(f["key"])
            port_sets.setdefault(key, []).append(f["key"])
            transport = f.get("transport") or "tcp"
            for t in ("tcp", "udp") if transport == "both" else (transport,):
                by_ports.setdefault(f"{key}/{t}", []).append(f["key"])
        index = {"names": names, "port_sets": port_sets, "by_ports": by_ports}
        db.execute("UPDATE decks SET answer_index = ? WHERE name = ?", [json.dumps(index), name])


def m004_partial_card_indexes(db: sqlite_utils.Database) -> None:
    """Due cards and new cards each get an index of their own: the planner no longer sorts due cards in a
    temporary b-tree, and answering a card touches one index instead of two."""
    db.execute("DROP INDEX IF EXISTS idx_cards_suspended_reps_due")
    db.execute("DROP INDEX IF EXISTS idx_cards_suspended_reps_deck_position")
    db.execute("CREATE INDEX cards_due ON cards(due) WHERE suspended = 0 AND reps > 0")
    db.execute("CREATE INDEX cards_new ON cards(deck, position) WHERE suspended = 0 AND reps = 0")


def m005_deck_choices(db: sqlite_utils.Database) -> None:
    """A deck remembers the question kinds its learner chose, and which bundled file it came from, so a
    newer trainer can bring a bundled deck up to date. Decks imported before this from the bundled files
    (exam, common, registry in a `decks` folder) are marked with an unknown version: updated on next use."""
    db.table("decks").add_column("kinds_chosen", str)
    db.table("decks").add_column("bundled_sha1", str)
    for name in ("exam", "common", "registry"):
        db.execute("UPDATE decks SET bundled_sha1 = '' WHERE name = ? AND (replace(source, '\\', '/') LIKE ?)",
                   [name, f"%/decks/{name}.yaml"])


def m006_accepted_answers(db: sqlite_utils.Database) -> None:
    """Answers a learner accepted on a card of their own deck ("accept this answer from now on"): kept apart
    from the deck's facts, so re-importing the deck file keeps them."""
    db.execute("CREATE TABLE accepted (card_id TEXT NOT NULL, answer TEXT NOT NULL, at TEXT NOT NULL, "
               "PRIMARY KEY (card_id, answer))")


def m007_events(db: sqlite_utils.Database) -> None:
    """Nothing is deleted or rewritten any more: an undo, a rating override, a removed deck or pruned facts are
    events. `amends` holds what the events make of a review (sparse: only reviews with events), and the view
    `log` is the review log as it now reads: cancelled reviews left out, overridden ratings applied.
    Claims keep two sessions from handing out the same new card."""
    db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, "
               "review_id INTEGER, card_id TEXT, deck TEXT, data TEXT)")
    db.execute("CREATE INDEX events_review ON events(review_id) WHERE review_id IS NOT NULL")
    db.execute("CREATE TABLE amends (review_id INTEGER PRIMARY KEY, cancelled INTEGER NOT NULL DEFAULT 0, "
               "rating INTEGER, correct INTEGER, state_after TEXT)")
    db.execute("CREATE VIEW log AS SELECT r.id, r.card_id, r.reviewed_at, r.answer, "
               "coalesce(a.correct, r.correct) AS correct, coalesce(a.rating, r.rating) AS rating, r.duration_ms, "
               "r.mode, r.state_before, coalesce(a.state_after, r.state_after) AS state_after "
               "FROM reviews r LEFT JOIN amends a ON a.review_id = r.id WHERE a.cancelled IS NOT 1")
    db.execute("CREATE TABLE claims (card_id TEXT PRIMARY KEY, session TEXT NOT NULL, until TEXT NOT NULL)")
    db.table("decks").add_column("removed_at", str)


def m008_index_labels(db: sqlite_utils.Database) -> None:
    """Each deck's answer index learns the labels its facts go by (`telnet`, `ftp`): a word of explanation
    beside an answer may be anything but another fact of the deck (`22 (Telnet over TLS)` is wrong)."""
    import json
    import re
    import unicodedata

    def normalise(text: str) -> str:
        text = unicodedata.normalize("NFKC", text).casefold()
        text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))
        return re.sub(r"[\s\-_.,;:!?'\"`()\[\]/]+", "", text)

    for name, index in db.execute("SELECT name, answer_index FROM decks").fetchall():
        data = json.loads(index) if index else {"names": {}, "port_sets": {}, "by_ports": {}}
        labels = {normalise(json.loads(f)["service"]) for (f,) in db.execute(
            "SELECT data FROM facts WHERE deck = ? AND json_extract(data, '$.service') IS NOT NULL", [name])}
        data["labels"] = sorted(labels - {""})
        db.execute("UPDATE decks SET answer_index = ? WHERE name = ?", [json.dumps(data), name])


def m009_deck_new_limits(db: sqlite_utils.Database) -> None:
    """A deck may have a daily new-card limit of its own (NULL: it shares the global one)."""
    db.table("decks").add_column("new_per_day", int)


def _new_device(db: Any) -> str:
    """This database's own device id (a new database's, whether migrated or made from the schema snapshot)."""
    import uuid

    device = uuid.uuid4().hex[:12]
    db.execute("INSERT INTO local (key, value) VALUES ('device', ?)", [device])
    return device


def m010_sync(db: sqlite_utils.Database) -> None:
    """Sync: every review and event gets an id unique across devices (`DEVICE.rN`, `DEVICE.eN`), made where it
    happened and kept when it travels; `local` holds what never travels (this device's id, the sync folder)."""
    db.execute("CREATE TABLE local (key TEXT PRIMARY KEY, value TEXT)")
    device = _new_device(db)
    for table, tag in (("reviews", "r"), ("events", "e")):
        db.execute(f"ALTER TABLE {table} ADD COLUMN uid TEXT")
        db.execute(f"UPDATE {table} SET uid = ? || '.{tag}' || id", [device])
        db.execute(f"CREATE UNIQUE INDEX {table}_uid ON {table}(uid)")
    db.execute("DROP VIEW log")
    db.execute("CREATE VIEW log AS SELECT r.id, r.card_id, r.reviewed_at, r.answer, "
               "coalesce(a.correct, r.correct) AS correct, coalesce(a.rating, r.rating) AS rating, r.duration_ms, "
               "r.mode, r.state_before, coalesce(a.state_after, r.state_after) AS state_after, r.uid "
               "FROM reviews r LEFT JOIN amends a ON a.review_id = r.id WHERE a.cancelled IS NOT 1")


def m011_drills(db: sqlite_utils.Database) -> None:
    """Each drill's score, for `stats` (the facts a drill touched are practice rows in the log)."""
    db.execute("CREATE TABLE drills (id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, deck TEXT, "
               "score INTEGER NOT NULL, total INTEGER NOT NULL)")


def m012_practice_misses(db: sqlite_utils.Database) -> None:
    """The practice answers that missed (drills, quizzes), indexed on their own: due cards they found forgotten
    come first in a review, read without looking at every due card's log. Reviews never enter it: no cost to
    an answer."""
    db.execute("CREATE INDEX reviews_practice_misses ON reviews(card_id) WHERE mode = 'practice' AND correct = 0")


def m013_stats_indexes(db: sqlite_utils.Database) -> None:
    """`stats` counts on indexes, not by reading every review's row. The index on review time becomes two that split
    the rows (reviews, with whether right; the rest), so an answer still writes one entry; cards get one by deck,
    which no answer writes. Each is usable only by a query that states its condition: no other plan changes."""
    # (a bare `mode = 'review'` condition drew `ORDER BY id DESC LIMIT 1` from the table onto the index: 0.7 s)
    db.execute("CREATE INDEX reviews_review_at ON reviews(reviewed_at, mode, correct) "
               "WHERE mode = 'review' AND reviewed_at IS NOT NULL")
    db.execute("CREATE INDEX reviews_rest_at ON reviews(reviewed_at, mode, correct) "
               "WHERE mode IS NOT 'review' OR reviewed_at IS NULL")
    db.execute("DROP INDEX IF EXISTS idx_reviews_reviewed_at")
    db.execute("CREATE INDEX cards_listed ON cards(deck) WHERE suspended < 2")


def m014_index_tables(db: sqlite_utils.Database) -> None:
    """Each deck's answer index becomes rows read name by name (one JSON text per deck was parsed whole at the
    deck's first answer: 20-60 ms on the registry deck). Rebuilt from the deck's stored facts; the old column is
    emptied (kept, as older SQLite cannot drop a column)."""
    import json

    from trainer.answers import index_rows
    from trainer.deck import Fact
    from trainer.store import write_index

    db.execute("CREATE TABLE answer_names (deck TEXT NOT NULL, name TEXT NOT NULL, facts TEXT NOT NULL, "
               "label INTEGER NOT NULL, PRIMARY KEY (deck, name)) WITHOUT ROWID")
    db.execute("CREATE TABLE answer_ports (deck TEXT NOT NULL, numbering TEXT NOT NULL, number INTEGER NOT NULL, "
               "sets TEXT NOT NULL, PRIMARY KEY (deck, numbering, number)) WITHOUT ROWID")
    for (deck,) in db.execute("SELECT name FROM decks").fetchall():
        names, ports = index_rows(Fact.from_dict(json.loads(d)) for (d,) in db.execute(
            "SELECT data FROM facts WHERE deck = ? AND suspended < 2 ORDER BY position", [deck]).fetchall())
        write_index(Database(db.conn), deck, names, ports)
    db.execute("UPDATE decks SET answer_index = NULL")


MIGRATIONS: list[Callable[[Any], None]] = [m001_initial, m002_confusions_and_leeches, m003_deck_index,
                                           m004_partial_card_indexes, m005_deck_choices, m006_accepted_answers,
                                           m007_events, m008_index_labels, m009_deck_new_limits,
                                           m010_sync, m011_drills, m012_practice_misses,
                                           m013_stats_indexes, m014_index_tables]


def _applied(db: Database) -> list[str]:
    """Names of the migrations already run, read without sqlite-utils (the table is sqlite-utils')."""
    try:
        return [r[0] for r in db.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET])]
    except sqlite3.OperationalError:
        return []


def _tables(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])


def _pending(db: Database) -> list[str]:
    done = set(_applied(db))
    return [m.__name__ for m in MIGRATIONS if m.__name__ not in done]


SCHEMA = Path(__file__).with_name("schema.sql")  # what the migrations make of a new database (scripts/build_schema.py)
_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00'"  # when a migration ran, as sqlite-utils writes it


def schema_snapshot(conn: sqlite3.Connection) -> str:
    """The SQL that makes a new database as the migrations made this one: each CREATE in the order made, then the
    migrations recorded as run (and no row of `local`: each database draws its own device id)."""
    made = [f"{sql};" for (sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
    ran = [f"INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('{MIGRATION_SET}', '{name}', "
           f"{_NOW});" for name in _applied(Database(conn))]
    return "\n".join(made + ran) + "\n"


def _from_snapshot(db: Database) -> None:
    """A new database made from the schema snapshot, inside the caller's transaction: what the migrations make,
    without importing sqlite-utils or running each (50 ms of every first start). A snapshot missing or older
    than the migrations leaves the rest to them."""
    try:
        text = SCHEMA.read_text(encoding="utf-8")
    except OSError:
        return
    for statement in text.split(";\n"):
        if statement.strip():
            db.execute(statement)
    _new_device(db)


def _migrate(db: Database) -> None:
    """Run the pending migrations through sqlite-utils' Migrations, each in a transaction."""
    from sqlite_utils import Database as UtilsDatabase
    from sqlite_utils import Migrations

    migrations = Migrations(MIGRATION_SET)
    for fn in MIGRATIONS:
        migrations()(fn)
    migrations.apply(UtilsDatabase(db.conn, execute_plugins=False))


@contextmanager
def writing(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock up front (BEGIN IMMEDIATE), so a second process
    waits its turn (busy timeout) instead of failing with "database is locked" halfway through."""
    if db.conn.in_transaction:
        with db.atomic():  # nested: a savepoint inside the outer transaction
            yield db
        return
    if not db.stamped and db.path is not None:  # a command that only reads, or fails first, changes nothing
        db.settle()  # a stamp begun early (stamp_early) ends first
        if not db.stamped:
            dbfile.stamp(db.conn, db.path)
            db.stamped = True
    _begin(db)
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")
        db.committed()


BUSY_MS = 10_000  # how long one attempt at the write lock waits (SQLite's busy timeout)
WAIT_LIMIT_S = 600.0  # how long a write waits in all for another process (a long import) before giving up


def _begin(db: Database) -> None:
    """Take the write lock; while another process holds it (a long import), say so once and keep waiting."""
    import time

    deadline = None
    while True:
        try:
            db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            if deadline is None:
                deadline = time.monotonic() + WAIT_LIMIT_S
                if db.on_wait is not None:
                    db.on_wait()
            elif time.monotonic() > deadline:
                took = f"{WAIT_LIMIT_S / 60:g} minutes" if WAIT_LIMIT_S >= 60 else f"{WAIT_LIMIT_S:g} s"
                raise StoreError(f"{db.path or 'the database'}: another trainer command kept it locked for "
                                 f"{took}; try again when it has finished") from None


def open_db(path: Path, create: bool = True, make_dirs: bool = True) -> Database:
    """Open and migrate; a database from a newer trainer, a file that is not trainer's and a log that belongs to
    another copy are refused untouched. `create`: a missing database may be created (only `make_dirs` creates
    its folder, for the default data directory)."""
    if path.parent.exists() and not path.parent.is_dir():
        raise StoreError(f"{path.parent}: cannot create the data directory "
                         "(it is a file; set TRAINER_HOME to a folder)")
    dbfile.check_regular(path)
    if not path.exists():
        if not create:
            raise StoreError(f"{path}: no database there yet (`trainer review` or `trainer import` makes one)")
        if not path.parent.is_dir() and not make_dirs:
            raise StoreError(f"{path.parent}: no such folder; nothing created")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"{path.parent}: cannot create the data directory ({e.strerror or e})") from None
    fresh = not path.exists()
    dbfile.check_sqlite(path, fresh)
    dbfile.check_wal(path)
    try:
        if not fresh:
            _check_trainer_untouched(path)
        conn = sqlite3.connect(str(path), timeout=BUSY_MS / 1000, isolation_level=None)  # explicit transactions
        db = Database(conn, path)
        db.created = fresh
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_MS)}")
        db.execute("PRAGMA journal_mode = WAL")  # readers never block the one writer
        dbfile.keep_log(conn, path)
        db.execute("PRAGMA wal_autocheckpoint = 0")  # the log restarts only where trainer stamps it (dbfile, committed)
        db.execute("PRAGMA synchronous = FULL")  # each answer reaches the disk before the next question
        db.execute("PRAGMA foreign_keys = ON")
        _check_version(db, path)
        if _pending(db):
            if _applied(db):
                _backup(db, path)
            with writing(db):  # one process migrates; another opening at the same moment waits
                _check_version(db, path)
                if not _tables(db):  # a new database (no migration has run where there is no table)
                    _from_snapshot(db)
                if _pending(db):
                    _migrate(db)
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{path}: cannot open the database ({e})") from None
    return db


def _check_trainer_untouched(path: Path) -> None:
    """Whose file this is, read without a lock or a log (`immutable`): another program's WAL database gets no
    `-shm` or `-wal` beside it from a look."""
    probe = sqlite3.connect(uri(path, "immutable=1"), uri=True, isolation_level=None)
    try:
        dbfile.check_trainer(probe, path, MIGRATION_SET)
    finally:
        probe.close()


def open_for_reading(path: Path, missing_ok: bool = True) -> Database:
    """For commands that only read: nothing is created, converted or migrated on disk, and a read-only disk
    still answers. An older database is migrated in memory; a missing one reads as empty when `missing_ok`."""
    dbfile.check_regular(path)
    if not path.exists():
        if not missing_ok:
            raise StoreError(f"{path}: no database there")
        db = Database(sqlite3.connect(":memory:", isolation_level=None))
        _migrate(db)  # an empty database of the current shape: every count is zero
        return db
    dbfile.check_sqlite(path)
    dbfile.check_wal(path)
    try:
        _check_trainer_untouched(path)
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{path}: cannot read the database ({e})") from None
    source = _read_only(path)
    try:
        db = Database(source, path)
        _check_version(db, path)
        if not _pending(db):
            return db
        memory = sqlite3.connect(":memory:", isolation_level=None)
        source.backup(memory)
        source.close()
        db = Database(memory, path)
        _migrate(db)  # an older database, brought up to date in memory only
        return db
    except sqlite3.DatabaseError as e:
        source.close()
        raise StoreError(f"{path}: cannot read the database ({e})") from None
    except StoreError:
        source.close()
        raise


def uri(path: Path, query: str) -> str:
    """An SQLite URI for `path`: `#` and `?` in a folder's name are escaped (`C# notes` opened a file `C`)."""
    return f"{path.resolve().as_uri()}?{query}"


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection that sees the log too: where SQLite cannot open the log read-only (a read-only
    folder without the `-shm` file), the database and its log are read from a private copy."""
    try:
        conn = sqlite3.connect(uri(path, "mode=ro"), uri=True, timeout=10, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.DatabaseError:
        pass
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        try:
            shutil.copyfile(path, copy)
            wal = dbfile.wal_path(path)
            if wal.exists():
                shutil.copyfile(wal, dbfile.wal_path(copy))
        except OSError as e:
            raise StoreError(f"{path}: cannot read ({e.strerror or e})") from None
        disk = sqlite3.connect(str(copy), isolation_level=None)
        memory = sqlite3.connect(":memory:", isolation_level=None)
        try:
            disk.backup(memory)
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{path}: cannot read the database ({e})") from None
        finally:
            disk.close()
        return memory


def backup(db: Database, before: str) -> Path | None:
    """Before a command that hides or rewrites much (`decks remove`, `import --prune`, `--replace`, `optimize`),
    copy the database next to itself, as migrations do; returns the copy (None for a database in memory)."""
    return _backup(db, db.path, before) if db.path is not None else None


def _backup(db: Database, path: Path, before: str | None = None) -> Path:
    """Before migrating a database that holds a learner's history, copy it next to itself."""
    target = path.with_name(f"{path.name}.before-{before or _pending(db)[0]}.bak")
    dest = sqlite3.connect(str(target))
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    return target


def _check_version(db: Database, path: Path) -> None:
    known = {m.__name__ for m in MIGRATIONS}
    unknown = [name for name in _applied(db) if name not in known]
    if unknown:
        raise StoreError(
            f"{path}: written by a newer version of trainer (migration {unknown[-1]}); "
            "upgrade trainer to use it"
        )
