"""The program grades: normalise the typed answer, check it, and suggest an FSRS rating."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Collection

from trainer.cards import CardSpec
from trainer.scheduler import AGAIN, EASY, GOOD, HARD

FAST_SECONDS = 6.0
SLOW_SECONDS = 20.0
_SPLIT = re.compile(r"(?:\s*(?:,|;|/|&|\+|\band\b|\bor\b|\s)\s*)+", re.IGNORECASE)
_NOISE = {"tcp", "udp", "port", "ports", "both"}


@dataclass(frozen=True)
class Verdict:
    correct: bool
    typo: bool
    rating: int
    answer: str


def normalise(text: str) -> str:
    """Case, spacing and punctuation that learners vary on are ignored: `MS-SQL-S` == `ms sql s`."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))  # invisible: never graded
    return re.sub(r"[\s\-_.,;:!?'\"`()]+", "", text)


def parse_port_answer(text: str) -> frozenset[int] | None:
    """`20, 21`, `20/21`, `21 and 20`, `137-139` -> a set of ports; None if anything else was typed."""
    ports: set[int] = set()
    for token in _SPLIT.split(text.strip().casefold()):
        if not token or token in _NOISE:
            continue
        m = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", token)
        if not m:
            return None
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo or hi - lo > 64 or hi > 65535:
            return None
        ports.update(range(lo, hi + 1))
    return frozenset(ports) if ports else None


def transports_named(text: str) -> set[str]:
    """`3389/udp` names udp: a port answer that names the wrong transport is wrong."""
    return {t for t in ("tcp", "udp") if re.search(rf"\b{t}\b", text.casefold())}


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


def check(card: CardSpec, answer: str, taken: Collection[str] = ()) -> tuple[bool, bool]:
    """(correct, typo): a port card wants every port; a name card accepts aliases and one typo in 5+ letters.

    `taken` holds the normalised names of the deck's other facts: `http` is never a typo of `https`.
    """
    if card.port_sets:
        named = transports_named(answer)
        allowed = {"tcp", "udp"} if card.transport == "both" else {card.transport or "tcp"}
        return parse_port_answer(answer) in card.port_sets and named <= allowed, False
    given = normalise(answer)
    if not given:
        return False, False
    accepted = {normalise(a) for a in card.answers if a}
    if given in accepted:
        return True, False
    if given in taken:
        return False, False
    typo = any(len(a) >= 5 and within_one_edit(a, given) for a in accepted)
    return typo, typo


def suggest_rating(correct: bool, typo: bool, seconds: float | None, usual: float | None = None,
                   choice: bool = False) -> int:
    """Wrong -> Again; typo or slow -> Hard; fast -> Easy; otherwise Good (also when untimed).

    Fast and slow are measured against the learner's own usual time for the kind of card when known
    (under 0.8x -> Easy, over 2x -> Hard), else fixed bounds. Recognising an option is never Easy.
    """
    if not correct:
        return AGAIN
    if seconds is None:  # untimed (answers read from a pipe): speed says nothing
        return HARD if typo else GOOD
    fast, slow = (0.8 * usual, 2.0 * usual) if usual else (FAST_SECONDS, SLOW_SECONDS)
    if typo or seconds > slow:
        return HARD
    if choice:
        return GOOD
    return EASY if seconds < fast else GOOD


def grade(card: CardSpec, answer: str, seconds: float | None, taken: Collection[str] = (),
          usual: float | None = None) -> Verdict:
    correct, typo = check(card, answer, taken)
    return Verdict(correct, typo, suggest_rating(correct, typo, seconds, usual, bool(card.choices)), answer)
