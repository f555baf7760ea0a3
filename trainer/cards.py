"""Facts become cards: the question text, the answer expected, and what else is accepted."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Callable, Mapping, Sequence

from trainer.deck import Fact, compact_ports

RANGE_CLASSES = {
    "well-known": ("well-known", "well known", "wellknown", "system", "system port", "well-known port"),
    "registered": ("registered", "user", "user port", "registered port"),
    "dynamic": ("dynamic", "private", "ephemeral", "dynamic/private", "dynamic port", "private port"),
}
TRANSPORT_ANSWERS = {
    "tcp": ("tcp", "tcp only", "only tcp"),
    "udp": ("udp", "udp only", "only udp"),
    "both": ("both", "both tcp and udp", "tcp and udp", "udp and tcp", "tcp/udp", "udp/tcp", "tcp+udp", "tcp, udp", "udp, tcp"),
}


@dataclass(frozen=True)
class CardSpec:
    """What the loop needs to ask one card and grade the reply."""

    id: str
    kind: str
    question: str
    expected: str
    answers: tuple[str, ...] = ()
    port_sets: tuple[frozenset[int], ...] = ()
    note: str = ""
    choices: tuple[str, ...] = ()
    self_graded: bool = False
    transport: str | None = None


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


def applicable(fact: Fact, kind: str, facts: Mapping[str, Fact] | None = None) -> bool:
    if kind in ("front-back", "back-front"):
        return not fact.is_port
    if not fact.is_port:
        return False
    if kind == "range":
        return len({range_class(p) for p in fact.ports}) == 1
    if kind == "secure":
        return bool(fact.secure) and (facts is None or all(k in facts for k in fact.secure))
    return kind in ("service-port", "port-service", "transport")


def card_id(deck: str, fact_key: str, kind: str) -> str:
    return f"{deck}/{fact_key}/{kind}"


def make_card(deck: str, fact: Fact, kind: str, facts: Mapping[str, Fact] | None = None) -> CardSpec:
    """The card of `kind` for `fact`; `facts` (the deck by key) resolves secure counterparts."""
    cid = card_id(deck, fact.key, kind)
    note = fact.note or fact.description
    if kind == "front-back":
        back = fact.back or ""
        return CardSpec(cid, kind, fact.front or "", back, answers=(back,) + fact.accept, note=note,
                        self_graded=is_prose(back))
    if kind == "back-front":
        front = fact.front or ""
        return CardSpec(cid, kind, fact.back or "", front, answers=(front,), note=note, self_graded=is_prose(front))
    svc = fact.service or ""
    if kind == "service-port":
        verb = "port does" if len(fact.ports) == 1 else "ports does"
        return CardSpec(cid, kind, f"Which {verb} {svc} use?",
                        f"{port_list(fact.ports)} ({_transport_label(fact)})",
                        port_sets=(frozenset(fact.ports),), note=note, transport=fact.transport)
    if kind == "port-service":
        return CardSpec(cid, kind, f"Which service uses {port_phrase(fact)}?", svc,
                        answers=names_of(fact), note=note)
    if kind == "transport":
        t = fact.transport or "tcp"
        return CardSpec(cid, kind, f"Does {svc} use TCP, UDP or both?",
                        "both TCP and UDP" if t == "both" else t.upper(),
                        answers=TRANSPORT_ANSWERS[t], note=note)
    if kind == "range":
        cls = range_class(fact.ports[0])
        ports = port_list(fact.ports)
        question = (f"Is port {ports} ({svc}) well-known, registered or dynamic?" if len(fact.ports) == 1
                    else f"Are ports {ports} ({svc}) well-known, registered or dynamic?")
        return CardSpec(cid, kind, question, cls, answers=RANGE_CLASSES[cls],
                        note="RFC 6335: 0-1023 well-known (system), 1024-49151 registered (user), "
                             "49152-65535 dynamic (private).")
    if kind == "secure":
        targets = [(facts or {})[k] for k in fact.secure]
        sets = [frozenset(t.ports) for t in targets]
        if len(sets) > 1:
            sets.append(frozenset().union(*sets))
        expected = " or ".join(f"{port_list(t.ports)} ({t.service})" for t in targets)
        if [t.key for t in targets] == [fact.key]:
            expected = f"{port_list(fact.ports)}, the same ports"
        word = "ports" if all(len(t.ports) > 1 for t in targets) else "port"
        return CardSpec(cid, kind, f"Which {word} does the secure version of {svc} use?", expected,
                        port_sets=tuple(sets), note=note if targets[0].key == fact.key else
                        (targets[0].note or targets[0].description))
    raise ValueError(f"unknown card kind {kind!r}")


def _transport_label(fact: Fact) -> str:
    return "TCP and UDP" if fact.transport == "both" else (fact.transport or "tcp").upper()


def _answer_text(kind: str, fact: Fact) -> str:
    """What a fact would answer to a card of `kind`: the text shown as its multiple-choice option."""
    if kind in ("service-port", "secure"):
        return port_list(fact.ports)
    if kind == "front-back":
        return fact.back or ""
    if kind == "back-front":
        return fact.front or ""
    return fact.service or ""


def _closeness(fact: Fact, other: Fact) -> int:
    return min(abs(a - b) for a in fact.ports for b in other.ports) if fact.ports and other.ports else 10**6


def with_choices(spec: CardSpec, fact: Fact, facts: Sequence[Fact], rng: random.Random,
                 is_right: Callable[[str], bool], n: int = 4) -> CardSpec:
    """Four options: the answer and the ones learners confuse with it, never a second right one, shuffled.

    Distractors come, in this order, from the secure/insecure twin, the same family (tags), the
    numerically closest ports, then anything else in the deck.
    """
    if spec.kind == "transport":
        options = ["TCP", "UDP", "both TCP and UDP"]
    elif spec.kind == "range":
        options = ["well-known", "registered", "dynamic"]
    else:
        target = fact
        if spec.kind == "secure":
            by_key = {f.key: f for f in facts}
            target = by_key.get(fact.secure[0], fact) if fact.secure else fact
        right = _answer_text(spec.kind, target)
        others = [f for f in facts if f.key != target.key and (f.key != fact.key or spec.kind == "secure")
                  and f.is_port == fact.is_port]
        rng.shuffle(others)
        twins = {fact.key, *fact.secure} | {f.key for f in others if fact.key in f.secure}
        family = set(fact.tags) | set(target.tags)
        ranked = sorted(others, key=lambda f: (f.key not in twins, not (family & set(f.tags)),
                                                _closeness(target, f) if fact.is_port else 0))
        options = [right]
        seen = {right.casefold()}
        for f in ranked:
            text = _answer_text(spec.kind, f)
            if text and text.casefold() not in seen and not is_right(text):
                seen.add(text.casefold())
                options.append(text)
            if len(options) == n:
                break
        if spec.kind in ("service-port", "secure") and len(options) < n:
            for delta in (1, -1, 2, -2, 10, -10, 100, -100):  # a tiny deck: near-miss port numbers
                p = target.ports[0] + delta
                if 0 <= p <= 65535 and str(p) not in seen and not is_right(str(p)):
                    seen.add(str(p))
                    options.append(str(p))
                if len(options) == n:
                    break
    rng.shuffle(options)
    return replace(spec, choices=tuple(options))
