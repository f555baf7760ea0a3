"""`stats` counts on indexes and sums recall in SQL: the figures must be those the review log and the Python
forgetting curve give, amended reviews, practice answers and odd times included."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from trainer import store
from trainer.clock import end_of_day, iso
from trainer.db import Database, open_db
from trainer.deck import load_deck
from trainer.import_plan import plan
from trainer.pace import new_for_today
from trainer.paths import bundled_deck
from trainer.scheduler import Params, Rating, recall, recall_curve
from trainer.simulate import simulate_history
from trainer.stats import daily_reviews

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
NOW = START + timedelta(days=40, hours=11, microseconds=123456)


@pytest.fixture
def db(isolated_home: Path) -> Database:
    """40 days on the exam deck (2 new cards a day), some reviews undone or re-rated, some practice answers."""
    db = open_db(isolated_home / "trainer.db")
    store.import_decks(db, [plan(load_deck(bundled_deck("exam")))], START)
    exact = Params(enable_fuzzing=False)
    simulate_history(db, START, 40, exact, exact, seed=5, new_per_day=2)
    ids = [i for (i,) in db.execute("SELECT id FROM reviews ORDER BY id")]
    for i in ids[::17]:
        store.cancel_review(db, i, NOW)
    for i in ids[5::23]:
        store.amend_review(db, i, NOW, int(Rating.AGAIN), False)
    for i in ids[7::29]:
        store.amend_review(db, i, NOW, int(Rating.EASY))  # the rating alone: `correct` stays the review's
    with db.atomic():
        db.execute("UPDATE reviews SET mode = 'practice' WHERE id % 31 = 0")
    return db


def test_review_counts_are_the_log_views(db: Database) -> None:
    log = db.execute("SELECT count(*), sum(correct) FROM log WHERE mode = 'review'").fetchone()
    practice = db.execute("SELECT count(*) FROM log WHERE mode = 'practice'").fetchone()[0]
    assert store.review_totals(db) == (log[0], log[1], practice)
    assert practice and db.execute("SELECT count(*) FROM amends WHERE cancelled = 1").fetchone()[0]


def test_reviews_per_day_are_the_log_views_in_any_zone(db: Database) -> None:
    from zoneinfo import ZoneInfo

    for tz, rollover in ((timezone.utc, 4), (ZoneInfo("Asia/Kolkata"), 0), (ZoneInfo("America/New_York"), 23)):
        got = daily_reviews(db, NOW, tz, rollover, 30)
        offset = int(NOW.astimezone(tz).utcoffset().total_seconds() // 60) - rollover * 60  # type: ignore[union-attr]
        want = dict(db.execute(f"SELECT date(reviewed_at, '{offset:+d} minutes') AS d, count(*) FROM log "
                               "WHERE mode = 'review' GROUP BY d").fetchall())
        first = min(got)
        assert got == {d: n for d, n in ((datetime.fromisoformat(k).date(), n) for k, n in want.items())
                       if first <= d <= NOW.date() + timedelta(days=1)}
        assert len(got) > 25


def test_recall_in_sql_is_the_python_curves_to_the_last_bit(db: Database) -> None:
    """Summed in the same order with the same arithmetic: not close, equal; days since the last review counted
    to the microsecond (reviews a few microseconds either side of a whole number of days before `at`)."""
    deltas = [timedelta(days=3, microseconds=us) for us in (-400, -40, -1, 0, 1, 40, 400)] + [timedelta(days=-2)]
    cards = [c for (c,) in db.execute("SELECT id FROM cards WHERE reps > 0 ORDER BY rowid LIMIT ?", [len(deltas)])]
    with db.atomic():
        for cid, delta in zip(cards, deltas, strict=True):  # the last one ahead of `at` (another device's clock)
            db.execute("UPDATE cards SET last_review = ? WHERE id = ?", [iso(NOW - delta), cid])
    params = Params(weights=(0.4, 1.5, 3.0, 10.0, 6.0, 0.9, 3.2, 0.01, 1.5, 0.2, 0.9, 1.6, 0.05, 0.3, 1.7, 0.5,
                             2.0, 0.5, 0.1, 0.06, 0.31))
    for at in (NOW, datetime(2026, 3, 1, 9, tzinfo=timezone.utc)):
        rows = store.card_states(db, "exam")
        seen = [(s.stability, s.last_review) for s, reps in rows if reps and s.stability and s.last_review]
        want = sum(recall(stab, max((at - last).days, 0), params) for stab, last in seen)
        tally = store.card_tallies(db, at, None, at, recall_curve(params))["exam"]
        assert (tally.seen, tally.active) == (len(seen), len(rows)) and tally.recall == want
        assert store.card_tally(db, at, None, at, recall_curve(params), store.Scope(decks=("exam",))) == tally


def test_stats_hands_out_the_new_cards_a_session_would(db: Database) -> None:
    """`stats` passes new_for_today only the due cards beside a new one: the same cards come out, whether the
    query starts from the new cards or from the due ones."""
    settings = replace(store.settings(db), new_per_day=9999)

    def same(when: datetime) -> None:
        beside = store.due_beside_new(db, when, end_of_day(when, timezone.utc, settings.day_starts_at))
        got = new_for_today(db, when, settings, timezone.utc, due_facts=beside)
        assert beside and [c.id for c in got] == [c.id for c in new_for_today(db, when, settings, timezone.utc)]

    same(NOW)  # more new cards than due ones
    same(NOW + timedelta(days=30))  # more due than new
    with db.atomic():  # few new cards left
        db.execute("UPDATE cards SET suspended = 1 WHERE reps = 0 AND rowid % 5 != 0")
    same(NOW)


def test_the_stats_indexes_serve_no_other_query(db: Database, isolated_home: Path) -> None:
    """Each index names a condition only the queries meant for it state: undo's newest-review query still reads
    the table backwards (on the review index it sorted a million rows: 0.7 s), a card's log its own index."""
    con = sqlite3.connect(isolated_home / "trainer.db")

    def plan_of(sql: str) -> str:
        return " ".join(r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + sql, [None] * sql.count("?")))

    assert "reviews_review_at" not in plan_of("SELECT id FROM log WHERE mode = 'review' AND uid LIKE ? "
                                              "ORDER BY id DESC LIMIT 1")
    assert "card_id" in plan_of("SELECT count(*) FROM log WHERE card_id = ? AND mode = 'review' AND rating = 1")
    assert "reviews_review_at" in plan_of("SELECT count(*) FROM log WHERE reviewed_at >= ? AND mode = 'review'")
    assert "cards_listed" not in plan_of("SELECT id FROM cards c WHERE c.suspended = 0 AND c.reps > 0 "
                                         "AND c.deck = ? AND c.due < ? ORDER BY c.due")


