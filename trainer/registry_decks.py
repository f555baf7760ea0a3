"""Decks from the port registries: the exam deck (a curated list checked against IANA), common ports, the whole
registry, and the names grading knows."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from trainer.deck import DEFAULT_PORT_KINDS, NUMBER_KINDS, PORT_KINDS, Deck, Fact, Kind, slug, transport_list
from trainer.errors import DeckError, located
from trainer.registry_files import IanaEntry, NmapEntry, NumberEntry, ServiceEntry, iana_assignments

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
        entries = self.by_port.get((port, transport), [])
        return next((e for e in entries if e.service.casefold() == name.casefold()), None)


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
              source: str = "decks/src/exam-ports.yaml", numbered: Iterable[Fact] = (),
              concepts: Iterable[Fact] = ()) -> Deck:
    """Each curated fact is checked against IANA: its names on its ports, for the transport its RFC gives."""
    svc_alias = _services_aliases(services)
    facts = []
    for item in curated:
        key, label, ports = item["key"], item["label"], list(item["ports"])
        names = list(item["iana"])
        if len(names) == 1:
            names *= len(ports)
        if len(names) != len(ports):
            raise DeckError(located(source, None, f"{key}: `iana` needs one name per port"))
        if not item.get("source"):
            raise DeckError(located(source, None, f"{key}: `source` must say where the fact comes from"))
        transport = item[Kind.TRANSPORT]
        entries: list[IanaEntry] = []
        for port, name in zip(ports, names, strict=False):
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
                    ", ".join(f"{n} ({p})" for p, n in zip(ports, names, strict=False)))
        note = _clean(item.get("note", ""))
        if label.casefold() not in {n.casefold() for n in names} and not any(n in note for n in names):
            note = f"{note} IANA name{'s' if ',' in registry else ''}: {registry}.".strip()
        descriptions = _uniq(_clean(e.description) for e in entries)
        secure = item.get(Kind.SECURE) or ()
        facts.append(Fact(
            key=key, service=label, aliases=aliases, ports=tuple(sorted(ports)), transport=transport,
            accept_transport=tuple(item.get("accept_transport", ())),
            accept_ports=tuple(tuple(sorted(p)) for p in item.get("accept_ports", ())),
            registry=registry, secure=(secure,) if isinstance(secure, str) else tuple(secure),
            description="; ".join(descriptions), note=note, source=_clean(item["source"]),
            tags=tuple(item.get("tags", ())),
        ))
    facts = _secure_names(facts, curated) + list(numbered) + list(concepts)
    return Deck(name="exam", title="Ports for Network+ N10-009 and Security+ SY0-701",
                description=("The ports in CompTIA Network+ N10-009 objective 1.4, under the objective's labels, "
                             "and those on Security+ SY0-701 study lists. Each fact's `source` says where it comes "
                             "from; every port and name is checked against the IANA registry (`registry` gives the "
                             "IANA name); transports follow the protocol's RFC. Objective 1.4's IP types (ICMP, TCP, "
                             "UDP, GRE, ESP, AH) are asked by their IANA protocol numbers, and its traffic types "
                             "(unicast, multicast, anycast, broadcast) as questions."),
                kinds=PORT_KINDS + NUMBER_KINDS + (Kind.FRONT_BACK,), facts=tuple(facts))


def _secure_names(facts: list[Fact], curated: list[dict[str, Any]]) -> list[Fact]:
    """Each secure version is also named the way candidates spell it out from the plain one's names: IMAPS is
    "Internet Message Access Protocol Secure", "IMAP4 over SSL". Only where the secure label extends the plain
    one (not SSH for Telnet, not SFTP for FTP), and never a name another fact of the deck has."""
    from trainer.cards import names_of
    from trainer.grading import normalise

    by_key = {f.key: f for f in facts}
    taken = {normalise(n): f.key for f in facts for n in names_of(f)}
    human = {item["key"]: [item["label"], *item.get("aliases", ())] for item in curated}
    extra: dict[str, list[str]] = defaultdict(list)
    for f in facts:
        for target in (by_key[k] for k in f.secure if k != f.key):
            if not (target.service or "").casefold().startswith((f.service or "").casefold()):
                continue
            for name in human[f.key]:
                for spelled in (f"{name} Secure", f"{name} over TLS", f"{name} over SSL"):
                    if taken.get(normalise(spelled), target.key) in f.secure:  # SMTPS: 587 and 465 alike
                        extra[target.key].append(spelled)
    return [replace(f, aliases=_uniq([*f.aliases, *extra[f.key]], drop=[f.service or ""])) if extra[f.key] else f
            for f in facts]


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


def common_deck(nmap: list[NmapEntry], reg: Registry, services: list[ServiceEntry], exam: Deck,
                names: dict[str, dict[str, Any]] | None = None, tcp_top: int = 100, udp_top: int = 50,
                progress: Progress | None = None) -> Deck:
    """The ports nmap most often finds open, beyond what the exam deck teaches, most frequent first.

    Only ports Debian's services file lists are taken: netbase lists what is used in the real world, on the
    transports it is used on, so a fact's transport is Debian's, never a guess from which nmap list a port is in.
    A name the exam deck teaches is never an alias here: the two decks cannot give different answers.
    `names` (decks/src/common-names.yaml) gives the names people use: RIP for Debian's `route`.
    """
    names = names or {}
    from trainer.cards import names_of

    exam_ports = {p for f in exam.facts for p in f.ports}
    exam_names = [n for f in exam.facts for n in names_of(f)]
    debian: dict[tuple[int, str], ServiceEntry] = {}
    for s in services:
        debian.setdefault((s.port, s.transport), s)
    chosen: list[tuple[NmapEntry, ServiceEntry]] = []
    for t, top in (("tcp", tcp_top), ("udp", udp_top)):
        ranked = sorted((e for e in nmap if e.transport == t and e.name != "unknown"),
                        key=lambda e: (-e.frequency, e.port))
        chosen += [(e, debian[(e.port, t)]) for e in ranked[:top]
                   if (e.port, t) in debian and e.port not in exam_ports]
    groups: dict[str, list[tuple[NmapEntry, ServiceEntry]]] = defaultdict(list)
    for e, d in chosen:
        groups[d.name].append((e, d))
    freq = {(e.port, e.transport): e.frequency for e in nmap}

    def seen(name: str) -> float:
        return max(freq.get((s.port, s.transport), 0.0) for s in services if s.name == name
                   and s.port in {d.port for _, d in groups[name]})

    ranked_groups = sorted(groups.items(), key=lambda kv: (-seen(kv[0]), kv[0]))
    facts: list[Fact] = []
    used: set[str] = set()
    for name, pairs in ranked_groups:
        ports = sorted({d.port for _, d in pairs})
        rows = [s for s in services if s.name == name and s.port in ports and s.transport in ("tcp", "udp")]
        for suffix, fact_ports, transport in _merge_ports(name, [(s.port, s.transport) for s in rows]):
            iana = [x for s in rows for x in reg.by_port.get((s.port, s.transport), [])
                    if s.port in fact_ports and (transport == "both" or x.transport == transport)]
            known_as = names.get(name, {})
            label = known_as.get("label", name)
            aliases = _uniq([*known_as.get("aliases", ()), name, *(a for s in rows for a in s.aliases),
                             *(x.service for x in iana[:3]), *(e.name for e, _ in pairs)], drop=[label, *exam_names])
            descs = _uniq(_clean(x.description) for x in iana) or _uniq(_clean(s.comment) for s in rows)
            facts.append(Fact(key=_unique_key(slug(name) + suffix, used), service=label, aliases=aliases,
                              ports=fact_ports, transport=transport,
                              registry=", ".join(_uniq(x.service for x in iana)) or None,
                              description="; ".join(d for d in descs if d),
                              source="nmap-services (open frequency); Debian's services file (name, transport)"
                                     + (f"; name: {known_as['source']}" if known_as else "")))
        if progress:
            progress(len(pairs))
    # an alias that is another fact's own name would accept that fact's port (x11 is 6000's, not 6001's)
    own = {f.key: {f.key.casefold(), (f.service or "").casefold()} for f in facts}
    taken = {n for names in own.values() for n in names}
    facts = [replace(f, aliases=tuple(a for a in f.aliases if a.casefold() not in taken - own[f.key]))
             for f in facts]
    return Deck(name="common", title="More ports seen in practice",
                description=(f"Beyond the exam deck: the ports among nmap's {tcp_top} TCP and {udp_top} UDP ports "
                             "most often found open that Debian's services file lists, named and with the transports "
                             "Debian gives, most frequent first."),
                kinds=(Kind.SERVICE_PORT, Kind.PORT_SERVICE, Kind.TRANSPORT), facts=tuple(facts))


def _exam_labels(curated: list[dict[str, Any]]) -> dict[tuple[int, str], tuple[str, tuple[str, ...]]]:
    """(port, transport) -> (exam label, exam aliases), so other decks name exam ports the exam's way."""
    out: dict[tuple[int, str], tuple[str, tuple[str, ...]]] = {}
    for item in curated:
        for p in item["ports"]:
            for t in transport_list(item[Kind.TRANSPORT]):
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


