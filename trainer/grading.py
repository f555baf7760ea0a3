"""The program grades: read the typed answer once, check it, name what it was instead, suggest an FSRS rating."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trainer.cards import CardSpec, port_list
from trainer.deck import Kind
from trainer.scheduler import Rating

if TYPE_CHECKING:
    from trainer.answers import DeckAnswers
    from trainer.deck import Fact

FAST_SECONDS = 6.0
SLOW_SECONDS = 20.0
TYPO_MIN_LETTERS = 5


@dataclass(frozen=True)
class Verdict:
    """What an answer was worth, and what it was instead when wrong (another fact's answer, part of this one)."""

    correct: bool
    typo: bool
    rating: int
    answer: str
    owner: Fact | None = None  # the other fact whose right answer this wrong one is
    partial: str | None = None  # "Partly: 21 is right; the answer has 2 ports."


def _plain(text: str) -> str:
    """Unicode forms, case and invisible characters never decide an answer."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))


def normalise(text: str) -> str:
    """Case, spacing and punctuation that learners vary on are ignored: `MS-SQL-S` == `ms sql s`."""
    return re.sub(r"[\s\-_.,;:!?'\"`()\[\]/]+", "", _plain(text))


# ---- port answers ---------------------------------------------------------------------------------------

# Words that may surround ports in an answer without changing it: `port 443.`, `the same ports`, `20 and 21`.
_PORT_FILLER = frozenset(
    "port ports number numbers the a on over is are it its uses use using used via and or both also by default "
    "same as with plus only just for at".split()
)
_NUMBER = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:-\d+)?"  # `1,433` (a thousands separator, maybe), `443`, `137-139`
_PORT_TOKEN = re.compile(rf"(?<![^\W\d_])({_NUMBER})|([^\W\d_][\w+\-]*)", re.UNICODE)
_SEPARATORS = r"[\s,;&+/\-]*"
_MAX_RANGE = 64


@dataclass(frozen=True)
class PortAnswer:
    """One reading of a port answer: the ports, the transports it names, and the rest of what was typed."""

    ports: frozenset[int]
    transports: frozenset[str]
    rest: str  # the answer without its ports and transports: `(SSH)`, `(LDAP over SSL)`, `the same`
    same: bool = False  # "the same ports": right when a service is its own secure version


def _port_text(text: str) -> str:
    t = _plain(text)
    t = re.sub("[\u2010-\u2015\u2212]", "-", t)  # dashes people paste
    t = re.sub(r"\b(https?)/(\d)\b", r"\1\2", t)  # `HTTP/3` is a name, not port 3
    t = re.sub(r"\d+(?:\.\d+)+", " ", t)  # `TLS 1.3`, `SNMP 2.0`: versions are never ports
    t = re.sub(r"(\d)\s*-\s*(\d)", r"\1-\2", t)  # `20 - 21`
    return re.sub(r"(\d)\s+(?:to|through|thru)\s+(\d)", r"\1-\2", t)  # `137 to 139`


def read_ports(text: str) -> list[PortAnswer]:
    """Every sensible reading of a port answer, best first; empty when it holds no port.

    `20, 21`, `20/21`, `21 and 20`, `137-139`, `20 - 21`, `443.`, `445(tcp)`, `80 (TCP)`, `22 (SSH)`. A comma
    before three digits may be a thousands separator (`1,433`): that is a second reading.
    """
    text = _port_text(text)
    if any(m.group(1) not in ("tcp", "udp") for m in re.finditer(r"(?<![^\W\d_])\d+([^\W\d_]+)", text)):
        return []  # `21x` is not a port
    as_list: set[int] = set()
    as_thousands: set[int] = set()
    transports: set[str] = set()
    same = ambiguous = False
    for number, word in _PORT_TOKEN.findall(text):
        if word:
            w = word.strip("-")
            if w in ("tcp", "udp"):
                transports.add(w)
            same = same or w == "same"
            continue
        token: set[int] = set()
        for part in number.split(","):
            got = _port_range(part)
            if got is None:
                return []
            token.update(got)
        as_list.update(token)
        if "," in number:
            ambiguous = True
            as_thousands.add(int(number.replace(",", "")))
        else:
            as_thousands.update(token)
    rest = re.sub(rf"{_SEPARATORS}(?<![^\W\d_])(?:{_NUMBER}){_SEPARATORS}", " ", text)
    rest = re.sub(r"\b(tcp|udp)\b(?!/ip)", " ", rest)
    readings = []
    for ports in (as_list, as_thousands) if ambiguous else (as_list,):
        if (ports or same) and max(ports, default=0) <= 65535:
            readings.append(PortAnswer(frozenset(ports), frozenset(transports), rest.strip(), same))
    return readings


def _port_range(token: str) -> set[int] | None:
    m = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", token)
    if not m:
        return None
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    if hi < lo or hi - lo > _MAX_RANGE or hi > 65535:
        return None
    return set(range(lo, hi + 1))


def parse_port_answer(text: str) -> frozenset[int] | None:
    """The ports of the first reading, or None when the answer holds no port."""
    readings = read_ports(text)
    return readings[0].ports if readings and readings[0].ports else None


def _port_reading_right(card: CardSpec, r: PortAnswer, deck_names: Container[str]) -> bool:
    if not (r.ports in card.port_sets or (r.same and not r.ports and card.same)):
        return False
    if not r.transports <= set(card.transports or ("tcp", "udp")):
        return False
    return _rest_fits(card, r.rest, deck_names)


def _rest_fits(card: CardSpec, rest: str, deck_names: Container[str]) -> bool:
    """What surrounds the ports may name the right service (`22 (SSH)`, `636 (LDAP over SSL)`), or be filler
    (`port`, `the same`), never name another of the deck's services (`22 telnet`)."""
    words = re.findall(r"[^\W_]+", rest)
    if all(w in _PORT_FILLER for w in words):
        return True
    filler = "|".join(_PORT_FILLER)
    trimmed = re.sub(rf"^(?:\W*\b(?:{filler})\b)+|(?:\b(?:{filler})\b\W*)+$", "", rest).strip()
    if name_right(rest, card.answers) or name_right(trimmed, card.answers):
        return True
    names = {normalise(a) for a in card.answers}
    return not any(normalise(w) in deck_names and normalise(w) not in names for w in words)


# ---- transport and range answers ------------------------------------------------------------------------

_TRANSPORT_FILLER = frozenset("and or only just it uses use is over via on the protocol protocols port ports".split())
_TRANSPORT_PHRASES = (("transmission control protocol", " tcp "), ("user datagram protocol", " udp "))


def read_transport(text: str) -> str | None:
    """`TCP`, `udp only`, `TCP & UDP`, `TCP/UDP`, `both TCP and UDP`, `User Datagram Protocol` -> tcp, udp, both."""
    t = _plain(text)
    for phrase, short in _TRANSPORT_PHRASES:
        t = t.replace(phrase, short)
    named: set[str] = set()
    for word in re.findall(r"[^\W_]+", t):
        if word in ("tcp", "udp"):
            named.add(word)
        elif word in ("both", "either"):
            named.update(("tcp", "udp"))
        elif word not in _TRANSPORT_FILLER:
            return None
    return "both" if named == {"tcp", "udp"} else next(iter(named)) if named else None


RANGE_WORDS = {
    "wellknown": "well-known", "system": "well-known", "privileged": "well-known",
    "registered": "registered", "user": "registered",
    "dynamic": "dynamic", "private": "dynamic", "ephemeral": "dynamic",
}
RANGE_BOUNDS = {"well-known": {"0", "1023"}, "registered": {"1024", "49151"}, "dynamic": {"49152", "65535"}}
_RANGE_FILLER = frozenset("port ports range a an the and or it is its one number numbers s".split())


def read_range(text: str) -> tuple[str | None, bool]:
    """RFC 6335's terms (System, User, Dynamic and/or Private) and the common ones (well-known, registered,
    ephemeral) -> (well-known, registered or dynamic; whether a word had a one-letter slip). The range's own
    bounds may follow (`registered (1024-49151)`); anything else, or a mix of classes, reads as None."""
    t = re.sub(r"well[\s\-_]*known", "wellknown", _plain(text))
    classes: set[str] = set()
    numbers: set[str] = set()
    typo = False
    for word in re.findall(r"[^\W_]+", t):
        if word.isdigit():
            numbers.add(word)
        elif word in RANGE_WORDS:
            classes.add(RANGE_WORDS[word])
        elif word not in _RANGE_FILLER:
            near = [c for w, c in RANGE_WORDS.items() if len(w) >= TYPO_MIN_LETTERS and within_one_edit(w, word)]
            if not near:
                return None, False
            classes.add(near[0])
            typo = True
    if len(classes) != 1:
        return None, False
    cls = next(iter(classes))
    return (cls, typo) if numbers <= RANGE_BOUNDS[cls] else (None, False)


# ---- names and prose ------------------------------------------------------------------------------------

def _groups(text: str) -> list[str]:
    """`SMTPS (Simple Mail Transfer Protocol Secure)`, `SSH and SFTP`, `587 (SMTPS) or 465 (...)` -> the names given."""
    return [g for g in re.split(r"[()\[\]|,;&]|\s+(?:or|and|aka)\s+", text) if normalise(g)]


def _one_name_right(text: str, names: set[str]) -> bool:
    """One name: as typed, or each side of a slash (`SSH/SFTP`), or either word across one (`HTTP over TLS/SSL`)."""
    if normalise(text) in names:
        return True
    sides = [x for x in re.split(r"(?<!tcp)/(?!ip)", text) if normalise(x)]
    if len(sides) > 1 and all(normalise(x) in names for x in sides):
        return True
    m = re.search(r"(\S+?)(?<!tcp)/(?!ip)(\S+)", text)
    if not m:
        return False
    variants = [text[: m.start()] + side + text[m.end():] for side in (m.group(1), m.group(2))]
    return all(normalise(v) in names for v in variants)


def name_right(given: str, accepted: Iterable[str]) -> bool:
    """Right when the whole answer is an accepted name, or every name it gives is (`SSH/SFTP`, `X (Y)`)."""
    names = {normalise(a) for a in accepted}
    given = _plain(given)
    if not normalise(given):
        return False
    if normalise(given) in names:
        return True
    groups = _groups(given)
    if len(groups) > 1:
        return all(_one_name_right(g, names) for g in groups)
    return _one_name_right(given, names)


def _list_items(text: str) -> list[str]:
    return sorted(p for p in (normalise(x) for x in re.split(r",|;|&|\n|\band\b", _plain(text))) if p)


def list_right(given: str, accepted: Iterable[str]) -> bool:
    """A list answer in any order, with or without `and`: `confidentiality, integrity and availability`."""
    items = _list_items(given)
    return len(items) > 1 and any(_list_items(a) == items for a in accepted)


def within_one_edit(a: str, b: str) -> bool:
    """True when b is a one-letter typo of a: one letter substituted, added, dropped or swapped.

    Digits never count as typos: `imap4` -> `imaps` and `pop3` -> `pop2` name other things.
    """
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return a[diff[0]].isalpha() and b[diff[0]].isalpha()
        return (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                and a[diff[1]] == b[diff[0]] and a[diff[0]].isalpha() and a[diff[1]].isalpha())
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :] and long_[i].isalpha()


