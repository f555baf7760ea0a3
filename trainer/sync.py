"""Sync through a folder the learner already syncs (Syncthing, Dropbox, a git repository, a USB stick).

Each device writes only its own subfolder: append-only JSON-lines files of the reviews and events made on it, so a
file-sync engine never sees two writers on one file. A sync reads every other device's folder and adds what this
database lacks (a set union by event id: idempotent, in any order); the cards those events touch are rebuilt by
replaying their merged log through FSRS in time order, so every device computes the same states. The database file
itself never travels.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import socket
import sqlite3
import stat
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from trainer import history, store
from trainer.clock import parse_time
from trainer.db import Database, writing
from trainer.dbfile import SQLITE_MAGIC
from trainer.errors import TrainerError
from trainer.scheduler import CardState
from trainer.settings import SHAPES_SCHEDULES, TRAVELLING, valid_stored

FORMAT = 1


class SyncError(TrainerError):
    """The sync folder cannot be used (missing, not a folder, not writable)."""


class Uids:
    """A set of event ids kept small: the ids trainer makes (`DEVICE.rN`, `DEVICE.eN`) as one bit per N for each
    device and letter, any other as text. A million ids take 125 KB instead of 100 MB (a sync of ten years of answers
    held every id as a string, and every event as a dict: 2.7 GB)."""

    _LIMIT = 1 << 24  # a number past this is kept as text (a bitmap for it would be large)

    def __init__(self, uids: Iterable[str] = ()) -> None:
        self._bits: dict[tuple[str, str], bytearray] = {}
        self._text: set[str] = set()
        for uid in uids:
            self.add(uid)

    @classmethod
    def _split(cls, uid: str) -> tuple[tuple[str, str], int] | None:
        device, dot, rest = uid.rpartition(".")
        digits = rest[1:]
        if not dot or rest[:1] not in ("r", "e") or not digits.isascii() or not digits.isdigit():
            return None
        n = int(digits)
        if n >= cls._LIMIT or str(n) != digits:  # `r07` is another id than `r7`
            return None
        return (device, rest[0]), n

    def add(self, uid: str) -> None:
        found = self._split(uid)
        if found is None:
            self._text.add(uid)
            return
        key, n = found
        bits = self._bits.setdefault(key, bytearray())
        if n >> 3 >= len(bits):
            bits.extend(bytes(max((n >> 3) + 1 - len(bits), len(bits))))
        bits[n >> 3] |= 1 << (n & 7)

    def __contains__(self, uid: object) -> bool:
        if not isinstance(uid, str):
            return False
        found = self._split(uid)
        if found is None:
            return uid in self._text
        bits = self._bits.get(found[0])
        n = found[1]
        return bits is not None and n >> 3 < len(bits) and bool(bits[n >> 3] & (1 << (n & 7)))

    def update(self, other: Uids) -> None:
        """Every id of `other` added."""
        for key, bits in other._bits.items():
            mine = self._bits.setdefault(key, bytearray())
            if len(mine) < len(bits):
                mine.extend(bytes(len(bits) - len(mine)))
            mine[:] = (int.from_bytes(mine, "little") | int.from_bytes(bits, "little")).to_bytes(len(mine), "little")
        self._text |= other._text

    def count_not_in(self, other: Uids) -> int:
        """How many of these ids `other` lacks."""
        n = sum(1 for uid in self._text if uid not in other)
        for key, bits in self._bits.items():
            theirs = int.from_bytes(other._bits.get(key, b""), "little")
            n += (int.from_bytes(bits, "little") & ~theirs).bit_count()
        return n

    def by_device(self) -> dict[str, int]:
        """How many ids each device (the part before the first `.`) made."""
        out: dict[str, int] = {}
        for (device, _tag), bits in self._bits.items():
            name = device.split(".")[0]
            out[name] = out.get(name, 0) + int.from_bytes(bits, "little").bit_count()
        for uid in self._text:
            name = uid.split(".")[0]
            out[name] = out.get(name, 0) + 1
        return out

    def __len__(self) -> int:
        return sum(self.by_device().values())


@dataclass(frozen=True)
class Folder:
    """What one device's folder holds: its events' ids, and what was odd about it."""

    device: str
    uids: Uids
    torn: int = 0  # lines cut off mid-write (the file-sync engine has not finished): read next time
    last_at: str = ""


_UID = re.compile(rb'"uid"\s*:\s*"([^"\\]+)"')
_AT = re.compile(rb'"at"\s*:\s*"([^"\\]+)"')


def _lines(folder: Path) -> Iterator[tuple[bytes, bool]]:
    """Every line of a device's files, and whether it is whole (a last line with no newline yet is not)."""
    for path in sorted(folder.glob("*.jsonl")):
        try:
            if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or a device is never opened (it would block)
                continue
            with path.open("rb") as f:  # a line at a time: a year of answers is tens of MB
                for raw in f:
                    if raw.strip():
                        yield raw.rstrip(b"\r\n"), raw.endswith(b"\n")
        except OSError:
            continue


