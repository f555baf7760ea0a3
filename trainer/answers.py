"""What the rest of a deck says about an answer: which facts own each name and each port set.

The index is built once at import and stored with the deck as rows, so grading a card never reads the whole
deck (the registry deck has 6,000 facts) nor its whole index: the few names, ports and facts an answer points
at are read on demand.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Protocol

from trainer.cards import CardSpec, make_card, names_of, port_sets_of
from trainer.deck import Fact, Kind, transport_list, transports_of
from trainer.grading import PortAnswer, normalise

NameRow = tuple[str, str, int]  # (normalised name, the keys of the facts it names joined by '/', 1 if a label)
PortRow = tuple[str, int, str]  # (numbering, '' for ports; a port or number; the sets holding it as JSON)


class IndexSource(Protocol):
    """A deck's answer index, asked name by name and port by port (store.StoredIndex reads it from its tables)."""

    def named(self, name: str) -> tuple[tuple[str, ...], bool] | None:
        """The keys of the facts going by this normalised name, and whether it is one's label; None: no fact."""

    def sets_with(self, numbering: str, number: int) -> Mapping[str, Mapping[str, list[str]]]:
        """Each port set holding this port (or number) -> '' and each transport -> the facts' keys."""


def port_key(ports: Iterable[int]) -> str:
    return ",".join(map(str, sorted(ports)))


def index_rows(facts: Iterable[Fact]) -> tuple[list[NameRow], list[PortRow]]:
    """The deck's answer index as rows: each normalised name with the facts it names, and each port (or
    protocol number) with the port sets that hold it and their facts, overall and by transport."""
    names: dict[str, list[str]] = {}
    labels: set[str] = set()
    ports: dict[tuple[str, int], dict[str, dict[str, list[str]]]] = {}
    normal: dict[str, str] = {}  # each name normalised once: a fact's label is also its first name
    for f in facts:
        if not f.is_port and not f.is_number:
            continue
        for n in names_of(f):
            norm = normal.get(n)
            if norm is None:
                norm = normal[n] = normalise(n)
            keys = names.setdefault(norm, [])
            if f.key not in keys:
                keys.append(f.key)
        label = f.service or ""
        labels.add(normal[label] if label in normal else normalise(label))
        if f.is_number:
            number = int(f.number or 0)
            held = ports.setdefault((f.numbering or "", number), {}).setdefault(str(number), {})
            held.setdefault("", []).append(f.key)
            continue
        key = port_key(f.ports)
        for p in f.ports:
            held = ports.setdefault(("", p), {}).setdefault(key, {})
            held.setdefault("", []).append(f.key)
            for t in transport_list(f.transport):
                held.setdefault(t, []).append(f.key)
    encode = json.JSONEncoder(separators=(",", ":")).encode
    return ([(n, "/".join(keys), int(n in labels)) for n, keys in names.items() if n],  # no key holds a '/'
            [(numbering, number, encode(sets)) for (numbering, number), sets in ports.items()])


def _bundled_lines(name: str) -> list[str]:
    """The lines of a word list shipped beside the bundled decks (none when it is missing: grading goes on)."""
    from trainer.paths import bundled_decks_dir

    try:
        return [ln for ln in (bundled_decks_dir() / name).read_text(encoding="utf-8").splitlines() if ln]
    except OSError:
        return []


def warm_up() -> None:
    """Before the first answer needs them (from another thread): read the word lists grading may need, and grade
    two sample answers, which compiles grading's patterns (the first answer of a session took 0.6 ms more)."""
    import textwrap  # noqa: F401  (the verdict's explanation is wrapped with it: 1.5 ms)

    from trainer.grading import grade

    registry_names()
    curated_terms()
    vocabulary()
    versions()
    sample = Fact(key="sample", service="HTTP", ports=(80,), transport="tcp")
    for kind, answer in ((Kind.SERVICE_PORT, "80/tcp"), (Kind.PORT_SERVICE, "an HTTP server")):
        grade(make_card("sample", sample, kind), answer, None)


@lru_cache(maxsize=1)
def registry_names() -> frozenset[str]:
    """Every name that means something in the port world (IANA, Debian, nmap, Windows, daemons, exam terms),
    shipped as decks/known-names.txt; read on the first near miss of a session, never before."""
    return frozenset(_bundled_lines("known-names.txt"))


@lru_cache(maxsize=1)
def curated_terms() -> frozenset[str]:
    """Daemon names and exam terms in no registry (decks/terms.txt, from decks/src/terms.yaml)."""
    return frozenset(_bundled_lines("terms.txt"))


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """The words IANA describes services with (decks/vocabulary.txt): read on the first answer with extra words."""
    return frozenset(w for ln in _bundled_lines("vocabulary.txt") for w in ln.split())


@lru_cache(maxsize=1)
def versions() -> dict[str, frozenset[str]]:
    """The versions each protocol has had (decks/versions.txt, from decks/src/versions.yaml): `ssh` -> {1, 2}."""
    return {parts[0]: frozenset(parts[1:]) for parts in (ln.split() for ln in _bundled_lines("versions.txt")) if parts}


class _Vocabulary:
    def __contains__(self, word: object) -> bool:
        return word in vocabulary()


class _Strong:
    """Names that always mean something: the deck's own and the curated terms (`httpd`, `TLS`, `VNC`)."""

    def __init__(self, deck_names: Container[str]) -> None:
        self.deck_names = deck_names

    def __contains__(self, name: object) -> bool:
        return name in curated_terms() or name in self.deck_names


