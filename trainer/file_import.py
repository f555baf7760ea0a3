"""Any file a learner imports becomes a Deck: YAML, CSV/TSV, /etc/services files, Anki .apkg packages."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import sqlite3
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from trainer.deck import MAX_BYTES, Deck, PastAnswer, check_name, deck_from_records, load_deck, slug
from trainer.errors import DeckError, located

YAML_SUFFIXES = {".yaml", ".yml"}
LIST_FIELDS = {"aliases", "accept", "tags", "secure", "accept_transport", "kinds"}
CSV_FIELDS = ("key", "front", "back", "accept", "service", "aliases", "ports", "transport", "accept_transport",
              "accept_ports", "registry", "secure", "description", "note", "source", "tags", "kinds")
# The deck's own fields, in the first data row only (a CSV has no other place for them): an exported deck
# imports back as it was, title and question kinds included.
DECK_FIELDS = ("deck", "deck_title", "deck_description", "deck_kinds")


def read_deck(path: Path, name: str | None = None) -> Deck:
    """Pick the reader by suffix, else by sniffing; every failure is one DeckError naming the file."""
    if not path.exists():
        raise DeckError(located(path, None, "no such file"))
    if path.is_dir():
        raise DeckError(located(path, None, "is a directory, not a deck file"))
    if not path.is_file():
        raise DeckError(located(path, None, "not a regular file (a device or a pipe is never read as a deck)"))
    if name is not None:
        check_name(name, path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise DeckError(located(path, None, f"file is {size // 2**20} MB; imports are limited to 20 MB"))
    suffix = path.suffix.lower()
    deck_name = name or slug(path.stem)
    if suffix in YAML_SUFFIXES:
        deck = load_deck(path)
        return deck if name is None else _renamed(deck, name)
    if suffix in (".csv", ".tsv", ".tab"):
        return read_table(path, deck_name, "\t" if suffix != ".csv" else ",", named_by_file=name is None)
    if suffix in (".apkg", ".colpkg"):
        return read_apkg(path, name)
    from trainer.registry_files import detect_format, parse_services

    kind = detect_format(path)
    if kind == "services":
        from trainer.registry_decks import services_deck

        deck = services_deck(path, parse_services(path))
        return deck if name is None else _renamed(deck, name)
    raise DeckError(located(path, None, f"a {kind} file is a registry, not a deck: "
                                        "scripts/build_decks.py turns registries into decks"))


def _renamed(deck: Deck, name: str) -> Deck:
    from dataclasses import replace

    return replace(deck, name=name)


def split_list(value: str) -> list[str]:
    """`a|b` -> [a, b]; `\\|` is a `|` inside an item and `\\\\` a backslash (what `join_list` writes)."""
    items: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value) and value[i + 1] in "\\|":
            cur.append(value[i + 1])
            i += 2
            continue
        if c == "|":
            items.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    items.append("".join(cur))
    return [v.strip() for v in items if v.strip()]


def join_list(items: list[Any]) -> str:
    return "|".join(str(v).replace("\\", "\\\\").replace("|", "\\|") for v in items)


def _table_row(header: list[str], row: list[str]) -> dict[str, Any]:
    """One row as a fact mapping, in the YAML deck's field names; lists are split on `|`."""
    fact: dict[str, Any] = {}
    for col, cell in zip(header, row, strict=False):
        cell = cell.strip()
        if col not in CSV_FIELDS or not cell:
            continue
        if col in LIST_FIELDS:
            fact[col] = split_list(cell)
        elif col == "ports":
            fact[col] = [p for p in re.split(r"[|,;\s]+", cell) if p]
        elif col == "accept_ports":  # `1433,1434|139,445`: sets apart with `|`
            fact[col] = [[p for p in re.split(r"[,;\s]+", s) if p] for s in split_list(cell)]
        else:
            fact[col] = cell
    return fact


