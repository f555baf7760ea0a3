"""What a file must be before trainer opens it as its database: a regular file, SQLite's, trainer's own, with a
write-ahead log that belongs to it. Checked from the bytes on disk, before SQLite reads (and so before it could
replay a stranger's log into the database or add tables to another program's file).

Each write-ahead log trainer starts carries a stamp: trainer's first write after a complete checkpoint sets the
database header's `user_version` to the `application_id` the database file holds and draws a new random
`application_id`. A log belongs to the file when the file's `application_id` is the stamp's `user_version`, or
the `application_id` of any page 1 the log holds (a checkpoint may have copied part of the log already). A log
holding no page 1 cannot be told apart and is trusted, as SQLite would.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
import struct
from collections.abc import Iterator
from pathlib import Path

from trainer.errors import StoreError

SQLITE_MAGIC = b"SQLite format 3\x00"
WAL_MAGICS = (0x377F0682, 0x377F0683)
_WAL_HEADER = 32
_FRAME_HEADER = 24
OWN_NAME = "trainer.db"  # the name trainer gives its database: an empty one there is a first start cut short
MAX_FRAMES_READ = 200_000  # a log of 800 MB at 4 KB pages; past that, trust it (as SQLite would)


def check_regular(path: Path) -> None:
    """A device, a FIFO or a folder is never opened as a database (reading `/dev/zero` never ends)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as e:
        raise StoreError(f"{path}: cannot read ({e.strerror or e})") from None
    if not stat.S_ISREG(mode):
        raise StoreError(f"{path}: not a regular file; a trainer database is a file")


