"""Drills shaped like the exam's performance-based questions, generated from a deck's port facts: match six
services to six ports, choose every option that fits, and write down a whole family from memory (the brain dump).
Pure functions of the facts and a seeded random generator: the same seed, the same drill; grading names each
missed pair, each extra or missing option, each port left out."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from trainer.cards import RANGE_BOUNDS, names_of, port_list, range_class
from trainer.deck import Fact, transport_list
from trainer.errors import TrainerError
from trainer.grading import name_right

KINDS = ("match", "choose", "dump", "firewall", "rules", "netstat")
ROLE_KINDS = ("firewall", "rules", "netstat")  # from the curated server roles: the exam deck's facts


class DrillError(TrainerError):
    """A deck that cannot make this kind of drill (too few port facts, no families, no secure pairs)."""


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
    rules: tuple[Rule, ...] = field(default=())  # firewall: the rules the scenario needs; netstat: the ports asked
    deck: tuple[Fact, ...] = field(default=(), repr=False)  # the deck's port facts: names, owners, insecure ones
    reasons: tuple[str, ...] = ()  # rules: why each line is right or wrong
    shape: str = ""  # netstat: "names", "insecure" or "outbound"


@dataclass(frozen=True)
class Rule:
    """One allow rule, whatever syntax it was typed in: inbound to a port (from one address or any), or outbound
    to one (to one address or any)."""

    transport: str
    port: int
    peer: str | None = None
    direction: str = "in"
    fact: str = ""  # the exam fact it serves (expected rules)

    def text(self) -> str:
        where = (f" from {self.peer}" if self.direction == "in" else f" to {self.peer}") if self.peer else ""
        return f"allow {'out ' if self.direction == 'out' else ''}{self.transport} {self.port}{where}"


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
    if len({f.ports for f in ports}) < 4:
        raise DrillError("a match needs at least 4 port facts on different ports")
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
    if not secure and kind == "encrypted":
        kind = "udp" if any(f.transport in ("udp", "both") for f in ports) else "well-known"
    if kind == "encrypted":
        def fits(f: Fact) -> bool:
            return f.key in secure
        pool = [f for f in ports if (f.key in secure or f.secure) and f.key not in f.secure]  # both sides of a
        # secure pair; not one whose newest version is its own secure one (SNMP: only v3 is encrypted)
        title = "Which of these protocols are encrypted (the secure versions)?"
    elif kind == "udp":
        def fits(f: Fact) -> bool:
            return f.transport in ("udp", "both")
        pool = [f for f in ports if not f.accept_transport]  # where study guides disagree, the answer is not a fact
        title = "Which of these use UDP (alone or as well as TCP)?"
    else:
        def fits(f: Fact) -> bool:
            return range_class(max(f.ports)) == "well-known"
        pool = [f for f in ports if len({range_class(p) == "well-known" for p in f.ports}) == 1]
        title = f"Which of these use well-known (System) ports, {RANGE_BOUNDS['well-known']}?"
    right = [f for f in pool if fits(f)]
    wrong = [f for f in pool if not fits(f)]
    if len(right) < 2 or len(wrong) < 2:
        raise DrillError("too few port facts of each kind for a `choose` drill")
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
    if not fams:
        raise DrillError("a dump needs port facts in families (tags)")
    name = family if family in fams else rng.choice([k for k, v in fams.items() if len(v) >= 3] or list(fams))
    members = tuple(fams[name])
    return Drill("dump", f"Write every port of the {name} family: {len(members)} "
                 f"service{'s' if len(members) != 1 else ''}.", (),
                 "one answer: each service and its port(s), e.g. `SMTP 25, IMAP 143, ...`", members,
                 tuple(port_list(f.ports) for f in members))


def make_one_of(kinds: Sequence[str], facts: Sequence[Fact], rng: random.Random,
                family: str | None = None) -> Drill:
    """A drill of one of `kinds` the facts can make: a random kind, the next one when the facts cannot make it
    (one kind: the seed's drill as is); DrillError when none can."""
    last = DrillError("no drill kind given")
    for kind in kinds if len(kinds) == 1 else rng.sample(list(kinds), len(kinds)):
        try:
            return make(kind, facts, rng, family)
        except DrillError as e:
            last = e
    raise last


def make(kind: str, facts: Sequence[Fact], rng: random.Random, family: str | None = None,
         roles: dict[str, Any] | None = None) -> Drill:
    """A drill of `kind` from these facts; it keeps the deck's port facts, which grading reads names and owners
    from."""
    if kind == "dump":
        drill = dump(facts, rng, family)
    elif kind in ROLE_KINDS:
        drill = {"firewall": firewall, "rules": rule_list, "netstat": netstat}[kind](facts, rng, roles or load_roles())
    else:
        drill = {"match": match, "choose": choose}[kind](facts, rng)
    return replace(drill, deck=tuple(_port_facts(facts)))


def grade(drill: Drill, answer: str, facts: Sequence[Fact] = ()) -> Graded:
    facts = facts or drill.deck
    if drill.kind == "match":
        return _grade_match(drill, answer)
    if drill.kind == "choose":
        return _grade_choose(drill, answer)
    if drill.kind == "rules":
        return _grade_rules(drill, answer)
    if drill.kind == "firewall":
        return _grade_firewall(drill, answer, facts)
    if drill.kind == "netstat":
        return _grade_netstat(drill, answer, facts)
    return _grade_dump(drill, answer, facts)


def _grade_match(drill: Drill, answer: str) -> Graded:
    """Pair by pair: `a3 b1`, `a-3, b-1`, `a 3` one per line; a letter given twice counts its first number."""
    given: dict[int, str] = {}
    text = answer.casefold()
    if re.match(r"\W*\d", text):  # `1a 3b ...`: number first
        pairs = [(letter, number) for number, letter in re.findall(r"([1-6])\s*[-=:)]?\s*([a-f])", text)]
    else:
        pairs = re.findall(r"([a-f])\s*[-=:)]?\s*([1-6])", text)
    hedged: set[int] = set()
    for letter, number in pairs:
        i = LETTERS.index(letter)
        if given.setdefault(i, number) != number:
            hedged.add(i)  # two answers for one letter: neither counts
    lines, missed, confused = [], [], []
    by_number = {n: drill.facts[i] for i, n in enumerate(drill.expected)}
    for i, f in enumerate(drill.facts):
        want, got = drill.expected[i], given.get(i)
        if i in hedged:
            missed.append(f.key)
            lines.append(f"  ✗ {LETTERS[i]}{want}  {f.service} is {_where(f)}: more than one number for {LETTERS[i]}")
            continue
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
    numbers = re.findall(r"\d+", answer)
    if len(numbers) == 1 and len(numbers[0]) > 1 and all(1 <= int(c) <= len(drill.facts) for c in numbers[0]):
        numbers = list(numbers[0])  # `146`: options 1, 4 and 6
    picked: set[str] = {str(int(n)) for n in numbers if 1 <= int(n) <= len(drill.facts)}  # `01` is 1
    for i, f in enumerate(drill.facts, 1):  # names typed instead of numbers count too
        if any(name_right(part, names_of(f)) for part in re.split(r"[,;/]|\band\b", answer)
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


def _written(drill: Drill, answer: str, pool: list[Fact]) -> tuple[dict[str, set[int]], list[str]]:
    """What a brain dump says: each service named, with the ports beside its name; notes on what is not counted."""
    said: dict[str, set[int]] = {}
    notes: list[str] = []
    for part in re.split(r"[,;\n]+(?=\s*[A-Za-z])|;|\n|\s+and\s+(?=[A-Za-z])", answer):
        name = " ".join(w for w in re.split(r"[\s,()]+", part) if w and not re.fullmatch(  # L2TP keeps its 2
            r"\d{1,5}(?:/(?:tcp|udp))?|/?(?:tcp|udp)|and|port|ports|[-:/]", w, flags=re.I)).strip(" -:")
        ports = {int(p) for p in re.findall(r"(?<![\w.])(\d{1,5})(?![\w.])", part) if int(p) <= 65535}
        if not ports:
            continue
        if not name:
            notes.append(f"  {', '.join(map(str, sorted(ports)))}: no service named beside it, not counted")
            continue
        called = [f for f in [*drill.facts, *pool] if name_right(name, names_of(f))]
        if not called:
            notes.append(f"  {part.strip()}: no service of this deck is called {name}")
            continue
        for p in ports:  # a name two facts go by (SMTPS: 587, and 465 on study lists): each port to its own
            who = next((f for f in called if p in f.ports), called[0])
            said.setdefault(who.key, set()).add(p)
        for t in re.findall(r"\b(tcp|udp)\b", part, flags=re.I):
            wrong = [f for f in called if f.ports and t.lower() not in (*transport_list(f.transport),
                                                                         *f.accept_transport)]
            notes += [f"  ✗ {f.service} uses {'/'.join(transport_list(f.transport)).upper()}, not {t.upper()}"
                      for f in wrong]
            for f in wrong:
                said.pop(f.key, None)
    return said, notes


def _grade_dump(drill: Drill, answer: str, facts: Sequence[Fact]) -> Graded:
    """Set recall, service by service: a name and its ports (`IMAP 143, IMAPS 993`); a name beside another
    service's ports is a confusion, some of a service's ports are partly right, a port with no name is not counted."""
    pool = _port_facts(facts) or list(drill.facts)
    said, notes = _written(drill, answer, pool)
    owners: dict[int, Fact] = {}
    for f in [*drill.facts, *pool]:  # a port's owner: the family's own service first
        for p in f.ports:
            owners.setdefault(p, f)
    lines, missed, confused = [], [], []
    for f in drill.facts:
        got = said.get(f.key, set())
        if set(f.ports) <= got:
            lines.append(f"  ✓ {f.service} {_where(f)}")
            continue
        missed.append(f.key)
        other = owners.get(min(got)) if got else None
        if not got:
            lines.append(f"  ✗ {f.service} {_where(f)}: left out")
        elif got & set(f.ports):
            lines.append(f"  ✗ {f.service} {_where(f)}: partly, also {port_list(tuple(sorted(set(f.ports) - got)))}")
        else:
            lines.append(f"  ✗ {f.service} {_where(f)}: you wrote {', '.join(map(str, sorted(got)))}"
                         + (f", which is {other.service}'s" if other and other.key != f.key else ""))
            if other and other.key != f.key:
                confused.append((f.key, other.key))
    family = {f.key for f in drill.facts}
    lines += [f"  extra {f.service}: not of this family" for f in pool if f.key in said and f.key not in family]
    score = len(drill.facts) - len(missed)
    return Graded(score, len(drill.facts), (f"{score} of {len(drill.facts)} services written with their ports.",
                                            *lines, *notes), tuple(missed), tuple(confused))


# Firewall and netstat: server roles from decks/server-roles.json (curated in decks/src/server-roles.yaml) -----------

INSECURE = {"telnet": "Telnet sends passwords in the clear: use SSH", "ftp": "FTP sends passwords in the clear: use "
            "SFTP or FTPS", "http": "HTTP is cleartext: serve HTTPS", "tftp": "TFTP has no authentication at all",
            "pop3": "POP3 is cleartext: use POP3S", "imap": "IMAP is cleartext: use IMAPS", "ldap": "LDAP binds in the "
            "clear: use LDAPS", "snmp": "SNMPv1/v2c community strings travel in the clear: use SNMPv3"}
_IP = r"\d{1,3}(?:\.\d{1,3}){3}"


@lru_cache(maxsize=1)
def load_roles() -> dict[str, Any]:
    from trainer.paths import bundled_decks_dir

    return dict(json.loads((bundled_decks_dir() / "server-roles.json").read_text(encoding="utf-8")))


def role_needs(role: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(fact key, direction, the one address) for each service a role serves, is managed by, or reaches."""
    out: list[tuple[str, str, str | None]] = []
    for item in role["in"]:
        out.append((item, "in", None) if isinstance(item, str) else (item["service"], "in", item.get("from")))
    if role.get("managed"):
        out.append((role["managed"]["service"], "in", role["managed"]["from"]))
    out += [(item["service"], "out", item.get("to")) for item in role.get("out", [])]
    return out


def _scenario(role: dict[str, Any], by_key: dict[str, Fact]) -> str:
    """`A mail server must serve SMTP, SMTPS and IMAPS, be managed over SSH from 10.0.0.5 only and send to DNS on
    10.0.0.53; nothing else.`"""
    def joined(names: list[str]) -> str:
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"

    served = [by_key[k].service or k for k, d, peer in role_needs(role) if d == "in" and peer is None]
    parts = [f"serve {joined(served)}"] if served else []
    for key, direction, peer in role_needs(role):
        name = by_key[key].service
        if direction == "out":
            parts.append(f"send to {name} on {peer}" if peer else f"reach {name} servers")
        elif peer and role.get("managed") and key == role["managed"]["service"] and peer == role["managed"]["from"]:
            parts.append(f"be managed over {name} from {peer} only")
        elif peer:
            parts.append(f"accept {name} from {peer} only")
    return f"A {role['name']} must {joined(parts)}; nothing else."


def firewall(facts: Sequence[Fact], rng: random.Random, roles: dict[str, Any]) -> Drill:
    """A scenario; the learner types the allow rules it needs, in any of three syntaxes."""
    by_key = {f.key: f for f in facts}
    usable = [r for r in roles["roles"] if all(k in by_key for k, _, _ in role_needs(r))]
    if not usable:
        raise DrillError("the server roles are made of the exam deck's facts")
    role = rng.choice(usable)
    rules = tuple(Rule(t, p, peer, direction, key) for key, direction, peer in role_needs(role)
                  for p in by_key[key].ports for t in transport_list(by_key[key].transport))
    return Drill("firewall", _scenario(role, by_key), (), "type the allow rules on one line, separated by `;`: "
                 "`allow tcp 443`, `allow tcp 22 from 10.0.0.5`, `allow udp 514 to 10.0.0.9` (or `ufw allow 443/tcp`, "
                 "`permit tcp any any eq 443`)", tuple(by_key[k] for k, _, _ in role_needs(role)), (), rules)


def rule_list(facts: Sequence[Fact], rng: random.Random, roles: dict[str, Any]) -> Drill:
    """The firewall's second shape: a scenario and an existing rule list with mistakes; which lines are wrong?"""
    base = firewall(facts, rng, roles)
    by_key = {f.key: f for f in facts}
    rules: list[tuple[Rule, bool, str]] = [(r, True, f"right: {by_key[r.fact].service}") for r in base.rules]
    mutations: list[tuple[Rule, str, Rule | None]] = []  # (the wrong line, why, the right line it replaces)
    for r in base.rules:
        name = by_key[r.fact].service or r.fact
        other = "udp" if r.transport == "tcp" else "tcp"
        if other not in transport_list(by_key[r.fact].transport) and other not in by_key[r.fact].accept_transport:
            mutations.append((replace(r, transport=other), f"{name} uses {r.transport.upper()}", r))
        if r.peer:
            side = "source" if r.direction == "in" else "destination"
            mutations.append((replace(r, peer=None), f"opens {name} to any {side}, not only {r.peer}", r))
    telnet = by_key.get("telnet")
    if telnet is not None:  # an insecure extra
        mutations.append((Rule(transport_list(telnet.transport)[0], telnet.ports[0], None, "in", "telnet"),
                          INSECURE["telnet"], None))
    for bad, why, right in rng.sample(mutations, min(len(mutations), rng.randint(2, 3))):
        rules = [(r, ok, n) for r, ok, n in rules if r != right]  # that line, and no other (DNS's UDP 53 stays)
        rules.append((bad, False, why))
    rng.shuffle(rules)
    lines = tuple(f"  {i}) {r.text()}" for i, (r, _, _) in enumerate(rules, 1))
    expected = tuple(str(i) for i, (_, ok, _) in enumerate(rules, 1) if not ok)
    return Drill("rules", f"{base.title} Which lines of this rule list are wrong?", lines,
                 "type the numbers of the wrong lines, e.g. `2 5`", tuple(by_key[r.fact] for r, _, _ in rules),
                 expected, tuple(r for r, _, _ in rules), reasons=tuple(why for _, _, why in rules))


def _grade_rules(drill: Drill, answer: str) -> Graded:
    """Which lines are wrong, as a set: each one missed and each right line flagged, with the reason."""
    picked = {str(int(n)) for n in re.findall(r"\d+", answer) if 1 <= int(n) <= len(drill.rules)}
    want = set(drill.expected)
    lines = []
    for i, (rule, why) in enumerate(zip(drill.rules, drill.reasons, strict=True), 1):
        n = str(i)
        if n in want and n not in picked:
            lines.append(f"  missed {n}) {rule.text()}: {why}")
        elif n in picked and n not in want:
            lines.append(f"  {n}) {rule.text()} is {why}")
        elif n in want:
            lines.append(f"  ✓ {n}) {rule.text()}: {why}")
    wrong = sum(1 for ln in lines if not ln.startswith("  ✓"))
    head = "✓ All right." if not wrong else f"✗ The wrong lines: {', '.join(sorted(want, key=int))}."
    missed = [f.key for i, f in enumerate(drill.facts, 1) if (str(i) in want) != (str(i) in picked)]
    return Graded(len(drill.rules) - wrong, len(drill.rules), (head, *lines), tuple(dict.fromkeys(missed)))


_OPEN_ALL = Rule("ip", 0)  # `permit ip any any`, `allow tcp 1-65535`: every port


def parse_rules(text: str, names: dict[str, PortName] | None = None) -> list[Rule] | None:
    """The rules one line allows, whatever its syntax: ours (`allow tcp 22 from 10.0.0.5`, `allow udp 514 to
    10.0.0.9`), ufw's (`ufw allow from 10.0.0.5 to any port 22 proto tcp`; no proto: both), Cisco's (`permit tcp
    host 10.0.0.5 any eq ssh`, `range 5060 5061`), iptables' (`-A INPUT -p tcp -s 10.0.0.5 --dport 22 -j ACCEPT`);
    port names (`https`, `eq ntp`) from the deck's facts; ranges and lists. [] for a line that allows nothing,
    None for one that cannot be read as a rule."""
    t = text.strip().casefold()
    if not t or re.search(r"\b(deny|drop|reject)\b", t):
        return []
    if not re.search(r"\b(allow|permit|accept)\b", t):
        return None
    t = re.sub(r"^access-list\s+\S+\s+", "", t)  # the ACL's number is no port
    if re.search(r"\b(ip|any)\s+any\s+any\b|\bip\s+any\b", t) and not re.search(r"\b(eq|range|port)\b", t):
        return [_OPEN_ALL]
    if re.search(r"--sport\b|\b(?:gt|lt|neq)\s+\d", t) or re.search(
            rf"permit\s+\w+\s+(?:any|host\s+{_IP}|{_IP}(?:\s+{_IP})?)\s+(?:eq|range)\s", t):
        return [_OPEN_ALL]  # a source port, or ports above one: every destination port is open
    found = _ports_of(t, names or {})
    if found is None:
        return [_OPEN_ALL]
    ports, named_transport = found
    if not ports:  # allowed, with no port: every port (`permit tcp any any`, `ufw allow from 10.0.0.5`)
        words = set(re.findall(r"[a-z][a-z-]*", re.sub(_IP, " ", t))) - _RULE_WORDS
        return [_OPEN_ALL] if not words else None
    transport = next(iter(re.findall(r"(?:-p\s+|proto\s+|/|\b)(tcp|udp)\b", t)), None) or named_transport
    transports = ["tcp", "udp"] if transport in (None, "both") else [transport]
    peer, direction = _peer(t)
    return [Rule(tr, p, peer, direction) for p in dict.fromkeys(ports) for tr in transports]


_WORDS = {"allow", "permit", "accept", "from", "to", "any", "out", "in", "host", "proto", "port", "eq", "ufw"}
_RULE_WORDS = _WORDS | {"tcp", "udp", "ip", "all", "iptables", "a", "p", "s", "d", "j", "input", "output",
                        "incoming", "outgoing", "default", "policy", "on", "access-list"}
PortName = tuple[tuple[int, ...], str | None]  # the ports a name means, and its transport


def port_names(facts: Sequence[Fact]) -> dict[str, PortName]:
    """The one-word names a rule may give a port by, with the ports and transport they mean, from the deck: labels,
    aliases (Debian's `www`) and IANA's names (`domain`, `snmptrap` for 162 alone), as Cisco and ufw spell them."""
    out: dict[str, PortName] = {}
    for f in _port_facts(facts):
        for entry in (f.registry or "").split(", "):  # `snmp (161), snmptrap (162)`: each name its own port
            m = re.fullmatch(r"([\w.+-]+)(?: \((\d+)\))?", entry.strip())
            if m:
                out.setdefault(m.group(1).casefold(), ((int(m.group(2)),) if m.group(2) else f.ports, f.transport))
        for name in names_of(f):
            if name and " " not in name:
                out.setdefault(name.casefold(), (f.ports, f.transport))
    return out


def _ports_of(t: str, named: dict[str, PortName]) -> tuple[list[int], str | None] | None:
    """The ports a rule names (numbers, lists, ranges, service names) and the transport a name implies; None for
    a range of a thousand ports or more (every port, as far as a scenario goes)."""
    bare = re.sub(_IP, " ", t)
    span = re.search(r"\b(?:range\s+(\d{1,5})\s+|(\d{1,5})\s*[-:]\s*)(\d{1,5})\b", bare)
    if span:
        lo, hi = int(span.group(1) or span.group(2)), int(span.group(3))
        return None if hi - lo >= 1000 else (list(range(lo, hi + 1)), None)
    ports: list[int] = []
    transport = None
    for m in re.findall(r"(?:--dport|--sport|eq|port)\s+([\w,-]+)|(?:^|\s)(\d{1,5}(?:,\d{1,5})*)(?:/(?:tcp|udp))?"
                        r"(?=\s|$)", bare):
        for item in (m[0] or m[1]).split(","):
            if item.isdigit():
                ports.append(int(item))
            elif item in named:
                ports += list(named[item][0])
                transport = transport or named[item][1]
    if not ports:  # `allow https`, `allow ssh from 10.0.0.5`
        for word in re.findall(r"[a-z][\w+-]*", t):
            if word in named and word not in _WORDS:
                ports += list(named[word][0])
                transport = transport or named[word][1]
    return ports, transport


def _address(ip: str, mask: str | None) -> str | None:
    """One host (`10.0.0.5`, `/32`, Cisco's wildcard `0.0.0.0`), any (`/0`), or a network named as such (too open
    where one host was asked)."""
    if mask is None or mask in ("/32", "0.0.0.0"):
        return None if ip == "0.0.0.0" else ip
    if mask in ("/0", "255.255.255.255") or ip == "0.0.0.0":
        return None
    return f"{ip}{mask if mask.startswith('/') else ' ' + mask} (a network)"


_ADDR = rf"({_IP})(/\d{{1,2}}|\s+{_IP})?"


def _peer(t: str) -> tuple[str | None, str]:
    """The one address a rule names, and which side it is on; `in`/`out`, INPUT/OUTPUT said outright win."""
    said_in = bool(re.search(r"-a\s+input\b|\ballow\s+in\b|\bin\s+on\b", t))
    said_out = bool(re.search(r"-a\s+output\b|\ballow\s+out\b", t))
    if t.startswith("permit") or " permit " in f" {t} ":  # Cisco: permit PROTO SRC DST ...
        spec = rf"any|host\s+{_IP}|{_IP}(?:\s+{_IP})?"
        hosts = re.findall(rf"\b({spec})", t.split(" eq ")[-1 if re.search(r"permit \w+ (?:" + spec + r") eq ", t)
                                                       else 0].split(" range ")[0])
        src, dst = (hosts + ["any", "any"])[:2]
        src_ip, dst_ip = (re.match(rf"(?:host\s+)?{_ADDR}", x) for x in (src, dst))
        if dst_ip and not src_ip:
            return _address(dst_ip.group(1), None if dst.startswith("host") else dst_ip.group(2) and
                            dst_ip.group(2).strip()), "out"
        return (_address(src_ip.group(1), None if src.startswith("host") else src_ip.group(2) and
                         src_ip.group(2).strip()) if src_ip else None), "in"
    source = re.search(rf"(?:\bfrom|-s)\s+{_ADDR}", t)
    target = re.search(rf"(?:\bto|-d)\s+{_ADDR}", t)
    if source and not said_out:
        return _address(source.group(1), source.group(2) and source.group(2).strip()), "in"
    if target and not said_in:
        return _address(target.group(1), target.group(2) and target.group(2).strip()), "out"
    return None, "in" if said_in or not said_out else "out"


@lru_cache(maxsize=1)
def _exam_names() -> dict[str, PortName]:
    from trainer.deck import load_deck
    from trainer.paths import bundled_deck

    return port_names(load_deck(bundled_deck("exam")).facts)


def parse_rule(text: str) -> Rule | None:
    """The first rule a line allows (see parse_rules), port names as the exam deck knows them, or None."""
    rules = parse_rules(text, _exam_names())
    return rules[0] if rules else None


def _grade_firewall(drill: Drill, answer: str, deck: Sequence[Fact] = ()) -> Graded:
    """As a set: each rule the scenario needs, each rule that opens too much (any address where one was asked,
    every port), the wrong transport, each rule not needed (an insecure protocol named as such); a line that
    cannot be read is said."""
    facts = {f.key: f for f in drill.facts}
    names = port_names([*drill.facts, *deck])
    given: list[Rule] = []
    unread = []
    for line in re.split(r"[\n;]", answer):
        rules = parse_rules(line, names)
        if rules is None:
            unread.append(line.strip())
        else:
            given += rules
    lines, missed = [], []
    used: set[int] = set()
    right = 0
    for want in drill.rules:
        f = facts[want.fact]
        ports = {want.port} | ({p for s in f.accept_ports for p in s} if len(f.ports) == 1 else set())
        if len(f.ports) == 1:  # another fact known by this one's label (465, IANA submissions, is SMTPS too)
            ports |= {p for o in deck if f.service in o.aliases and len(o.ports) == 1 for p in o.ports}
        free = [i for i, g in enumerate(given) if i not in used and g.port in ports and g.direction == want.direction]
        exact = [i for i in free if given[i].transport == want.transport and given[i].peer == want.peer]
        if exact:
            used.add(exact[0])
            right += 1
            lines.append(f"  ✓ {given[exact[0]].text()}  ({f.service})")
            continue
        missed.append(want.fact)
        near = [i for i in free if given[i].transport == want.transport]
        if near:
            used.add(near[0])
            g = given[near[0]]
            side = "source" if want.direction == "in" else "destination"
            lines.append(f"  ✗ {g.text()} opens too much: only {want.peer} as {side} ({want.text()})" if g.peer is None
                         else f"  ✗ {g.text()}: the scenario names {want.peer} ({want.text()})")
        elif len(transport_list(f.transport)) > 1 and any(g.port in ports and g.transport != want.transport
                                                          for g in given):
            lines.append(f"  ✗ missing: {want.text()}  ({f.service} uses {want.transport.upper()} as well)")
        elif free:
            used.add(free[0])
            lines.append(f"  ✗ {given[free[0]].text()}: {f.service} uses {want.transport.upper()} ({want.text()})")
        else:
            lines.append(f"  ✗ missing: {want.text()}  ({f.service})")
    allowed = {(t, p) for f in drill.facts for t in (*transport_list(f.transport), *f.accept_transport)
               for p in f.ports}
    def variant(g: Rule) -> bool:  # another transport a study guide gives (RDP over UDP), as the scenario limits it
        return (g.transport, g.port) in allowed and any(g.port == r.port and g.peer == r.peer for r in drill.rules)

    extra = [g for i, g in enumerate(given) if i not in used and not variant(g)]
    for g in extra:
        if g == _OPEN_ALL:
            lines.append("  ✗ a rule that allows every port: the scenario says nothing else")
            continue
        why = next((INSECURE[f.key] for f in deck if f.key in INSECURE and g.port in f.ports),
                   "not needed: nothing else")
        lines.append(f"  ✗ {g.text()}: {why}")
    lines += [f"  ? `{u}`: not read as a rule (see `trainer drill --help` for the forms)" for u in unread if u]
    total = len(drill.rules) + len(extra)
    return Graded(right, total, (f"{right} of {len(drill.rules)} rules right" + (f", {len(extra)} not needed."
                                                                               if extra else "."), *lines),
                  tuple(dict.fromkeys(missed)))




def netstat(facts: Sequence[Fact], rng: random.Random, roles: dict[str, Any]) -> Drill:
    """`ss -tuapn` of a server of some role (what listens, and the connections it made) and: which service is on
    each listening port?"""
    by_key = {f.key: f for f in facts}
    usable = [r for r in roles["roles"] if all(k in by_key for k, _, _ in role_needs(r))]
    if not usable:
        raise DrillError("the server roles are made of the exam deck's facts")
    role = rng.choice(usable)
    daemons = roles.get("daemons", {})
    listening = [(key, p, t) for key, direction, _ in role_needs(role) if direction == "in"
                 for p in by_key[key].ports for t in transport_list(by_key[key].transport)]
    rows = ["Netid State  Local Address:Port   Peer Address:Port  Process"]
    pid = 700 + rng.randrange(200)
    for key, p, t in listening:
        state = "LISTEN" if t == "tcp" else "UNCONN"
        rows.append(f"{t:<5} {state:<6} 0.0.0.0:{p:<13} 0.0.0.0:*          users:((\"{daemons.get(key, key)}\","
                    f"pid={pid},fd=6))")
        pid += rng.randrange(3, 40)
    for key, direction, peer in role_needs(role):
        if direction == "out":
            f = by_key[key]
            client = roles.get("clients", {}).get(key, daemons.get(key, key))
            rows.append(f"{transport_list(f.transport)[0]:<5} ESTAB  10.0.0.20:{rng.randrange(40000, 60999):<11} "
                        f"{peer or '198.51.100.7'}:{f.ports[0]:<8} users:((\"{client}\",pid={pid},fd=9))")
    ports = tuple(dict.fromkeys(p for _, p, _ in listening))
    asked = tuple(by_key[k] for k in dict.fromkeys(k for k, _, _ in listening))
    outs = [(by_key[k], peer) for k, d, peer in role_needs(role) if d == "out" and peer]
    shape = rng.choice(["names", "names", "insecure", "outbound" if outs else "names"])
    head = f"This {role['name']} shows `ss -tuapn`."
    if shape == "insecure":  # a listener nobody asked for, cleartext: the one to close
        bad = by_key[rng.choice([k for k in ("telnet", "ftp", "tftp") if k in by_key])]
        t = transport_list(bad.transport)[0]
        line = (f"{t:<5} {'LISTEN' if t == 'tcp' else 'UNCONN':<6} 0.0.0.0:{bad.ports[-1]:<13} 0.0.0.0:*          "
                f"users:((\"{daemons.get(bad.key, bad.key)}\",pid={pid + 3},fd=5))")
        rows.insert(1 + rng.randrange(len(rows)), line)
        return Drill("netstat", f"{head} Which listening port should be closed (an insecure service this server "
                     "does not need)?", tuple("  " + r for r in rows), "type the port number", (bad,),
                     (str(bad.ports[-1]),), (Rule(t, bad.ports[-1], None, "in", bad.key),), shape="insecure")
    if shape == "outbound":
        f, peer = rng.choice(outs)
        return Drill("netstat", f"{head} Which connection goes out to the {f.service} server? Give its remote "
                     "address and port.", tuple("  " + r for r in rows), "type address:port, e.g. `10.0.0.1:25`",
                     (f,), (f"{peer}:{f.ports[0]}",),
                     (Rule(transport_list(f.transport)[0], f.ports[0], peer, "out", f.key),),
                     shape="outbound")
    return Drill("netstat", f"{head} Which service listens on each port: {', '.join(map(str, ports))}?",
                 tuple("  " + r for r in rows), "type each port and its service, e.g. `22 SSH, 443 HTTPS`", asked,
                 tuple(map(str, ports)), tuple(Rule("tcp", p) for p in ports), shape="names")


def _grade_netstat(drill: Drill, answer: str, facts: Sequence[Fact] = ()) -> Graded:
    """Port by port: the service named beside it must be that port's (its label, a usual name or IANA's); or the
    one port to close; or the one outbound connection."""
    if drill.shape in ("insecure", "outbound"):
        want = drill.expected[0]
        f = drill.facts[0]
        if ":" in want:  # `10.0.0.9:514`, `10.0.0.9 514`, `10.0.0.9 port 514`
            got = [f"{ip}:{port}" for ip, port in re.findall(rf"({_IP})\D{{1,6}}?(\d{{1,5}})\b", answer)]
        else:  # `69`, `0.0.0.0:69`, or its name
            got = [p for p in re.findall(r"(?<![\d.])(\d{1,5})(?![\d.])", re.sub(rf"{_IP}", " ", answer))]
            if not got and name_right(answer.strip(), names_of(f)):
                got = [want]
        if got == [want]:
            return Graded(1, 1, (f"✓ {want}: {f.service}" + (f" ({INSECURE[f.key]})" if f.key in INSECURE else ""),),
                          ())
        return Graded(0, 1, (f"✗ {want}: {f.service}" + (f" ({INSECURE[f.key]})" if f.key in INSECURE else "")
                             + (f"; you said {', '.join(got)}" if got else ""),), (f.key,))
    if re.match(r"\s*[A-Za-z]", answer):  # `SMB 445, SSH: 22`: the name first
        named = {int(p): n.strip() for n, p in re.findall(r"([A-Za-z][\w+. -]*?)\s*[:=-]?\s*(\d{1,5})\b", answer)}
    else:  # `445 SMB, 22 SSH`
        named = {int(p): n.strip() for p, n in re.findall(r"(\d{1,5})\s*(?:/\w+)?\s*[:=-]?\s*([A-Za-z][\w+. -]*?)"
                                                         r"\s*(?=[,;\n]|\d|$)", answer)}
    lines, missed = [], []
    for rule in drill.rules:
        shown = [f for f in drill.facts if rule.port in f.ports]
        owners = shown + [f for f in facts if rule.port in f.ports and f.transport == shown[0].transport  # SFTP, SCP
                          and f.key not in {o.key for o in shown}]
        said = named.get(rule.port, "")
        if said and any(name_right(said, names_of(f))
                        for f in owners):
            lines.append(f"  ✓ {rule.port}: {shown[0].service}")
        else:
            missed += [f.key for f in shown]
            lines.append(f"  ✗ {rule.port}: {' or '.join(f.service or '' for f in shown)}"
                         + (f" (you said {said})" if said else " (no answer)"))
    score = sum(1 for ln in lines if ln.startswith("  ✓"))
    return Graded(score, len(drill.rules), (f"{score} of {len(drill.rules)} ports named right.", *lines),
                  tuple(dict.fromkeys(missed)))
