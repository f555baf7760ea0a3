"""Nothing lost: the review log is the truth. Undos and overrides are events, a card is what its log replays
to, and two sessions open at once never hand out the same new cards."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import exam_cards, rows, run

from trainer import history, session, store
from trainer.cards import CardSpec
from trainer.db import Database, open_db
from trainer.deck import load_deck
from trainer.import_plan import plan
from trainer.paths import bundled_deck
from trainer.scheduler import CardState, Params, Rating, State, fuzz_seed, review
from trainer.settings import Settings

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


def exam_db(home: Path) -> Database:
    db = open_db(home / "trainer.db")
    store.import_decks(db, [plan(load_deck(bundled_deck("exam")))], T0)
    return db


def answer(db: Database, card_id: str, rating: int, at: datetime, params: Params) -> int:
    """One review, saved the way a session saves it (the fuzz drawn from the card and the time)."""
    card = store.card_by_id(db, card_id)
    assert card is not None
    recorded = store.record_review(db, card, at, "x", rating > Rating.AGAIN, rating, 3000,
                                   lambda s: review(s, rating, at, params, fuzz_seed(card_id, at)))
    return recorded.review_id


def cached(db: Database, card_id: str) -> tuple[CardState, int, int]:
    card = store.card_by_id(db, card_id)
    assert card is not None
    return card.state, card.reps, card.lapses


def test_an_undo_is_an_event_and_the_answer_stays_in_the_database(isolated_home: Path) -> None:
    run(["review", "--new", "2"], input="20 21\n23\n")
    out = run(["undo"]).output
    assert out.startswith("Took back your answer '23' to: Which port does SSH use?")
    assert rows(isolated_home, "SELECT answer FROM reviews ORDER BY id") == [{"answer": "20 21"}, {"answer": "23"}]
    assert rows(isolated_home, "SELECT answer FROM log") == [{"answer": "20 21"}]  # the log as it now reads
    assert rows(isolated_home, "SELECT kind FROM events WHERE kind != 'import'") == [{"kind": "undo"}]
    assert rows(isolated_home, "SELECT count(*) AS n FROM confusions c JOIN log l ON l.id = c.review_id") == [{"n": 0}]
    ssh = rows(isolated_home, "SELECT state, reps, due FROM cards WHERE id = 'exam/ssh/service-port'")
    assert ssh == [{"state": 0, "reps": 0, "due": None}]  # new again, as before the answer
    stats = run(["stats"]).output
    assert stats.startswith("Today: 1 reviewed · 1 due · 19 new left")  # FTP's 10-minute step; SSH is new again
    n = len(exam_cards())
    assert f"Cards: {n} ({n - 1} new, 1 learning" in stats and "Reviews: 1, 1 right (100%)" in stats


def test_undoing_a_later_days_answer_leaves_the_card_as_the_earlier_day_left_it(isolated_home: Path) -> None:
    db = exam_db(isolated_home)
    params = Params()
    card = "exam/ftp/service-port"
    answer(db, card, Rating.GOOD, T0, params)
    answer(db, card, Rating.GOOD, T0 + timedelta(minutes=11), params)  # graduates: due in days
    after_day_one = cached(db, card)
    day_two = T0 + timedelta(days=3)
    answer(db, card, Rating.AGAIN, day_two, params)  # a lapse
    assert cached(db, card)[2] == 1
    undone = history.undo(db, params, day_two + timedelta(minutes=1))
    assert undone is not None and undone.card_id == card
    assert cached(db, card) == after_day_one  # state, due date, reps and lapses of day one
    assert after_day_one[0].state == State.REVIEW and after_day_one[1] == 2


def test_any_mix_of_answers_undos_and_overrides_leaves_every_card_equal_to_a_replay_of_its_log(
        isolated_home: Path) -> None:
    """What a learner can do, in any order: answer, undo the newest answer (again and again), override a card's
    last rating. Each card then is what replaying its log gives, and never new with reviews."""
    db = exam_db(isolated_home)
    params = Params()  # fuzz on, as learners have it
    rng = random.Random(7)
    cards = [c.id for c in store.new_cards(db, 8)]
    now = T0
    answered = 0
    for _ in range(200):
        now += timedelta(minutes=rng.choice([1, 10, 60, 60 * 24, 60 * 24 * 3]))
        step = rng.random()
        newest = store.last_answer(db)
        if step < 0.15 and newest is not None:
            history.undo(db, params, now)
        elif step < 0.25 and newest is not None:
            history.override(db, params, now, newest.id, newest.card_id, rng.choice(list(Rating)))
        else:
            answer(db, rng.choice(cards), rng.choice(list(Rating)), now, params)
            answered += 1
    for card_id in cards:
        replayed = history.replay(card_id, store.card_log(db, card_id), params)
        state, reps, lapses = cached(db, card_id)
        assert (state, reps, lapses) == (replayed.state, replayed.reps, replayed.lapses), card_id
        assert (state.state == State.NEW) == (reps == 0), card_id  # never a new card with reviews, nor the reverse
    kinds = {r["kind"] for r in rows(isolated_home, "SELECT DISTINCT kind FROM events WHERE kind != 'import'")}
    assert kinds == {"undo", "rating"}
    assert rows(isolated_home, "SELECT count(*) AS n FROM reviews") == [{"n": answered}]  # nothing deleted


def test_an_undo_puts_back_the_due_date_the_learner_saw_whatever_the_settings_are_now(isolated_home: Path) -> None:
    """Undo used to replay the log with today's settings: after desired_retention 0.75 an undone answer moved
    the card from 2026-01-30 to 2026-05-06."""
    db = exam_db(isolated_home)
    card = "exam/ftp/service-port"
    for minutes in (0, 11):
        answer(db, card, Rating.GOOD, T0 + timedelta(minutes=minutes), Params())
    seen = cached(db, card)
    store.set_setting(db, "desired_retention", 0.75)
    later = T0 + timedelta(days=3)
    answer(db, card, Rating.GOOD, later, store.settings(db).params())
    history.undo(db, store.settings(db).params(), later + timedelta(minutes=1))
    assert cached(db, card) == seen


def test_an_undo_after_a_deck_update_reset_a_card_does_not_bring_its_old_answers_back(isolated_home: Path) -> None:
    """A card whose answer changed in an update starts again as new; an answer to it and an undo gave back the
    old history (review state, 4 reps, due in two months)."""
    db = exam_db(isolated_home)
    card = "exam/ftp/service-port"
    for minutes in (0, 11):
        answer(db, card, Rating.GOOD, T0 + timedelta(minutes=minutes), Params())
    deck = load_deck(bundled_deck("exam"))  # the update: FTP's answer changed, so its card starts again
    store.import_decks(db, [plan(deck, reset={card})], T0 + timedelta(hours=1))
    assert cached(db, card) == (CardState(), 0, 0)
    answer(db, card, Rating.GOOD, T0 + timedelta(hours=2), Params())
    history.undo(db, Params(), T0 + timedelta(hours=2, minutes=1))
    assert cached(db, card) == (CardState(), 0, 0)
    history.rebuild_all(db, Params())  # optimize rebuilds from the log since the reset too
    assert cached(db, card) == (CardState(), 0, 0)


def test_the_due_dates_a_learner_saw_are_the_ones_a_replay_gives(isolated_home: Path) -> None:
    """Fuzz is drawn from the card and the time of the answer, so rebuilding never moves a due date."""
    run(["review", "--new", "5"], input="20 21\n22\n22\n23\n53\n")
    for day in (1, 4, 11):
        when = T0 + timedelta(days=day)
        run(["review", "--new", "0", "--ahead", "5"], input="20 21\n22\n22\n23\n53\n", when=when)
    db = open_db(isolated_home / "trainer.db")
    params = store.settings(db).params()
    before = {c.id: (c.state, c.reps) for c in store.find_cards(db, "exam", studied=True)}
    assert len(before) == 5
    history.rebuild_all(db, params)
    after = {c.id: (c.state, c.reps) for c in store.find_cards(db, "exam", studied=True)}
    assert after == before


def test_two_sessions_open_at_once_get_different_new_cards(isolated_home: Path) -> None:
    db = exam_db(isolated_home)
    settings = Settings()
    first = session.build_queue(db, T0, settings, timezone.utc, new_limit=5, session="terminal-1")
    second = session.build_queue(db, T0, settings, timezone.utc, new_limit=5, session="terminal-2")
    assert len(first) == len(second) == 5
    assert not {c.id for c in first} & {c.id for c in second}
    again = session.build_queue(db, T0, settings, timezone.utc, new_limit=5, session="terminal-1")
    assert [c.id for c in again] == [c.id for c in first]  # a session keeps its own claims
    store.release(db, "terminal-1")
    third = session.build_queue(db, T0, settings, timezone.utc, new_limit=5, session="terminal-3")
    assert [c.id for c in third] == [c.id for c in first]  # released: handed out again
    later = T0 + timedelta(hours=session.CLAIM_HOURS, minutes=1)
    fourth = session.build_queue(db, later, settings, timezone.utc, new_limit=5, session="terminal-4")
    assert [c.id for c in fourth] == [c.id for c in first]  # a claim left by a killed session runs out


def test_a_session_releases_its_claims_when_it_ends(isolated_home: Path) -> None:
    run(["review", "--new", "3"], input="20 21\n")  # input ends after one answer
    assert rows(isolated_home, "SELECT count(*) AS n FROM claims") == [{"n": 0}]


def test_an_answer_to_a_card_whose_deck_was_removed_meanwhile_is_refused_in_one_line(isolated_home: Path) -> None:
    db = exam_db(isolated_home)
    card = store.card_by_id(db, "exam/ftp/service-port")
    assert card is not None
    store.remove_deck(db, "exam", T0)
    other = sqlite3.connect(isolated_home / "trainer.db")
    assert other.execute("SELECT count(*) FROM cards").fetchone()[0] > 0  # marked, not deleted
    try:
        store.record_review(db, card, T0, "20 21", True, Rating.GOOD, 1000, lambda s: s)
    except store.StoreError as e:
        assert "no longer in its deck" in str(e) and "not saved" in str(e)
    else:
        raise AssertionError("an answer to a removed deck's card was saved")


def test_a_session_whose_deck_is_removed_meanwhile_stops_with_one_line_and_saves_no_orphan(
        isolated_home: Path) -> None:
    from test_session import FakePrompter

    from trainer.errors import StoreError

    db = exam_db(isolated_home)

    class RemovedMeanwhile(FakePrompter):
        def ask(self, card: CardSpec, number: int, total: int) -> str | None:
            if number == 2:  # another terminal runs `trainer decks remove exam --yes` while this card is shown
                other = open_db(isolated_home / "trainer.db")
                store.remove_deck(other, "exam", T0)
                other.close()
            return super().ask(card, number, total)

    fake = RemovedMeanwhile(["20 21", "22", "22"])
    try:
        session.run(db, fake, store.new_cards(db, 3), lambda: T0, iter(range(100)).__next__,
                    Params(enable_fuzzing=False))
    except StoreError as e:
        assert "no longer in its deck" in str(e) and "\n" not in str(e)
    else:
        raise AssertionError("the session went on answering cards of a removed deck")
    assert rows(isolated_home, "SELECT card_id FROM reviews") == [{"card_id": "exam/ftp/service-port"}]


def test_two_sessions_at_once_share_one_daily_new_card_limit(isolated_home: Path) -> None:
    """Both sessions said '20 new (of 20 a day)' and 40 new cards were met that day, six facts both ways."""
    db = exam_db(isolated_home)
    settings = Settings(new_per_day=12)
    first = session.build_queue(db, T0, settings, timezone.utc, session="terminal-1")
    second = session.build_queue(db, T0, settings, timezone.utc, session="terminal-2")
    assert len(first) == 12 and second == []
    store.release(db, "terminal-1")  # the first session ended having answered nothing: its cards are free again
    assert len(session.build_queue(db, T0, settings, timezone.utc, session="terminal-2")) == 12
