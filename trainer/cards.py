"""Facts become cards: the question text, the answer expected, and what else is accepted."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from trainer.deck import KINDS, NUMBER_KINDS, Deck, Fact, Kind, compact_ports, transport_list, transports_of

RANGE_BOUNDS = {"well-known": "0-1023", "registered": "1024-49151", "dynamic": "49152-65535"}
TRANSPORT_LABELS = {"tcp": "TCP", "udp": "UDP", "both": "both TCP and UDP"}


@dataclass(frozen=True)
class CardSpec:
    """What the loop needs to ask one card and grade the reply."""

    id: str
    kind: str
    question: str
    expected: str
    answers: tuple[str, ...] = ()  # names accepted (beside a port answer: names it may give), or transports, classes
    port_sets: tuple[frozenset[int], ...] = ()
    note: str = ""
    choices: tuple[str, ...] = ()
    self_graded: bool = False
    transports: tuple[str, ...] = ()  # transports a port answer may name
    targets: tuple[str, ...] = ()  # keys of the facts this card asks for: a wrong answer is never one of theirs
    same: bool = False  # the fact is its own secure version: "the same ports" is an answer
    set_names: tuple[tuple[frozenset[int], tuple[str, ...]], ...] = ()  # the names that may stand beside each set
    numbering: str = ""  # a numbered fact's registry (ip-protocol, icmp-type): its numbers are not ports
    asked: tuple[int, ...] = ()  # a port->service card's ports: typed again beside the name, they say nothing


PROSE_WORDS = 6


def is_prose(answer: str) -> bool:
    """An answer of six words or more cannot be checked by string matching: the learner grades it."""
    return len(answer.split()) >= PROSE_WORDS


def range_class(port: int) -> str:
    """RFC 6335 section 6: 0-1023 system (well-known), 1024-49151 user (registered), 49152-65535 dynamic."""
    if port <= 1023:
        return "well-known"
    return "registered" if port <= 49151 else "dynamic"


def port_list(ports: tuple[int, ...]) -> str:
    """`20, 21` or `137-139`: runs of three or more collapse into a range."""
    return ", ".join(map(str, compact_ports(ports)))


def port_phrase(fact: Fact) -> str:
    """`port 143/tcp`, `ports 20, 21/tcp`, `port 53 (TCP and UDP)`."""
    ports = port_list(fact.ports)
    word = "port" if len(fact.ports) == 1 else "ports"
    if fact.transport == "both":
        return f"{word} {ports} (TCP and UDP)"
    if len(fact.ports) == 1:
        return f"{word} {ports}/{fact.transport}"
    return f"{word} {ports} ({(fact.transport or 'tcp').upper()})"


def names_of(fact: Fact) -> tuple[str, ...]:
    """Every name a learner may give for a port fact: label, aliases, IANA names."""
    names = [fact.service or ""] + list(fact.aliases)
    if fact.registry:
        names += [n.split("(")[0].strip() for n in fact.registry.split(",")]
    return tuple(dict.fromkeys(n for n in names if n))


def informative(fact: Fact, kind: str) -> bool:
    """Transport and range questions are asked only where the answer is worth a card: a transport other
    than plain TCP, a port of 1024 and up. The rest is shown in the feedback of the fact's port cards."""
    if kind == Kind.TRANSPORT:
        return (fact.transport or "tcp") != "tcp" and "tcp" not in fact.accept_transport
    if kind == Kind.RANGE:
        return min(fact.ports) >= 1024 and len({range_class(p) for p in fact.ports}) == 1
    return True


def applicable(fact: Fact, kind: str, facts: Mapping[str, Fact] | None = None) -> bool:
    if fact.kinds and kind not in fact.kinds:
        return False
    if fact.is_number:
        return kind in NUMBER_KINDS
    if kind in (Kind.FRONT_BACK, Kind.BACK_FRONT):
        return not fact.is_port
    if not fact.is_port:
        return False
    if kind == Kind.SECURE:
        return bool(fact.secure) and (facts is None or all(k in facts for k in fact.secure))
    return kind in (Kind.SERVICE_PORT, Kind.PORT_SERVICE, Kind.TRANSPORT, Kind.RANGE) and informative(fact, kind)


