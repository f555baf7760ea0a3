"""Decks from the port registries: the exam deck (curated list checked against IANA), common ports, the whole registry."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from trainer.deck import (
    DEFAULT_PORT_KINDS,
    PORT_KINDS,
    Deck,
    Fact,
    slug,
    transport_list,
)
from trainer.errors import DeckError, located
from trainer.registry import IanaEntry, NmapEntry, ServiceEntry, iana_assignments

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Registry:
    """What the IANA CSV says, indexed the ways the builders ask."""

    by_port: dict[tuple[int, str], list[IanaEntry]]
    by_name: dict[str, list[IanaEntry]]

    @classmethod
    def from_entries(cls, entries: Iterable[IanaEntry]) -> Registry:
        by_port: dict[tuple[int, str], list[IanaEntry]] = defaultdict(list)
        by_name: dict[str, list[IanaEntry]] = defaultdict(list)
        for e in iana_assignments(entries):
            assert e.port_low is not None and e.port_high is not None
            by_name[e.service.casefold()].append(e)
            if e.port_high - e.port_low < 1024:
                for p in range(e.port_low, e.port_high + 1):
                    by_port[(p, e.transport)].append(e)
        return cls(dict(by_port), dict(by_name))

    def names_on(self, port: int, transport: str) -> list[str]:
        return [e.service for e in self.by_port.get((port, transport), [])]

    def entry(self, name: str, port: int, transport: str) -> IanaEntry | None:
        return next((e for e in self.by_port.get((port, transport), []) if e.service.casefold() == name.casefold()), None)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _services_aliases(services: Iterable[ServiceEntry]) -> dict[tuple[int, str], list[str]]:
    """Debian's names and aliases per port/transport: `imap2 143/tcp imap`."""
    out: dict[tuple[int, str], list[str]] = defaultdict(list)
    for s in services:
        out[(s.port, s.transport)].extend([s.name, *s.aliases])
    return out


def _uniq(items: Iterable[str], drop: Iterable[str] = ()) -> tuple[str, ...]:
    seen = {d.casefold() for d in drop}
    out = []
    for i in items:
        if i and i.casefold() not in seen:
            seen.add(i.casefold())
            out.append(i)
    return tuple(out)


def load_curated(path: Path) -> list[dict[str, Any]]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise DeckError(located(path, 1, "expected a list of exam ports"))
    return data


def exam_deck(curated: list[dict[str, Any]], reg: Registry, services: list[ServiceEntry],
              source: str = "decks/src/exam-ports.yaml") -> Deck:
    """Each curated fact is checked against IANA: its names on its ports, for the transports the exam names."""
    svc_alias = _services_aliases(services)
    facts = []
    for item in curated:
        key, label, ports = item["key"], item["label"], list(item["ports"])
        names = list(item["iana"])
        if len(names) == 1:
            names *= len(ports)
        if len(names) != len(ports):
            raise DeckError(located(source, None, f"{key}: `iana` needs one name per port"))
        transport = item["transport"]
        entries: list[IanaEntry] = []
        for port, name in zip(ports, names):
            for t in transport_list(transport):
                e = reg.entry(name, port, t)
                if e is None:
                    raise DeckError(located(source, None,
                                            f"{key}: IANA has no `{name}` on {port}/{t} (it has: "
                                            f"{', '.join(reg.names_on(port, t)) or 'nothing'})"))
                entries.append(e)
        same_desc = [n for e in entries for n in reg.names_on(e.port_low or 0, e.transport)
                     if any(o.description == e.description for o in reg.by_port[(e.port_low or 0, e.transport)]
                            if o.service == n)]
        # Debian's aliases, except IANA names of other services (Debian lists `urd`, IANA's 465/tcp
        # service for SSM, as an alias of submissions)
        others = {n for n in reg.by_name if n not in {x.casefold() for x in names + same_desc}}
        debian = [a for p in ports for t in transport_list(transport) for a in svc_alias.get((p, t), [])
                  if a.casefold() not in others]
        aliases = _uniq([*item.get("aliases", []), *names, *same_desc, *debian], drop=[label])
        registry = (names[0] if len(set(names)) == 1 else
                    ", ".join(f"{n} ({p})" for p, n in zip(ports, names)))
        note = _clean(item.get("note", ""))
        if label.casefold() not in {n.casefold() for n in names} and not any(n in note for n in names):
            note = f"{note} IANA name: {registry}.".strip()
        descriptions = _uniq(_clean(e.description) for e in entries)
        secure = item.get("secure") or ()
        facts.append(Fact(
            key=key, service=label, aliases=aliases, ports=tuple(sorted(ports)), transport=transport,
            registry=registry, secure=(secure,) if isinstance(secure, str) else tuple(secure),
            description="; ".join(descriptions), note=note, tags=tuple(item.get("tags", ())),
        ))
    return Deck(name="exam", title="Ports for Network+ N10-009 and Security+ SY0-701",
                description=("The ports in CompTIA Network+ N10-009 objective 1.4 (CompTIA's labels) and on "
                             "Security+ SY0-701 study lists, with the transport the objectives name. Every fact "
                             "is checked against the IANA registry; its `registry` field gives the IANA name."),
                kinds=PORT_KINDS, facts=tuple(facts))