def _another_thing(a: str, b: str) -> bool:
    """An s for secure on a short name (`http`/`https`, `ldap`/`ldaps`) or a d for daemon (`httpd`, `fingerd`)
    turns one name into another thing, never a slip."""
    short, long_ = sorted((a, b), key=len)
    return (long_ == short + "s" and len(short) <= 5) or long_ == short + "d"


def is_typo(given: str, accepted: Iterable[str], known: Container[str] = ()) -> bool:
    """One slip in a name of five letters or more, unless what was typed names something else."""
    if given in known:
        return False
    return any(len(a) >= TYPO_MIN_LETTERS and within_one_edit(a, given) and not _another_thing(a, given)
               for a in accepted)


# ---- the verdict ----------------------------------------------------------------------------------------

def check(card: CardSpec, answer: str, known: Container[str] = ()) -> tuple[bool, bool]:
    """(correct, typo). `known` holds names that mean something (the deck's, the registries', daemons'):
    a slip never turns one of them into the right answer."""
    if card.port_sets or card.same:
        deck_names = getattr(known, "deck_names", known)
        return any(_port_reading_right(card, r, deck_names) for r in read_ports(answer)), False
    if card.kind == Kind.TRANSPORT:
        return read_transport(answer) in card.answers, False
    if card.kind == Kind.RANGE:
        cls, typo = read_range(answer)
        return cls in card.answers, cls in card.answers and typo
    if name_right(answer, card.answers) or list_right(answer, card.answers):
        return True, False
    given = normalise(answer)
    typo = bool(given) and is_typo(given, {normalise(a) for a in card.answers if a}, known)
    return typo, typo