def fact_id(deck: str, fact_key: str) -> str:
    return f"{deck}/{fact_key}"


def card_id(deck: str, fact_key: str, kind: str) -> str:
    return f"{fact_id(deck, fact_key)}/{kind}"


def question_key(fact: Fact, kind: str) -> tuple[object, ...]:
    """Two facts whose cards would ask the same question (SSH and SFTP: "Which service uses port 22/tcp?")
    share this key; a deck asks it once."""
    if kind == Kind.PORT_SERVICE:
        return (kind, fact.ports, fact.transport)
    if kind == Kind.SERVICE_PORT:
        return (kind, (fact.service or "").casefold())
    if kind == Kind.NUMBER_SERVICE:
        return (kind, fact.numbering, fact.number)
    if kind == Kind.SERVICE_NUMBER:
        return (kind, fact.numbering, (fact.service or "").casefold())
    return (kind, fact.key)


@dataclass(frozen=True, slots=True)  # slots: a deck of 60,000 facts plans 125,000 of them
class PlannedCard:
    id: str
    fact_key: str
    kind: str
    position: int


def plan_cards(deck: Deck, kinds: Sequence[str] | None = None) -> list[PlannedCard]:
    """The cards a deck gets, in the order they are first met: every fact's service->port question first,
    then port->service, then transport, range and secure; front/back decks in deck order. A question two
    facts would share is asked once, by the first."""
    kinds = tuple(kinds or deck.kinds)
    by_key = {f.key: f for f in deck.facts}
    asked: set[tuple[object, ...]] = set()
    out = []
    # each kind as its plain string: SQLite takes a str at once, an Enum member through the adapter lookup (5 ms
    # of the registry deck's 12,000 card rows)
    for rank, kind in enumerate(k.value for k in KINDS if k in kinds):
        for pos, fact in enumerate(deck.facts):
            if not applicable(fact, kind, by_key):
                continue
            q = question_key(fact, kind)
            if q in asked:
                continue
            asked.add(q)
            out.append(PlannedCard(card_id(deck.name, fact.key, kind), fact.key, kind, rank * 1_000_000 + pos))
    return out


def fact_line(fact: Fact) -> str:
    """What the transport and range cards would have asked, said once in a port card's feedback."""
    cls = {range_class(p) for p in fact.ports}
    also = [TRANSPORT_LABELS[t] for t in fact.accept_transport if t != fact.transport]
    transport = "TCP and UDP" if fact.transport == "both" else (fact.transport or "tcp").upper()
    if also:
        transport += f" (also given: {', '.join(also)})"
    if len(cls) != 1:
        return f"{fact.service}: {transport}; ports in more than one range."
    (c,) = cls
    where = f"a {c} port" if len(fact.ports) == 1 else f"{c} ports"
    return f"{fact.service}: {transport}; {where} ({RANGE_BOUNDS[c]})."


