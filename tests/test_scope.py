"""Several bundled decks: whose new cards come first and how many a day, and study limited to a source."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import run


def _asked(home: Path) -> list[tuple[str, str]]:
    """(deck, fact source) of every card answered, in order."""
    con = sqlite3.connect(home / "trainer.db")
    return con.execute("SELECT c.deck, coalesce(json_extract(f.data, '$.source'), '') FROM reviews r "
                       "JOIN cards c ON c.id = r.card_id JOIN facts f ON f.id = c.fact_id ORDER BY r.id").fetchall()


def test_the_exam_decks_new_cards_come_first_and_each_deck_keeps_its_own_limit(isolated_home: Path) -> None:
    run(["review", "--deck", "common", "--new", "0"])  # common is added first, the exam deck after it
    run(["review", "--deck", "exam", "--new", "0"])
    assert run(["decks", "set", "exam", "--new-per-day", "5"]).output == "exam: at most 5 new cards a day.\n"
    assert run(["decks", "set", "common", "--new-per-day", "3"]).exit_code == 0
    listing = run(["decks"]).output.splitlines()
    assert listing[1].split()[:5] == ["exam", *listing[1].split()[1:4], "5"]  # the exam deck first, its limit shown
    assert listing[2].split()[0] == "common" and listing[2].split()[4] == "3"
    assert " ".join(listing).endswith("Bundled, not studied yet: concepts, icmp, protocols, registry (`trainer "
                                      "review --deck NAME` starts one).")
    run(["review"], input="x\n" * 40)
    decks = [d for d, _ in _asked(isolated_home)]
    firsts = list(dict.fromkeys(decks))
    assert firsts == ["exam", "common"] and decks.count("exam") >= 5  # new exam cards, then common's
    new_per_deck = json.loads(run(["decks", "--json"]).output)
    seen = {d["name"]: d["cards"] - d["new"] - d["suspended"] for d in new_per_deck}
    assert seen == {"exam": 5, "common": 3}  # 20 a day in all, but each deck at most its own limit
    assert run(["decks", "set", "exam", "--new-per-day", "shared"]).output == (
        "exam: shares the daily new-card limit.\n")
    bad = run(["decks", "set", "exam", "--new-per-day", "-1"])
    assert bad.exit_code == 1 and bad.output.startswith("Error: --new-per-day '-1': give a whole number")


def test_study_and_stats_limited_to_a_source(isolated_home: Path) -> None:
    run(["review", "--new", "0"])
    out = run(["review", "--source", "Security+", "--new", "6"], input="x\n" * 6).output
    assert "(6/6)" in out
    sources = [s for _, s in _asked(isolated_home)]
    assert len(sources) == 6 and all(s.startswith("Security+") for s in sources)
    stats = json.loads(run(["stats", "--json", "--source", "security+"]).output)["scope"]
    con = sqlite3.connect(isolated_home / "trainer.db")
    cards = con.execute("SELECT count(*) FROM cards c JOIN facts f ON f.id = c.fact_id WHERE c.suspended = 0 AND "
                        "json_extract(f.data, '$.source') LIKE 'Security+%'").fetchone()[0]
    assert (stats["cards"], stats["cards"] - stats["new"]) == (cards, 6)
    assert f"Facts whose source starts with 'security+': {cards} cards, 6 studied" in run(
        ["stats", "--source", "security+"]).output
    quiz = run(["quiz", "--source", "N10-009 1.4", "--count", "5", "--seed", "1"], input="x\n" * 5).output
    assert quiz.count("Which") >= 5
    assert all(s.startswith("N10-009 1.4") for _, s in _asked(isolated_home)[6:])  # the quiz's practice answers
    bad = run(["review", "--source", "CCNA"])
    assert bad.exit_code == 1 and bad.output.startswith("Error: no card's fact has a source starting with 'CCNA' "
                                                        "(sources start with: ")
    assert "N10-009" in bad.output and "Security+" in bad.output


def test_the_protocols_deck_starts_with_the_numbers_candidates_are_asked() -> None:
    from trainer.deck import load_deck
    from trainer.paths import bundled_deck

    first = [f.service for f in load_deck(bundled_deck("protocols")).facts[:7]]
    assert first == ["ICMP", "IGMP", "TCP", "UDP", "GRE", "ESP", "AH"]  # not HOPOPT 0, GGP 3, ST 5 ...
    icmp = [(f.numbering, f.number) for f in load_deck(bundled_deck("icmp")).facts[:3]]
    assert icmp == [("icmp-type", 8), ("icmp-type", 0), ("icmp-type", 3)]  # ping's pair, then unreachable
