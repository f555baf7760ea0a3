"""Sync through a folder the learner already syncs (Syncthing, Dropbox, a git repository, a USB stick).

Each device writes only its own subfolder: append-only JSON-lines files of the reviews and events made on it, so a
file-sync engine never sees two writers on one file. A sync reads every other device's folder and adds what this
database lacks (a set union by event id: idempotent, in any order); the cards those events touch are rebuilt by
replaying their merged log through FSRS in time order, so every device computes the same states. The database file
itself never travels.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from trainer import history, store
from trainer.db import Database, writing
from trainer.errors import TrainerError

FORMAT = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"


class SyncError(TrainerError):
    """The sync folder cannot be used (missing, not a folder, not writable)."""


@dataclass(frozen=True)
class Folder:
    """What one device's folder holds: its events by id, and what was odd about it."""

    device: str
    events: dict[str, dict[str, Any]]
    torn: int = 0  # lines cut off mid-write (the file-sync engine has not finished): read next time
    last_at: str = ""


@dataclass(frozen=True)
class Outcome:
    sent: int
    received: int
    waiting: int  # events whose review has not arrived yet (a later file came first): applied next time
    devices: tuple[str, ...]
    rebuilt: int
    notes: tuple[str, ...] = field(default=())


def _home(db: Database) -> str:
    """Where this database file lives: a copy elsewhere (another machine, another folder) is another device."""
    path = Path(db.path or "").resolve()
    try:
        inode = os.stat(path).st_ino
    except OSError:
        inode = 0
    return f"{socket.gethostname()}:{path}:{inode}"


def read_folder(folder: Path, device: str) -> Folder:
    """Every event in one device's folder; a torn last line (no newline yet, or half a JSON object) is skipped
    and read on a later sync, a line of an unknown format version too."""
    events: dict[str, dict[str, Any]] = {}
    torn = 0
    last = ""
    for path in sorted(folder.glob("*.jsonl")):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        lines = data.split(b"\n")
        for i, raw in enumerate(lines):
            if not raw.strip():
                continue
            try:
                ev = json.loads(raw)
            except ValueError:
                torn += 1
                continue
            if i == len(lines) - 1:  # no newline after it: still being written
                torn += 1
                continue
            if not isinstance(ev, dict) or ev.get("v") != FORMAT or not isinstance(ev.get("uid"), str):
                continue
            events.setdefault(ev["uid"], ev)
            last = max(last, str(ev.get("at", "")))
    return Folder(device, events, torn, last)