def read_table(path: Path, name: str, delimiter: str, named_by_file: bool = True) -> Deck:
    """CSV or TSV with a header row: `front,back` plus optional `accept,note,tags` (lists split on `|`),
    or port facts with `service,ports` and the YAML fields."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DeckError(located(path, None, f"not UTF-8 text (byte {e.start})")) from None
    csv.field_size_limit(MAX_BYTES)  # a long note is a field like any other (Python's default stops at 128 KB)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise DeckError(located(path, None, "empty file: expected a header row such as front,back")) from None
    except csv.Error as e:
        raise DeckError(located(path, 1, f"malformed {'TSV' if delimiter == chr(9) else 'CSV'}: {e}")) from None
    sep = "tab" if delimiter == "\t" else "comma"
    if not ({"front", "back"} <= set(header) or {"service", "ports"} <= set(header)):
        raise DeckError(located(path, 1, f"the header row needs `front` and `back` (or `service` and `ports`), "
                                         f"{sep}-separated; found: {', '.join(header) or 'nothing'}"))
    if len(set(header)) != len(header):
        raise DeckError(located(path, 1, "a column name appears twice in the header"))
    unknown = [h for h in header if h not in CSV_FIELDS and h not in DECK_FIELDS]
    warnings = []
    if unknown:
        shown = ", ".join(f"`{h}`" for h in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        warnings.append(located(path, 1, f"warning: unknown column{'s' if len(unknown) > 1 else ''} {shown} ignored"))
    records: list[tuple[dict[str, Any], int]] = []
    own: dict[str, str] = {}
    line = reader.line_num + 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(row) > len(header):
                    raise DeckError(located(path, line, f"{len(row)} cells but the header has {len(header)}"))
                if not records:
                    own = {c: v.strip() for c, v in zip(header, row, strict=False) if c in DECK_FIELDS and v.strip()}
                records.append((_table_row(header, row), line))
            line = reader.line_num + 1
    except csv.Error as e:
        raise DeckError(located(path, line, f"malformed {'TSV' if delimiter == chr(9) else 'CSV'}: {e}")) from None
    return deck_from_records(records, path, own.get("deck", name) if named_by_file else name,
                             title=own.get("deck_title"), description=own.get("deck_description", ""),
                             kinds=split_list(own["deck_kinds"]) if "deck_kinds" in own else None,
                             warnings=warnings)


_TAG = re.compile(r"<[^>]*>")
_SOUND = re.compile(r"\[sound:[^\]]*\]")


def html_to_text(value: str) -> str:
    """Anki fields are HTML: line breaks become spaces, tags go, entities are decoded."""
    value = re.sub(r"(?i)<br\s*/?>|</div>|</p>|</li>", " ", value)
    value = _SOUND.sub("", _TAG.sub("", value))
    return re.sub(r"\s+", " ", html.unescape(value)).strip()


ZSTD_LIMIT = 256 * 2**20  # an Anki collection inflated beyond this is refused, not read into memory


def read_apkg(path: Path, name: str | None = None) -> Deck:
    """Basic and "Basic (and reversed card)" notes of an Anki package, in any format Anki writes (the newest,
    `collection.anki21b`, is zstd-compressed), with their review history; the deck is named after the
    package's deck unless `name` is given. Media files are counted, not imported."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            inner = next((n for n in ("collection.anki21b", "collection.anki21", "collection.anki2") if n in names),
                         None)
            if inner is None:
                raise DeckError(located(path, None, "not an Anki package (no collection inside)"))
            media = _media_count(z, names)
            data = z.read(inner)
    except zipfile.BadZipFile:
        raise DeckError(located(path, None, "not an Anki package (not a zip file)")) from None
    if inner.endswith("21b"):
        data = _unzstd(path, data)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "collection.sqlite"
        target.write_bytes(data)
        package = _apkg_notes(path, target)
    warnings = []
    if media:
        warnings.append(located(path, None, f"warning: {media} media file{'s' if media != 1 else ''} ignored"))
    if package.skipped:
        warnings.append(located(path, None, f"warning: {package.skipped} note{'s' if package.skipped != 1 else ''} "
                                            "of other types (cloze, image occlusion, ...) skipped"))
    used: set[str] = set()
    records, history = [], []
    for i, note in enumerate(package.notes, 1):
        key = slug(note.front)
        if key in used:
            key = f"{key[:50]}-{slug(note.guid)[:8] or i}"
        used.add(key)
        record: dict[str, Any] = {"key": key, "front": note.front, "back": note.back, "tags": note.tags}
        if note.first and note.first != note.back:
            record["accept"] = [note.first]  # `3389<br>TCP`: the first line alone is an answer too
        if not note.reversed:
            record["kinds"] = ["front-back"]
        records.append((record, 0))
        history += [PastAnswer(key, kind, at, rating, ms) for kind, at, rating, ms in note.reviews]
    deck_name = name or slug(package.deck or path.stem)
    kinds = ["front-back", "back-front"] if any(n.reversed for n in package.notes) else ["front-back"]
    return deck_from_records(records, path, deck_name, title=package.deck or deck_name, kinds=kinds,
                             warnings=warnings, history=tuple(history))


def _unzstd(path: Path, data: bytes) -> bytes:
    """Anki 2.1.50+ packages hold a zstd-compressed collection; inflate it with a ceiling."""
    import zstandard

    try:
        out = zstandard.ZstdDecompressor().decompress(data, max_output_size=ZSTD_LIMIT)
    except zstandard.ZstdError as e:
        raise DeckError(located(path, None, f"unreadable Anki collection ({e})")) from None
    return bytes(out)