def make_card(deck: str, fact: Fact, kind: str, facts: Mapping[str, Fact] | None = None) -> CardSpec:
    """The card of `kind` for `fact`; `facts` (the deck by key) resolves secure counterparts."""
    cid = card_id(deck, fact.key, kind)
    note = fact.note or fact.description
    if kind == Kind.FRONT_BACK:
        back = fact.back or ""
        return CardSpec(cid, kind, fact.front or "", back, answers=(back,) + fact.accept, note=note,
                        self_graded=is_prose(back), targets=(fact.key,))
    if kind == Kind.BACK_FRONT:
        front = fact.front or ""
        return CardSpec(cid, kind, fact.back or "", front, answers=(front,), note=note, self_graded=is_prose(front),
                        targets=(fact.key,))
    svc = fact.service or ""
    if kind in NUMBER_KINDS:
        return _number_card(cid, fact, kind, note)
    taught = f"{fact_line(fact)} {note}".strip()
    if kind == Kind.SERVICE_PORT:
        verb = "port does" if len(fact.ports) == 1 else "ports does"
        return CardSpec(cid, kind, f"Which {verb} {svc} use?",
                        f"{port_list(fact.ports)} ({_transport_label(fact)})",
                        answers=names_of(fact), port_sets=port_sets_of(fact), note=taught,
                        transports=transports_of(fact), targets=(fact.key,),
                        set_names=tuple((s, names_of(fact)) for s in port_sets_of(fact)))
    if kind == Kind.PORT_SERVICE:
        return CardSpec(cid, kind, f"Which service uses {port_phrase(fact)}?", svc,
                        answers=names_of(fact), note=taught, targets=(fact.key,), asked=fact.ports,
                        transports=transport_list(fact.transport))  # those its question names
    if kind == Kind.TRANSPORT:
        t = fact.transport or "tcp"
        return CardSpec(cid, kind, f"Does {svc} use TCP, UDP or both?", TRANSPORT_LABELS[t],
                        answers=tuple(dict.fromkeys((t, *fact.accept_transport))), note=note, targets=(fact.key,))
    if kind == Kind.RANGE:
        cls = range_class(fact.ports[0])
        ports = port_list(fact.ports)
        question = (f"Is port {ports} ({svc}) well-known, registered or dynamic?" if len(fact.ports) == 1
                    else f"Are ports {ports} ({svc}) well-known, registered or dynamic?")
        return CardSpec(cid, kind, question, cls, answers=(cls,), targets=(fact.key,), asked=fact.ports,
                        note="RFC 6335: 0-1023 well-known (system), 1024-49151 registered (user), "
                             "49152-65535 dynamic (private).")
    if kind == Kind.SECURE:
        targets = [(facts or {})[k] for k in fact.secure]
        named = [(s, _secure_names(t, t.key == fact.key)) for t in targets for s in port_sets_of(t)]
        if len(targets) > 1:
            every = tuple(n for t in targets for n in names_of(t))
            named.append((frozenset().union(*(t.ports for t in targets)), every))
        sets = [s for s, _ in named]
        expected = " or ".join(f"{port_list(t.ports)} ({t.service})" for t in targets)
        same = [t.key for t in targets] == [fact.key]
        if same:
            expected = f"{port_list(fact.ports)} (the same ports)"
        word = "ports" if all(len(t.ports) > 1 for t in targets) else "port"
        return CardSpec(cid, kind, f"Which {word} does the secure version of {svc} use?", expected,
                        answers=tuple(n for t in targets for n in _secure_names(t, t.key == fact.key)),
                        port_sets=tuple(dict.fromkeys(sets)),
                        note=note if same or len(targets) > 1 else (targets[0].note or targets[0].description),
                        transports=tuple(dict.fromkeys(x for t in targets for x in transports_of(t))),
                        targets=tuple(t.key for t in targets), same=same, set_names=tuple(named))
    raise ValueError(f"unknown card kind {kind!r}")


# What each numbering asks, both ways: {svc} the name, {n} the number.
NUMBER_QUESTIONS = {
    "ip-protocol": ("Which IP protocol number does {svc} use?", "Which protocol is IP protocol {n}?"),
    "icmp-type": ("Which ICMP type is {svc}?", "What is ICMP type {n}?"),
    "icmp-unreachable-code": ("Which code of ICMP Destination Unreachable (type 3) means {svc}?",
                              "What does code {n} of ICMP Destination Unreachable (type 3) mean?"),
}


def _number_card(cid: str, fact: Fact, kind: str, note: str) -> CardSpec:
    """A numbered fact's card: its number from its name (graded as a port answer is, `47 (GRE)`), or its name
    from its number (graded as a port's service is)."""
    to_number, to_name = NUMBER_QUESTIONS[fact.numbering or ""]
    svc, n = fact.service or "", fact.number if fact.number is not None else -1
    if kind == Kind.SERVICE_NUMBER:
        named = svc
        if fact.numbering == "ip-protocol" and fact.aliases and " " in fact.aliases[0]:
            named = f"{svc} ({fact.aliases[0]})"  # IP protocol 27's RDP is not port 3389's: the question says which
        return CardSpec(cid, kind, to_number.format(svc=named, n=n), str(n), answers=names_of(fact),
                        port_sets=(frozenset({n}),), note=note, transports=("tcp", "udp"), targets=(fact.key,),
                        set_names=((frozenset({n}), names_of(fact)),), numbering=fact.numbering or "")
    return CardSpec(cid, kind, to_name.format(svc=svc, n=n), svc, answers=names_of(fact), note=note,
                    targets=(fact.key,), numbering=fact.numbering or "", asked=(n,))