def _devices(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _stray_databases(root: Path) -> list[str]:
    """A database file dropped into the sync folder by mistake: named in a warning, never read."""
    found = []
    for path in list(root.glob("*"))[:200] + list(root.glob("*/*"))[:2000]:
        if path.is_file() and path.suffix != ".jsonl":
            try:
                with path.open("rb") as f:
                    if f.read(16) == _SQLITE_MAGIC:
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
    sent = set(read_folder(root / device, device).events) if (root / device).is_dir() else set()
    with writing(db):
        moved = store.relabel_unsent(db, device, new, sent)
        db.execute("UPDATE local SET value = ? WHERE key = 'device'", [new])
        store.set_local_value(db, "home", home)
    return new, [f"This database was copied or moved (it was {was.split(':', 1)[1].rsplit(':', 1)[0]}): it now "
                 f"syncs as a device of its own, {new}; {moved} events made since travel under it."]


def sync(db: Database, root: Path, now: datetime, params: Callable[[], Any]) -> Outcome:
    """Send this device's new events, take in every other device's, rebuild the cards they touch."""
    check_folder(root)
    device, notes = this_device(db, root)
    notes += [f"{p}: a database file in the sync folder is never read (trainer syncs events, not the database)"
              for p in _stray_databases(root)]
    mine = root / device
    sent_before = read_folder(mine, device) if mine.is_dir() else Folder(device, {})
    out = [e for e in store.own_events(db, device) if e["uid"] not in sent_before.events]
    if out:
        try:
            mine.mkdir(parents=True, exist_ok=True)
            with (mine / f"{now:%Y-%m}.jsonl").open("ab") as f:
                if f.tell() and not _ends_with_newline(mine / f"{now:%Y-%m}.jsonl"):
                    f.write(b"\n")  # a line torn by a crash before: never glue a new event to it
                f.write(b"".join(json.dumps(e, ensure_ascii=True, separators=(",", ":")).encode() + b"\n"
                                 for e in out))
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            raise SyncError(f"{mine}: cannot write ({e.strerror or e})") from None
    others = [read_folder(root / d, d) for d in _devices(root) if d != device]
    known = store.known_uids(db)
    incoming: dict[str, dict[str, Any]] = {}
    for folder in others:
        for uid, ev in folder.events.items():
            if uid not in known:
                incoming.setdefault(uid, ev)
        if folder.torn:
            notes.append(f"{folder.device}: {folder.torn} line(s) still being written, read next time")
    received, waiting, touched = _apply(db, sorted(incoming.values(), key=lambda e: (str(e.get("at")), e["uid"])),
                                        now)
    touched |= {e["card"] for e in out if e["type"] == "review"}  # replayed here as everywhere else
    rebuilt = _rebuild(db, touched, params())
    return Outcome(len(out), received, waiting, tuple(f.device for f in others), rebuilt, tuple(notes))


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def _apply(db: Database, events: list[dict[str, Any]], now: datetime) -> tuple[int, int, set[str]]:
    """Add other devices' events in time order, in one transaction; returns (added, waiting, cards touched)."""
    added = waiting = 0
    touched: set[str] = set()
    with writing(db):
        for ev in events:
            try:
                with db.atomic():  # an event this version cannot read leaves nothing half-applied
                    added, waiting = _apply_one(db, ev, now, touched, added, waiting)
            except (KeyError, TypeError, ValueError, AttributeError, TrainerError):
                waiting += 1  # a line this version cannot read: left for a newer trainer
    return added, waiting, touched


def _apply_one(db: Database, ev: dict[str, Any], now: datetime, touched: set[str], added: int,
               waiting: int) -> tuple[int, int]:
    """One event from another device: kept with its id, and what it says done here (the last word wins)."""
    kind = ev["type"] if ev["type"] == "review" else ev["kind"]
    if kind == "review":
        store.add_remote_review(db, ev)
        touched.add(ev["card"])
        return added + 1, waiting
    review_id = store.review_id_of(db, ev["review"]) if ev.get("review") else None
    if kind in ("undo", "rating") and review_id is None:
        return added, waiting + 1  # its review is in a file that has not arrived yet
    latest = _latest(db, kind, ev)
    store.add_remote_event(db, ev, review_id)
    data = ev.get("data") or {}
    if kind in ("undo", "rating"):
        touched.add(_card_of(db, review_id))
    elif kind in ("suspend", "unsuspend") and latest:
        store.apply_suspension(db, ev["card"], kind == "suspend")
    elif kind == "setting" and latest and data.get("key") in store.TRAVELLING_SETTINGS:
        store.apply_setting(db, data["key"], data.get("value"))
    elif kind == "import" and latest:
        _import(db, ev["deck"], data, now)
    elif kind == "remove_deck" and latest:
        store.apply_removal(db, ev.get("deck"), None, ev["at"])
    elif kind == "prune":
        store.apply_removal(db, ev.get("deck"), data.get("fact"), ev["at"])
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


def _card_of(db: Database, review_id: int | None) -> str:
    row = db.execute("SELECT card_id FROM reviews WHERE id = ?", [review_id]).fetchone()
    return str(row[0]) if row else ""


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


def _rebuild(db: Database, cards: Iterable[str], params: Any) -> int:
    """The touched cards' states, replayed from their merged logs (the same on every device)."""
    ids = store.cards_exist(db, {c for c in cards if c})
    with writing(db):
        for cid in ids:
            result = history.replay(cid, store.card_log(db, cid), params)
            store.set_card(db, cid, result.state, result.reps, result.lapses)
            store.refresh_leech(db, cid)
    return len(ids)


@dataclass(frozen=True)
class DeviceStatus:
    device: str
    events: int
    last_at: str
    this: bool


def status(db: Database, root: Path) -> tuple[list[DeviceStatus], int, int]:
    """Devices seen in the folder, each one's events and latest; events waiting to go out and to come in."""
    check_folder(root)
    device = store.device_id(db)
    folders = [read_folder(root / d, d) for d in _devices(root)]
    known = store.known_uids(db)
    mine = next((f for f in folders if f.device == device), Folder(device, {}))
    out = sum(1 for e in store.own_events(db, device) if e["uid"] not in mine.events)
    incoming = {u for f in folders if f.device != device for u in f.events if u not in known}
    rows = [DeviceStatus(f.device, len(f.events), f.last_at, f.device == device) for f in folders]
    if device not in {f.device for f in folders}:
        rows.append(DeviceStatus(device, 0, "", True))
    return rows, out, len(incoming)
