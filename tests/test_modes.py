"""Study modes that teach: multiple choice, confusions, undo, leeches, quizzes, studying ahead."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import import_deck, keys, run

from trainer.cards import applicable, make_card, with_choices
from trainer.cli import cli
from trainer.deck import load_deck
from trainer.grading import check, suggest_rating
from trainer.paths import bundled_deck
from trainer.scheduler import Rating


def db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "trainer.db")


EXAM = load_deck(bundled_deck("exam"))
BY_KEY = {f.key: f for f in EXAM.facts}


@pytest.mark.parametrize("key,kind", [(f.key, k) for f in EXAM.facts for k in EXAM.kinds
                                      if applicable(f, k, BY_KEY)])
def test_choices_have_one_right_option_and_no_repeats(key: str, kind: str) -> None:
    fact = BY_KEY[key]
    spec = make_card("exam", fact, kind, BY_KEY)
    chosen = with_choices(spec, fact, EXAM.facts, random.Random(7), lambda t: check(spec, t)[0])
    if kind in ("transport", "range"):  # three options are a guess: these stay typed
        assert chosen.choices == ()
        return
    assert len(chosen.choices) == 4
    assert len({c.casefold() for c in chosen.choices}) == len(chosen.choices)
    assert sum(check(spec, c)[0] for c in chosen.choices) == 1


def test_distractors_are_the_ones_learners_confuse() -> None:
    imap = BY_KEY["imap"]
    spec = make_card("exam", imap, "service-port", BY_KEY)
    options = with_choices(spec, imap, EXAM.facts, random.Random(1), lambda t: check(spec, t)[0]).choices
    assert "993" in options  # the secure twin
    assert len({"110", "995", "25", "465", "587"} & set(options)) >= 2  # the mail family
    ldap = BY_KEY["ldap"]
    secure = make_card("exam", ldap, "secure", BY_KEY)
    assert "389" in with_choices(secure, ldap, EXAM.facts, random.Random(1), lambda t: check(secure, t)[0]).choices


def test_option_order_is_shuffled() -> None:
    spec = make_card("exam", BY_KEY["imap"], "service-port", BY_KEY)
    orders = {with_choices(spec, BY_KEY["imap"], EXAM.facts, random.Random(s), lambda t: check(spec, t)[0]).choices
              for s in range(20)}
    assert len(orders) > 3 and len({o.index("143") for o in orders}) > 1


def test_multiple_choice_in_a_pipe_takes_the_number_and_caps_the_rating_at_good(isolated_home: Path) -> None:
    out = run(["review", "--choice", "--new", "1", "--seed", "5"], input="").output
    options = next(ln for ln in out.splitlines() if ln.startswith("  1) "))
    number = next(p.split(")")[0].strip() for p in options.split("   ") if p.split(") ")[1] == "20, 21")
    out = run(["review", "--choice", "--new", "1", "--seed", "5"], input=number + "\n").output
    assert "✓ Right: 20, 21" in out
    rating = db(isolated_home).execute("SELECT rating FROM reviews").fetchone()[0]
    assert rating == Rating.GOOD  # instant and right, yet recognition is not Easy


def test_multiple_choice_with_arrow_keys_in_the_terminal(isolated_home: Path) -> None:
    shown = run(["review", "--plain", "--choice", "--new", "1", "--seed", "3"], input="").output  # the options
    fourth = next(ln for ln in shown.splitlines() if ln.startswith("  1) ")).split("4) ")[1]
    with keys("\r" "\x1b[B\x1b[B\x1b[B\x1b[B\r\r" + "\x03"):  # Enter alone: nothing; down four times: the 4th
        result = run(["review", "--interactive", "--choice", "--new", "1", "--seed", "3"])
    assert result.exit_code == 0, result.output
    answers = db(isolated_home).execute("SELECT answer FROM log").fetchall()
    assert answers == [(fourth,)]  # the lone Enter before the arrows answered nothing


def test_personal_times_set_easy_and_hard() -> None:
    assert suggest_rating(True, False, 3.0, usual=5.0) == Rating.EASY
    assert suggest_rating(True, False, 5.0, usual=5.0) == Rating.GOOD
    assert suggest_rating(True, False, 11.0, usual=5.0) == Rating.HARD
    assert suggest_rating(True, False, 11.0, usual=None) == Rating.GOOD  # fixed bounds: 6 s and 20 s


def test_a_wrong_answer_that_is_another_cards_answer_is_a_confusion(isolated_home: Path) -> None:
    import_deck(isolated_home.parent, "mail", "kinds: [service-port]\nfacts:\n"
                "- {key: imap, service: IMAP, ports: 143}\n- {key: imaps, service: IMAPS, ports: 993}\n"
                "- {key: pop3, service: POP3, ports: 110}\n")
    out = run(["review", "--deck", "mail"], input="993\n").output
    assert "✗ Wrong: you said 993; the answer is 143 (TCP)" in out and "  993 is IMAPS." in out
    rows = db(isolated_home).execute("SELECT card_id, fact_id, other_fact_id FROM confusions").fetchall()
    assert rows == [("mail/imap/service-port", "mail/imap", "mail/imaps")]
    drill = run(["review", "--confusions"], input="143\n993\n", when="2026-03-02T09:30:00+00:00").output.splitlines()
    assert drill[0] == "(1/2) Which port does IMAP use?"  # asked first: the pair would give the answer away
    assert drill.index("IMAP (143) vs IMAPS (993): confused 1 time") > drill.index("(1/2) Which port does IMAP use?")
    assert [ln[6:] for ln in drill if ln.startswith("(")][:2] == ["Which port does IMAP use?",
                                                              "Which port does IMAPS use?"]  # side by side
    assert sum(ln.startswith("✓") for ln in drill) == 2
    modes = db(isolated_home).execute("SELECT card_id, mode FROM reviews ORDER BY id").fetchall()[-2:]
    assert modes == [("mail/imap/service-port", "review"), ("mail/imaps/service-port", "practice")]  # IMAPS: not due
    from trainer import store
    from trainer.db import open_db

    home = open_db(isolated_home / "trainer.db")  # a scope of several decks (an exam's) holds only theirs
    assert [c[:2] for c in store.worst_confusions(home, deck=store.Scope(decks=("mail", "exam")))] == [
        ("mail/imap", "mail/imaps")]
    assert store.worst_confusions(home, deck=store.Scope(decks=("exam",))) == []


def test_a_confusion_drill_names_each_pair_after_its_own_cards(isolated_home: Path) -> None:
    """With several pairs in learning steps, the drill asked the cards in step order and said each pair's heading
    by position: 4 of 4 headings named another pair than the card just answered."""
    import_deck(isolated_home.parent, "mail", "kinds: [service-port]\nfacts:\n"  # keys sort the other way round
                "- {key: zimap, service: IMAP, ports: 143}\n- {key: zimaps, service: IMAPS, ports: 993}\n"
                "- {key: ypop3, service: POP3, ports: 110}\n- {key: ypop3s, service: POP3S, ports: 995}\n"
                "- {key: xsmtp, service: SMTP, ports: 25}\n- {key: xsmtps, service: SMTPS, ports: 465}\n")
    for at, answers in (("09:00:00", "993\n143\n"), ("09:00:10", "995\n110\n"), ("09:00:20", "465\n25\n")):
        run(["review", "--deck", "mail", "--new", "2"], input=answers, when=f"2026-03-02T{at}+00:00")  # a pair each
    lines = run(["review", "--confusions"], input="465\n25\n995\n110\n993\n143\n",
                when="2026-03-02T09:00:30+00:00").output.splitlines()  # every card's step still a little ahead
    asked = [ln.split("does ")[1].split(" use")[0] for ln in lines if ln.startswith("(")]
    assert asked[:6] == ["SMTPS", "SMTP", "POP3S", "POP3", "IMAPS", "IMAP"], lines  # pairs side by side, in order
    headings = [i for i, ln in enumerate(lines) if "confused 2 times" in ln]  # each way round once
    assert len(headings) == 3
    for i in headings:  # each heading follows an answer to one of its own two cards
        question = next(ln for ln in reversed(lines[:i]) if ln.startswith("("))
        service = question.split("does ")[1].split(" use")[0]
        assert lines[i].startswith(f"{service} (") or f" vs {service} (" in lines[i], (question, lines[i])


@pytest.mark.parametrize("undo", ["u\r", "udp\ru\r"])  # `u` then Enter; `udp` typed ahead is refused, then `u`
def test_undo_takes_back_the_answer_on_enter_and_the_card_comes_back_with_an_empty_prompt(
        isolated_home: Path, undo: str) -> None:
    with keys("99\r" + undo + "20 21\r\r" "\x03"):
        result = run(["review", "--interactive", "--new", "1"])
    assert "Undone" in result.output
    rows = db(isolated_home).execute("SELECT answer, correct FROM log").fetchall()
    assert rows == [("20 21", 1)]  # nothing typed at the rating prompt reached the next answer
    assert "Session: 1 answered, 1 right (100%)." in result.output


def test_trainer_undo_twice_restores_earlier_due_dates(isolated_home: Path) -> None:
    con = db
    run(["review", "--new", "1"], input="20 21\n")  # FTP: Easy, due in days
    first_due = con(isolated_home).execute("SELECT due FROM cards WHERE id = 'exam/ftp/service-port'").fetchone()[0]
    run(["review", "--new", "0", "--ahead", "1"], input="21\n", when="2026-03-03T09:00:00+00:00")
    ftp = "SELECT due, reps, state FROM cards WHERE id = 'exam/ftp/service-port'"
    assert con(isolated_home).execute(ftp).fetchone()[0] != first_due
    out = run(["undo"]).output
    assert out.startswith("Took back your answer '21' to: Which ports does FTP use?")
    assert con(isolated_home).execute(ftp).fetchone()[:2] == (first_due, 1)
    run(["undo"])
    assert con(isolated_home).execute(ftp).fetchone() == (None, 0, 0)
    result = CliRunner().invoke(cli, ["undo"])
    assert result.exit_code == 1 and "nothing to undo" in result.output


def _lapse(card_answer: str, day: int, last: bool = False) -> str:
    """On `day`, forget the card studied ahead (a lapse), then relearn it 15 minutes later; the output of the
    lapse's session."""
    at = datetime(2026, 3, 2, 9, tzinfo=timezone.utc) + timedelta(days=day)
    out = run(["review", "--new", "0", "--ahead", "1"], input="1\n", when=at).output
    if not last:
        run(["review", "--new", "0"], input=f"{card_answer}\n", when=at + timedelta(minutes=15))
    return out


