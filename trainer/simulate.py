"""A simulated learner, for tests and the benchmark: real review rows from a memory model with known parameters."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from trainer import store
from trainer.db import Database, writing
from trainer.scheduler import CardState, Params, Rating, State, count_load, fuzz_seed, retrievability, review


def _rating(rng: random.Random, real: CardState, now: datetime, true_params: Params) -> Rating:
    """The learner's answer: a first sight is a mixed bag; later, recall succeeds with the true model's
    probability (then mostly Good), else Again."""
    if real.state == State.NEW:
        return rng.choices([Rating.AGAIN, Rating.HARD, Rating.GOOD, Rating.EASY], [0.3, 0.1, 0.5, 0.1])[0]
    if rng.random() < retrievability(real, now, true_params):
        return rng.choices([Rating.HARD, Rating.GOOD, Rating.EASY], [0.1, 0.8, 0.1])[0]
    return Rating.AGAIN


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
                    rating = _rating(rng, real, now, true_params)
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


@dataclass(frozen=True)
class ExamRun:
    """One simulated preparation: recall of the exam's cards on the day, and the reviews it took."""

    mean_recall: float
    share_above_90: float
    reviews: int
    reviews_per_day: tuple[int, ...]

    @property
    def day_before(self) -> int:
        return self.reviews_per_day[-1] if self.reviews_per_day else 0


TRUE_MEMORY = Params(enable_fuzzing=False)  # FSRS's own memory model, default parameters


def exam_preparation(cards: int, days: int, params: Params, seed: int, cutoff: int = 7,
                     true_params: Params = TRUE_MEMORY, smoothing: bool = False) -> ExamRun:
    """A learner preparing `cards` new cards for an exam `days` away, studying once a day (18:00): new cards at
    the pace that meets them all `cutoff` days before the exam, then whatever the scheduler (`params`) says is
    due, with same-day learning steps; recall succeeds with the *true* memory model's probability (FSRS's own,
    default parameters). `smoothing`: each day's answers see the reviews due on every day ahead, as a session
    does. In memory, without a database: fast enough for many seeds."""
    rng = random.Random(seed)
    start = datetime(2027, 1, 1, 18, tzinfo=timezone.utc)
    exam_at = start + timedelta(days=days, hours=-9)  # 09:00 on the exam day
    app = {f"c{i}": CardState() for i in range(cards)}
    truth = dict(app)
    pace = -(-cards // max(days - cutoff, 1))
    unseen = list(app)
    per_day = []
    for day in range(days):
        now = start + timedelta(days=day)
        end = now + timedelta(hours=5)
        fresh, unseen = unseen[:pace], unseen[pace:]
        queue = [c for c, s in app.items() if s.state != State.NEW and s.due is not None  # due today: any hour
                 and s.due.date() <= now.date()] + fresh
        done = 0
        day_params = params
        if smoothing:  # the reviews due each day ahead, as a session reads them
            day_params = replace(params, load={})
            for s in app.values():
                count_load(day_params.load, s)
        while queue:
            for cid in queue:
                now += timedelta(seconds=rng.uniform(4, 12))
                real = truth[cid]
                rating = _rating(rng, real, now, true_params)
                before = app[cid]
                app[cid] = review(before, rating, now, day_params.for_card(cid), fuzz_seed(cid, now))
                count_load(day_params.load, app[cid])
                truth[cid] = review(real, rating, now, true_params)
                done += 1
            now += timedelta(minutes=10)
            queue = [c for c, s in app.items() if s.state in (State.LEARNING, State.RELEARNING)
                     and s.due is not None and s.due <= now] if now < end else []
        per_day.append(done)
    recalls = [retrievability(s, exam_at, true_params) if s.state != State.NEW else 0.0 for s in truth.values()]
    return ExamRun(sum(recalls) / len(recalls), sum(r > 0.9 for r in recalls) / len(recalls), sum(per_day),
                   tuple(per_day))
