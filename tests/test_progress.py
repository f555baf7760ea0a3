"""Progress a candidate can trust: stats against hand-computed values, the exam plan, personal parameters."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import exam_cards, run

from trainer import store
from trainer.cli import cli
from trainer.db import open_db
from trainer.deck import load_deck, parse_deck
from trainer.import_plan import plan
from trainer.paths import bundled_deck
from trainer.scheduler import Params, parse_time
from trainer.simulate import simulate_history

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
TRUE = Params(weights=(0.4, 1.5, 3.0, 10.0, 6.0, 0.9, 3.2, 0.01, 1.5, 0.2, 0.9, 1.6, 0.05, 0.3, 1.7, 0.5, 2.0,
                       0.5, 0.1, 0.06, 0.2), enable_fuzzing=False)




@pytest.fixture
def history(isolated_home: Path) -> Path:
    """90 days of a simulated learner on the exam deck (one new card a day), scheduled without fuzz."""
    db = open_db(isolated_home / "trainer.db")
    store.set_setting(db, "fuzz", False)
    store.import_decks(db, [plan(load_deck(bundled_deck("exam")))], START)
    simulate_history(db, START, 90, Params(enable_fuzzing=False), TRUE, seed=3, new_per_day=1)
    db.close()
    return isolated_home / "trainer.db"


def test_stats_figures_match_the_review_log(history: Path) -> None:
    now = START + timedelta(days=90, hours=1)
    data = json.loads(run(["stats", "--json"], when=now).output)
    con = sqlite3.connect(history)
    reviews = [(parse_time(t), r, json.loads(b)["state"]) for t, r, b in
               con.execute("SELECT reviewed_at, rating, state_before FROM reviews")]
    assert data["reviews"] == len(reviews) and data["correct"] == sum(r > 1 for _, r, _ in reviews)
    recent = [r for t, r, s in reviews if t >= now - timedelta(days=30) and s == 2]
    assert data["retention_30d"]["reviews"] == len(recent)
    assert data["retention_30d"]["rate"] == round(sum(r > 1 for r in recent) / len(recent), 4)
    days = {(t - timedelta(hours=4)).date() for t, _, _ in reviews}
    assert data["streak"] == 90 and len(days) == 90  # every day studied, none yet today
    heat = {h["date"]: h["reviews"] for h in data["heatmap"]}
    for d in (START.date(), START.date() + timedelta(days=45)):
        assert heat[d.isoformat()] == sum((t - timedelta(hours=4)).date() == d for t, _, _ in reviews)
    assert len(data["heatmap"]) == 182


def test_forecast_counts_the_cards_due_each_day(history: Path) -> None:
    now = START + timedelta(days=90, hours=1)
    forecast = json.loads(run(["stats", "--json"], when=now).output)["forecast"]
    con = sqlite3.connect(history)
    dues = [parse_time(d) for (d,) in con.execute("SELECT due FROM cards WHERE reps > 0 AND suspended = 0")]
    today = (now - timedelta(hours=4)).date()
    expected = {}
    for i in range(14):
        day = today + timedelta(days=i)
        expected[day.isoformat()] = sum(max((d - timedelta(hours=4)).date(), today) == day for d in dues)
    assert {f["date"]: f["due"] for f in forecast} == expected
    assert sum(expected.values()) > 0


def test_plan_recall_matches_a_direct_calculation(history: Path) -> None:
    import fsrs

    now = START + timedelta(days=90, hours=1)
    exam = date(2026, 4, 20)
    out = json.loads(run(["plan", "--exam", exam.isoformat(), "--json"], when=now).output)
    con = sqlite3.connect(history)
    sch = fsrs.Scheduler()
    at = datetime(2026, 4, 20, 9, tzinfo=timezone.utc)
    total = 0.0
    rows = con.execute("SELECT state, step, stability, difficulty, due, last_review, reps FROM cards").fetchall()
    for state, step, stab, diff, due, last, reps in rows:
        if reps:
            card = fsrs.Card(card_id=1, state=fsrs.State(state), step=step, stability=stab, difficulty=diff,
                             due=parse_time(due), last_review=parse_time(last))
            total += sch.get_card_retrievability(card, at)
    assert out["recall_if_stopped"] == pytest.approx(total / len(rows), abs=1e-4)
    assert out["unseen"] == sum(1 for r in rows if not r[6]) == len(exam_cards()) - 90 and out["days_left"] == 15
    assert len(out["reviews_per_day"]) == 15
    assert out["new_per_day_needed"] == -(-out["unseen"] // (15 - 7))
    assert out["recall_with_plan"] > out["recall_if_stopped"]


def test_plan_apply_sets_the_limits(isolated_home: Path) -> None:
    now = START
    run(["review", "--new", "0"], when=now)
    n = len(exam_cards())
    assert -(-n // 8) < 20, "the exam deck outgrew this test's dates"
    calm = run(["plan", "--exam", "2026-01-20"], when=now).output
    assert (f"Your 20 new cards a day meet every card 7 days before the exam ({-(-n // 8)} a day would do; plan "
            "never lowers your limit).") in calm  # n cards over 15 - 7 days
    assert run(["plan", "--exam", "2026-01-20"], when=now).output == calm  # the same plan every time
    out = run(["plan", "--exam", "2026-01-15", "--apply"], when=now).output
    need = -(-n // 3)  # n cards over 10 - 7 days
    assert f"{n} not seen yet" in out and f"{need} new cards a day (now 20); --apply sets it" in out
    assert f"Applied: new_per_day = {need}" in out
    assert store.settings(open_db(isolated_home / "trainer.db")).new_per_day == need
    assert run(["settings", "new_per_day", "20"], when=now).output.strip() == "new_per_day = 20"
    assert "new_per_day = 20" in run(["settings"], when=now).output
    never_lowered = run(["plan", "--exam", "2026-01-20", "--apply"], when=now).output
    assert "Applied: new_per_day stays 20 (never lowered)," in never_lowered
    bad = CliRunner().invoke(cli, ["plan", "--exam", "2020-01-01"], env={"TRAINER_NOW": now.isoformat()})
    assert bad.exit_code == 1 and "is not in the future" in bad.output


def test_optimize_needs_enough_history_and_changes_nothing_without_it(isolated_home: Path) -> None:
    run(["review"], when=START, input="20 21\n")
    db = isolated_home / "trainer.db"
    before = sqlite3.connect(db).execute("SELECT * FROM cards ORDER BY id").fetchall()
    result = CliRunner().invoke(cli, ["optimize"])
    assert result.exit_code == 1 and "optimize needs 400 reviews" in result.output
    assert "Nothing changed." in result.output
    assert sqlite3.connect(db).execute("SELECT * FROM cards ORDER BY id").fetchall() == before


def test_optimize_lowers_held_out_log_loss_and_rebuilds_cards(isolated_home: Path) -> None:
    db = open_db(isolated_home / "trainer.db")
    facts = "\n".join(f"- {{key: f{i}, service: s{i}, ports: {1000 + i}}}" for i in range(1500))
    store.import_decks(db, [plan(parse_deck(f"name: synth\nkinds: [service-port]\nfacts:\n{facts}\n"))], START)
    # a learner who forgets faster than FSRS's defaults assume; about 15,000 reviews
    forgetful = Params(weights=(0.1, 0.5, 1.0, 4.0, 6.4133, 0.8334, 3.0194, 0.001, 1.2, 0.1666, 0.796, 1.4835,
                                0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.4),
                       enable_fuzzing=False)
    simulate_history(db, START, 120, Params(enable_fuzzing=False), forgetful, seed=5, new_per_day=25)
    db.close()
    from trainer.optimize import fit

    db = open_db(isolated_home / "trainer.db")
    result = fit(db, Params())
    assert result.after[0] < result.before[0] - 0.005 and result.after[1] < result.before[1]
    assert result.test_items > 1000
    out = run(["optimize"], when=START + timedelta(days=91)).output
    assert "Saved your parameters and rebuilt" in out
    weights = store.settings(db).weights
    assert len(weights) == 21 and weights != list(Params().weights or [])
    # the cache now equals a replay of the log with the new parameters
    from trainer.scheduler import CardState, review

    card_id, = db.execute("SELECT card_id FROM reviews GROUP BY card_id ORDER BY count(*) DESC LIMIT 1").fetchone()
    state = CardState()
    p = Params(weights=tuple(weights))
    log = db.execute("SELECT reviewed_at, rating FROM reviews WHERE card_id = ? ORDER BY reviewed_at", [card_id])
    for at, rating in log:
        state = review(state, rating, parse_time(at), p)
    stability = db.execute("SELECT stability FROM cards WHERE id = ?", [card_id]).fetchone()[0]
    assert stability == pytest.approx(state.stability)


def test_optimize_works_on_a_history_with_same_day_relearning(isolated_home: Path) -> None:
    """Missed cards are asked again the same day in every session; such a step says nothing of memory across
    days, and fsrs-rs refuses to evaluate an item that ends with one."""
    db = open_db(isolated_home / "trainer.db")
    facts = "\n".join(f"- {{key: f{i}, service: s{i}, ports: {1000 + i}}}" for i in range(400))
    store.import_decks(db, [plan(parse_deck(f"name: synth\nkinds: [service-port]\nfacts:\n{facts}\n"))], START)
    simulate_history(db, START, 40, Params(), Params(enable_fuzzing=False), seed=2, new_per_day=10, relearn=True)
    same_day = db.execute("SELECT count(*) FROM reviews a JOIN reviews b ON a.card_id = b.card_id AND b.id = "
                          "(SELECT min(id) FROM reviews WHERE card_id = a.card_id AND id > a.id) "
                          "WHERE date(b.reviewed_at) = date(a.reviewed_at) AND a.rating = 1 "
                          "AND a.id > (SELECT min(id) FROM reviews WHERE card_id = a.card_id)").fetchone()[0]
    assert same_day > 50  # lapses relearned the same day
    db.close()
    result = CliRunner().invoke(cli, ["optimize"], env={"TRAINER_NOW": (START + timedelta(days=41)).isoformat()})
    assert result.exit_code == 0, result.output
    assert re.match(r"\d+ reviews; fitted on \d+ items", result.output) and "Held-out log loss" in result.output


def test_stats_screen_reads_without_colour(history: Path) -> None:
    out = run(["stats"], when=START + timedelta(days=90, hours=1)).output
    assert "\x1b[" not in out
    assert out.splitlines()[0].startswith("Today: 0 reviewed") and "Streak: 90 days" in out
    import re

    rows = [ln for ln in out.splitlines() if re.fullmatch(r"  (Mon|Sun) [·░▒▓█ ]+", ln)]
    assert len(rows) == 2 and any(g in rows[0] for g in "░▒▓█")
    assert "less ·░▒▓█ more" in out and "Due in the next 14 days" in out


def test_settings_lists_exactly_what_can_be_set_and_refuses_bad_values(isolated_home: Path) -> None:
    listed = run(["settings"], when=START).output.splitlines()
    assert [ln.split(" = ")[0] for ln in listed] == ["new_per_day", "reviews_per_day", "desired_retention",
                                                   "day_starts_at", "learning_steps", "relearning_steps",
                                                   "maximum_interval", "choice", "fuzz", "smoothing"]
    assert "null" not in " ".join(listed) and "learning_steps = 1m 10m" in " ".join(listed)
    assert run(["settings", "learning_steps", "30s", "5m"], when=START).output.strip() == "learning_steps = 30s 5m"
    assert store.settings(open_db(isolated_home / "trainer.db")).params().learning_steps == (30, 300)
    assert run(["settings", "choice", "yes"], when=START).output.strip() == "choice = true"
    for key, value, why in [("choice", "maybe", "true or false"), ("new_per_day", "10000", "from 0 to 9999"),
                            ("desired_retention", "0.5", "from 0.70 to 0.99"), ("day_starts_at", "24", "0 to 23"),
                            ("learning_steps", "10x", "1m 10m"), ("weights", "1", "unknown setting")]:
        bad = CliRunner().invoke(cli, ["settings", key, value], env={"TRAINER_NOW": START.isoformat()})
        assert bad.exit_code == 1 and why in bad.output, (key, bad.output)
    assert store.settings(open_db(isolated_home / "trainer.db")).choice is True  # nothing bad was stored


def plan_json(exam: str, when: datetime, *extra: str) -> dict:
    return json.loads(run(["plan", "--exam", exam, "--json", *extra], when=when).output)


def test_plan_adds_up_when_the_exam_is_close(isolated_home: Path) -> None:
    run(["review", "--new", "0"], when=START)  # the exam deck, none seen
    n = len(exam_cards())
    tomorrow = plan_json("2026-01-06", START)
    assert tomorrow["days_left"] == 1 and tomorrow["unseen"] == n
    assert tomorrow["recall_with_plan"] <= 20 / n + 0.01  # at 20 new cards a day, only 20 can be known by then
    text = run(["plan", "--exam", "2026-01-06"], when=START).output
    assert "(1 day)" in text and "1 days" not in text


def test_a_reachable_target_is_not_called_out_of_reach(isolated_home: Path) -> None:
    from trainer.scheduler import Params
    from trainer.simulate import simulate_history

    db = open_db(isolated_home / "trainer.db")
    store.import_decks(db, [plan(load_deck(bundled_deck("exam")))], START)
    exact = Params(enable_fuzzing=False)
    simulate_history(db, START, 5, exact, exact, seed=2, new_per_day=19)  # 95 cards met
    later = START + timedelta(days=5)
    out = run(["plan", "--exam", (later + timedelta(days=6)).date().isoformat(), "--target", "0.97"], when=later).output
    assert f"{len(exam_cards()) - 95} not seen yet" in out
    assert "Your 20 new cards a day meet every card before the exam" in out
    assert "7 days before" not in out  # six days left: the week's buffer is gone, and plan says so only once
    assert "out of reach" not in out and "To reach 97% recall on the day: desired retention 0.9" in out


def test_the_plans_prediction_matches_a_simulated_learner_who_follows_it(isolated_home: Path) -> None:
    from trainer.scheduler import Params
    from trainer.simulate import simulate_history
    from trainer.stats import average_recall

    db = open_db(isolated_home / "trainer.db")
    store.import_decks(db, [plan(load_deck(bundled_deck("exam")))], START)
    predicted = plan_json("2026-01-25", START)["recall_with_plan"]  # 20 days, 20 new cards a day
    exact = Params(enable_fuzzing=False)
    simulate_history(db, START, 20, exact, exact, seed=1, new_per_day=20)
    actual = average_recall(store.card_states(db), datetime(2026, 1, 25, 9, tzinfo=timezone.utc), exact)["average"]
    assert abs(predicted - actual) < 0.08, (predicted, actual)


def test_plans_first_day_is_todays_study_day_as_stats_counts_it(history: Path) -> None:
    """At noon, plan counted cards due tomorrow morning (before 11:00) as today's reviews: '8, 9, 5' where
    stats' forecast said 0 today, 8 tomorrow."""
    now = START + timedelta(days=90, hours=3)  # 12:00, study days start at 04:00
    forecast = json.loads(run(["stats", "--json"], when=now).output)["forecast"]
    p = plan_json((now + timedelta(days=10)).date().isoformat(), now)
    new_today = min(p["unseen"], 20)  # each new card: its first answer and its learning step
    assert p["reviews_per_day"][0] == forecast[0]["due"] + 2 * new_today
    assert forecast[1]["due"] > 0  # cards due tomorrow exist, and plan's first day left them for tomorrow