def test_a_card_forgotten_eight_times_after_it_was_learned_is_a_leech_to_drill_suspend_and_restore(
        isolated_home: Path) -> None:
    out = run(["review", "--new", "1"], input="1\n" * 8).output  # eight misses while learning: not a leech
    assert out.count("✗") == 8 and "Leech" not in out
    run(["review", "--new", "0"], input="20 21\n20 21\n", when="2026-03-02T09:30:00+00:00")  # learned
    for day in range(1, 8):
        assert "Leech" not in _lapse("20 21", day)
    assert "! Leech: forgotten 8 times after you had learned it." in _lapse("20 21", 8, last=True)
    listed = json.loads(run(["cards", "--leeches", "--json"], when="2026-03-10T10:00:00+00:00").output)
    assert [c["id"] for c in listed] == ["exam/ftp/service-port"]
    drill = run(["review", "--leeches", "--count-as-review"], input="20 21\n20 21\n",
                when="2026-03-10T10:00:00+00:00").output
    assert "(1/1) Which ports does FTP use?" in drill and "✓ Right: 20, 21" in drill
    # in a terminal, the prompt offers to set it aside the moment it becomes a leech (FTP out of the way)
    assert "Suspended 1 card" in run(["suspend", "exam/ftp/service-port"]).output
    run(["review", "--new", "1"], input="22\n22\n", when="2026-03-10T11:00:00+00:00")  # SSH learned
    for day in range(9, 16):
        _lapse("22", day)
    with keys("1\r\r" "s"):
        result = run(["review", "--interactive", "--new", "0", "--ahead", "1"], when="2026-03-18T09:00:00+00:00")
    assert "Suspended." in result.output
    assert "Restored 1 card." in run(["unsuspend", "exam/ftp/service-port"]).output
    suspended = json.loads(run(["cards", "--suspended", "--json"]).output)
    assert [c["id"] for c in suspended] == ["exam/ssh/service-port"]
    assert "Restored 1 card." in run(["unsuspend", "exam/ssh/service-port"]).output
    assert json.loads(run(["cards", "--suspended", "--json"]).output) == []
    bad = CliRunner().invoke(cli, ["unsuspend", "exam/nope/x"])
    assert bad.exit_code == 1 and "no card with id 'exam/nope/x'" in bad.output


