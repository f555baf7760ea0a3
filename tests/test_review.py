"""`trainer review` driven as a learner would: through a pipe (plain mode) and through questionary prompts."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DAY1, exam_cards, exam_facts, keys, rows, run

from trainer.cli import cli


def reviews(home: Path) -> list[dict]:
    return rows(home, "SELECT * FROM log ORDER BY id")


def set_no_fuzz(home: Path) -> None:
    run(["review", "--new", "0"], input="")  # creates the database, imports the exam deck
    con = sqlite3.connect(home / "trainer.db")
    con.execute("INSERT INTO settings VALUES ('fuzz', 'false')")
    con.commit()


def test_first_run_imports_the_exam_deck_and_grades_piped_answers(isolated_home: Path) -> None:
    result = run(["review"], input="20, 21\n99\n")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Imported the bundled deck 'exam'")
    questions = [ln for ln in lines if ln.startswith("(")]
    assert questions[0] == "(1/20) Which ports does FTP use?"
    assert all(q.endswith("?") for q in questions)
    verdicts = [ln for ln in lines if ln[:1] in "✓✗"]
    assert verdicts[0].startswith("✓ Right: 20, 21")
    assert verdicts[1].startswith("✗ Wrong: you said 99; the answer is 22")
    assert "Session: 2 answered, 1 right (50%)." in lines
    rows = reviews(isolated_home)
    assert [(r["card_id"], r["answer"], r["correct"], r["rating"]) for r in rows] == [
        ("exam/ftp/service-port", "20, 21", 1, 3), ("exam/ssh/service-port", "99", 0, 1)]  # piped: untimed, Good
    assert json.loads(rows[0]["state_before"])["state"] == 0 and json.loads(rows[0]["state_after"])["state"] == 1


def test_stats_json_counts_the_reviews(isolated_home: Path) -> None:
    run(["review"], input="20 21\n22\n22\nnope\n")
    data = json.loads(run(["stats", "--json"]).output)
    assert (data["reviews"], data["correct"]) == (4, 3)
    assert data["cards"] == len(exam_cards()) and data["new"] == len(exam_cards()) - 4
    assert data["due"] == 4  # each card answered a moment ago: its learning step falls within the 20 minutes ahead


def test_a_failed_card_comes_back_in_the_same_session(isolated_home: Path) -> None:
    # wrong: back in a minute; right: the 10-minute learning step, still within this session; right: graduated
    result = run(["review", "--new", "1"], input="21\n20 21\n20 21\n")
    lines = [ln for ln in result.output.splitlines() if ln.startswith("(")]
    assert lines == ["(1/1) Which ports does FTP use?", "(again) Which ports does FTP use?",
                     "(again) Which ports does FTP use?"]  # the count never runs past the session's size
    assert [r["correct"] for r in reviews(isolated_home)] == [0, 1, 1]
    assert "Next card due in 19h (2026-03-03 04:00)." in result.output  # tomorrow's study day, from its start


def test_answered_cards_come_back_when_due_on_a_later_day(isolated_home: Path) -> None:
    from trainer.scheduler import parse_time

    set_no_fuzz(isolated_home)
    run(["review", "--new", "2"], input="20 21\n22\n20 21\n22\n")  # both through their learning steps
    con = sqlite3.connect(isolated_home / "trainer.db")
    dues = sorted(parse_time(d) for (d,) in con.execute("SELECT due FROM cards WHERE reps > 0"))
    assert len(dues) == 2 and dues[0] > parse_time(DAY1) + timedelta(days=1)
    before_the_day = dues[0].replace(hour=3).isoformat()  # the study day starts at 04:00
    assert "Nothing due. Next card due in 1h (2026-03-04 04:00)" in run(["review", "--new", "0"],
                                                                        when=before_the_day).output
    early = (dues[1] - timedelta(hours=1)).isoformat()  # a review card is due for its whole study day
    later = run(["review", "--new", "0"], input="20,21\n22\n", when=early).output
    assert "(1/2) Which ports does FTP use?" in later and "(2/2) Which port does SSH use?" in later
    assert later.count("✓") == 2
    assert len(reviews(isolated_home)) == 6


def test_daily_new_limit_holds_across_sessions(isolated_home: Path) -> None:
    run(["review"], input="1\n" * 20)
    out = run(["review"], when="2026-03-02T10:00:00+00:00").output
    assert "(1/" in out  # failed cards are due again after a minute
    assert "Which ports does FTP use?" in out and "new-card limit" not in out
    assert out.splitlines()[0] == "Today: 0 due, 20 learning, 0 new (of 20 a day)."  # no new card past the limit
    done = reviews(isolated_home)
    assert sum(json.loads(r["state_before"])["state"] == 0 for r in done) == 20


def test_unknown_deck_is_one_line_and_nonzero(isolated_home: Path) -> None:
    result = CliRunner().invoke(cli, ["review", "--deck", "nope"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: no deck named 'nope' (yours: none yet; bundled: common, concepts, exam, icmp, protocols, registry)"]


def test_decks_lists_counts(isolated_home: Path) -> None:
    run(["review"], input="20 21\n")
    out = run(["decks"]).output
    assert out.splitlines()[0].split() == ["deck", "facts", "cards", "new", "new/day", "learning", "due", "suspended",
                                           "title"]
    row = json.loads(run(["decks", "--json"]).output)[0]
    n = len(exam_cards())
    assert (row["name"], row["facts"], row["cards"], row["new"], row["new_per_day"]) == ("exam", exam_facts(), n,
                                                                                          n - 1, None)


# Interactive: questionary and the rating key, fed through a prompt_toolkit pipe.

def test_interactive_right_wrong_override_and_ctrl_c(isolated_home: Path) -> None:
    # FTP ports right, Enter accepts Good (never Easy on first sight); SSH's port wrong, Enter accepts Again; SFTP's
    # port right, then `22` and Enter typed ahead for a next card change nothing (two keys), and '2' then Enter
    # overrides to Hard; Ctrl-C.
    with keys("20 21\r\r" "99\r\r" "22\r" "22\r" "2\r" "\x03"):
        result = run(["review", "--interactive"])
    assert result.exit_code == 0, result.output
    assert "✓ Right: 20, 21" in result.output and "✗ Wrong: you said 99" in result.output
    assert "Rated Hard instead of Good, next in 6m." in result.output
    assert "Session: 3 answered, 2 right (67%)." in result.output
    rows = reviews(isolated_home)
    assert [(r["answer"], r["correct"], r["rating"]) for r in rows] == [("20 21", 1, 3), ("99", 0, 1), ("22", 1, 2)]
    after = json.loads(rows[2]["state_after"])
    con = sqlite3.connect(isolated_home / "trainer.db")
    assert con.execute("SELECT due FROM cards WHERE id = 'exam/sftp/service-port'").fetchone()[0] == after["due"]


def test_interactive_ctrl_d_and_end_of_input_keep_answers(isolated_home: Path) -> None:
    with keys("20 21\r\r\x04"):
        result = run(["review", "--interactive"])
    assert result.exit_code == 0 and "Session: 1 answered" in result.output
    with keys("22\r"):  # input ends at the rating prompt: the answer is already saved
        result = run(["review", "--interactive"])
    assert result.exit_code == 0 and "Session: 1 answered" in result.output
    assert [r["answer"] for r in reviews(isolated_home)] == ["20 21", "22"]


def test_a_card_that_falls_due_during_the_session_is_asked(isolated_home: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime

    set_no_fuzz(isolated_home)
    run(["settings", "learning_steps", "30m"])  # a step beyond the 20 minutes a session learns ahead
    run(["review", "--new", "1"], input="21\n")  # FTP wrong: due again at 09:30, not answered again
    times = iter(["2026-03-02T09:05:00+00:00", "2026-03-02T09:05:10+00:00"] + ["2026-03-02T09:31:00+00:00"] * 20)
    import trainer.cli as tcli

    monkeypatch.setattr(tcli, "now", lambda: datetime.fromisoformat(next(times)))
    out = CliRunner().invoke(cli, ["review", "--new", "1"], input="22\n20 21\n", catch_exceptions=False).output
    questions = [ln[ln.index(")") + 2:] for ln in out.splitlines() if ln.startswith("(")]
    assert questions[:2] == ["Which port does SSH use?", "Which ports does FTP use?"], out


def test_the_session_header_and_summary_tell_the_truth(isolated_home: Path) -> None:
    out = run(["review"], input="21\n22\n").output.splitlines()
    assert out[1] == "Today: 0 due, 0 learning, 20 new (of 20 a day)."
    assert out[out.index("Missed:") + 1] == "  Which ports does FTP use? 20, 21 (TCP)"  # one card a line
    assert "2 cards in learning come back within 20 minutes: `trainer review` asks them again." in out  # FTP, SSH
    assert not any("not yet asked" in line for line in out)  # they were asked: their next steps are minutes away
    with keys("99\r3\r" "\x03"):  # FTP (due again) answered wrong, overridden to Good: not a miss
        result = run(["review", "--interactive"], when="2026-03-02T09:30:00+00:00")
    assert "Session: 1 answered, 1 right (100%)." in result.output and "Missed:" not in result.output


def test_the_header_names_the_limit_the_new_cards_came_under(isolated_home: Path) -> None:
    """Under `--new 200` the header said "57 new (of 20 a day)": more new cards than the limit it named."""
    assert run(["review", "--new", "30"], input="").output.splitlines()[1] == \
        "Today: 0 due, 0 learning, 30 new (--new 30)."
    assert run(["review", "--extra", "5"], input="").output.splitlines()[0] == \
        "Today: 0 due, 0 learning, 25 new (of 20 a day, +5 extra)."


def test_a_learning_step_due_within_20_minutes_belongs_to_the_next_session_and_its_header(
        isolated_home: Path) -> None:
    """A second session 5 minutes later left the first session's 10-minute steps out ("0 learning") and ended
    with "Next card due in 5m"; the steps are in it, asked when nothing else is left."""
    set_no_fuzz(isolated_home)
    run(["review", "--new", "1"], input="20 21\n")  # FTP right at 09:00: its 10-minute step is due at 09:10
    out = run(["review", "--new", "1"], input="22\n20 21\n", when="2026-03-02T09:05:00+00:00").output
    lines = out.splitlines()
    assert lines[0] == "Today: 0 due, 1 learning, 1 new (--new 1)."  # the limit this session was given
    questions = [ln for ln in lines if ln.startswith("(")]
    assert questions[:2] == ["(1/2) Which port does SSH use?", "(2/2) Which ports does FTP use?"], out

def test_stats_decks_and_json_count_due_cards_the_same_way(isolated_home: Path) -> None:
    run(["review", "--new", "1"], input="20 21\n")  # FTP's 10-minute step: due within the 20 minutes ahead
    at = "2026-03-02T09:05:00+00:00"
    data = json.loads(run(["stats", "--json"], when=at).output)
    assert data["due"] == data["today"]["due"] == data["decks"]["exam"]["due"] == 1
    shown = run(["stats"], when=at).output
    assert shown.startswith("Today: 1 reviewed · 1 due · 19 new left")
    assert "Due now: 1 (learning steps due within 20 minutes included, as review asks them)" in shown  # the header
    # of `review` says "0 due, 1 learning": the line says why both are right
    row = run(["decks"], when=at).output.splitlines()[1].split()
    n = len(exam_cards())  # deck, facts, cards, new, new/day, learning, due
    assert row[:7] == ["exam", str(exam_facts()), str(n), str(n - 1), "shared", "1", "1"]