def known_names(registry_dir: Path, decks: Iterable[Deck]) -> list[str]:
    """Every name a registry or a bundled deck gives, normalised and sorted: IANA's, Debian's, nmap's and Windows'
    services, IANA's and Debian's protocol keywords, every name in the bundled decks (the curated daemons and terms
    are terms.txt). Grading never accepts a one-letter slip that lands on one of them."""
    import csv

    from trainer.cards import names_of
    from trainer.grading import normalise
    from trainer.registry_files import parse_iana_csv, parse_nmap_services, parse_services

    names: set[str] = {e.service for e in parse_iana_csv(registry_dir / "service-names-port-numbers.csv")}
    for services in ("etc-services-debian", "windows-services-sample"):
        for s in parse_services(registry_dir / services):
            names.update((s.name, *s.aliases))
    names.update(e.name for e in parse_nmap_services(registry_dir / "nmap-services"))
    with open(registry_dir / "protocol-numbers-1.csv", newline="", encoding="utf-8") as f:
        names.update(row["Keyword"] for row in csv.DictReader(f))
    for line in (registry_dir / "etc-protocols-debian").read_text(encoding="utf-8").splitlines():
        fields = line.split("#")[0].split()
        names.update(fields[:1] + fields[2:])
    for deck in decks:
        names.update(n for f in deck.facts for n in names_of(f))
    out = {normalise(n) for n in names}  # the curated daemons and terms ship apart (terms.txt)
    return sorted(n for n in out if n and not n.isdigit())