def test_quiz_scores_lists_misses_and_leaves_the_schedule_alone(isolated_home: Path) -> None:
    out = run(["quiz", "--count", "5", "--seed", "4"], input="x\n" * 5).output
    lines = out.splitlines()
    assert sum(ln.startswith("(") for ln in lines) == 5 and "Score: 0/5 (0%)." in lines
    assert lines.index("Misses:") == len(lines) - 6
    con = db(isolated_home)
    assert con.execute("SELECT count(*), min(mode), max(mode) FROM reviews").fetchone() == (5, "practice", "practice")
    assert con.execute("SELECT count(*) FROM cards WHERE reps > 0").fetchone()[0] == 0
    again = run(["quiz", "--count", "5", "--seed", "4"], input="x\n" * 5).output
    assert [ln for ln in again.splitlines() if ln.startswith("(")] == [ln for ln in lines if ln.startswith("(")]
    run(["quiz", "--count", "3", "--seed", "4", "--count-as-review", "--kind", "service-port"], input="x\n" * 3)
    assert con.execute("SELECT count(*) FROM cards WHERE reps > 0 AND kind = 'service-port'").fetchone()[0] == 3
    stats = json.loads(run(["stats", "--json"]).output)
    assert (stats["practice"], stats["reviews"]) == (10, 3)


