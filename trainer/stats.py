"""What a candidate wants to know: today, streak, retention, forecast, heatmap, recall on exam day."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from trainer import store
from trainer.cards import port_list
from trainer.clock import day_shift, end_of_day, start_of_day, study_day
from trainer.db import Database
from trainer.pace import average, exam_status, new_for_today
from trainer.scheduler import CardState, Params, on_break, recall, recall_curve, review
from trainer.settings import Settings


def _day_starts(now: datetime, tz: tzinfo, rollover: int, first: date, n: int) -> list[datetime]:
    """When each of `n` study days from `first` starts (UTC), with the zone's offset now (`day_shift`): bounds the
    counts take on an index, where grouping by a computed day read every row."""
    shift = day_shift(now, tz, rollover)
    return [datetime(d.year, d.month, d.day, tzinfo=timezone.utc) - shift
            for d in (first + timedelta(days=i) for i in range(n))]


def daily_reviews(db: Database, now: datetime, tz: tzinfo, rollover: int, days: int) -> dict[date, int]:
    """Reviews per study day over the last `days` days (today included); days without any left out."""
    first = study_day(now, tz, rollover) - timedelta(days=days - 1)
    counts = store.reviews_between(db, _day_starts(now, tz, rollover, first, days + 1))
    return {first + timedelta(days=i): n for i, n in enumerate(counts) if n}


def streak(per_day: dict[date, int], today: date, breaks: tuple[tuple[date, date], ...] = ()) -> int:
    """Consecutive study days ending today, or yesterday when today has no reviews yet; the days of a break
    neither count nor end it."""
    day = today if per_day.get(today) else today - timedelta(days=1)
    n = 0
    while per_day.get(day) or (on_break(day, breaks) and n):
        n += int(bool(per_day.get(day)))
        day -= timedelta(days=1)
    return n


def true_retention(db: Database, now: datetime, days: int = 30) -> dict[str, Any]:
    """Share of reviews of mature-state cards (in review, not learning) passed: Anki's "true retention"."""
    n, passed = store.mature_reviews_since(db, now - timedelta(days=days))
    return {"days": days, "reviews": n, "passed": passed, "rate": round(passed / n, 4) if n else None}


def forecast(db: Database, now: datetime, tz: tzinfo, rollover: int, days: int = 14) -> list[dict[str, Any]]:
    """Cards falling due on each of the next `days` study days; today includes everything overdue."""
    today = study_day(now, tz, rollover)
    counts = store.due_between(db, _day_starts(now, tz, rollover, today + timedelta(days=1), days))
    return [{"date": (today + timedelta(days=i)).isoformat(), "due": n} for i, n in enumerate(counts)]


def average_recall(states: list[tuple[CardState, int]], at: datetime, params: Params) -> dict[str, Any]:
    """Average probability of recall at `at`; unseen cards count as 0 in `average`, not in `average_seen`."""
    seen = [(s.stability, s.last_review) for s, reps in states if reps and s.stability and s.last_review]
    acc = sum(recall(stability, max((at - last).days, 0), params) for stability, last in seen)
    return {"cards": len(states), "seen": len(seen), "average": average(acc, len(states)),
            "average_seen": average(acc, len(seen))}


def per_deck(db: Database, tallies: dict[str, store.CardTally]) -> dict[str, dict[str, Any]]:
    """Each listed deck's counts and the average recall of its seen cards, from the one pass over the cards."""
    out: dict[str, dict[str, Any]] = {}
    for name in store.shown_decks(db):
        t = tallies.get(name, store.CardTally())
        out[name] = {"cards": t.cards, "new": t.new, "learning": t.learning, "review": t.review, "due": t.due,
                     "suspended": t.suspended, "avg_retrievability": average(t.recall, t.seen)}
    return out


@dataclass(frozen=True)
class Plan:
    exam: date
    days_left: int
    unseen: int
    cards: int
    recall_if_stopped: float | None
    recall_with_plan: float | None
    reviews_per_day: list[int]
    new_per_day_needed: int
    retention_needed: float | None


def _simulate(states: list[CardState], new: int, start: datetime, days: int, new_per_day: int,
              params: Params, first_day_end: datetime) -> tuple[list[int], float]:
    """Keep studying until the exam: due cards passed with their predicted probability, new cards learned
    `new_per_day` at a time. Returns reviews per study day (the first ends at `first_day_end`, as `stats`
    counts days) and the average recall on the last day."""
    import random

    rng = random.Random(0)  # the same plan every time it is asked
    cards = list(states)
    pending_new = new
    per_day = []
    exam = start + timedelta(days=days)
    for d in range(days):
        now = start + timedelta(days=d)
        count = 0
        day_end = first_day_end + timedelta(days=d)
        for i, s in enumerate(cards):
            if s.due is not None and s.due < day_end:
                p = recall(s.stability or 0.1, max((now - s.last_review).days, 0), params) if s.last_review else 0.0
                cards[i] = review(s, 3 if rng.random() < p else 1, max(now, s.due or now), params)
                count += 1
        for _ in range(min(new_per_day, pending_new)):
            s = review(CardState(), 3, now, params)
            cards.append(review(s, 3, s.due or now, params))
            pending_new -= 1
            count += 2
        per_day.append(count)
    total = len(cards) + pending_new
    avg = sum(recall(s.stability or 0.1, max((exam - s.last_review).days, 0), params)
              for s in cards if s.last_review) / total if total else 0.0
    return per_day, avg