def vocabulary(iana: Iterable[IanaEntry]) -> list[str]:
    """The words IANA uses to describe services (`control`, `accounting`, `session`): beside a right name in an
    answer they describe it; a word outside them (`banana`, `injection`) makes the answer something else."""
    return sorted({w for e in iana for w in re.findall(r"[a-z]{3,}", e.description.casefold())})


def known_versions(path: Path) -> list[str]:
    """decks/src/versions.yaml as lines `ssh 1 2`: the versions each protocol has had."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [" ".join([str(name), *map(str, versions)]) for name, versions in sorted(data.items())]


def curated_terms(terms_path: Path) -> list[str]:
    """The daemon names and exam terms of decks/src/terms.yaml, normalised: names that always mean something."""
    import yaml

    from trainer.grading import normalise

    curated = yaml.safe_load(terms_path.read_text(encoding="utf-8"))
    return sorted({normalise(str(n)) for group in curated.values() for n in group} - {""})


def _number_fact(key: str, label: str, iana_names: list[str], number: int, numbering: str, curated: dict[str, Any],
                 source: str, note: str = "", tags: tuple[str, ...] = ()) -> Fact:
    """`registry` is IANA's keyword or name for the number, as a port fact's is IANA's service name."""
    return Fact(key=key, service=curated.get("label") or label,
                aliases=_uniq([*curated.get("aliases", []), *iana_names], drop=[curated.get("label") or label]),
                number=number, numbering=numbering, source=source, note=note, tags=tags, registry=iana_names[0])