def test_ahead_and_extra(isolated_home: Path) -> None:
    run(["review", "--new", "2"], input="20 21\n22\n20 21\n22\n")  # each through its learning step
    out = run(["review", "--new", "0"], when="2026-03-02T12:00:00+00:00").output
    assert "Nothing due" in out and "--ahead N" in out
    ahead = run(["review", "--new", "0", "--ahead", "5"], input="20 21\n22\n", when="2026-03-02T12:00:00+00:00").output
    assert "studying the 2 cards due soonest" in ahead
    assert {ln[6:] for ln in ahead.splitlines() if ln.startswith("(")} == {"Which ports does FTP use?",
                                                                        "Which port does SSH use?"}
    extra = run(["review", "--extra", "3"], input="", when="2026-03-02T12:00:00+00:00").output
    assert "(1/21)" in extra  # 18 new left today, plus 3


def test_an_undone_multiple_choice_card_keeps_its_option_order(isolated_home: Path) -> None:
    with keys("1\ru\r" "1\r\r" "\x03"):
        result = run(["review", "--interactive", "--choice", "--new", "1"])
    answers = [a for (a,) in db(isolated_home).execute("SELECT answer FROM log")]
    assert "Undone" in result.output and len(answers) == 1
    verdicts = [ln for ln in result.output.splitlines() if ln[:1] in "✓✗"]
    assert len(verdicts) == 2 and verdicts[0] == verdicts[1]  # option 1 was the same option both times


def test_exam_grading_follows_comptia_and_iana_both(isolated_home: Path) -> None:
    from datetime import datetime, timezone

    from trainer import store
    from trainer.answers import DeckAnswers
    from trainer.db import open_db
    from trainer.import_plan import plan

    db = open_db(isolated_home / "trainer.db")
    store.import_decks(db, [plan(EXAM)], datetime(2026, 3, 2, tzinfo=timezone.utc))
    answers = DeckAnswers(store.answer_index(db, "exam"), lambda keys: store.facts_by_key(db, "exam", keys))

    def right(key: str, kind: str, answer: str) -> bool:
        spec = answers.widen(make_card("exam", BY_KEY[key], kind, BY_KEY), BY_KEY[key])
        return check(spec, answer, answers.known)[0]

    assert right("smtps", "service-port", "587") and right("smtps", "service-port", "465")  # N10-009 and IANA
    assert right("smtp", "secure", "465 or 587") and right("smtp", "secure", "587")
    assert right("rdp", "service-port", "3389/tcp") and right("rdp", "service-port", "3389/udp")  # RDP 8 adds UDP
    assert not right("ssh", "service-port", "22/udp")
    assert right("dns", "service-port", "53 udp") and right("dns", "service-port", "53/tcp")
    assert not right("submissions", "port-service", "urd")  # IANA's urd is another service on 465
    for key, kind, answer in [("pop3", "port-service", "Post Office Protocol version 3"),
                              ("dns", "port-service", "Domain Name Service"),
                              ("smtps", "port-service", "SMTP over SSL"),
                              ("mssql", "port-service", "Microsoft SQL"), ("ike", "port-service", "IKEv2"),
                              ("tftp", "transport", "UDP only")]:
        assert right(key, kind, answer), answer