def _merge_ports(name: str, pairs: list[tuple[int, str]]) -> list[tuple[str, tuple[int, ...], str]]:
    """(port, transport) pairs of one service -> facts: one when every port has the same transports."""
    per_port: dict[int, set[str]] = defaultdict(set)
    for p, t in pairs:
        per_port[p].add(t)
    signatures = {frozenset(ts) for ts in per_port.values()}
    if len(signatures) == 1:
        ts = next(iter(signatures))
        return [("", tuple(sorted(per_port)), "both" if len(ts) == 2 else next(iter(ts)))]
    out = []
    for t in ("tcp", "udp"):
        ports = tuple(sorted(p for p, ts in per_port.items() if t in ts))
        if ports:
            out.append((f"-{t}", ports, t))
    return out


def _unique_key(base: str, used: set[str]) -> str:
    key, n = base, 2
    while key in used:
        key, n = f"{base}-{n}", n + 1
    used.add(key)
    return key


def common_deck(nmap: list[NmapEntry], reg: Registry, services: list[ServiceEntry],
                curated: list[dict[str, Any]], tcp_top: int = 100, udp_top: int = 50,
                progress: Progress | None = None) -> Deck:
    """The ports seen open most often (nmap's frequencies), named as IANA names them, most frequent first."""
    labels = _exam_labels(curated)
    svc_alias = _services_aliases(services)
    chosen: list[NmapEntry] = []
    for t, top in (("tcp", tcp_top), ("udp", udp_top)):
        ranked = sorted((e for e in nmap if e.transport == t and e.name != "unknown"),
                        key=lambda e: (-e.frequency, e.port))
        chosen.extend(ranked[:top])
    groups: dict[str, list[NmapEntry]] = defaultdict(list)
    for e in chosen:
        iana = reg.names_on(e.port, e.transport)
        name = labels.get((e.port, e.transport), (None,))[0] or (iana[0] if iana else e.name)
        groups[name].append(e)
    ranked_groups = sorted(groups.items(), key=lambda kv: (-max(e.frequency for e in kv[1]), kv[0]))
    facts: list[Fact] = []
    used: set[str] = set()
    for name, es in ranked_groups:
        for suffix, ports, transport in _merge_ports(name, [(e.port, e.transport) for e in es]):
            iana_entries = [x for e in es for x in reg.by_port.get((e.port, e.transport), [])]
            extra = [a for e in es for a in labels.get((e.port, e.transport), (None, ()))[1]]
            aliases = _uniq([*extra, *(x.service for x in iana_entries[:3]), *(e.name for e in es),
                             *(a for e in es for a in svc_alias.get((e.port, e.transport), []))], drop=[name])
            iana_entries = [x for x in iana_entries if (x.port_low or 0) <= max(ports) and (x.port_high or 0) >= min(ports)
                            and (transport == "both" or x.transport == transport)]
            descs = _uniq(_clean(x.description) for x in iana_entries) or _uniq([_clean(es[0].comment)])
            facts.append(Fact(key=_unique_key(slug(name) + suffix, used), service=name, aliases=aliases,
                              ports=ports, transport=transport,
                              registry=", ".join(_uniq(x.service for x in iana_entries)) or None,
                              description="; ".join(descs)))
        if progress:
            progress(len(es))
    return Deck(name="common", title="The ports most seen in practice",
                description=(f"The {tcp_top} TCP and {udp_top} UDP ports most often found open (nmap-services "
                             "open frequencies), named as IANA names them, most frequent first."),
                kinds=("service-port", "port-service", "transport"), facts=tuple(facts))


