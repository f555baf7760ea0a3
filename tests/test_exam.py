"""Exam mode: the scheduler aims at the exam date (new cards paced to a cut-off, last reviews in a final window),
shown by simulation with FSRS's own memory model, and usable from the command line day by day."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from conftest import exam_cards, run

from trainer.scheduler import CardState, ExamAim, Params, Rating, State, fuzz_seed, review
from trainer.simulate import exam_preparation

DAY = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)


def test_exam_mode_beats_plain_fsrs_at_095_on_the_day_with_fewer_reviews_and_a_lower_peak() -> None:
    cards, days = 40, 30
    exam_day = (datetime(2027, 1, 1, 18, tzinfo=timezone.utc) + timedelta(days=days)).date()
    ids = frozenset(f"c{i}" for i in range(cards))
    plain = [exam_preparation(cards, days, Params(desired_retention=0.95), seed) for seed in range(3)]
    aimed = [exam_preparation(cards, days, Params(exam=ExamAim(exam_day, 6, ids)), seed) for seed in range(3)]

    def mean(runs: list, f) -> float:  # type: ignore[no-untyped-def]
        return sum(f(r) for r in runs) / len(runs)

    assert mean(aimed, lambda r: r.mean_recall) > mean(plain, lambda r: r.mean_recall)
    assert mean(aimed, lambda r: r.reviews) <= mean(plain, lambda r: r.reviews)
    assert mean(aimed, lambda r: max(r.reviews_per_day)) < mean(plain, lambda r: max(r.reviews_per_day))


def _graduated(at: datetime) -> CardState:
    """A card answered well for weeks: its next interval runs far past an exam a fortnight away."""
    state = CardState()
    for days in (0, 1, 4, 12, 30):
        state = review(state, Rating.GOOD, at + timedelta(days=days), Params(enable_fuzzing=False))
    return state


def test_a_next_review_past_the_exam_moves_into_the_final_window_the_same_way_every_time() -> None:
    at = DAY - timedelta(days=40)
    state = _graduated(at)
    now = DAY
    exam = ExamAim(date(2026, 12, 15), 6, frozenset({"exam/ftp/service-port"}))
    plain = review(state, Rating.GOOD, now, Params(), fuzz_seed("exam/ftp/service-port", now))
    assert plain.state == State.REVIEW and plain.due and plain.due.date() > exam.day  # FSRS alone: after the exam
    params = Params(exam=exam)
    aimed = review(state, Rating.GOOD, now, params.for_card("exam/ftp/service-port"),
                   fuzz_seed("exam/ftp/service-port", now))
    assert aimed.due and exam.day - timedelta(days=6) <= aimed.due.date() < exam.day
    again = review(state, Rating.GOOD, now, params.for_card("exam/ftp/service-port"),
                   fuzz_seed("exam/ftp/service-port", now))
    assert again == aimed  # a replay, an undo, another device: the same day
    other = review(state, Rating.GOOD, now, params.for_card("common/nfs/service-port"),
                   fuzz_seed("common/nfs/service-port", now))
    assert other.due and other.due.date() > exam.day  # not an exam card: plain FSRS
    inside = review(state, Rating.GOOD, datetime(2026, 12, 12, 9, tzinfo=timezone.utc), params.for_card(
        "exam/ftp/service-port"), "x")
    assert inside.due and inside.due.date() > exam.day  # a review in the window is the last before the exam
    days = {review(state, Rating.GOOD, now, params.for_card("exam/ftp/service-port"), f"seed{i}").due.date()
            for i in range(60)}  # type: ignore[union-attr]
    assert len(days) >= 4  # spread over the window, not piled on the eve


def test_trainer_exam_paces_new_cards_and_shows_the_exam_everywhere(isolated_home: Path) -> None:
    assert run(["exam"], when=DAY).output.startswith("No exam date yet")
    out = run(["exam", "2026-12-29"], when=DAY).output
    n = len(exam_cards())
    pace = math.ceil(n / (21 - 2))  # 28 days left, met by the cut-off 7 days before, with two days to spare
    assert f"Exam on 2026-12-29, in 28 days: {n} cards (exam), {n} not met yet." in out
    assert f"New cards: {pace} a day meet them all by 2026-12-22." in out
    review_out = run(["review"], input="x\n" * 40, when=DAY).output
    assert f"Today: 0 due, 0 learning, {pace} new (of 20 a day)." in review_out  # the pace, not the 20 allowed
    assert f"Exam in 28 days (2026-12-29): {n} of {n} exam cards not met yet" in review_out
    data = json.loads(run(["stats", "--json"], when=DAY).output)
    assert data["exam"]["date"] == "2026-12-29" and data["exam"]["unseen"] == n - pace
    assert data["exam"]["window_start"] == "2026-12-23" and len(data["forecast"]) == 29  # through the exam day
    text = run(["stats"], when=DAY).output
    assert "final window" in text and "<- exam" in text
    plan = json.loads(run(["plan", "--json"], when=DAY).output)  # the stored exam, its cards
    assert plan["exam"] == "2026-12-29" and plan["cards"] == n
    assert plan["exam_mode"]["window_start"] == "2026-12-23" and plan["exam_mode"]["cutoff"] == "2026-12-22"
    assert run(["exam", "--clear"], when=DAY).output.startswith("Exam cleared")
    assert json.loads(run(["stats", "--json"], when=DAY).output)["exam"] is None


def test_a_cap_too_low_for_the_pace_is_said_and_a_bad_date_is_one_line(isolated_home: Path) -> None:
    run(["settings", "new_per_day", "3"], when=DAY)
    run(["exam", "2026-12-12"], when=DAY)
    out = run(["review"], input="", when=DAY).output
    assert "new a day are needed to meet them all by 2026-12-05 (your limit is 3: `trainer plan --apply` raises it)" \
        in out
    for bad, says in (("2026-11-30", "Error: 2026-11-30 is not in the future"),
                      ("someday", "Error: 'someday' is not a date: give the exam day as YYYY-MM-DD")):
        result = run(["exam", bad], when=DAY)
        assert result.exit_code == 1 and result.output.strip() == says


def _history(home: Path, days: int = 20) -> None:
    from trainer import store
    from trainer.db import open_db
    from trainer.deck import load_deck
    from trainer.import_plan import plan
    from trainer.paths import bundled_deck
    from trainer.simulate import simulate_history

    db = open_db(home / "trainer.db")
    start = DAY - timedelta(days=days)
    store.import_decks(db, [plan(load_deck(bundled_deck("exam")))], start)
    simulate_history(db, start, days, Params(), Params(enable_fuzzing=False), seed=3, new_per_day=8)
    db.close()


def _dues(home: Path) -> dict[str, str]:
    import sqlite3

    con = sqlite3.connect(home / "trainer.db")
    try:
        return dict(con.execute(f"SELECT id, due FROM cards WHERE state = {int(State.REVIEW)}").fetchall())
    finally:
        con.close()


def test_a_break_moves_the_reviews_due_in_it_to_the_day_before_and_new_answers_avoid_it(isolated_home: Path) -> None:
    _history(isolated_home)
    first, last = date(2026, 12, 4), date(2026, 12, 9)
    before = _dues(isolated_home)
    inside = {c for c, d in before.items() if first.isoformat() <= d[:10] <= last.isoformat()}
    assert inside  # the history leaves reviews due in those days
    out = run(["break", first.isoformat(), last.isoformat()], when=DAY).output
    assert out.startswith(f"Break 2026-12-04 to 2026-12-09: {len(inside)} reviews due then move out of it "
                          "(to 2026-12-03)")
    after = _dues(isolated_home)
    assert all(after[c][:10] == "2026-12-03" for c in inside)
    assert not any(first.isoformat() <= d[:10] <= last.isoformat() for d in after.values())
    assert {c: d for c, d in after.items() if c not in inside} == {c: d for c, d in before.items() if c not in inside}
    assert run(["break"], when=DAY).output == "Break: 2026-12-04 to 2026-12-09\n"
    state = _graduated(DAY - timedelta(days=40))
    plain = review(state, Rating.GOOD, DAY, Params(enable_fuzzing=False))
    assert plain.due is not None
    breaks = ((plain.due.date() - timedelta(days=1), plain.due.date() + timedelta(days=3)),)
    moved = review(state, Rating.GOOD, DAY, Params(enable_fuzzing=False, breaks=breaks))
    assert moved.due is not None and moved.due.date() == breaks[0][0] - timedelta(days=1)
    bad = run(["break", "2026-12-09", "2026-12-04"], when=DAY)
    assert bad.exit_code == 1 and bad.output == "Error: the break ends (2026-12-04) before it starts (2026-12-09)\n"


def test_load_smoothing_flattens_the_daily_reviews_once_new_cards_stop() -> None:
    import statistics

    cards, days, cutoff = 200, 120, 80  # new cards for 40 days, then 70 days of reviews alone (from day 50)

    def spread(smoothing: bool) -> tuple[float, float]:
        runs = [exam_preparation(cards, days, Params(), seed, cutoff=cutoff, smoothing=smoothing) for seed in range(2)]
        tail = [r.reviews_per_day[50:] for r in runs]
        return sum(statistics.pstdev(t) for t in tail) / 2, sum(max(t) for t in tail) / 2

    plain, smooth = spread(False), spread(True)
    assert smooth[0] < plain[0] and smooth[1] < plain[1]  # a steadier day-to-day load, a lower peak


def test_every_exam_card_is_met_by_the_cut_off_even_when_siblings_keep_falling_due(isolated_home: Path) -> None:
    from trainer import session, store
    from trainer.db import open_db

    start = datetime(2026, 12, 20, 18, tzinfo=timezone.utc)  # 9 days to the cut-off, 2026-12-29: a tight pace
    run(["exam", "2027-01-05"], when=start)
    db = open_db(isolated_home / "trainer.db")
    settings = store.settings(db)
    params = store.schedule_params(db)
    ratings = [Rating.GOOD, Rating.GOOD, Rating.GOOD, Rating.GOOD, Rating.AGAIN]  # misses: siblings due again
    n = 0
    for day in range(10):
        now = start + timedelta(days=day)
        for _ in range(4):  # the session, and its learning steps as they come due
            for card in session.build_queue(db, now, settings, timezone.utc):
                rating = ratings[n % len(ratings)]
                n += 1
                store.record_review(db, card, now, "", rating > Rating.AGAIN, rating, 4000,
                                    lambda s, r=rating, c=card.id, t=now: review(s, r, t, params.for_card(c),
                                                                                 fuzz_seed(c, t)))
            now += timedelta(minutes=11)
    unmet = db.execute("SELECT count(*) FROM cards WHERE deck = 'exam' AND suspended = 0 AND reps = 0").fetchone()[0]
    assert n > 136 and unmet == 0


def test_a_break_does_not_end_the_streak() -> None:
    from trainer.stats import streak

    days = {date(2026, 12, d): 10 for d in (20, 21, 22, 23, 27, 28)}
    assert streak(days, date(2026, 12, 28)) == 2
    assert streak(days, date(2026, 12, 28), ((date(2026, 12, 24), date(2026, 12, 26)),)) == 6


def test_an_exam_set_late_or_today_and_breaks_that_overlap_are_said_plainly(isolated_home: Path) -> None:
    late = run(["exam", "2026-12-08"], when=DAY).output  # cut-off already past: the day before the exam
    assert "meet them all by 2026-12-07" in late
    today = run(["exam"], when=datetime(2026, 12, 8, 9, tzinfo=timezone.utc)).output
    assert today.strip() == "The exam is today (2026-12-08): no new cards now; review what is due, and good luck."
    run(["break", "2026-12-03", "2026-12-05"], when=DAY)
    covered = run(["break", "2026-12-05", "2026-12-09"], when=DAY).output
    assert covered.startswith("Note: the break covers the exam day (2026-12-08).")
    assert run(["break"], when=DAY).output == "Break: 2026-12-03 to 2026-12-09\n"  # one break, not two
    for args, says in ((["exam", "2027-01-15", "--clear"], "Error: --clear forgets the exam: give it alone"),
                       (["exam", "--deck", "exam"], "Error: --deck and --source go with the exam date: `trainer "
                                                    "exam YYYY-MM-DD --deck D`"),
                       (["exam", "2027-01-15", "--deck", ""], "Error: --deck needs a deck name")):
        bad = run(args, when=DAY)
        assert bad.exit_code == 1 and bad.output.strip() == says


def test_smoothing_counts_each_answer_so_a_session_spreads_instead_of_piling_onto_one_quiet_day() -> None:
    from trainer.scheduler import count_load, fuzz_range

    state = _graduated(DAY - timedelta(days=40))  # Hard: no day-apart floor from a lower button to mix in
    exact = review(state, Rating.HARD, DAY, Params(enable_fuzzing=False))
    assert exact.due is not None
    low, high = fuzz_range((exact.due - DAY).days)
    days = [DAY.date() + timedelta(days=d) for d in range(low, high + 1)]
    assert len(days) >= 3
    load = {d: 5 for d in days}
    load[days[0]] = 0  # one quiet day
    read_once = {review(state, Rating.HARD, DAY, Params(load=dict(load)), f"card{i}").due.date()  # type: ignore
                 for i in range(8)}
    assert read_once == {days[0]}  # a load read once sends them all to the quiet day
    counted: set[date] = set()
    live = Params(load=dict(load))
    for i in range(8):
        after = review(state, Rating.HARD, DAY, live, f"card{i}")
        count_load(live.load, after)
        counted.add(after.due.date())  # type: ignore[union-attr]
    assert len(counted) >= 2  # counted as they are answered, they spread


def test_no_new_exam_cards_on_the_exam_day_and_a_quiz_holds_no_fact_back(isolated_home: Path) -> None:
    run(["exam", "2026-12-08"], when=DAY)
    on_the_day = run(["review"], input="", when=datetime(2026, 12, 8, 9, tzinfo=timezone.utc)).output
    assert on_the_day == "The exam is today: no new cards, nothing due. Good luck.\n"
    run(["exam", "--clear"], when=DAY)
    later = DAY + timedelta(days=1)
    run(["quiz", "--count", "3", "--seed", "1"], input="x\nx\nx\n", when=later)  # practice on unseen facts
    header = run(["review"], input="", when=later).output
    assert "20 new (of 20 a day)" in header  # a quiz met no card: today's new cards are all still there
