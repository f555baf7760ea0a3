"""Any file a learner imports becomes a Deck: YAML, CSV/TSV, /etc/services files, Anki .apkg packages."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.deck import MAX_BYTES, Deck, PastAnswer, check_name, deck_from_records, load_deck, read_text, slug
from trainer.errors import DeckError, located

if TYPE_CHECKING:  # the readers of CSV and Anki packages import what they use: a YAML import needs none of it
    import zipfile

YAML_SUFFIXES = {".yaml", ".yml"}
LIST_FIELDS = {"aliases", "accept", "tags", "secure", "accept_transport", "kinds"}
CSV_FIELDS = ("key", "front", "back", "accept", "service", "aliases", "number", "numbering", "ports", "transport",
              "accept_transport", "accept_ports", "registry", "secure", "description", "note", "source", "tags",
              "kinds")
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
        elif col == "number":  # a numbered fact's number: plain ASCII decimal, as a YAML deck's must be
            fact[col] = int(cell) if cell.isascii() and cell.isdigit() and len(cell) <= 9 else cell
        elif col == "accept_ports":  # `1433,1434|139,445`: sets apart with `|`
            fact[col] = [[p for p in re.split(r"[,;\s]+", s) if p] for s in split_list(cell)]
        else:
            fact[col] = cell
    return fact


def read_table(path: Path, name: str, delimiter: str, named_by_file: bool = True) -> Deck:
    """CSV or TSV with a header row: `front,back` plus optional `accept,note,tags` (lists split on `|`),
    or port facts with `service,ports` and the YAML fields."""
    import csv
    import io

    text = read_text(path)
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
    import html

    value = re.sub(r"(?i)<br\s*/?>|</div>|</p>|</li>", " ", value)
    value = _SOUND.sub("", _TAG.sub("", value))
    return re.sub(r"\s+", " ", html.unescape(value)).strip()


ZSTD_LIMIT = 256 * 2**20  # an Anki collection inflated beyond this is refused, not read into memory
MEDIA_LIMIT = 16 * 2**20  # the `media` list of a package
SQL_STEPS = 400_000_000  # SQLite steps reading a collection may take (a recursive view would never end)
FIELD_LIMIT = 64 * 1024  # characters in a note's field: longer notes are skipped, not shown on a card
MAX_NOTES = 100_000  # notes in one package (a 4 MB package of a million notes took 45 s and 1.5 GB)
MAX_REVIEWS = 1_000_000  # reviews in one package's history (three million took 140 s and 3.6 GB)
_APKG_ERRORS = (sqlite3.DatabaseError, ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError,
                RecursionError, OSError)


def read_apkg(path: Path, name: str | None = None) -> Deck:
    """Basic and "Basic (and reversed card)" notes of an Anki package, in any format Anki writes (the newest,
    `collection.anki21b`, is zstd-compressed), with their review history; the deck is named after the
    package's deck unless `name` is given. Media files are counted, not imported. A package is untrusted:
    sizes are capped before anything is inflated, and reading the collection has a step budget."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "collection.sqlite"
        media = _extract_collection(path, target)
        package = _apkg_notes(path, target)
    warnings = []
    if media:
        warnings.append(located(path, None, f"warning: {media} media file{'s' if media != 1 else ''} ignored"))
    if package.skipped:
        warnings.append(located(path, None, f"warning: {package.skipped} note{'s' if package.skipped != 1 else ''} "
                                            "of other types (cloze, image occlusion, ...) skipped"))
    if package.too_long:
        warnings.append(located(path, None, f"warning: {package.too_long} note{'s' if package.too_long != 1 else ''} "
                                            f"with a field over {FIELD_LIMIT // 1024} KB skipped"))
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