def partly_right(card: CardSpec, readings: list[PortAnswer]) -> str | None:
    """Some but not all of a multi-port answer: say so, it is nearer than a plain miss."""
    for r in readings[:1]:
        for want in card.port_sets:
            if r.ports and r.ports < want:
                part = ", ".join(map(str, sorted(r.ports)))
                return f"Partly: {part} {'is' if len(r.ports) == 1 else 'are'} right; the answer has {len(want)} ports."
    return None


def confusion_line(card: CardSpec, other: Fact) -> str:
    """What the wrong answer was instead: `993 is IMAPS.`"""
    if card.kind == Kind.PORT_SERVICE:
        return f"{other.service} uses {port_list(other.ports)}; this one is {card.expected}."
    return f"{port_list(other.ports)} is {other.service}."


def suggest_rating(correct: bool, typo: bool, seconds: float | None, usual: float | None = None,
                   choice: bool = False, first_sight: bool = False) -> int:
    """Wrong -> Again; typo or slow -> Hard; fast -> Easy; otherwise Good (also when untimed).

    Fast and slow are measured against the learner's own usual time for the kind of card when known
    (under 0.8x -> Easy, over 2x -> Hard), else fixed bounds. Recognising an option is never Easy, nor is a
    card met for the first time (a quick first answer is often a guess; Easy would push it out days).
    """
    if not correct:
        return Rating.AGAIN
    if seconds is None:  # untimed (answers read from a pipe): speed says nothing
        return Rating.HARD if typo else Rating.GOOD
    fast, slow = (0.8 * usual, 2.0 * usual) if usual else (FAST_SECONDS, SLOW_SECONDS)
    if typo or seconds > slow:
        return Rating.HARD
    if choice or first_sight:
        return Rating.GOOD
    return Rating.EASY if seconds < fast else Rating.GOOD


def grade(card: CardSpec, answer: str, seconds: float | None, deck: DeckAnswers | None = None,
          usual: float | None = None, first_sight: bool = False) -> Verdict:
    """The verdict on one answer: right or not, the rating to suggest, and what a wrong answer was instead."""
    known = deck.known if deck is not None else ()
    correct, typo = check(card, answer, known)
    rating = suggest_rating(correct, typo, seconds, usual, bool(card.choices), first_sight)
    if correct:
        return Verdict(correct, typo, rating, answer)
    readings = read_ports(answer) if card.port_sets else []
    owner = deck.owner(card, readings, answer) if deck is not None else None
    return Verdict(correct, typo, rating, answer, owner, partly_right(card, readings))
