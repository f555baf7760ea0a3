"""A deck's answer index: which facts own each name and each port set. Built once at import and stored,
so grading a card never has to read the whole deck (the registry deck has 6,000 facts)."""

from __future__ import annotations

from typing import Any, Iterable

from trainer.cards import names_of
from trainer.deck import Fact, transport_list
from trainer.grading import normalise


def port_key(ports: Iterable[int]) -> str:
    return ",".join(map(str, sorted(ports)))


def build_index(facts: Iterable[Fact]) -> dict[str, Any]:
    names: dict[str, list[str]] = {}
    port_sets: dict[str, list[str]] = {}
    by_ports: dict[str, list[str]] = {}
    for f in facts:
        if not f.is_port:
            continue
        for n in names_of(f):
            keys = names.setdefault(normalise(n), [])
            if f.key not in keys:
                keys.append(f.key)
        port_sets.setdefault(port_key(f.ports), []).append(f.key)
        for t in transport_list(f.transport):
            by_ports.setdefault(f"{port_key(f.ports)}/{t}", []).append(f.key)
    return {"names": names, "port_sets": port_sets, "by_ports": by_ports}