def _exam_labels(curated: list[dict[str, Any]]) -> dict[tuple[int, str], tuple[str, tuple[str, ...]]]:
    """(port, transport) -> (exam label, exam aliases), so other decks name exam ports the exam's way."""
    out: dict[tuple[int, str], tuple[str, tuple[str, ...]]] = {}
    for item in curated:
        for p in item["ports"]:
            for t in transport_list(item["transport"]):
                out.setdefault((p, t), (item["label"], tuple(item.get("aliases", ()))))
    return out


def registry_deck(reg: Registry, services: list[ServiceEntry], curated: list[dict[str, Any]],
                  progress: Progress | None = None) -> Deck:
    """Every named IANA tcp/udp assignment, merged by service name, in port order."""
    labels = _exam_labels(curated)
    svc_entries: dict[tuple[int, str], list[ServiceEntry]] = defaultdict(list)
    for s in services:
        svc_entries[(s.port, s.transport)].append(s)
    by_name: dict[str, list[IanaEntry]] = defaultdict(list)
    display: dict[str, str] = {}
    for name, entries in reg.by_name.items():
        by_name[name] = entries
        display[name] = entries[0].service
    order = sorted(by_name, key=lambda n: (min(e.port_low or 0 for e in by_name[n]), n))
    facts: list[Fact] = []
    used: set[str] = set()
    for name in order:
        entries = by_name[name]
        pairs = [(p, e.transport) for e in entries for p in range((e.port_low or 0), (e.port_high or 0) + 1)]
        for suffix, ports, transport in _merge_ports(name, pairs):
            exam = [labels[(p, t)] for p in ports for t in transport_list(transport) if (p, t) in labels]
            debian = [a for p in ports for t in transport_list(transport) for e in svc_entries.get((p, t), [])
                      if name in {e.name.casefold(), *(x.casefold() for x in e.aliases)} for a in (e.name, *e.aliases)]
            aliases = _uniq([*(x for lab, al in exam for x in (lab, *al)), *debian], drop=[display[name]])
            descs = _uniq(_clean(e.description) for e in entries)
            facts.append(Fact(key=_unique_key(slug(display[name]) + suffix, used), service=display[name],
                              aliases=aliases, ports=ports, transport=transport,
                              description="; ".join(descs)))
        if progress:
            progress(1)
    return Deck(name="registry", title="The IANA port registry",
                description="Every named TCP and UDP assignment in the IANA Service Name and Transport Protocol "
                            "Port Number Registry, merged by service name. Backs `trainer lookup`.",
                kinds=DEFAULT_PORT_KINDS, facts=tuple(facts))


def services_deck(path: Path, services: list[ServiceEntry]) -> Deck:
    """A deck from an /etc/services file: one fact per service name, both directions."""
    groups: dict[str, list[ServiceEntry]] = defaultdict(list)
    for s in services:
        groups[s.name].append(s)
    facts: list[Fact] = []
    used: set[str] = set()
    for name, es in groups.items():
        for suffix, ports, transport in _merge_ports(name, [(e.port, e.transport) for e in es
                                                             if e.transport in ("tcp", "udp")]):
            comment = next((e.comment for e in es if e.comment and e.transport in ("tcp", "udp")), "")
            facts.append(Fact(key=_unique_key(slug(name) + suffix, used), service=name,
                              aliases=_uniq((a for e in es for a in e.aliases), drop=[name]),
                              ports=ports, transport=transport, description=_clean(comment)))
    if not facts:
        raise DeckError(located(path, None, "no tcp or udp services found"))
    return Deck(name=slug(path.stem), title=f"Services from {path.name}", facts=tuple(facts),
                kinds=DEFAULT_PORT_KINDS, source=str(path))