def test_a_sources_figures_are_its_cards_and_its_log(db: Database) -> None:
    """`stats --source`: a scope's cards, new and due cards and its true-retention sample, as the cards and the
    `log` view of that source's facts give them."""
    from trainer.clock import LEARN_AHEAD
    from trainer.stats import scoped

    settings = store.settings(db)
    got = scoped(db, store.Scope(source="N10-009"), NOW, timezone.utc, settings)
    mine = "c.fact_id IN (SELECT id FROM facts WHERE json_extract(data, '$.source') LIKE 'N10-009%')"
    day_end = end_of_day(NOW, timezone.utc, settings.day_starts_at)
    cards, new, due = db.execute(
        f"SELECT count(*), sum(reps = 0), sum(reps > 0 AND due < ? AND (state = 2 OR due <= ?)) FROM cards c "
        f"WHERE suspended = 0 AND {mine}", [iso(day_end), iso(NOW + LEARN_AHEAD)]).fetchone()
    reviews, passed = db.execute(
        "SELECT count(*), sum(r.rating > 1) FROM log r JOIN cards c ON c.id = r.card_id WHERE r.mode = 'review' "
        f"AND r.reviewed_at >= ? AND json_extract(r.state_before, '$.state') = 2 AND {mine}",
        [iso(NOW - timedelta(days=30))]).fetchone()
    assert (got["cards"], got["new"], got["due"], got["reviews_30d"], got["passed_30d"]) == (
        cards, new, due, reviews, passed)
    assert 0 < got["due"] and 0 < got["passed_30d"] < got["reviews_30d"] < store.mature_reviews_since(
        db, NOW - timedelta(days=30))[0]