def plan(db: Database, now: datetime, exam: date, settings: Settings,
         deck: str | store.Scope | None = None, buffer_days: int = 7, target: float = 0.9, sample: int = 400,
         tz: tzinfo = timezone.utc) -> Plan:
    """Workload and predicted recall until the exam, and what it takes to know every card by then."""
    exam_at = datetime(exam.year, exam.month, exam.day, 9, tzinfo=timezone.utc)
    days_left = max((exam - now.date()).days, 0)
    rows = store.card_states(db, deck)
    seen_states = [s for s, reps in rows if reps]
    unseen = len(rows) - len(seen_states)
    params = replace(settings.params(), enable_fuzzing=False)  # the same plan every time it is asked
    stopped = average_recall(rows, exam_at, params)["average"]
    # meet every card `buffer_days` before the exam; once fewer days are left, over the days there are
    study_days = days_left - buffer_days if days_left > buffer_days else max(days_left, 1)
    needed = math.ceil(unseen / study_days) if unseen else 0
    keep_up = settings.new_per_day if unseen else 0  # what happens at the learner's own pace
    advised = max(needed, settings.new_per_day) if unseen else 0  # the pace the advice assumes
    scale = 1.0
    states, new = seen_states, unseen
    if len(rows) > sample:  # simulate a fair sample of a big deck, then scale the counts back up
        import random

        rng = random.Random(0)
        scale = len(rows) / sample
        states = rng.sample(seen_states, min(len(seen_states), round(sample * len(seen_states) / len(rows))))
        new = round(unseen / scale)
        keep_up = max(1, round(keep_up / scale)) if new else 0
        advised = max(1, round(advised / scale)) if new else 0
    day_end = end_of_day(now, tz, settings.day_starts_at)
    per_day, with_plan = (_simulate(states, new, now, days_left, keep_up, params, day_end)
                          if days_left else ([], stopped or 0))
    retention_needed = None
    for r in [x for x in (0.80, 0.85, 0.88, 0.90, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99)
              if x >= params.desired_retention]:
        p = replace(params, desired_retention=r)
        if days_left and _simulate(states, new, now, days_left, advised, p, day_end)[1] >= target:
            retention_needed = r
            break
    return Plan(exam, days_left, unseen, len(rows), stopped, round(with_plan, 4),
                [round(n * scale) for n in per_day], needed, retention_needed)


def scoped(db: Database, scope: store.Scope, now: datetime, tz: tzinfo, settings: Settings) -> dict[str, Any]:
    """How the cards of one source stand (`stats --source N10-009`): counts, memory now, 30-day retention."""
    t = store.card_tally(db, now, end_of_day(now, tz, settings.day_starts_at), now, recall_curve(settings.params()),
                         scope)
    reviews, passed = store.mature_reviews_since(db, now - timedelta(days=30), scope)
    return {"source": scope.source, "deck": scope.deck, "cards": t.active, "new": t.new, "due": t.due,
            "reviews_30d": reviews, "passed_30d": passed, "avg_retrievability": average(t.recall, t.seen)}


def collect(db: Database, now: datetime, tz: tzinfo, settings: Settings) -> dict[str, Any]:
    """Everything `trainer stats` shows, as plain data (the --json output)."""
    rollover = settings.day_starts_at
    day_end = end_of_day(now, tz, rollover)
    tallies = store.card_tallies(db, now, day_end, now, recall_curve(settings.params()))

    def total(field: str) -> int:
        return sum(getattr(t, field) for t in tallies.values())

    reviews, right, practice = store.review_totals(db)
    data: dict[str, Any] = {"cards": total("active"), "new": total("new"), "learning": total("learning"),
                            "review": total("review"), "due": total("due"), "suspended": total("suspended"),
                            "leeches": total("leeches"), "reviews": reviews, "correct": right, "practice": practice}
    done, new_done = store.counts_since(db, start_of_day(now, tz, rollover))
    per_day = daily_reviews(db, now, tz, rollover, 182)
    today = study_day(now, tz, rollover)
    data["today"] = {"done": done, "due": data["due"],
                     "new_left": len(new_for_today(db, now, settings, tz,  # what `review` would hand out now
                                                   due_facts=store.due_beside_new(db, now, day_end)))}  # (skips)
    data["streak"] = streak(per_day, today, settings.params().breaks)
    data["exam"] = exam_status(db, now, tz, settings)
    data["drills"] = store.drill_scores(db)
    data["retention_30d"] = true_retention(db, now)
    data["decks"] = per_deck(db, tallies)
    exam = data["exam"]
    ahead = exam["days_left"] + 1 if exam and not exam["past"] and exam["days_left"] < 60 else 0
    data["forecast"] = forecast(db, now, tz, rollover, max(14, ahead))  # through the exam day when it is near
    first = today - timedelta(days=181)
    data["heatmap"] = [{"date": (first + timedelta(days=i)).isoformat(),
                        "reviews": per_day.get(first + timedelta(days=i), 0)} for i in range(182)]
    data["confusions"] = [
        {"a": a, "b": b, "times": n,
         "a_name": _fact_name(db, a), "b_name": _fact_name(db, b)} for a, b, n, _ in store.worst_confusions(db, 5)]
    data["leech_cards"] = [{"id": c.id, "lapses": c.lapses}
                           for c in store.find_cards(db, leeches=True, limit=20)]
    return data


def _fact_name(db: Database, fact_id: str) -> str:
    deck, _, key = fact_id.partition("/")
    f = store.fact_of(db, deck, key)
    if f is None:
        return fact_id
    return f"{f.service} ({port_list(f.ports)})" if f.is_port else (f.front or key)