def _event(raw: bytes) -> dict[str, Any] | None:
    """One line as an event, or None: half a line, or a format this version does not read."""
    try:
        ev = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(ev, dict) or ev.get("v") != FORMAT or not isinstance(ev.get("uid"), str):
        return None
    return ev


def read_folder(folder: Path, device: str) -> Folder:
    """The ids of the events in one device's folder (read from the line without parsing it all)."""
    uids = Uids()
    torn = 0
    last = b""
    for raw, whole in _lines(folder):
        m = _UID.search(raw)
        if not whole:
            torn += 1  # still arriving
            continue
        if m is None or not raw.rstrip().endswith(b"}"):
            continue  # a line damaged by a crash long ago: its event was written again after it
        uids.add(m.group(1).decode())
        at = _AT.search(raw)
        last = max(last, at.group(1) if at else b"")
    return Folder(device, uids, torn, last.decode())


@dataclass(frozen=True)
class Outcome:
    sent: int
    received: int
    waiting: int  # events whose review has not arrived yet (a later file came first): applied next time
    devices: tuple[str, ...]
    rebuilt: int
    notes: tuple[str, ...] = field(default=())
    unread: int = 0  # lines this version cannot read (a newer trainer's, or damaged): left out, never fatal


def _home(db: Database) -> str:
    """Where this database file lives: a copy elsewhere (another machine, another folder) is another device."""
    path = Path(db.path or "").resolve()
    try:
        inode = os.stat(path).st_ino
    except OSError:
        inode = 0
    return f"{socket.gethostname()}:{path}:{inode}"


