"""Deck format v1: load and validate YAML decks (errors name file and line), and dump them back."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from trainer.errors import DeckError, located

FORMAT = 1
MAX_BYTES = 20 * 1024 * 1024
MAX_FACT_PORTS = 1024  # ports in one fact; a range to 65535 in a 5 KB deck once took gigabytes
MAX_DECK_PORTS = 200_000  # ports in a whole deck (the registry deck has 6,373)


class Kind(str, Enum):
    """A kind of question; its value is what decks and card ids spell (`exam/imap/service-port`)."""

    SERVICE_PORT = "service-port"
    PORT_SERVICE = "port-service"
    TRANSPORT = "transport"
    RANGE = "range"
    SECURE = "secure"
    SERVICE_NUMBER = "service-number"
    NUMBER_SERVICE = "number-service"
    FRONT_BACK = "front-back"
    BACK_FRONT = "back-front"

    def __str__(self) -> str:  # in f-strings and card ids, the spelling: `service-port`
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


PORT_KINDS = (Kind.SERVICE_PORT, Kind.PORT_SERVICE, Kind.TRANSPORT, Kind.RANGE, Kind.SECURE)
NUMBER_KINDS = (Kind.SERVICE_NUMBER, Kind.NUMBER_SERVICE)  # IP protocol numbers, ICMP types and codes
GENERIC_KINDS = (Kind.FRONT_BACK, Kind.BACK_FRONT)
KINDS = PORT_KINDS + NUMBER_KINDS + GENERIC_KINDS
# What a fact's `number` numbers (IANA registries other than ports), with the range of its values.
NUMBERINGS = {"ip-protocol": 255, "icmp-type": 255, "icmp-unreachable-code": 255}
DEFAULT_PORT_KINDS = (Kind.SERVICE_PORT, Kind.PORT_SERVICE)
TRANSPORTS = ("tcp", "udp", "both")
_TRANSPORT = {t: t for t in TRANSPORTS}
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}", re.ASCII)  # matched whole (fullmatch): no trailing newline
_DECK_FIELDS = {"format", "name", "title", "description", "kinds", "facts"}
_FACT_FIELDS = {
    "key", "service", "aliases", "ports", "transport", "registry", "description", "note",
    "secure", "front", "back", "accept", "tags", "accept_ports", "accept_transport", "source", "kinds",
    "number", "numbering",
}


@dataclass(frozen=True, slots=True)  # slots: a deck of 60,000 facts is 4 MB smaller
class Fact:
    """One thing to learn: a port fact (service, ports, transport) or a generic front/back."""

    key: str
    service: str | None = None
    aliases: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()
    transport: str | None = None
    registry: str | None = None
    description: str = ""
    note: str = ""
    secure: tuple[str, ...] = ()
    front: str | None = None
    back: str | None = None
    accept: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    accept_ports: tuple[tuple[int, ...], ...] = ()  # other port sets a study guide gives (SQL Server: 1433, 1434)
    accept_transport: tuple[str, ...] = ()  # other transports a study guide gives (LDAP: both)
    source: str = ""  # where the fact comes from: an exam objective's row, a study list, an RFC
    kinds: tuple[str, ...] = ()  # only these of the deck's question kinds (an Anki note that is not reversed)
    number: int | None = None  # a numbered fact: IP protocol 47, ICMP type 8 (see `numbering`)
    numbering: str | None = None  # which registry numbers it: a key of NUMBERINGS
    line: int = field(default=0, compare=False)

    @property
    def is_port(self) -> bool:
        return self.service is not None and self.number is None

    @property
    def is_number(self) -> bool:
        return self.number is not None

    def to_dict(self) -> dict[str, Any]:
        """Only the fields that are set, in a fixed order, so dumps are stable and diffable."""
        out: dict[str, Any] = {"key": self.key}
        for name in ("service", "aliases", "number", "numbering", "ports", "transport", "accept_transport",
                     "accept_ports", "registry", "secure", "front", "back", "accept", "description", "note", "source",
                     "tags", "kinds"):
            value = getattr(self, name)
            if value not in (None, "", ()):
                out[name] = list(value) if isinstance(value, tuple) else value
        if self.ports:
            out["ports"] = compact_ports(self.ports)
        if self.accept_ports:
            out["accept_ports"] = [compact_ports(p) for p in self.accept_ports]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Fact:
        kw: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in _FACT_FIELDS}
        if "ports" in d:
            kw["ports"] = parse_ports(d["ports"])
        if "accept_ports" in d:
            kw["accept_ports"] = tuple(parse_ports(p) for p in d["accept_ports"])
        if isinstance(kw.get("secure"), str):
            kw["secure"] = (kw["secure"],)
        return cls(**kw)


@dataclass(frozen=True)
class PastAnswer:
    """An answer given to one of a deck's cards elsewhere (an Anki review), brought along as history."""

    fact_key: str
    kind: str
    at: datetime
    rating: int
    duration_ms: int