def protocols_deck(entries: list[NumberEntry], names: dict[str, Any]) -> Deck:
    """Every assigned IANA protocol number that has a keyword (`61, any host internal protocol` has none: there
    is no name to learn), both ways."""
    curated = names.get("ip-protocol", {})
    facts: list[Fact] = []
    used: set[str] = set()
    for e in entries:
        if not e.keyword or not e.assigned:
            continue
        c = curated.get(e.keyword, {})
        key = _unique_key(slug(e.keyword), used)
        facts.append(_number_fact(key, e.keyword, [e.keyword, e.name], e.number, "ip-protocol", c,
                                  f"IANA Assigned Internet Protocol Numbers: {e.number} {e.keyword}"))
    facts = _curated_first(facts, [list(curated)], lambda f: f.registry)
    return Deck(name="protocols", title="IP protocol numbers (IANA)",
                description=("Every assigned IP protocol number with a keyword, from IANA's Assigned Internet Protocol "
                             "Numbers registry: 1 ICMP, 6 TCP, 17 UDP, 47 GRE, 50 ESP, 51 AH, ..."),
                kinds=NUMBER_KINDS, facts=tuple(facts))


def _curated_first(facts: list[Fact], orders: list[list[Any]], key: Any) -> list[Fact]:
    """New cards are met in deck order: the entries candidates are asked about (those number-names.yaml names, in
    its order: ICMP, TCP, UDP, GRE, ESP, AH ...; echo, unreachable ...) before the registry's long tail."""
    rank = {k: i for i, k in enumerate(k for order in orders for k in order)}
    return sorted(facts, key=lambda f: (key(f) not in rank, rank.get(key(f), 0)))  # stable: the tail by number


def icmp_deck(types: list[NumberEntry], codes: list[NumberEntry], names: dict[str, Any]) -> Deck:
    """ICMP's assigned types (deprecated and unassigned ones left out) and Destination Unreachable's codes."""
    facts: list[Fact] = []
    used: set[str] = set()
    for entries, numbering, prefix in ((types, "icmp-type", "type"), (codes, "icmp-unreachable-code", "code")):
        curated = names.get(numbering, {})
        for e in entries:
            if not e.assigned:
                continue
            c = curated.get(e.number, {})
            key = _unique_key(f"{prefix}-{e.number}-{slug(c.get('label') or e.name)}"[:60], used)
            facts.append(_number_fact(key, e.name, [e.name], e.number, numbering, c,
                                      f"IANA ICMP {'Type Numbers' if prefix == 'type' else 'Type 3 Codes'}: "
                                      f"{e.number} {e.name}"))
    facts = _curated_first(facts, [[(n, k) for k in names.get(n, {})] for n in ("icmp-type", "icmp-unreachable-code")],
                           lambda f: (f.numbering, f.number))
    return Deck(name="icmp", title="ICMP types and codes (IANA)",
                description=("ICMP message types (0 Echo Reply, 8 Echo Request: ping; 3 Destination Unreachable; "
                             "11 Time Exceeded: traceroute; 5 Redirect) and Destination Unreachable's codes, from "
                             "IANA's ICMP Parameters registry; deprecated and unassigned entries left out."),
                kinds=NUMBER_KINDS, facts=tuple(facts))


def exam_numbers(curated: list[dict[str, Any]], entries: list[NumberEntry], names: dict[str, Any],
                 source: str = "decks/src/exam-ports.yaml") -> list[Fact]:
    """The exam deck's numbered facts (`protocol: GRE`): the number always IANA's, checked by keyword."""
    by_keyword = {e.keyword: e for e in entries if e.keyword}
    facts = []
    for item in curated:
        if "protocol" not in item:
            continue
        e = by_keyword.get(item["protocol"])
        if e is None:
            raise DeckError(located(source, None, f"{item['key']}: IANA has no IP protocol `{item['protocol']}`"))
        if not item.get("source"):
            raise DeckError(located(source, None, f"{item['key']}: `source` must say where the fact comes from"))
        c = dict(names.get("ip-protocol", {}).get(e.keyword, {}))
        c["aliases"] = [*item.get("aliases", []), *c.get("aliases", [])]
        facts.append(_number_fact(item["key"], item.get("label") or e.keyword, [e.keyword, e.name], e.number,
                                  "ip-protocol", c, _clean(item["source"]), _clean(item.get("note", "")),
                                  tuple(item.get("tags", ()))))
    return facts
