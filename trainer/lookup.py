"""`trainer lookup`: answer from the bundled registry deck, fast, via a JSON cache of the parsed deck."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from trainer.deck import transport_list

_PORT = re.compile(r"([0-9]{1,5})(?:/(tcp|udp))?", re.IGNORECASE | re.ASCII)  # `²` is not a port


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
        return d


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
    word = re.compile(rf"\b{re.escape(q.casefold())}\b")
    for row in rows:
        service, aliases, runs, transport, desc = row
        if key in {_norm(service), *(_norm(a) for a in aliases)}:
            named.append(row)
        elif word.search(desc.casefold()) or word.search(service.casefold()):
            described.append(row)
    for service, aliases, runs, transport, desc in named + described:
        for t in transport_list(transport):
            hits.append(Hit(service, runs[0][0], t, desc, tuple(aliases), _ports_text(runs)))
    return hits


def format_hits(hits: list[Hit], limit: int = 40, width: int = 10**6) -> list[str]:
    """Aligned plain text, wrapped at words under the description column to fit `width`; names and
    descriptions are registry data, cleaned of control characters."""
    from trainer.render import clean, wrap

    shown = hits[:limit]
    pw = max((len(f"{h.ports}/{h.transport}") for h in shown), default=0)
    sw = max((len(h.service) for h in shown), default=0)
    lines = []
    for h in shown:
        also = f"  (also: {', '.join(h.aliases)})" if h.aliases else ""
        lead = f"{(h.ports + '/' + h.transport).ljust(pw)}  {h.service.ljust(sw)}  "
        indent = " " * (len(lead) if width - len(lead) >= 30 else 4)
        lines += wrap(clean(f"{h.description}{also}"), width, indent, clean(lead))
    if len(hits) > limit:
        lines.append(f"... and {len(hits) - limit} more (use --json for all)")
    return lines
