"""A simulated learner, for tests and the benchmark: real review rows from a memory model with known parameters."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from trainer import store
from trainer.db import Database, writing
from trainer.scheduler import CardState, Params, Rating, State, fuzz_seed, retrievability, review


def simulate_history(db: Database, start: datetime, days: int, params: Params, true_params: Params,
                     seed: int = 0, new_per_day: int = 20, deck: str | None = None,
                     max_reviews: int | None = None, relearn: bool = False) -> int:
    """Study every day from `start`: due cards, then new ones; recall succeeds with the *true* model's
    probability, while the app schedules with `params`. `relearn`: the cards missed are asked again later the
    same day, as a session does. Returns the number of reviews written."""
    rng = random.Random(seed)
    truth: dict[str, CardState] = {}
    written = 0
    with writing(db):
        for day in range(days):
            now = start + timedelta(days=day)
            queue = store.due_cards(db, now, 10**6, deck) + store.new_cards(db, new_per_day, deck)
            passes = [queue]
            while passes:
                for card in passes.pop():
                    if max_reviews is not None and written >= max_reviews:
                        return written
                    now += timedelta(seconds=rng.uniform(4, 12))
                    real = truth.get(card.id, CardState())
                    p = retrievability(real, now, true_params) if real.state != State.NEW else 0.0
                    if real.state == State.NEW:
                        rating = rng.choices([Rating.AGAIN, Rating.HARD, Rating.GOOD, Rating.EASY],
                                             [0.3, 0.1, 0.5, 0.1])[0]
                    elif rng.random() < p:
                        rating = rng.choices([Rating.HARD, Rating.GOOD, Rating.EASY], [0.1, 0.8, 0.1])[0]
                    else:
                        rating = Rating.AGAIN
                    after = review(card.state, rating, now, params, fuzz_seed(card.id, now))
                    truth[card.id] = review(real, rating, now, true_params)

                    def fixed(_state: CardState, after: CardState = after) -> CardState:
                        return after

                    store.record_review(db, card, now, "", rating > Rating.AGAIN, rating, rng.randint(2000, 9000),
                                        fixed)
                    written += 1
                if relearn:
                    now += timedelta(minutes=10)
                    again = [c for c in store.due_cards(db, now, 10**6, deck)
                             if c.state.state in (State.LEARNING, State.RELEARNING)]
                    if again:
                        passes.append(again)
    return written
