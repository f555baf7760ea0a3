"""Each bundled deck ships beside its YAML as JSON (`registry.deck.json`, written by scripts/build_decks.py):
read in 20 ms where the registry deck's 700 KB of YAML took half a second, and used only for the very file
it was built from (the YAML's sha1), so an edited or another deck is always read from its YAML."""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from trainer.deck import FORMAT, Deck, Fact, Kind

SUFFIX = ".deck.json"
_FIELDS = [f for f in fields(Fact) if f.name != "line"]
_TUPLES = frozenset(f.name for f in _FIELDS if f.default == ())


def text(deck: Deck, yaml_bytes: bytes) -> str:
    """The JSON of `deck`, read from `yaml_bytes`: one fact a line (its line in the YAML, then the fields it
    sets, ports in full), so that a rebuild diffs as the YAML does and reads back without parsing ports."""
    head = {"deck_sha1": hashlib.sha1(yaml_bytes).hexdigest(), **deck.header()}
    rows = ",\n".join(json.dumps([f.line, _fields(f)], ensure_ascii=False, separators=(",", ":"))
                      for f in deck.facts)
    return json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"facts":[\n' + rows + "\n]}\n"


def _fields(fact: Fact) -> dict[str, Any]:
    """The fields a fact sets (the others are their defaults), as a Fact takes them."""
    out: dict[str, Any] = {}
    for f in _FIELDS:
        value = getattr(fact, f.name)
        if value != f.default:
            out[f.name] = value
    return out


def load(path: Path, directory: Path) -> Deck | None:
    """The deck prebuilt in `directory` (the bundled decks') for the file at `path`, when `path` holds the very
    YAML it was built from; else None."""
    shipped = directory / f"{path.stem}{SUFFIX}"
    try:
        if not shipped.is_file():
            return None
        shipped_bytes = shipped.read_bytes()
        digest = hashlib.sha1(path.read_bytes()).hexdigest()
        if digest.encode() not in shipped_bytes[:64]:  # another file of that name: no need to parse the JSON
            return None
        data = json.loads(shipped_bytes)
        if data.get("deck_sha1") != digest or data.get("format") != FORMAT:
            return None
        return Deck(name=data["name"], title=data["title"], description=data["description"],
                    kinds=tuple(Kind(k) for k in data["kinds"]), source=str(path),
                    facts=tuple(_fact(line, row) for line, row in data["facts"]))
    except (OSError, ValueError, KeyError, TypeError):  # unreadable or foreign: the YAML is read instead
        return None


def _fact(line: int, row: dict[str, Any]) -> Fact:
    """A fact from its row: JSON's lists become the tuples a Fact holds."""
    for name in _TUPLES.intersection(row):
        row[name] = tuple(map(tuple, row[name])) if name == "accept_ports" else tuple(row[name])
    return Fact(line=line, **row)