def test_a_partial_multi_port_answer_is_called_partly_right(isolated_home: Path) -> None:
    out = run(["review", "--new", "1"], input="21\n").output
    assert "✗ Wrong: you said 21; the answer is 20, 21 (TCP)" in out
    assert "  Partly: 21 is right; the answer has 2 ports." in out
    import_deck(isolated_home.parent, "smb",
                "facts:\n- {key: smb, service: SMB, ports: 445, accept_ports: [[139, 445]]}\n")
    out = run(["review", "--deck", "smb"], input="139\n").output  # it said "the answer has 2 ports" under 445 alone
    assert "✗ Wrong: you said 139; the answer is 445 (TCP)" in out
    assert "  Partly: 139 is right as part of 139, 445 (also accepted); 139 alone is not." in out


def test_quiz_verdicts_show_no_rating_and_undo_passes_over_practice(isolated_home: Path) -> None:
    run(["review", "--new", "1"], input="20 21\n")
    quiz = run(["quiz", "--count", "2", "--seed", "1"], input="x\nx\n").output
    verdicts = [ln for ln in quiz.splitlines() if ln[:1] in "✓✗"]
    assert verdicts and all("[" not in v for v in verdicts)  # practice moves nothing, so no interval
    out = run(["undo"]).output
    assert out.startswith("Took back your answer '20 21' to: Which ports does FTP use?")
    assert db(isolated_home).execute("SELECT count(*) FROM reviews WHERE mode = 'practice'").fetchone()[0] == 2
    assert "Reviews: 0, 0 right; 2 practice answers (quizzes, drills)" in run(["stats"]).output  # the JSON had them


@pytest.mark.parametrize("key", [f.key for f in EXAM.facts if len(f.ports) > 1])
def test_a_multi_port_answer_is_not_the_only_multi_port_option(key: str) -> None:
    spec = make_card("exam", BY_KEY[key], "service-port", BY_KEY)
    options = with_choices(spec, BY_KEY[key], EXAM.facts, random.Random(5), lambda t: check(spec, t)[0]).choices
    assert sum("," in o or "-" in o for o in options) >= 3, options


def test_studying_ahead_comes_after_new_cards_never_instead_of_them(isolated_home: Path) -> None:
    run(["review", "--new", "1"], input="20 21\n20 21\n")  # FTP learned: due in days
    out = run(["review", "--new", "1", "--ahead", "1"], input="22\n20 21\n", when="2026-03-02T12:00:00+00:00").output
    assert "Then studying the 1 card due soonest." in out
    asked = [ln for ln in out.splitlines() if ln.startswith("(")]
    assert [a.split(") ", 1)[1] for a in asked[:2]] == ["Which port does SSH use?", "Which ports does FTP use?"]


def test_an_enter_pressed_out_of_habit_is_not_an_answer(isolated_home: Path) -> None:
    """In a drill there is no rating prompt, so the Enter pressed after every verdict used to answer the next
    card with nothing (6 of 12 cards in the week trial). One Enter on an empty prompt only asks again."""
    with keys("\r" "20 21\r" "\r" "\r" "\r" "\x03"):  # stray Enter; FTP; Enter accepts; SSH: two Enters, no answer
        result = run(["review", "--interactive", "--new", "2"])
    assert "Nothing typed: Enter again shows the answer." in result.output
    rows = db(isolated_home).execute("SELECT card_id, answer FROM log ORDER BY id").fetchall()
    assert rows == [("exam/ftp/service-port", "20 21"), ("exam/ssh/service-port", "")]
