from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from conftest import import_deck, run

from trainer.cli import cli
from trainer.deck import load_deck
from trainer.paths import bundled_deck

FIXTURES = Path(__file__).parent / "fixtures" / "registry"




def test_a_services_file_becomes_a_deck_with_both_directions(isolated_home: Path) -> None:
    result = run(["import", str(FIXTURES / "services-debian")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("services-debian: ")
    con = sqlite3.connect(isolated_home / "trainer.db")
    kinds = {k for (k,) in con.execute("SELECT DISTINCT kind FROM cards WHERE deck = 'services-debian'")}
    assert kinds == {"service-port", "port-service"}
    data = json.loads(con.execute("SELECT data FROM facts WHERE id = 'services-debian/imap2'").fetchone()[0])
    assert data["ports"] == [143] and data["aliases"] == ["imap"] and data["transport"] == "tcp"


def test_reimport_keeps_reviews(isolated_home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "mine.yaml"
    deck.write_text("name: mine\nfacts:\n- key: imap\n  service: IMAP\n  ports: 143\n", encoding="utf-8")
    run(["import", str(deck)])
    run(["review", "--deck", "mine"], input="143\n")  # one new card per fact a day: its sibling waits
    deck.write_text("name: mine\nfacts:\n- key: imap\n  service: IMAP\n  ports: 143\n  note: mail\n"
                    "- key: pop3\n  service: POP3\n  ports: 110\n", encoding="utf-8")
    result = run(["import", str(deck)])
    assert "mine: 1 added, 1 updated, 0 unchanged, 0 suspended; 4 cards." in result.output
    con = sqlite3.connect(isolated_home / "trainer.db")
    assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 1
    assert con.execute("SELECT reps FROM cards WHERE id = 'mine/imap/service-port'").fetchone()[0] == 1


def test_registry_files_that_are_not_decks_are_refused_cleanly(isolated_home: Path) -> None:
    result = run(["import", str(FIXTURES / "nmap-sample")])
    assert result.exit_code == 2 and "is a registry, not a deck" in result.output
    assert not (isolated_home / "trainer.db").exists()


def test_each_fact_is_met_first_by_its_port_question(isolated_home: Path) -> None:
    from trainer.deck import load_deck
    from trainer.paths import bundled_deck

    facts = load_deck(bundled_deck("exam")).facts
    n = len(facts)
    out = run(["review", "--new", str(n + 10)], input="x\n" * n).output
    questions = [ln.split(") ", 1)[1] for ln in out.splitlines() if ln.startswith("(")][:n]  # then a requeued one
    assert len(questions) == n and len(set(questions)) == n  # one card per fact today: siblings wait
    fronts = tuple(f.front for f in facts if f.front)
    assert fronts and all(q.startswith(("Which port does ", "Which ports does ", "Which IP protocol number does "))
                          or q in fronts for q in questions), questions  # each fact's first card asks for its number
    from trainer import store
    from trainer.db import open_db

    db = open_db(isolated_home / "trainer.db")
    kinds = [c.kind for c in store.find_cards(db, "exam")]  # in the order they are met
    order = ["service-port", "port-service", "transport", "range", "secure", "service-number", "number-service",
             "front-back"]
    assert kinds == sorted(kinds, key=order.index) and set(kinds) == set(order)


def test_piped_answers_in_the_forms_candidates_type_are_right(isolated_home: Path) -> None:
    answers = "20 21\n22.\nport 22\n23/tcp\n25 (TCP)\n53 (TCP and UDP)\n67/68\n69/udp\n80\n123\n"
    out = run(["review", "--new", "10"], input=answers).output
    assert [ln[0] for ln in out.splitlines() if ln[:1] in "✓✗"] == ["✓"] * 10, out


def test_a_port_shared_by_two_services_accepts_either(isolated_home: Path, tmp_path: Path) -> None:
    import_deck(tmp_path, "web", "kinds: [port-service]\nfacts:\n- service: http\n  ports: 80\n"
                                 "- service: www-http\n  ports: 80\n")
    out = run(["review", "--deck", "web"], input="www-http\nhttp\n").output
    assert out.count("✓") == 2, out


def test_a_new_cards_sibling_waits_until_the_next_day(isolated_home: Path, tmp_path: Path) -> None:
    import_deck(tmp_path, "one", "facts:\n- service: IMAP\n  ports: 143\n")
    assert "(1/1) Which port does IMAP use?" in run(["review", "--deck", "one"], input="143\n143\n").output
    assert "Nothing" in run(["review", "--deck", "one"], when="2026-03-02T11:00:00+00:00").output
    later = run(["review", "--deck", "one"], input="imap\n", when="2026-03-03T09:00:00+00:00").output
    assert "(1/1) Which service uses port 143/tcp?" in later


def test_a_deck_named_like_an_existing_one_from_another_file_is_refused(isolated_home: Path, tmp_path: Path) -> None:
    run(["review", "--new", "0"])
    clash = tmp_path / "exam-clash.yaml"
    clash.write_text("name: exam\nfacts:\n- {service: Mine, ports: 1}\n", encoding="utf-8")
    result = run(["import", str(clash)])
    assert result.exit_code == 1 and "'exam' is a deck that comes with trainer" in result.output
    assert "mine: 1 added" in run(["import", str(clash), "--deck", "mine"]).output
    con = sqlite3.connect(isolated_home / "trainer.db")
    exam = len(load_deck(bundled_deck("exam")).facts)
    assert con.execute("SELECT count(*) FROM facts WHERE deck = 'exam' AND suspended = 0").fetchone()[0] == exam


def test_new_cards_come_deck_by_deck_in_the_order_added(isolated_home: Path) -> None:
    run(["review", "--new", "0"])  # exam first
    run(["review", "--deck", "common", "--new", "0"])  # then common, tried once
    out = run(["review", "--new", "3"], input="", when="2026-03-03T09:00:00+00:00").output
    assert "(1/3) Which ports does FTP use?" in out  # still the exam deck's cards


def test_services_descriptions_come_from_tcp_and_udp_lines(isolated_home: Path, tmp_path: Path) -> None:
    f = tmp_path / "services"
    f.write_text("echo 4/ddp # AppleTalk Echo Protocol\necho 7/tcp\necho 7/udp\n", encoding="utf-8")
    run(["import", str(f)])
    con = sqlite3.connect(isolated_home / "trainer.db")
    assert "AppleTalk" not in con.execute("SELECT data FROM facts").fetchone()[0]


def test_lookup_of_a_number_beyond_65535_says_it_is_not_a_port() -> None:
    result = CliRunner().invoke(cli, ["lookup", "70000"])
    assert result.exit_code == 1 and result.output.strip() == "Error: 70000 is not a port (0-65535)"


def test_dropping_a_question_kind_says_how_many_cards_were_set_aside(isolated_home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "k.yaml"
    deck.write_text("facts:\n- {service: IMAP, ports: 143}\n- {service: POP3, ports: 110}\n", encoding="utf-8")
    run(["import", str(deck)])
    deck.write_text("kinds: [service-port]\nfacts:\n- {service: IMAP, ports: 143}\n- {service: POP3, ports: 110}\n",
                    encoding="utf-8")
    out = run(["import", str(deck)]).output
    assert "k: 0 added, 0 updated, 2 unchanged, 0 suspended; 2 cards. 2 cards of question kinds" in out