def _devices(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _stray_databases(root: Path) -> list[str]:
    """A database file dropped into the sync folder by mistake: named in a warning, never read."""
    found = []
    for path in list(root.glob("*"))[:200] + list(root.glob("*/*"))[:2000]:
        if path.is_file() and path.suffix != ".jsonl":
            try:
                with path.open("rb") as f:
                    if f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
                        found.append(str(path.relative_to(root)))
            except OSError:
                pass
    return found


def check_folder(root: Path) -> None:
    if not root.exists():
        raise SyncError(f"{root}: no such folder (create it, or point `trainer sync DIR` at your synced folder)")
    if not root.is_dir():
        raise SyncError(f"{root}: not a folder")


def this_device(db: Database, root: Path) -> tuple[str, list[str]]:
    """This database's device id; a database copied from elsewhere takes a new one, and what it made since the
    copy travels under it."""
    device = store.device_id(db)
    home, was = _home(db), store.local_value(db, "home")
    if was is None:
        store.set_local_value(db, "home", home)
        return device, []
    if was == home:
        return device, []
    new = uuid.uuid4().hex[:12]
    sent = read_folder(root / device, device).uids if (root / device).is_dir() else Uids()
    with writing(db):
        moved = store.relabel_unsent(db, device, new, sent)
        store.set_local_value(db, "device", new)
        store.set_local_value(db, "home", home)
    return new, [f"This database was copied or moved (it was {was.split(':', 1)[1].rsplit(':', 1)[0]}): it now "
                 f"syncs as a device of its own, {new}; {moved} events made since travel under it."]


def sync(db: Database, root: Path, now: datetime, params: Callable[[], Any]) -> Outcome:
    """Send this device's new events, take in every other device's, rebuild the cards they touch."""
    check_folder(root)
    device, notes = this_device(db, root)
    notes += [f"{p}: a database file in the sync folder is never read (trainer syncs events, not the database): "
              "delete it"
              for p in _stray_databases(root)]
    sent, own = _send(db, root / device, device, now)
    others = [d for d in _devices(root) if d != device]
    seen: set[str] = set()  # the devices whose events the folders hold (a conflict copy of a folder is no device)
    known = Uids(store.uids(db))
    received = waiting = unread = 0
    touched: set[str] = set()
    later: dict[str, dict[str, Any]] = {}
    batch: list[dict[str, Any]] = []
    with writing(db):  # all of it or nothing: a kill mid-sync leaves the database as it was
        for d in others:
            torn = 0
            for raw, whole in _lines(root / d):
                m = _UID.search(raw)
                if m is None:
                    continue
                seen.add(m.group(1).decode().split(".")[0])
                if m.group(1).decode() in known:
                    continue
                ev = _event(raw) if whole else None
                if ev is None:
                    torn += int(not whole)  # a whole line that does not read was damaged, and written again after
                    continue
                known.add(ev["uid"])
                if ev.get("type") == "review":  # reviews go in as they come: their order is the log's, by time
                    batch.append(ev)
                    touched.add(str(ev.get("card")))
                    if len(batch) >= 5000:
                        added = _add_reviews(db, batch)
                        received, unread, batch = received + added, unread + len(batch) - added, []
                else:
                    later[ev["uid"]] = ev
            if torn:
                notes.append(f"{d}: {torn} line(s) still being written, read next time")
        added = _add_reviews(db, batch)
        received, unread = received + added, unread + len(batch) - added
        weights = store.settings(db).weights
        added, waiting, bad, more = _apply(db, sorted(later.values(), key=lambda e: (str(e.get("at")), e["uid"])),
                                           now)
        received, unread = received + added, unread + bad
        touched |= more
        if store.settings(db).weights != weights:  # fitted on another device, which replayed every card with them
            rebuilt = history.rebuild_all(db, params())
        else:
            rebuilt = _rebuild(db, touched, params(), own)
    return Outcome(sent, received, waiting, tuple(sorted(seen - {device})), rebuilt, tuple(notes), unread)


def _send(db: Database, mine: Path, device: str, now: datetime) -> tuple[int, set[str]]:
    """This device's events its folder does not hold yet, appended; how many, and the cards they answered: a card
    another device reviews too is replayed here as there (answered here, its state was smoothed by this device's
    load, which a replay elsewhere does not see)."""
    sent_before = read_folder(mine, device).uids if mine.is_dir() else Uids()
    own: set[str] = set()

    def unsent() -> Iterator[dict[str, Any]]:
        for e in store.own_events(db, device):
            if e["uid"] not in sent_before:
                if e.get("type") == "review":
                    own.add(str(e.get("card")))
                yield e

    return _append(mine / f"{now:%Y-%m}.jsonl", unsent()), own


def _state(value: Any) -> dict[str, Any] | None:
    """A card state as this version writes it (an object whose state is 0-3 and, once studied, has a due time),
    read once; None for anything else."""
    try:
        d = json.loads(value) if isinstance(value, str) else value
        if not isinstance(d, dict) or d.get("state", 0) not in (0, 1, 2, 3):
            return None
        s = CardState.from_dict(d)
        numbers = all(x is None or (isinstance(x, (int, float)) and math.isfinite(x) and 0 <= x < 1e9)
                      for x in (d.get("stability"), d.get("difficulty"), d.get("step")))
        return d if numbers and (s.state == 0 or s.due is not None) else None
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None


def _readable_review(ev: dict[str, Any]) -> bool:
    """A review this version can replay: a card id, a time, a rating 1-4, a mode, sane numbers, states it writes;
    a review leaves its card studied (learning, review or relearning), never new."""
    try:
        ms = ev.get("ms", 0)
        if not (isinstance(ev.get("card"), str) and 0 < len(ev["card"]) <= 400 and type(ev.get("rating")) is int
                and 1 <= ev["rating"] <= 4 and isinstance(ev.get("at"), str) and parse_time(ev["at"]) is not None
                and ev.get("mode", "review") in ("review", "practice") and isinstance(ev.get("answer", ""), str)
                and len(ev.get("answer", "")) <= 10_000 and ev.get("correct", 0) in (0, 1, True, False)
                and isinstance(ms, (int, float)) and not isinstance(ms, bool) and math.isfinite(ms)
                and 0 <= ms < 10**9 and (ev.get("confused") is None or isinstance(ev["confused"], str))
                and _state(ev.get("before", {})) is not None):
            return False
        after = _state(ev.get("after", {}))
        return after is not None and (ev.get("mode", "review") == "practice" or after.get("state") in (1, 2, 3))
    except (ValueError, TypeError, OverflowError):
        return False


def _readable_event(ev: dict[str, Any]) -> bool:
    """An event whose fields have the types this version writes (a number where text belongs never reaches SQL)."""
    text = (lambda k: ev.get(k) is None or (isinstance(ev[k], str) and len(ev[k]) <= 400))  # noqa: E731
    try:
        data = ev.get("data")
        return (isinstance(ev.get("kind"), str) and isinstance(ev.get("at"), str) and parse_time(ev["at"]) is not None
                and text("card") and text("deck") and text("review") and (data is None or isinstance(data, dict))
                and (data is None or data.get("after") is None or _state(data["after"]) is not None))
    except (ValueError, TypeError, OverflowError):
        return False


def _add_reviews(db: Database, batch: list[dict[str, Any]]) -> int:
    """Reviews from another device, each checked first: a line this version cannot read is left out, not fatal."""
    good = [ev for ev in batch if _readable_review(ev)]
    store.add_remote_reviews(db, good)
    return len(good)


def _append(path: Path, events: Iterator[dict[str, Any]]) -> int:
    """This device's new events at the end of its month's file, a few thousand lines at a time (never all of them
    in memory), flushed to disk before the sync goes on; no file is made when there are none. Returns how many."""
    encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
    first = next(events, None)
    if first is None:
        return 0
    rest = itertools.chain([first], events)
    n = 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as f:
            if f.tell() and not _ends_with_newline(path):
                f.write(b"\n")  # a line torn by a crash before: never glue a new event to it
            for chunk in iter(lambda: list(itertools.islice(rest, 5000)), []):
                f.write(b"".join(encode(e).encode() + b"\n" for e in chunk))
                n += len(chunk)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        raise SyncError(f"{path.parent}: cannot write ({e.strerror or e})") from None
    return n


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def _apply(db: Database, events: list[dict[str, Any]], now: datetime) -> tuple[int, int, int, set[str]]:
    """Add other devices' events in time order, in one transaction; returns (added, waiting, unreadable, cards
    touched)."""
    added = waiting = bad = 0
    touched: set[str] = set()
    with writing(db):
        for ev in events:
            if not _readable_event(ev):
                bad += 1
                continue
            try:
                with db.atomic():  # an event this version cannot read leaves nothing half-applied
                    added, waiting = _apply_one(db, ev, now, touched, added, waiting)
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError, sqlite3.Error,
                    TrainerError):
                bad += 1  # a line this version cannot read: left out
    return added, waiting, bad, touched