def _media_count(z: zipfile.ZipFile, names: set[str]) -> int:
    if "media" in names:
        try:
            return len(json.loads(z.read("media") or b"{}"))
        except ValueError:
            pass
    return sum(1 for n in names if n.isdigit())


@dataclass(frozen=True)
class _Note:
    guid: str
    front: str
    back: str
    tags: list[str]
    first: str  # the back's first line
    reversed: bool  # its note type asks it both ways
    reviews: list[tuple[str, datetime, int, int]]  # (kind, when, rating, milliseconds), oldest first


@dataclass(frozen=True)
class _Package:
    notes: list[_Note]
    skipped: int
    deck: str  # the deck most of the notes' cards are in


def _note_types(con: sqlite3.Connection) -> dict[int, tuple[str, int, int]]:
    """Note type id -> (name, fields, templates), from the newer tables or the older `col.models` JSON."""
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    models: dict[int, tuple[str, int, int]] = {}
    if "notetypes" in tables:
        for ntid, mname in con.execute("SELECT id, name FROM notetypes"):
            nfields = con.execute("SELECT count(*) FROM fields WHERE ntid = ?", [ntid]).fetchone()[0]
            ntempl = con.execute("SELECT count(*) FROM templates WHERE ntid = ?", [ntid]).fetchone()[0]
            models[int(ntid)] = (mname, nfields, ntempl)
    else:
        for mid, m in json.loads(con.execute("SELECT models FROM col").fetchone()[0]).items():
            models[int(mid)] = (m.get("name", ""), len(m.get("flds", [])), len(m.get("tmpls", [])))
    return models


def _deck_names(con: sqlite3.Connection) -> dict[int, str]:
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "decks" in tables:
        return {int(i): str(n).replace("\x1f", "::") for i, n in con.execute("SELECT id, name FROM decks")}
    legacy = json.loads(con.execute("SELECT decks FROM col").fetchone()[0])
    return {int(i): d.get("name", "") for i, d in legacy.items()}


def _apkg_notes(path: Path, db_file: Path) -> _Package:
    """Each Basic note with its cards' reviews (revlog), the count of notes of other types, the deck's name."""
    try:
        con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        models = _note_types(con)
        decks = _deck_names(con)
        cards: dict[int, list[tuple[int, int, int]]] = {}  # note id -> (card id, ord, deck id)
        for cid, nid, ord_, did in con.execute("SELECT id, nid, ord, did FROM cards"):
            cards.setdefault(int(nid), []).append((int(cid), int(ord_), int(did)))
        revlog: dict[int, list[tuple[datetime, int, int]]] = {}
        for rid, cid, ease, ms in con.execute("SELECT id, cid, ease, time FROM revlog WHERE ease BETWEEN 1 AND 4 "
                                               "ORDER BY id"):
            at = datetime.fromtimestamp(int(rid) / 1000, tz=timezone.utc)
            revlog.setdefault(int(cid), []).append((at, int(ease), max(int(ms), 0)))
        notes, skipped, deck_count = [], 0, Counter[str]()
        for nid, guid, mid, flds, tags in con.execute("SELECT id, guid, mid, flds, tags FROM notes ORDER BY id"):
            mname, nfields, ntempl = models.get(int(mid), ("", 0, 0))
            fields = str(flds).split("\x1f")
            is_basic = nfields >= 2 and ntempl in (1, 2) and "cloze" not in mname.lower()
            front, back = (html_to_text(fields[0]), html_to_text(fields[1])) if len(fields) >= 2 else ("", "")
            if not is_basic or not front or not back:
                skipped += 1
                continue
            first = html_to_text(re.split(r"(?i)<br\s*/?>|</div>|</p>|</li>|\n", fields[1])[0])
            its_cards = cards.get(int(nid), [])
            deck_count.update(decks.get(did, "") for _, _, did in its_cards)
            reviews = sorted((("back-front" if ord_ == 1 else "front-back", at, ease, ms)
                              for cid, ord_, _ in its_cards for at, ease, ms in revlog.get(cid, [])),
                             key=lambda r: r[1])
            notes.append(_Note(str(guid), front, back, [t for t in str(tags).split() if t], first,
                               ntempl == 2 and any(o == 1 for _, o, _ in its_cards), reviews))
        con.close()
    except (sqlite3.DatabaseError, ValueError, TypeError) as e:
        raise DeckError(located(path, None, f"unreadable Anki collection ({e})")) from None
    deck = next((d for d, _ in deck_count.most_common() if d and d != "Default"), "")
    return _Package(notes, skipped, deck)
