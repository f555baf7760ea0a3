"""`trainer lookup`: answer from the bundled registry decks (ports via a JSON digest of the 6,000-fact deck, fast;
IP protocol numbers and ICMP types and codes from their small decks), each hit labelled with its registry."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from trainer.deck import transport_list

_PORT = re.compile(r"([0-9]{1,5})(?:/(tcp|udp))?", re.IGNORECASE | re.ASCII)  # `²` is not a port


# the registries a hit can come from, as `--json` names them, and the heading text shows over each group
REGISTRIES = {
    "port": "Ports (IANA Service Name and Transport Protocol Port Number Registry)",
    "ip-protocol": "IP protocol numbers (IANA Assigned Internet Protocol Numbers)",
    "icmp-type": "ICMP types (IANA ICMP Parameters)",
    "icmp-unreachable-code": "ICMP Destination Unreachable (type 3) codes (IANA ICMP Parameters)",
}
NUMBER_DECKS = ("protocols", "icmp")  # the bundled decks that hold the numbered registries
_WHICH = {"ip-protocol": "IP protocol", "icmp-type": "ICMP type", "icmp-unreachable-code": "ICMP code"}
# `protocol 50`, `IP protocol 50`, `proto 50`; `icmp 8`, `icmp type 8`, `type 8`; `code 3`, `icmp code 3`
_NUMBERED = re.compile(r"(?:(?P<proto>(?:ip\s*)?proto(?:col)?(?:\s*(?:number|no\.?))?)|(?P<type>icmp(?:\s*type)?|type)"
                       r"|(?P<code>(?:icmp\s*|unreachable\s*)?code))\s*#?\s*(?P<n>[0-9]{1,5})",
                       re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class Hit:
    service: str
    port: int
    transport: str
    description: str
    aliases: tuple[str, ...]
    ports: str

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["aliases"] = list(self.aliases)
        d["registry"] = "port"
        return d


@dataclass(frozen=True)
class NumberHit:
    """An IP protocol number or an ICMP type or code: a number that is not a port."""
    registry: str
    number: int
    service: str
    description: str
    aliases: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"registry": self.registry, "number": self.number, "service": self.service,
                "description": self.description, "aliases": list(self.aliases)}


def number_facts(paths: list[Path]) -> list[NumberHit]:
    """Every numbered fact of the given decks, as hits; a deck that is missing adds nothing."""
    from trainer.deck import load_deck

    out = []
    for path in paths:
        if path.exists():
            for f in load_deck(path).facts:
                if f.number is not None and f.numbering:
                    # a protocol keyword (GRE) reads better with its name spelled out; ICMP's names are already words
                    spelled = f.aliases[0] if f.aliases and f.numbering == "ip-protocol" else ""
                    out.append(NumberHit(f.numbering, f.number, f.service or "", f.description or spelled, f.aliases))
    return out


def numbered_query(query: str) -> tuple[str | None, int] | None:
    """(registry, number) for a query that asks for a number outside the port table (`protocol 50`: ip-protocol,
    50); (None, n) for a bare number, which every registry may hold; None for anything else."""
    q = query.strip()
    if q.isascii() and q.isdigit():
        return None, int(q) if len(q) <= 9 else 10**9  # beyond every registry, without reading 5,000 digits
    m = _NUMBERED.fullmatch(q)
    if not m:
        return None
    registry = "ip-protocol" if m.group("proto") else "icmp-type" if m.group("type") else "icmp-unreachable-code"
    return registry, int(m.group("n"))


def search_numbers(hits: list[NumberHit], query: str) -> list[NumberHit]:
    """By number (`50`, `protocol 50`, `icmp 8`, `code 3`), keyword or name (`gre`, `esp`, `ping`), or a word of
    the name (`unreachable`): exact names first."""
    asked = numbered_query(query)
    if asked is not None:
        registry, n = asked  # a bare number is a port, a protocol or an ICMP type; a code is asked as `code N`
        return [h for h in hits if h.number == n and (h.registry == registry if registry is not None
                                                      else h.registry != "icmp-unreachable-code")]
    key = _norm(query)
    if not key:
        return []
    word = _word(query.strip())
    named = [h for h in hits if _named(key, h.service, h.aliases)]
    described = [h for h in hits if h not in named and any(
        word.search(t.casefold()) for t in (h.service, h.description, *h.aliases))]
    return named + described


def groups(hits: list[Hit], numbers: list[NumberHit], query: str) -> list[tuple[str, list[Any]]]:
    """The hits by registry, in the order to show them: a registry holding the exact name asked first (`gre` is IP
    protocol 47 before it is a word in `gre-in-udp`), else ports first."""
    out: list[tuple[str, list[Any]]] = [("port", list(hits))] if hits else []
    for registry in REGISTRIES:
        mine = [h for h in numbers if h.registry == registry]
        if mine:
            out.append((registry, mine))
    key = _norm(query)

    def exact(group: tuple[str, list[Any]]) -> bool:
        return any(_named(key, h.service, h.aliases) for h in group[1])

    return sorted(out, key=lambda g: not exact(g))


def _rows_from_deck(path: Path) -> list[list[Any]]:
    from trainer.deck import load_deck

    rows = []
    for f in load_deck(path).facts:
        if f.is_port:
            runs = _runs(f.ports)
            rows.append([f.service, list(f.aliases), runs, f.transport, f.description])
    return rows


def _runs(ports: tuple[int, ...]) -> list[list[int]]:
    runs: list[list[int]] = []
    for p in ports:
        if runs and runs[-1][1] == p - 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return runs


def index_text(deck: Path) -> str:
    """The JSON digest of a deck that `scripts/build_decks.py` ships beside it, tied to the deck's hash."""
    digest = hashlib.sha1(deck.read_bytes()).hexdigest()
    return json.dumps({"deck_sha1": digest, "rows": _rows_from_deck(deck)}, ensure_ascii=True,
                      separators=(",", ":")) + "\n"


