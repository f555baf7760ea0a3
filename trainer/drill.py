"""Drills shaped like the exam's performance-based questions, generated from a deck's port facts: match six
services to six ports, choose every option that fits, and write down a whole family from memory (the brain dump).
Pure functions of the facts and a seeded random generator: the same seed, the same drill; grading names each
missed pair, each extra or missing option, each port left out."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from trainer.cards import port_list
from trainer.deck import Fact
from trainer.grading import name_right, read_ports

KINDS = ("match", "choose", "dump")
LETTERS = "abcdef"


@dataclass(frozen=True)
class Drill:
    """One drill as shown: a title, the lines under it, how to answer, and the facts it is about."""

    kind: str
    title: str
    lines: tuple[str, ...]
    how: str
    facts: tuple[Fact, ...]
    expected: tuple[str, ...]  # match: the right number for each letter; choose: the right option numbers


@dataclass(frozen=True)
class Graded:
    score: int
    total: int
    lines: tuple[str, ...]
    missed: tuple[str, ...]  # keys of the facts missed
    confused: tuple[tuple[str, str], ...] = ()  # (fact missed, fact its answer belonged to)


def _port_facts(facts: Sequence[Fact]) -> list[Fact]:
    return [f for f in facts if f.is_port and f.ports]


def _where(f: Fact) -> str:
    if f.transport == "both":
        return f"{port_list(f.ports)} (tcp and udp)"
    transport = f.transport or "tcp"
    return f"{port_list(f.ports)}/{transport}" if len(f.ports) == 1 else f"{port_list(f.ports)} ({transport})"


def families(facts: Sequence[Fact]) -> dict[str, list[Fact]]:
    """Port facts by family (their tags), largest first: what a match or a dump is drawn from."""
    out: dict[str, list[Fact]] = {}
    for f in _port_facts(facts):
        for tag in f.tags[:1]:
            out.setdefault(tag, []).append(f)
    return dict(sorted(out.items(), key=lambda kv: (-len(kv[1]), kv[0])))


def match(facts: Sequence[Fact], rng: random.Random) -> Drill:
    """Six services and six ports, shuffled; a family learners mix up, filled from its neighbours."""
    ports = _port_facts(facts)
    fams = [f for f in families(facts).values() if len(f) >= 2]
    chosen: list[Fact] = []
    seen_ports: set[tuple[int, ...]] = set()
    first = rng.choice(fams) if fams else []
    pool = list(first) + rng.sample(ports, len(ports))
    for f in pool:
        if len(chosen) == 6:
            break
        if f.ports in seen_ports or any(f.key == c.key for c in chosen):
            continue
        chosen.append(f)
        seen_ports.add(f.ports)
    rng.shuffle(chosen)
    numbers = list(range(len(chosen)))
    rng.shuffle(numbers)  # numbers[i]: where fact i's ports are listed
    by_slot = {slot: chosen[i] for i, slot in enumerate(numbers)}
    lines = [f"  {LETTERS[i]}) {f.service:<20s}   {slot + 1}) {_where(by_slot[slot])}"
             for i, (f, slot) in enumerate(zip(chosen, range(len(chosen)), strict=True))]
    expected = tuple(str(numbers[i] + 1) for i in range(len(chosen)))
    return Drill("match", "Match each service to its port.", tuple(lines),
                 "type a letter and a number for each pair, e.g. `a4 b2 ...`", tuple(chosen), expected)


_QUESTIONS = ("encrypted", "udp", "well-known")


def choose(facts: Sequence[Fact], rng: random.Random) -> Drill:
    """Which of these options fit (encrypted, over UDP, in the well-known range)? 6 options, 2-4 of them right."""
    ports = _port_facts(facts)
    secure = {k for f in facts for k in f.secure}
    kind = rng.choice(_QUESTIONS)
    if kind == "encrypted":
        def fits(f: Fact) -> bool:
            return f.key in secure
        pool = [f for f in ports if f.key in secure or f.secure]  # both sides of a secure pair: the real question
        title = "Which of these protocols are encrypted (the secure versions)?"
    elif kind == "udp":
        def fits(f: Fact) -> bool:
            return f.transport in ("udp", "both")
        pool = [f for f in ports if not f.accept_transport]  # where study guides disagree, the answer is not a fact
        title = "Which of these use UDP (alone or as well as TCP)?"
    else:
        def fits(f: Fact) -> bool:
            return max(f.ports) < 1024
        pool = [f for f in ports if (max(f.ports) < 1024) == (min(f.ports) < 1024)]
        title = "Which of these use well-known (System) ports, 0-1023?"
    right = [f for f in pool if fits(f)]
    wrong = [f for f in pool if not fits(f)]
    n_right = min(len(right), rng.randint(2, 4))
    picked = rng.sample(right, n_right) + rng.sample(wrong, min(len(wrong), 6 - n_right))
    rng.shuffle(picked)
    lines = tuple(f"  {i}) {f.service}" for i, f in enumerate(picked, 1))
    expected = tuple(str(i) for i, f in enumerate(picked, 1) if fits(f))
    return Drill("choose", title, lines, "type the numbers of every option that fits, e.g. `1 4 5`", tuple(picked),
                 expected)


def dump(facts: Sequence[Fact], rng: random.Random, family: str | None = None) -> Drill:
    """The brain dump: every port of one family, written from memory in one answer."""
    fams = families(facts)
    name = family if family in fams else rng.choice([k for k, v in fams.items() if len(v) >= 3] or list(fams))
    members = tuple(fams[name])
    return Drill("dump", f"Write every port of the {name} family: {len(members)} services.", (),
                 "one answer: each service and its port(s), e.g. `SMTP 25, IMAP 143, ...`", members,
                 tuple(port_list(f.ports) for f in members))


def make(kind: str, facts: Sequence[Fact], rng: random.Random, family: str | None = None) -> Drill:
    return {"match": match, "choose": choose}[kind](facts, rng) if kind != "dump" else dump(facts, rng, family)


def grade(drill: Drill, answer: str, facts: Sequence[Fact] = ()) -> Graded:
    if drill.kind == "match":
        return _grade_match(drill, answer)
    if drill.kind == "choose":
        return _grade_choose(drill, answer)
    return _grade_dump(drill, answer, facts)


def _grade_match(drill: Drill, answer: str) -> Graded:
    """Pair by pair: `a3 b1`, `a-3, b-1`, `a 3` one per line; a letter given twice counts its first number."""
    given: dict[int, str] = {}
    for letter, number in re.findall(r"([a-f])\s*[-=:)]?\s*([1-6])", answer.casefold()):
        given.setdefault(LETTERS.index(letter), number)
    lines, missed, confused = [], [], []
    by_number = {n: drill.facts[i] for i, n in enumerate(drill.expected)}
    for i, f in enumerate(drill.facts):
        want, got = drill.expected[i], given.get(i)
        if got == want:
            lines.append(f"  ✓ {LETTERS[i]}{want}  {f.service} {_where(f)}")
            continue
        missed.append(f.key)
        other = by_number.get(got or "")
        said = f"you paired it with {got} ({_where(other)}, {other.service}'s)" if other else "no pair given"
        if other:
            confused.append((f.key, other.key))
        lines.append(f"  ✗ {LETTERS[i]}{want}  {f.service} is {_where(f)}: {said}")
    score = len(drill.facts) - len(missed)
    return Graded(score, len(drill.facts), (f"{score} of {len(drill.facts)} pairs right.", *lines), tuple(missed),
                  tuple(confused))


def _grade_choose(drill: Drill, answer: str) -> Graded:
    """As a set: every option that fits, and none that does not; each missing and extra option named."""
    picked: set[str] = set(re.findall(r"\d+", answer))
    for i, f in enumerate(drill.facts, 1):  # names typed instead of numbers count too
        if any(name_right(part, (f.service or "", *f.aliases)) for part in re.split(r"[,;/]|\band\b", answer)
               if part.strip() and not part.strip().isdigit()):
            picked.add(str(i))
    want = set(drill.expected)
    missing = sorted(want - picked, key=int)
    extra = sorted(picked - want - {str(n) for n in range(len(drill.facts) + 1, 100)}, key=int)
    lines = [f"  missed {n}) {drill.facts[int(n) - 1].service}: it fits" for n in missing]
    lines += [f"  extra {n}) {drill.facts[int(n) - 1].service}: it does not fit" for n in extra if int(n) >= 1]
    score = len(drill.facts) - len(missing) - len(extra)
    right = ", ".join(f"{n}) {drill.facts[int(n) - 1].service}" for n in sorted(want, key=int))
    head = "✓ All right." if not missing and not extra else f"✗ The options that fit: {right}."
    missed = [drill.facts[int(n) - 1].key for n in missing + extra if int(n) >= 1]
    return Graded(score, len(drill.facts), (head, *lines), tuple(missed))


def _grade_dump(drill: Drill, answer: str, facts: Sequence[Fact]) -> Graded:
    """Set recall: a service counts when all its ports are written; a port of another service is named."""
    written: set[int] = set()
    for reading in read_ports(re.sub(r"[A-Za-z][\w+-]*", " ", answer).replace(";", ",")) or []:
        written |= set(reading.ports)
    written |= {int(p) for p in re.findall(r"(?<![\w/])(\d{1,5})(?![\w])", answer) if int(p) <= 65535}
    lines, missed = [], []
    for f in drill.facts:
        if set(f.ports) <= written:
            lines.append(f"  ✓ {f.service} {_where(f)}")
        else:
            missed.append(f.key)
            lines.append(f"  ✗ {f.service} {_where(f)}: left out")
    mine = {p for f in drill.facts for p in f.ports}
    owners = {p: f for f in _port_facts(facts) for p in f.ports}
    extra = sorted(written - mine)
    for p in extra:
        other = owners.get(p)
        lines.append(f"  extra {p}: " + (f"that is {other.service}, not of this family" if other else
                                          "no service of this deck uses it"))
    score = len(drill.facts) - len(missed)
    return Graded(score, len(drill.facts), (f"{score} of {len(drill.facts)} services written with their ports"
                                            + (f"; {len(extra)} port(s) that do not belong." if extra else "."),
                                            *lines), tuple(missed))