@dataclass(frozen=True)
class Deck:
    name: str
    title: str
    facts: tuple[Fact, ...]
    kinds: tuple[str, ...] = DEFAULT_PORT_KINDS
    description: str = ""
    source: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)
    history: tuple[PastAnswer, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {**self.header(), "facts": [f.to_dict() for f in self.facts]}

    def header(self) -> dict[str, Any]:
        """The deck's own fields, as a deck file writes them before its facts."""
        return {"format": FORMAT, "name": self.name, "title": self.title, "description": self.description,
                "kinds": [Kind(k).value for k in self.kinds]}


def transport_list(transport: str | None) -> tuple[str, ...]:
    """`both` means a fact holds on tcp and on udp; no transport means tcp."""
    return ("tcp", "udp") if transport == "both" else (transport or "tcp",)


def transports_of(fact: Fact) -> tuple[str, ...]:
    """Every transport a port answer for `fact` may name: its own and those study guides also give."""
    named = [t for tr in (fact.transport, *fact.accept_transport) for t in transport_list(tr)]
    return tuple(dict.fromkeys(named))


def slug(text: str) -> str:
    """A stable key from free text, so a fact without `key` keeps its id across edits of other fields."""
    s = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return s[:60] or "fact"


def load_deck(path: str | Path) -> Deck:
    """Read and validate a deck; any problem raises DeckError `FILE:LINE: message`. A bundled deck's file (by
    its content, wherever it lies) is read from the JSON prebuilt beside the bundled decks."""
    from trainer import prebuilt
    from trainer.gc_pause import paused
    from trainer.paths import bundled_decks_dir

    path = Path(path)
    with paused():
        deck = prebuilt.load(path, bundled_decks_dir())
        return deck if deck is not None else parse_deck(read_text(path), path)


def read_text(path: Path) -> str:
    """A deck file's text, or DeckError naming what makes it no text file (size, encoding, a NUL byte and its line)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DeckError(located(path, None, f"file is {size // 2**20} MB; decks are limited to 20 MB"))
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DeckError(located(path, None, f"not UTF-8 text (byte {e.start})")) from None
    except OSError as e:
        raise DeckError(located(path, None, e.strerror or str(e))) from None
    nul = text.find("\0")
    if nul >= 0:
        raise DeckError(located(path, text.count("\n", 0, nul) + 1, "a NUL byte: this is not a text file"))
    return text


def parse_deck(text: str, path: str | Path = "<deck>") -> Deck:
    """A deck from YAML text. Plain YAML (most decks) is read by yaml_subset, ten times faster than PyYAML builds
    its nodes; a file it gives up on, and any deck with an error or a warning, is read by PyYAML, whose nodes
    give every message its FILE:LINE."""
    from trainer.gc_pause import paused

    with paused():
        return _parse_plain(text, path) or _parse_yaml(text, path)


def _parse_plain(text: str, path: str | Path) -> Deck | None:
    """The deck if yaml_subset reads the text and the deck is valid and without warnings, else None. Each fact
    is made as soon as it is read."""
    from trainer import yaml_subset

    path = Path(path)
    warnings: list[str] = []
    made = _Facts(path, warnings)
    try:
        read = yaml_subset.read(text, _DECK_FIELDS, _FACT_FIELDS, made.add)
        if read is None:
            return None
        data = read[0]
        name, title, description = _header(data, 0, path, warnings)
        facts = data.get("facts")
        if not isinstance(facts, list) or not facts or len(facts) != len(made.facts) or warnings:
            return None
        return _finish(name, title, description, made, data.get("kinds"), 0)
    except DeckError:
        return None


def _parse_yaml(text: str, path: str | Path) -> Deck:
    import yaml

    Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise DeckError(located(path, None, "empty file: a deck needs `facts:`"))
        _refuse_aliases(node, path)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise DeckError(located(path, mark.line + 1 if mark else None,
                                f"not valid YAML: {e.problem or e.context}")) from None
    except yaml.YAMLError as e:
        raise DeckError(located(path, None, f"not valid YAML: {e}")) from None
    finally:
        loader.dispose()
    return _validate(data, node, Path(path))


_INT_TAG = "tag:yaml.org,2002:int"
_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,8})", re.ASCII)


def _refuse_aliases(root: Any, path: str | Path) -> None:
    """Anchors and aliases are refused (they are how 'billion laughs' files blow up memory), and so are
    duplicate keys, and integers YAML 1.1 reads in another base (`017` is 15, `0x50` and `1:20` are 80) or
    at a length whose conversion takes quadratic time: checked before anything is constructed."""
    import yaml

    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise DeckError(located(path, node.start_mark.line + 1,
                                    "YAML anchors and aliases are not allowed in decks"))
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[Any, int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in keys:  # PyYAML would silently keep the last one
                        raise DeckError(located(path, k.start_mark.line + 1,
                                                f"`{k.value}` appears twice in this mapping "
                                                f"(first at line {keys[k.value]})"))
                    keys[k.value] = k.start_mark.line + 1
                stack.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.ScalarNode) and node.tag == _INT_TAG and not _PLAIN_INT.fullmatch(node.value):
            raise DeckError(located(path, node.start_mark.line + 1,
                                    f"`{node.value[:20]}{'...' if len(node.value) > 20 else ''}` is not a plain "
                                    "decimal number of up to 9 digits (YAML reads 017 as octal 15, 0x50 and 1:20 "
                                    "as 80): write 443, or quote it as text"))


def _line_of(node: Any, key: str | None = None) -> int:
    """1-based line of a mapping node, or of one of its keys; a plain int is already a line."""
    if isinstance(node, int):
        return node
    if key is not None and hasattr(node, "value") and isinstance(node.value, list):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return v.start_mark.line + 1
    return node.start_mark.line + 1


def _validate(data: Any, node: Any, path: Path) -> Deck:
    """The deck `data` describes; `node` is its YAML node, for the lines of messages."""
    warnings: list[str] = []
    name, title, description = _header(data, node, path, warnings)
    facts_node = next((v for k, v in node.value if getattr(k, "value", None) == "facts"), None)
    raw_facts = data.get("facts")
    if not isinstance(raw_facts, list) or not raw_facts:
        raise DeckError(located(path, _line_of(node, "facts" if facts_node else None),
                                "facts: a deck needs a non-empty list of facts"))
    kinds_at = _line_of(node, "kinds") if "kinds" in data else _line_of(node)
    fact_nodes = facts_node.value if facts_node is not None else []
    return _assemble(name, title, description, list(zip(raw_facts, fact_nodes, strict=False)), data.get("kinds"),
                     kinds_at, path, warnings)


def _header(data: Any, node: Any, path: Path, warnings: list[str]) -> tuple[str, str, str]:
    """A deck file's own fields, checked: its name, title and description. `node` is the file's YAML node, or
    0 when yaml_subset read it (its messages are never shown)."""
    if not isinstance(data, dict):
        raise DeckError(located(path, _line_of(node), "a deck is a mapping with `facts:`"))

    def err(n: Any, key: str | None, message: str) -> DeckError:
        return DeckError(located(path, _line_of(n, key), message))

    for name in sorted(set(map(str, data)) - _DECK_FIELDS):
        warnings.append(located(path, _line_of(node, name), f"warning: unknown field `{name}` ignored "
                                                            f"(known: {', '.join(sorted(_DECK_FIELDS))})"))
    fmt = data.get("format", FORMAT)
    if type(fmt) is not int or fmt != FORMAT:  # `format: true` is not 1
        raise err(node, "format", f"format: {fmt!r} is not supported (this trainer reads format {FORMAT})")
    name = data.get("name", slug(path.stem))
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise err(node, "name", f"name: {name!r} must be lower-case letters, digits, '-', '_' or '.'")
    title = data.get("title", name)
    if not isinstance(title, str):
        raise err(node, "title", "title: must be text")
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise err(node, "description", "description: must be text")
    return name, title, description


def check_name(name: str, path: str | Path) -> None:
    """A deck's name is an id in card ids and commands: plain lower-case ASCII, nothing to hide a newline."""
    if not _NAME.fullmatch(name):
        raise DeckError(located(Path(path), None, f"deck name {name!r} must be lower-case letters, digits, '-', '_' "
                                                  "or '.' (up to 64)"))


def deck_from_records(records: list[tuple[dict[str, Any], int]], path: str | Path, name: str,
                      title: str | None = None, kinds: list[str] | None = None,
                      warnings: list[str] | None = None, history: tuple[PastAnswer, ...] = (),
                      description: str = "") -> Deck:
    """A deck from rows read elsewhere (CSV, Anki): each a fact mapping and its line, validated as YAML facts are."""
    from dataclasses import replace

    path = Path(path)
    check_name(name, path)
    if not records:
        why = [w.split("warning: ", 1)[-1] for w in (warnings or []) if "skipped" in w]
        raise DeckError(located(path, None, "no facts found" + (f" ({'; '.join(why)})" if why else "")))
    deck = _assemble(name, title or name, description, records, kinds, 1, path, list(warnings or []))
    return replace(deck, history=history) if history else deck


def _assemble(name: str, title: str, description: str, records: list[tuple[Any, Any]], raw_kinds: Any,
              kinds_at: int, path: Path, warnings: list[str]) -> Deck:
    """Validate facts (unique keys), kinds and cross-references; shared by every deck reader."""
    made = _Facts(path, warnings)
    for raw, fnode in records:
        made.add(raw, fnode)
    return _finish(name, title, description, made, raw_kinds, kinds_at)


class _Facts:
    """A deck's facts, made one at a time (yaml_subset makes each as soon as it has read it), keys unique."""

    def __init__(self, path: Path, warnings: list[str]) -> None:
        self.path = path
        self.warnings = warnings
        self.facts: list[Fact] = []
        self.where: list[Any] = []  # each fact's YAML node, or its line
        self.keys: dict[str, int] = {}

    def add(self, raw: Any, fnode: Any) -> Fact:
        i = len(self.facts)
        fact = _fact(raw, fnode, i, self.warnings, self.path)
        if fact.key in self.keys:
            key = "key" if isinstance(raw, dict) and "key" in raw else None
            raise DeckError(located(self.path, _line_of(fnode, key),
                                    f"facts[{i}]: duplicate key `{fact.key}` (first at line {self.keys[fact.key]})"))
        self.keys[fact.key] = fact.line
        self.facts.append(fact)
        self.where.append(fnode)
        return fact


def _finish(name: str, title: str, description: str, made: _Facts, raw_kinds: Any, kinds_at: int) -> Deck:
    """The deck of facts made: its question kinds, and the checks that need every fact."""
    facts, path = made.facts, made.path
    default_kinds = ((DEFAULT_PORT_KINDS if any(f.is_port for f in facts) else ())
                     + ((Kind.FRONT_BACK,) if any(not f.is_port for f in facts) else ()))
    raw_kinds = default_kinds if raw_kinds is None else raw_kinds
    if not isinstance(raw_kinds, (list, tuple)) or not raw_kinds or not all(k in KINDS for k in raw_kinds):
        raise DeckError(located(path, kinds_at, f"kinds: must be a list drawn from {', '.join(KINDS)}"))
    kinds = tuple(dict.fromkeys(Kind(k) for k in raw_kinds))
    total = sum(len(f.ports) + sum(len(a) for a in f.accept_ports) for f in facts)
    if total > MAX_DECK_PORTS:
        raise DeckError(located(path, None, f"{total} ports in all: decks are limited to {MAX_DECK_PORTS}"))
    for f, fnode in zip(facts, made.where, strict=True):
        for k in f.secure:
            if k not in made.keys:
                raise DeckError(located(path, _line_of(fnode, "secure"),
                                        f"secure: `{k}` is not the key of a fact in this deck"))
    return Deck(name=name, title=title, description=description, kinds=kinds,
                facts=tuple(facts), source=str(path), warnings=tuple(made.warnings))


def _text_list(value: Any, what: str, fail: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        raise fail(what, f"{what}: must be text or a list of text")
    return tuple(str(v).strip() for v in value if str(v).strip())


def compact_ports(ports: tuple[int, ...]) -> list[int | str]:
    """[6000, ..., 6063] -> ["6000-6063"]: runs of three or more become a range, as people write them."""
    out: list[int | str] = []
    i = 0
    while i < len(ports):
        j = i
        while j + 1 < len(ports) and ports[j + 1] == ports[j] + 1:
            j += 1
        if j - i >= 2:
            out.append(f"{ports[i]}-{ports[j]}")
        else:
            out.extend(ports[i : j + 1])
        i = j + 1
    return out


def parse_ports(value: Any) -> tuple[int, ...]:
    """`443`, `"20-21"`, `[20, 21]`, `"137-139"` -> sorted unique ports; ValueError says what is wrong."""
    items = value if isinstance(value, list) else [value]
    ports: set[int] = set()
    for item in items:
        if isinstance(item, bool):
            raise ValueError(f"{item!r} is not a port")
        if isinstance(item, int):
            lo = hi = item
        elif isinstance(item, str) and re.fullmatch(r"\s*(?:0|[1-9][0-9]{0,4})\s*(-\s*(?:0|[1-9][0-9]{0,4})\s*)?",
                                                    item, re.ASCII):  # `𝟠𝟘` and `017` are not 80 and 17
            a, _, b = item.partition("-")
            lo, hi = int(a), int(b or a)
        else:
            raise ValueError(f"{item!r} is not a port")
        for p in (lo, hi):
            if not 0 <= p <= 65535:
                raise ValueError(f"{p} is not a port (0-65535)")
        if lo > hi:
            raise ValueError(f"{item!r}: range runs backwards")
        if hi - lo + 1 + len(ports) > MAX_FACT_PORTS:
            raise ValueError(f"more than {MAX_FACT_PORTS} ports: no one service holds that many (IANA's widest "
                             "is 64)")
        ports.update(range(lo, hi + 1))
    if not ports:
        raise ValueError("no port given")
    return tuple(sorted(ports))


def _fact(raw: Any, fnode: Any, i: int, warnings: list[str], path: Path) -> Fact:
    """One fact; `fnode` is its YAML node, or the line number of a row from another format."""
    where = f"facts[{i}]"
    if not isinstance(raw, dict):
        raise DeckError(located(path, _line_of(fnode), f"{where}: a fact is a mapping (service/ports or front/back)"))

    def fail(key: str | None, message: str) -> DeckError:
        return DeckError(located(path, _line_of(fnode, key), f"{where}.{message}" if key else f"{where}: {message}"))

    if not raw.keys() <= _FACT_FIELDS:
        warnings += _unknown_fields(raw, fnode, where, path)

    def text(key: str, required: bool = False) -> str | None:
        v = raw.get(key)
        if v is None:
            if required:
                raise fail(None, f"`{key}` is required")
            return None
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise fail(key, f"{key}: must be text")
        v = str(v).strip()
        if required and not v:
            raise fail(key, f"{key}: must not be empty")
        return v or None

    fields: dict[str, Any]
    if "number" in raw or "numbering" in raw:
        fields = _number_fields(raw, text, fail)
        key = text("key") or slug(fields["service"] or "")
    elif "service" in raw or "ports" in raw:
        fields = _port_fields(raw, text, fail)
        key = text("key") or slug(fields["service"] or "")
    else:
        fields = {"front": text("front", required=True), "back": text("back", required=True),
                  "accept": _text_list(raw.get("accept"), "accept", fail)}
        key = text("key") or slug(fields["front"] or "")
    if "/" in key:
        raise fail("key", f"key: {key!r} must not contain '/'")
    return Fact(key=key, **_common_fields(raw, text, fail), line=_line_of(fnode), **fields)


def _unknown_fields(raw: dict[Any, Any], fnode: Any, where: str, path: Path) -> list[str]:
    """A warning for each field of a fact this trainer does not know (a typo, or a newer trainer's)."""
    return [located(path, _line_of(fnode, name), f"warning: {where}.{name}: unknown field ignored "
                                                 f"(known: {', '.join(sorted(_FACT_FIELDS))})")
            for name in sorted(set(map(str, raw)) - _FACT_FIELDS)]


def _common_fields(raw: dict[str, Any], text: Callable[..., str | None],
                   fail: Callable[[str | None, str], DeckError]) -> dict[str, Any]:
    """The fields any fact may set; those it leaves out are not looked at (most facts set a few)."""
    absent = _FACT_FIELDS.difference(raw)
    return {
        "aliases": () if "aliases" in absent else _text_list(raw["aliases"], "aliases", fail),
        "registry": None if "registry" in absent else text("registry"),
        "description": "" if "description" in absent else text("description") or "",
        "note": "" if "note" in absent else text("note") or "",
        "secure": () if "secure" in absent else _text_list(raw["secure"], "secure", fail),
        "tags": () if "tags" in absent else _text_list(raw["tags"], "tags", fail),
        "source": "" if "source" in absent else text("source") or "",
        "kinds": () if "kinds" in absent else _fact_kinds(raw, fail),
    }


def _fact_kinds(raw: dict[str, Any], fail: Callable[[str | None, str], DeckError]) -> tuple[str, ...]:
    kinds = _text_list(raw.get("kinds"), "kinds", fail)
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise fail("kinds", f"kinds: {bad[0]!r} is not one of {', '.join(KINDS)}")
    return tuple(Kind(k).value for k in kinds)


def _port_fields(raw: dict[str, Any], text: Callable[..., str | None], fail: Callable[[str | None, str], DeckError],
                 ) -> dict[str, Any]:
    """The fields only a port fact has: service, ports, transport, and the alternatives study guides give."""
    if "front" in raw or "back" in raw:
        raise fail("front" if "front" in raw else "back",
                   "front/back: a fact is either a port fact (service, ports) or front/back, not both")
    service = text("service", required=True)
    if "ports" not in raw:
        raise fail(None, "`ports` is required for a port fact")
    try:
        ports = parse_ports(raw["ports"])
    except ValueError as e:
        raise fail("ports", f"ports: {e}") from None
    transports = [(text("transport") or "tcp").lower()]
    transports += [t.lower() for t in _text_list(raw.get("accept_transport"), "accept_transport", fail)]
    for i, t in enumerate(transports):
        if t not in TRANSPORTS:
            field_name = "transport" if i == 0 else "accept_transport"
            raise fail(field_name, f"{field_name}: {t!r} must be tcp, udp or both")
        transports[i] = _TRANSPORT[t]  # one string for every fact's `tcp`, not one each
    raw_sets = raw.get("accept_ports") or []
    if not isinstance(raw_sets, list):
        raise fail("accept_ports", "accept_ports: must be a list of port lists, e.g. [[1433, 1434]]")
    try:
        accept_ports = tuple(parse_ports(p) for p in raw_sets)
    except ValueError as e:
        raise fail("accept_ports", f"accept_ports: {e}") from None
    return {"service": service, "ports": ports, "transport": transports[0],
            "accept_transport": tuple(transports[1:]), "accept_ports": accept_ports}


def _number_fields(raw: dict[str, Any], text: Callable[..., str | None],
                   fail: Callable[[str | None, str], DeckError]) -> dict[str, Any]:
    """A numbered fact: a name and the number a registry gives it (`{service: GRE, number: 47, numbering:
    ip-protocol}`)."""
    for other in ("ports", "transport", "front", "back", "accept_ports", "accept_transport"):
        if other in raw:
            raise fail(other, f"{other}: a numbered fact (number, numbering) has no {other}")
    service = text("service", required=True)
    numbering = text("numbering")
    if numbering not in NUMBERINGS:
        raise fail("numbering", f"numbering: must be one of {', '.join(NUMBERINGS)}")
    number = raw.get("number")
    if type(number) is not int or not 0 <= number <= NUMBERINGS[numbering]:
        raise fail("number", f"number: {number!r} must be a whole number from 0 to {NUMBERINGS[numbering]}")
    return {"service": service, "number": number, "numbering": numbering}


def dump_deck(deck: Deck) -> str:
    """YAML text of a deck; deterministic so that generated decks rebuild byte for byte."""
    import yaml

    Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(deck.to_dict(), Dumper=Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=None, width=100)