def _secure_names(target: Fact, itself: bool) -> tuple[str, ...]:
    """The names that may stand beside the secure version's ports. A service that is its own secure version
    (SNMP: SNMPv3 on the same ports) is secure only in its newest version: `161/162 (SNMPv2c)` is wrong."""
    names = names_of(target)
    if not itself:
        return names
    version = {n: int(m.group(1)) for n in names if (m := re.search(r"v(\d+)\w*$", n, re.IGNORECASE))}
    if not version:
        return names
    newest = max(version.values())
    return tuple(n for n in names if version.get(n, newest) == newest)


def port_sets_of(fact: Fact) -> tuple[frozenset[int], ...]:
    """The port sets that answer for a fact: its own, then those study guides also give."""
    return tuple(dict.fromkeys([frozenset(fact.ports), *(frozenset(p) for p in fact.accept_ports)]))


def _transport_label(fact: Fact) -> str:
    return "TCP and UDP" if fact.transport == "both" else (fact.transport or "tcp").upper()


def _answer_text(kind: str, fact: Fact) -> str:
    """What a fact would answer to a card of `kind`: the text shown as its multiple-choice option."""
    if kind in (Kind.SERVICE_PORT, Kind.SECURE):
        return port_list(fact.ports)
    if kind == Kind.SERVICE_NUMBER:
        return str(fact.number) if fact.number is not None else ""
    if kind == Kind.FRONT_BACK:
        return fact.back or ""
    if kind == Kind.BACK_FRONT:
        return fact.front or ""
    return fact.service or ""


def _closeness(fact: Fact, other: Fact) -> int:
    if fact.number is not None and other.number is not None:
        return abs(fact.number - other.number)
    return min(abs(a - b) for a in fact.ports for b in other.ports) if fact.ports and other.ports else 10**6


def with_choices(spec: CardSpec, fact: Fact, facts: Sequence[Fact], rng: random.Random,
                 is_right: Callable[[str], bool], n: int = 4) -> CardSpec:
    """Four options: the answer and the ones learners confuse with it, never a second right one, shuffled.

    Distractors come, in this order, from the secure/insecure twin, the same family (tags), the
    numerically closest ports, then anything else in the deck; when the answer has several ports, so do the
    distractors where the deck has them (one lone port would give a pair away). Transport and range questions
    stay typed: out of three options, one is a guess.
    """
    if spec.kind in (Kind.TRANSPORT, Kind.RANGE):
        return spec
    target = fact
    if spec.kind == Kind.SECURE:
        by_key = {f.key: f for f in facts}
        target = by_key.get(fact.secure[0], fact) if fact.secure else fact
    right = _answer_text(spec.kind, target)
    others = [f for f in facts if f.key != target.key and (f.key != fact.key or spec.kind == Kind.SECURE)
              and f.is_port == fact.is_port and f.numbering == fact.numbering]
    rng.shuffle(others)
    twins = {fact.key, *fact.secure} | {f.key for f in others if fact.key in f.secure}
    family = set(fact.tags) | set(target.tags)
    several = len(target.ports) > 1 and spec.kind in (Kind.SERVICE_PORT, Kind.SECURE)
    ranked = sorted(others, key=lambda f: (f.key not in twins, several and len(f.ports) == 1,
                                            not (family & set(f.tags)),
                                            _closeness(target, f) if fact.is_port or fact.is_number else 0))
    options = [right]
    seen = {right.casefold()}
    for f in ranked:
        text = _answer_text(spec.kind, f)
        if text and text.casefold() not in seen and not is_right(text):
            seen.add(text.casefold())
            options.append(text)
        if len(options) == n:
            break
    if spec.kind in (Kind.SERVICE_PORT, Kind.SECURE, Kind.SERVICE_NUMBER) and len(options) < n:
        first = target.number if target.number is not None else target.ports[0]
        top = 255 if target.number is not None else 65535
        for delta in (1, -1, 2, -2, 10, -10, 100, -100):  # a tiny deck: near-miss numbers
            p = first + delta
            if 0 <= p <= top and str(p) not in seen and not is_right(str(p)):
                seen.add(str(p))
                options.append(str(p))
            if len(options) == n:
                break
    rng.shuffle(options)
    return replace(spec, choices=tuple(options))