def _apply_one(db: Database, ev: dict[str, Any], now: datetime, touched: set[str], added: int,
               waiting: int) -> tuple[int, int]:
    """One event from another device: kept with its id, and what it says done here (the last word wins)."""
    kind = ev["kind"]
    review_id = store.review_id_of(db, ev["review"]) if ev.get("review") else None
    if kind in ("undo", "rating") and review_id is None:
        return added, waiting + 1  # its review is in a file that has not arrived yet
    latest = _latest(db, kind, ev)
    store.add_remote_event(db, ev, review_id)
    data = ev.get("data") or {}
    if kind in ("undo", "rating"):
        touched.add(store.card_of_review(db, review_id))
    elif kind in ("suspend", "unsuspend") and latest:
        store.set_suspended(db, [ev["card"]], kind == "suspend")
    elif kind == "setting" and latest and data.get("key") in TRAVELLING:
        if not valid_stored(data["key"], data.get("value")):
            raise ValueError(f"setting {data['key']}: a value this version cannot use")
        store.set_setting(db, data["key"], data.get("value"))  # no `now`: no event of its own
        if data["key"] in SHAPES_SCHEDULES:
            touched |= store.mixed_origin(db)  # every card of several devices is replayed with it
    elif kind == "import" and latest:
        _import(db, ev["deck"], data, now)
    elif kind == "remove_deck" and latest:
        store.hide_deck(db, ev["deck"], ev["at"])
    elif kind == "prune":
        store.hide_fact(db, data["fact"])
    return added + 1, waiting