class _Named:
    """The names the deck's facts go by (`labels`: only the name each fact is listed under)."""

    def __init__(self, index: IndexSource, labels: bool = False) -> None:
        self.index = index
        self.labels = labels

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        found = self.index.named(name)
        return found is not None and (found[1] or not self.labels)


class KnownNames:
    """The deck's own names and every registry name: a one-letter slip never turns one into another, and a
    name beside a port must not be another service's. `strong` leaves out registry names that are also plain
    words (`time`, `auth`), for the words around an answer; `labels` are the names the deck's facts go by
    (`telnet`), which are never a word of explanation."""

    def __init__(self, deck_names: Container[str], labels: Container[str] = ()) -> None:
        self.deck_names = deck_names
        self.strong = _Strong(self.deck_names)
        self.labels = labels
        self.plain = _Vocabulary()  # words that describe (IANA's descriptions), read only when needed

    @property
    def versions(self) -> dict[str, frozenset[str]]:
        return versions()

    def __contains__(self, name: object) -> bool:
        return name in registry_names() or name in curated_terms() or name in self.deck_names

    def only_curated(self, name: str) -> bool:
        """A daemon's or a term's name that no service goes by (`sqlservr`, `httpd`)."""
        return name in curated_terms() and name not in self.deck_names and name not in registry_names()


class DeckAnswers:
    """A deck's answer index and the facts it names, loaded on demand through `load`."""

    def __init__(self, index: IndexSource, load: Callable[[Sequence[str]], list[Fact]]) -> None:
        self.index = index
        self._load = load
        self.known = KnownNames(_Named(index), _Named(index, labels=True))

    def _named(self, name: str) -> tuple[str, ...]:
        found = self.index.named(name)
        return found[0] if found else ()

    def _on(self, ports: Iterable[int], transport: str = "") -> list[str]:
        """The facts whose port set is exactly `ports` (on `transport`, or on any)."""
        ports = sorted(ports)
        if not ports:
            return []
        return list(self.index.sets_with("", ports[0]).get(port_key(ports), {}).get(transport, ()))

    def widen(self, spec: CardSpec, fact: Fact) -> CardSpec:
        """Other facts may rightly answer too: SFTP on port 22/tcp; 465, also called SMTPS, for SMTPS."""
        if spec.kind == Kind.PORT_SERVICE:
            keys = [k for t in transport_list(fact.transport) for k in self._on(fact.ports, t) if k != fact.key]
            others = self._load(list(dict.fromkeys(keys)))
            if others:
                return replace(spec, answers=spec.answers + tuple(n for f in others for n in names_of(f)),
                               targets=spec.targets + tuple(f.key for f in others))
        if spec.kind == Kind.SERVICE_PORT and fact.service:
            spec = self._beside_extra_ports(spec, fact)
            keys = [k for k in self._named(normalise(fact.service)) if k != fact.key]
            sharing = [k for t in transport_list(fact.transport) for k in self._on(fact.ports, t) if k != fact.key]
            if sharing:  # `22 (SFTP)` names SSH's port too
                more = tuple(n for f in self._load(list(dict.fromkeys(sharing))) for n in names_of(f))
                spec = replace(spec, answers=spec.answers + more,
                               set_names=tuple((s, names + more) for s, names in spec.set_names))
            others = self._load(keys)
            if others:
                extra = [s for f in others for s in port_sets_of(f)]
                union = frozenset().union(spec.port_sets[0], *(f.ports for f in others))  # `465, 587`
                extra.append(union)
                named = [(s, names_of(f)) for f in others for s in port_sets_of(f)]
                named.append((union, spec.answers + tuple(n for f in others for n in names_of(f))))
                return replace(spec, port_sets=tuple(dict.fromkeys(spec.port_sets + tuple(extra))),
                               set_names=spec.set_names + tuple(named),
                               transports=tuple(dict.fromkeys(spec.transports + tuple(
                                   t for f in others for t in transports_of(f)))),
                               targets=spec.targets + tuple(f.key for f in others))
        return spec

    def _beside_extra_ports(self, spec: CardSpec, fact: Fact) -> CardSpec:
        """A port set study lists also give (SMB: 139 and 445) may carry the names of the deck's facts on its
        other ports: `445 (SMB), 139 (NetBIOS)`."""
        beyond = {s: s.difference(fact.ports) for s, _ in spec.set_names}  # each set's ports not the fact's own
        wanted = frozenset().union(*beyond.values())
        if not wanted:
            return spec
        owners = {k for p in wanted for held in self.index.sets_with("", p).values() for k in held.get("", ())
                  if k != fact.key}
        others = self._load(sorted(owners))
        if not others:
            return spec
        return replace(spec, set_names=tuple(
            (s, names + tuple(n for f in others if beyond[s].intersection(f.ports) for n in names_of(f)))
            if beyond[s] else (s, names) for s, names in spec.set_names))

    def owner(self, spec: CardSpec, readings: list[PortAnswer], answer: str) -> Fact | None:
        """The other fact whose right answer this wrong answer is: 993 for IMAP belongs to IMAPS."""
        keys: list[str] = []
        if spec.numbering and spec.port_sets:
            for r in readings:
                keys += [k for n in r.ports
                         for k in self.index.sets_with(spec.numbering, n).get(str(n), {}).get("", ())]
        elif spec.port_sets:
            for r in readings:
                keys += self._on(r.ports)
        elif spec.kind in (Kind.PORT_SERVICE, Kind.NUMBER_SERVICE):
            keys = list(self._named(normalise(answer)))
        own = spec.id.split("/")[-2]
        keys = [k for k in keys if k not in spec.targets and k != own]
        found = self._load(keys[:1])
        return found[0] if found else None