def _extract_collection(path: Path, target: Path) -> int:
    """Write the package's collection to `target`, inflating at most ZSTD_LIMIT bytes whatever the zip claims;
    returns the number of media files."""
    import zipfile
    import zlib

    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            inner = next((n for n in ("collection.anki21b", "collection.anki21", "collection.anki2") if n in names),
                         None)
            if inner is None:
                raise DeckError(located(path, None, "not an Anki package (no collection inside)"))
            media = _media_count(z, names)
            if z.getinfo(inner).file_size > ZSTD_LIMIT:
                raise DeckError(located(path, None, f"the collection inflates to over {ZSTD_LIMIT // 2**20} MB"))
            with z.open(inner) as member, target.open("wb") as out:
                if inner.endswith("21b"):
                    _unzstd(path, member, out)
                else:
                    _copy_capped(path, member, out)
    except zipfile.BadZipFile as e:
        raise DeckError(located(path, None, f"not a readable Anki package (a damaged or foreign zip file: {e})")
                        ) from None
    except (RuntimeError, NotImplementedError) as e:  # an encrypted member; a compression zipfile does not know
        raise DeckError(located(path, None, f"unreadable Anki package ({e})")) from None
    except (zlib.error, EOFError, OSError) as e:
        raise DeckError(located(path, None, f"unreadable Anki package (damaged data: {e})")) from None
    return media


def _copy_capped(path: Path, source: Any, out: Any) -> None:
    total = 0
    while chunk := source.read(1 << 20):
        total += len(chunk)
        if total > ZSTD_LIMIT:
            raise DeckError(located(path, None, f"the collection inflates to over {ZSTD_LIMIT // 2**20} MB"))
        out.write(chunk)


def _unzstd(path: Path, source: Any, out: Any) -> None:
    """Anki 2.1.50+ packages hold a zstd-compressed collection; inflate it as a stream, with a ceiling."""
    import zstandard

    try:
        reader = zstandard.ZstdDecompressor().stream_reader(source)
        _copy_capped(path, reader, out)
    except zstandard.ZstdError as e:
        raise DeckError(located(path, None, f"unreadable Anki collection ({e})")) from None


def _media_count(z: zipfile.ZipFile, names: set[str]) -> int:
    """How many media files the package holds (only counted): its `media` list when that is sound, else the
    numbered members."""
    import zlib

    if "media" in names and z.getinfo("media").file_size <= MEDIA_LIMIT:
        try:
            listed = json.loads(z.read("media") or b"{}")
            if isinstance(listed, (dict, list)):
                return len(listed)
        except (ValueError, RecursionError, RuntimeError, NotImplementedError, zlib.error):
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
    too_long: int = 0