def _import(db: Database, name: str, data: dict[str, Any], now: datetime) -> None:
    """A deck imported on another device: a bundled one from this device's own copy (an older trainer never
    rolls a newer deck back), one of the learner's own from the file that travelled with the event."""
    from trainer import bundled
    from trainer.deck import parse_deck
    from trainer.import_plan import plan

    if data.get("bundled"):
        if store.deck_of(db, name) is None:
            bundled.install(db, name, now, record=False)
        return
    deck = parse_deck(str(data["yaml"]), f"<deck {name} from another device>")
    kinds = data.get("kinds")
    store.import_decks(db, [plan(deck, kinds or store.chosen_kinds(db, name), choose=bool(kinds))], now,
                       record=False)


def _latest(db: Database, kind: str, ev: dict[str, Any]) -> bool:
    """Whether this event is the last word on its card, setting or deck (later ones already here win)."""
    at, uid = str(ev["at"]), ev["uid"]
    if kind in ("suspend", "unsuspend"):
        return store.is_latest(db, ("suspend", "unsuspend"), at, uid, card=ev.get("card"))
    if kind == "setting":
        return store.is_latest(db, ("setting",), at, uid, key=(ev.get("data") or {}).get("key"))
    if kind in ("import", "remove_deck"):
        return store.is_latest(db, ("import", "remove_deck"), at, uid, deck=ev.get("deck"))
    return True


def _rebuild(db: Database, cards: set[str], params: Any, own: set[str]) -> int:
    """The touched cards' states from their merged logs, the same on every device: a card only one device has
    reviewed takes that device's recorded states; one reviewed on several, or re-rated by an event without the state
    it leaves, is replayed through FSRS in time order.
    `own`: cards answered here since the last sync, replayed only when another device reviewed them too (the rest
    already hold the states recorded here)."""
    ids = store.cards_exist(db, {c for c in cards | own if c})
    mixed = store.mixed_origin(db, ids) | store.stateless_amends(db, ids)
    ids = [c for c in ids if c in cards or c in mixed]
    store.restore_many(db, [c for c in ids if c not in mixed])
    with writing(db):
        for cid in mixed:
            history.replay_card(db, cid, params)  # as every device does for these
        store.move_out_of_breaks(db, params)  # recorded states may predate a break set since
    return len(ids)


@dataclass(frozen=True)
class DeviceStatus:
    device: str
    events: int
    last_at: str
    this: bool


def status(db: Database, root: Path) -> tuple[list[DeviceStatus], int, int, int]:
    """Devices seen in the folder, each one's events and latest; events waiting to go out and to come in."""
    check_folder(root)
    device = store.device_id(db)
    every, others = Uids(), Uids()  # by the ids the events carry: a conflict copy of a folder is no other device
    last: dict[str, str] = {}
    torn = 0
    sent = Uids()
    for d in _devices(root):
        folder = read_folder(root / d, d)
        last[d] = folder.last_at
        every.update(folder.uids)
        if d == device:
            sent = folder.uids
        else:
            others.update(folder.uids)
            torn += folder.torn
    incoming = others.count_not_in(Uids(store.uids(db)))
    out = sum(1 for uid in store.own_uids(db, device) if uid not in sent)
    counts = {device: 0, **every.by_device()}
    rows = [DeviceStatus(d, n, last.get(d, ""), d == device) for d, n in sorted(counts.items())]
    return rows, out, incoming, torn
