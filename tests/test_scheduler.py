from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from trainer.scheduler import CardState, Params, Rating, State, retrievability, review

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
EXACT = Params(enable_fuzzing=False)


def test_new_card_good_goes_through_learning_steps_then_two_days() -> None:
    s1 = review(CardState(), Rating.GOOD, T0, EXACT)
    assert s1.state == State.LEARNING and s1.due == T0 + timedelta(minutes=10)
    s2 = review(s1, Rating.GOOD, s1.due, EXACT)
    assert s2.state == State.REVIEW and s2.due == s1.due + timedelta(days=2)


def test_again_comes_back_in_one_minute_and_easy_skips_learning() -> None:
    assert review(CardState(), Rating.AGAIN, T0, EXACT).due == T0 + timedelta(minutes=1)
    easy = review(CardState(), Rating.EASY, T0, EXACT)
    assert easy.state == State.REVIEW and easy.due == T0 + timedelta(days=8)


def test_review_never_mutates_and_round_trips() -> None:
    before = CardState()
    after = review(before, Rating.GOOD, T0, EXACT)
    assert before == CardState() and before.state == State.NEW
    assert CardState.from_dict(after.to_dict()) == after


def test_higher_retention_gives_shorter_intervals() -> None:
    s = review(review(CardState(), Rating.GOOD, T0, EXACT), Rating.GOOD, T0 + timedelta(minutes=10), EXACT)
    later = s.due + timedelta(days=0)
    loose = review(s, Rating.GOOD, later, Params(desired_retention=0.8, enable_fuzzing=False))
    strict = review(s, Rating.GOOD, later, Params(desired_retention=0.95, enable_fuzzing=False))
    assert strict.due < loose.due


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        review(CardState(), Rating.GOOD, datetime(2026, 1, 5), EXACT)


def test_retrievability_falls_with_time_and_is_zero_for_new() -> None:
    s = review(CardState(), Rating.EASY, T0, EXACT)
    assert retrievability(CardState(), T0) == 0.0
    assert retrievability(s, T0 + timedelta(days=1), EXACT) > retrievability(s, T0 + timedelta(days=30), EXACT)


def test_with_fuzz_hard_never_comes_after_good_and_a_preview_is_what_is_applied() -> None:
    fuzzy = Params(enable_fuzzing=True)
    state = review(review(CardState(), Rating.GOOD, T0, EXACT), Rating.GOOD, T0 + timedelta(minutes=10), EXACT)
    for day in range(1, 200):
        now = T0 + timedelta(days=day)
        seed = f"exam/imap/service-port@{now.isoformat()}"
        hard, good = (review(state, r, now, fuzzy, seed) for r in (Rating.HARD, Rating.GOOD))
        assert hard.due is not None and good.due is not None and hard.due <= good.due, day
        assert review(state, Rating.GOOD, now, fuzzy, seed) == good  # the same draw every time
        state = good


def test_a_card_met_for_the_first_time_is_never_suggested_easy() -> None:
    from trainer.grading import suggest_rating

    assert suggest_rating(True, False, 1.0, first_sight=True) == Rating.GOOD
    assert suggest_rating(True, False, 1.0) == Rating.EASY
    assert suggest_rating(True, False, 60.0, first_sight=True) == Rating.HARD


def test_hard_good_and_easy_are_each_a_day_apart_whenever_they_schedule_days() -> None:
    """The week trial saw `2 Hard 1d · 3 Good 1d · 4 Easy 1d` (a choice of nothing); Anki keeps them a day apart."""
    import random

    rng = random.Random(3)
    fuzzy = Params(enable_fuzzing=True)
    seen = 0
    for card in range(200):
        state, now = CardState(), T0
        for _ in range(8):
            seed = f"c{card}@{now.isoformat()}"
            days = {r: (o.due - now).total_seconds() / 86400 for r in (Rating.HARD, Rating.GOOD, Rating.EASY)
                    if (o := review(state, r, now, fuzzy, seed)).state == State.REVIEW and o.due}
            for lower, higher in ((Rating.HARD, Rating.GOOD), (Rating.GOOD, Rating.EASY)):
                if lower in days and higher in days:
                    seen += 1
                    assert round(days[higher]) >= round(days[lower]) + 1, (card, days)
            state = review(state, rng.choice([1, 2, 3, 3, 4]), now, fuzzy, seed)
            assert state.due is not None
            now = state.due + timedelta(hours=rng.choice([0, 2, 40]))
    assert seen > 1000