def _tables(con: sqlite3.Connection) -> set[str]:
    """The collection's tables; a view standing where Anki has a table is never read (it may never end)."""
    kinds = {str(n).casefold(): t for n, t in con.execute(
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')").fetchall()}  # SQL ignores case
    views = sorted(n for n, t in kinds.items() if t == "view" and n in _ANKI_TABLES)
    if views:
        raise ValueError(f"`{views[0]}` is a view, not Anki's table")
    tables = {n for n, t in kinds.items() if t == "table"}
    for table, limit in (("notes", MAX_NOTES), ("revlog", MAX_REVIEWS)):
        if table in tables and con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > limit:
            raise ValueError(f"more than {limit:,} {'notes' if table == 'notes' else 'reviews'}: "
                             "split the deck in Anki first")
    return tables


_ANKI_TABLES = {"col", "notes", "cards", "revlog", "notetypes", "fields", "templates", "decks"}


def _json_object(text: Any, what: str) -> dict[str, Any]:
    value = json.loads(text if isinstance(text, (str, bytes)) else "null")
    if not isinstance(value, dict):
        raise ValueError(f"`col.{what}` is not a JSON object")
    return value


def _note_types(con: sqlite3.Connection, tables: set[str]) -> dict[int, tuple[str, int, int]]:
    """Note type id -> (name, fields, templates), from the newer tables or the older `col.models` JSON."""
    models: dict[int, tuple[str, int, int]] = {}
    if "notetypes" in tables:
        fields = dict(con.execute("SELECT ntid, count(*) FROM fields GROUP BY ntid").fetchall())
        templates = dict(con.execute("SELECT ntid, count(*) FROM templates GROUP BY ntid").fetchall())
        for ntid, mname in con.execute("SELECT id, name FROM notetypes"):
            models[int(ntid)] = (str(mname or ""), int(fields.get(ntid, 0)), int(templates.get(ntid, 0)))
    else:
        for mid, m in _json_object(con.execute("SELECT models FROM col").fetchone()[0], "models").items():
            m = m if isinstance(m, dict) else {}
            flds, tmpls = m.get("flds"), m.get("tmpls")
            models[int(mid)] = (str(m.get("name") or ""), len(flds) if isinstance(flds, list) else 0,
                                len(tmpls) if isinstance(tmpls, list) else 0)
    return models


def _deck_names(con: sqlite3.Connection, tables: set[str]) -> dict[int, str]:
    if "decks" in tables:
        return {int(i): str(n).replace("\x1f", "::") for i, n in con.execute("SELECT id, name FROM decks")}
    legacy = _json_object(con.execute("SELECT decks FROM col").fetchone()[0], "decks")
    return {int(i): str(d.get("name") or "") if isinstance(d, dict) else "" for i, d in legacy.items()}


def _apkg_notes(path: Path, db_file: Path) -> _Package:
    """Each Basic note with its cards' reviews (revlog), the count of notes of other types, the deck's name."""
    from collections import Counter

    steps = [0]

    def budget() -> int:  # called every 10,000 SQLite steps: a non-zero return stops the query
        steps[0] += 10_000
        return int(steps[0] > SQL_STEPS)

    con = None
    try:
        from trainer.db import uri

        con = sqlite3.connect(uri(db_file, "mode=ro"), uri=True)
        con.set_progress_handler(budget, 10_000)
        if hasattr(con, "setlimit"):  # Python 3.11+: no value longer than 4 MB is read
            con.setlimit(getattr(sqlite3, "SQLITE_LIMIT_LENGTH"), 4 * 2**20)  # noqa: B009
        tables = _tables(con)
        models = _note_types(con, tables)
        decks = _deck_names(con, tables)
        cards: dict[int, list[tuple[int, int, int]]] = {}  # note id -> (card id, ord, deck id)
        for cid, nid, ord_, did in con.execute("SELECT id, nid, ord, did FROM cards"):
            cards.setdefault(int(nid), []).append((int(cid), int(ord_), int(did)))
        revlog: dict[int, list[tuple[datetime, int, int]]] = {}
        for rid, cid, ease, ms in con.execute(  # reviews dated in 1990-2999 only: year 1 or 9999 broke the dates
                "SELECT id, cid, ease, time FROM revlog WHERE ease BETWEEN 1 AND 4 AND typeof(id) = 'integer' "
                "AND id BETWEEN 631152000000 AND 32503593600000 ORDER BY id"):
            at = datetime.fromtimestamp(int(rid) / 1000, tz=timezone.utc)
            revlog.setdefault(int(cid), []).append((at, int(ease), max(int(ms), 0)))
        notes, skipped, too_long, deck_count = [], 0, 0, Counter[str]()
        for nid, guid, mid, flds, tags in con.execute("SELECT id, guid, mid, flds, tags FROM notes ORDER BY id"):
            mname, nfields, ntempl = models.get(int(mid), ("", 0, 0))
            fields = str(flds).split("\x1f")
            is_basic = nfields >= 2 and ntempl in (1, 2) and "cloze" not in mname.lower()
            if len(fields) >= 2 and max(len(fields[0]), len(fields[1])) > FIELD_LIMIT:
                too_long += 1
                continue
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
    except sqlite3.OperationalError as e:
        if steps[0] > SQL_STEPS:
            raise DeckError(located(path, None, "unreadable Anki collection (reading it never ends: a recursive "
                                                "view or a huge table)")) from None
        raise DeckError(located(path, None, f"unreadable Anki collection ({e})")) from None
    except _APKG_ERRORS as e:
        raise DeckError(located(path, None, f"unreadable Anki collection ({type(e).__name__}: "
                                            f"{str(e)[:200]})")) from None
    finally:
        if con is not None:
            con.close()
    deck = next((d for d, _ in deck_count.most_common() if d and d != "Default"), "")
    return _Package(notes, skipped, deck, too_long)