def load_rows(deck: Path, cache_dir: Path | None) -> list[list[Any]]:
    """Parsing the 6,000-fact YAML takes ~0.5 s; its JSON digest ~20 ms. The digest shipped beside the deck
    is used while it matches the deck's hash; otherwise one is built and cached in `cache_dir`."""
    data = deck.read_bytes()
    shipped = deck.with_suffix(".lookup.json")
    if shipped.exists():
        try:
            index = json.loads(shipped.read_text(encoding="utf-8"))
            if index.get("deck_sha1") == hashlib.sha1(data).hexdigest():
                return index["rows"]
        except (OSError, ValueError, AttributeError):
            pass
    digest = hashlib.sha1(data).hexdigest()[:16]
    cache = cache_dir / f"lookup-{deck.stem}-{digest}.json" if cache_dir else None
    if cache and cache.exists():
        try:
            return json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    rows = _rows_from_deck(deck)
    if cache:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, cache)
        except OSError:
            pass  # a read-only home only costs speed
    return rows


def _norm(text: str) -> str:
    return re.sub(r"[\s\-_.]+", "", text.casefold())


def _named(key: str, service: str, aliases: Iterable[str]) -> bool:
    """Whether a hit goes by the name asked (`key`, as _norm leaves it): its service's or an alias."""
    return key in {_norm(service), *(_norm(a) for a in aliases)}


def _word(query: str) -> re.Pattern[str]:
    """The query as a whole word of a name or a description (matched against casefolded text)."""
    return re.compile(rf"\b{re.escape(query.casefold())}\b")


def _ports_text(runs: list[list[int]]) -> str:
    return ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in runs)


def search(rows: list[list[Any]], query: str) -> list[Hit]:
    """By port (`143`), port/transport (`143/tcp`), name or alias (`RDP`), else a word of the description."""
    q = query.strip()
    m = _PORT.fullmatch(q)
    hits: list[Hit] = []
    if m:
        port, want = int(m.group(1)), (m.group(2) or "").lower()
        for service, aliases, runs, transport, desc in rows:
            if any(a <= port <= b for a, b in runs):
                for t in transport_list(transport):
                    if not want or t == want:
                        hits.append(Hit(service, port, t, desc, tuple(aliases), _ports_text(runs)))
        return sorted(hits, key=lambda h: (h.transport, h.service))
    key = _norm(q)
    if not key:
        return []
    named, described = [], []
    word = _word(q)
    for row in rows:
        service, aliases, runs, transport, desc = row
        if _named(key, service, aliases):
            named.append(row)
        elif word.search(desc.casefold()) or word.search(service.casefold()):
            described.append(row)
    for service, aliases, runs, transport, desc in named + described:
        for t in transport_list(transport):
            hits.append(Hit(service, runs[0][0], t, desc, tuple(aliases), _ports_text(runs)))
    return hits


def format_hits(hits: list[Any], limit: int = 40, width: int = 10**6) -> list[str]:
    """Aligned plain text, wrapped at words under the description column to fit `width`; names and
    descriptions are registry data, cleaned of control characters."""
    from trainer.render import clean, wrap

    shown = hits[:limit]
    where = [f"{h.ports}/{h.transport}" if isinstance(h, Hit) else f"{_WHICH[h.registry]} {h.number}" for h in shown]
    pw = max((len(w) for w in where), default=0)
    sw = max((len(h.service) for h in shown), default=0)
    lines = []
    for h, w in zip(shown, where, strict=True):
        others = [a for a in h.aliases if a != h.description]
        also = f"  (also: {', '.join(others)})" if others else ""
        lead = f"{w.ljust(pw)}  {h.service.ljust(sw)}  "
        indent = " " * (len(lead) if width - len(lead) >= 30 else 4)
        lines += [ln.rstrip() for ln in wrap(clean(f"{h.description}{also}".strip()), width, indent, clean(lead))]
    if len(hits) > limit:
        lines.append(f"... and {len(hits) - limit} more (use --json for all)")
    return lines


def format_groups(found: list[tuple[str, list[Any]]], width: int = 10**6) -> list[str]:
    """Ports alone print as before; hits from more than one registry, or numbers, each under their heading."""
    if len(found) == 1 and found[0][0] == "port":
        return format_hits(found[0][1], width=width)
    lines: list[str] = []
    for registry, hits in found:
        if lines:
            lines.append("")
        lines += [f"{REGISTRIES[registry]}:", *("  " + ln for ln in format_hits(hits, width=width - 2))]
    return lines
