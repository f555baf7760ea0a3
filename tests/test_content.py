"""The bundled decks teach what the exam marks right, and never contradict each other."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trainer.cards import make_card, names_of, plan_cards
from trainer.deck import Deck, load_deck, transport_list
from trainer.grading import check, normalise
from trainer.paths import bundled_deck

OBJECTIVE = Path(__file__).resolve().parent.parent.parent / "shared" / "exam" / "n10-009-objective-1.4.md"
EXAM = load_deck(bundled_deck("exam"))
COMMON = load_deck(bundled_deck("common"))


def pairs(deck: Deck) -> dict[tuple[int, str], str]:
    return {(p, t): f.key for f in deck.facts for p in f.ports for t in transport_list(f.transport)}


def test_exam_and_common_share_no_fact_so_they_cannot_disagree() -> None:
    exam_names = {normalise(n): f.key for f in EXAM.facts for n in names_of(f)}
    for f in COMMON.facts:
        shared = {normalise(n) for n in names_of(f)} & set(exam_names)
        assert not shared, f"common/{f.key} and exam/{exam_names[shared.pop()]} share a name"
    assert not {p for p, _ in pairs(EXAM)} & {p for p, _ in pairs(COMMON)}, "a port is taught by both decks"


@pytest.mark.parametrize("deck", [EXAM, COMMON], ids=["exam", "common"])
def test_no_question_is_asked_twice_in_a_deck(deck: Deck) -> None:
    by_key = {f.key: f for f in deck.facts}
    questions = [make_card(deck.name, by_key[c.fact_key], c.kind, by_key).question for c in plan_cards(deck)]
    assert len(questions) == len(set(questions))


def test_no_fact_claims_the_objectives_name_a_transport() -> None:
    text = " ".join([EXAM.description, *(f.note for f in EXAM.facts)]).casefold()
    assert "objectives name" not in text and "objectives list tcp" not in text


def objective_rows() -> list[tuple[str, set[int]]]:
    if not OBJECTIVE.exists():
        pytest.skip(f"{OBJECTIVE} not found")
    rows = re.findall(r"^\| ([^|]+?) \| ([\d/]+) \|$", OBJECTIVE.read_text(encoding="utf-8"), re.M)
    return [(label, {int(p) for p in port.split("/")}) for label, port in rows]


def test_every_row_of_objective_1_4_is_an_exam_fact_under_its_own_label() -> None:
    rows = objective_rows()
    assert len(rows) == 20
    by_key = {f.key: f for f in EXAM.facts}
    for label, ports in rows:
        cited = [f for f in EXAM.facts if f.source.startswith(f"N10-009 1.4: {label} |")]
        assert len(cited) == 1, f"no exam fact cites the row {label!r}"
        fact = cited[0]
        assert set(fact.ports) == ports, (label, fact.ports)
        names = {normalise(n) for n in names_of(fact)}
        acronym = re.search(r"\s*\(([^)]+)\)$", label)
        full = label[: acronym.start()] if acronym else label
        assert normalise(full) in names or normalise(label) in names, f"{label!r} is not a name of {fact.key}"
        assert not acronym or normalise(acronym.group(1)) in names
        spec = make_card("exam", fact, "port-service", by_key)
        assert check(spec, label)[0], f"the objective's own label {label!r} is not accepted"


def test_every_exam_fact_says_where_it_comes_from() -> None:
    for f in EXAM.facts:
        assert f.source.startswith(("N10-009 1.4: ", "N10-009 4.1 ", "N10-009 3.4: ", "N10-009 1.4 lists",
                                    "Security+ SY0-701")), f.key


def test_the_concepts_deck_teaches_the_rfc_where_the_seed_pages_are_wrong() -> None:
    """Two seed pages are wrong: one starts the dynamic range at 49151, one calls SSH, Telnet and SMTP registered
    ports. RFC 6335 section 6: Dynamic Ports are 49152-65535; 0-1023 are the System (well-known) Ports."""
    concepts = load_deck(bundled_deck("concepts"))
    by_key = {f.key: f for f in concepts.facts}

    def verdict(key: str, answer: str) -> bool:
        return check(make_card("concepts", by_key[key], "front-back"), answer)[0]

    assert verdict("range-dynamic-start", "49152") and not verdict("range-dynamic-start", "49151")
    for port in (22, 23, 25):
        key = f"range-port-{port}"
        assert verdict(key, "well-known") and verdict(key, "System") and not verdict(key, "registered"), port
    assert all(f.source for f in concepts.facts)  # every card names where it comes from


def test_an_ip_protocol_question_says_which_protocol_its_short_name_is() -> None:
    """"Which IP protocol number does RDP use?" wanted 27, IANA's Reliable Data Protocol, where a candidate thinks of
    Remote Desktop's 3389: the question names the protocol, and Remote Desktop Protocol is wrong for 27."""
    deck = load_deck(bundled_deck("protocols"))
    facts = {f.key: f for f in deck.facts}
    asked = make_card("protocols", facts["rdp"], "service-number", facts)
    assert asked.question == "Which IP protocol number does RDP (Reliable Data Protocol) use?"
    named = make_card("protocols", facts["rdp"], "number-service", facts)
    assert check(named, "RDP") == (True, False) and check(named, "Remote Desktop Protocol")[0] is False