def check_sqlite(path: Path, fresh: bool = False) -> None:
    """An existing file that is not SQLite's is refused before SQLite touches it; so is an empty one (someone's
    notes.txt), unless it is trainer's own `trainer.db` (a first start cut short)."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return
    except OSError as e:
        raise StoreError(f"{path}: cannot read ({e.strerror or e})") from None
    if not head and not fresh and path.name != OWN_NAME:
        raise StoreError(f"{path}: an empty file, not a trainer database; nothing changed (give a path that does "
                         "not exist yet for a new database)")
    if head and head != SQLITE_MAGIC:
        raise StoreError(f"{path}: not a trainer database (not an SQLite file); nothing changed")


def check_trainer(conn: sqlite3.Connection, path: Path, migration_set: str) -> None:
    """An SQLite file of another program's (tables, but none of trainer's migrations) is left as it is."""
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                         "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    if not tables:
        if path.name != OWN_NAME and path.exists() and path.stat().st_size > 0 and not wal_path(path).exists():
            raise StoreError(f"{path}: an SQLite database of another program (it has no tables yet); nothing "
                             "changed")
        return
    if "_sqlite_migrations" in tables:
        mine = conn.execute("SELECT count(*) FROM _sqlite_migrations WHERE migration_set = ?",
                            [migration_set]).fetchone()[0]
        if mine:
            return
    shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
    raise StoreError(f"{path}: an SQLite database, but not trainer's (tables: {shown}); nothing changed")


def _header_ids(page1: bytes) -> tuple[int, int]:
    """(user_version, application_id) from a database header."""
    user_version, = struct.unpack(">I", page1[60:64])
    application_id, = struct.unpack(">I", page1[68:72])
    return user_version, application_id


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _wal_page1_ids(wal: Path) -> Iterator[tuple[int, int]]:
    """The (user_version, application_id) of each page 1 in the log's current frames, oldest first: read lazily,
    as the first one usually settles it."""
    try:
        with wal.open("rb") as f:
            header = f.read(_WAL_HEADER)
            if len(header) < _WAL_HEADER:
                return
            magic, _version, page_size, _seq, salt1, salt2 = struct.unpack(">IIIIII", header[:24])
            if magic not in WAL_MAGICS or page_size < 512 or page_size & (page_size - 1):
                return
            for _ in range(MAX_FRAMES_READ):
                frame = f.read(_FRAME_HEADER)
                if len(frame) < _FRAME_HEADER:
                    break
                page, _size, s1, s2 = struct.unpack(">IIII", frame[:16])
                if (s1, s2) != (salt1, salt2):
                    break  # frames of an earlier log, left past the current one's end
                if page == 1:
                    data = f.read(100)
                    if len(data) < 100:
                        break
                    yield _header_ids(data)
                    f.seek(page_size - 100, os.SEEK_CUR)
                else:
                    f.seek(page_size, os.SEEK_CUR)
    except OSError:
        return


def check_wal(path: Path) -> None:
    """A log left by another copy of the database (a restored backup, a copied folder) would turn this one
    malformed: refuse, naming both files, before SQLite reads either."""
    wal = wal_path(path)
    try:
        if wal.stat().st_size <= _WAL_HEADER:
            return
    except OSError:
        return
    try:
        with path.open("rb") as f:
            page1 = f.read(100)
    except OSError:
        page1 = b""
    app_id = _header_ids(page1)[1] if len(page1) == 100 else None
    seen = False
    for i, (user_version, application_id) in enumerate(_wal_page1_ids(wal)):
        if app_id is not None and ((i == 0 and user_version == app_id) or application_id == app_id):
            return
        seen = True
    if not seen:
        return  # no page 1 in the log: nothing to tell it by
    if app_id is None:
        raise StoreError(f"{wal} holds changes for a database that is not at {path}: move {wal.name} away; "
                         "nothing changed")
    raise StoreError(f"{wal} does not belong to {path} (left by another copy of the database?): move {wal.name} "
                     f"away, or put back the {path.name} it came with; nothing changed")


KEPT_LOG_MAX = 16 * 2**20  # a log kept between sessions is reused up to this size, and cut back past it


def stamp(conn: sqlite3.Connection, path: Path) -> bool:
    """After a complete checkpoint, start the new log with page 1 saying which database file it follows. The
    log file keeps its size (RESTART, not TRUNCATE): answers overwrite it, which syncs faster than growing it.
    False when a reader or a writer was in the way: never waited for (another process writing goes on)."""
    wait = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        size = wal_path(path).stat().st_size if wal_path(path).exists() else 0
        how = "TRUNCATE" if size > KEPT_LOG_MAX else "RESTART"
        busy, frames, done = conn.execute(f"PRAGMA wal_checkpoint({how})").fetchone()
        if busy or frames != done:
            return False  # another session is reading an older snapshot: the log goes on, its stamp with it
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(f"PRAGMA user_version = {int(app_id)}")
        conn.execute(f"PRAGMA application_id = {secrets.randbits(31) + 1}")
        conn.execute("COMMIT")
        return True
    except sqlite3.OperationalError:  # another session took the write lock first: its log goes on unstamped
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(wait)}")


SQLITE_FCNTL_PERSIST_WAL = 10


def keep_log(conn: sqlite3.Connection, path: Path) -> bool:
    """Ask SQLite to keep the log file when the last connection closes (SQLITE_FCNTL_PERSIST_WAL), so the next
    session overwrites it instead of growing a new one: each answer's sync then costs about a fifth less.
    Python's sqlite3 has no file_control, so it is called through ctypes on the library the module itself
    uses, on CPython versions whose connection object starts with the `sqlite3 *` (3.8-3.14), and only when
    that handle names this very file; anywhere else nothing is done (the log is deleted, as before)."""
    import sys

    if sys.implementation.name != "cpython" or not (3, 8) <= sys.version_info[:2] <= (3, 14):
        return False
    try:
        import _sqlite3
        import ctypes
        import sysconfig

        if sysconfig.get_config_var("Py_GIL_DISABLED"):
            return False  # a free-threaded build lays its objects out otherwise
        lib = ctypes.CDLL(_sqlite3.__file__)  # the SQLite the module links, never another copy of it
        filename = lib.sqlite3_db_filename
        control = lib.sqlite3_file_control
    except (ImportError, OSError, AttributeError):
        return False
    filename.restype = ctypes.c_char_p
    filename.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    control.restype = ctypes.c_int
    control.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
    handle = ctypes.c_void_p.from_address(id(conn) + object.__basicsize__).value
    if not handle or filename(handle, b"main") != os.fsencode(os.path.realpath(path)):
        return False
    on = ctypes.c_int(1)
    return control(handle, b"main", SQLITE_FCNTL_PERSIST_WAL, ctypes.byref(on)) == 0
