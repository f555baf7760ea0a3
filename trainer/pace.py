"""The pace of new cards, read by both the study loop and stats: the new cards a session started now hands out
(claims keep two sessions apart) and the stored exam's pace. Below session and stats, so neither imports the
other."""

from __future__ import annotations

import math
import os
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from trainer import store
from trainer.clock import end_of_day, start_of_day, study_day
from trainer.db import Database
from trainer.scheduler import on_break, recall_curve
from trainer.settings import Settings


def average(total: float, n: int) -> float | None:
    """A recall sum over `n` cards as an average, rounded as stats shows it; None over no cards."""
    return round(total / n, 4) if n else None


def new_session_id() -> str:
    """Names a study session and the process it runs in: a claim whose process has died (a closed terminal,
    a kill) frees its cards at once instead of hours later."""
    import socket
    import uuid

    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


def _alive(session: str) -> bool:
    import socket

    host, _, rest = session.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isascii() or not pid.isdigit():
        return True  # another machine's session (a shared folder): trust its claim until it lapses
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def claimed_elsewhere(db: Database, session: str, now: datetime) -> set[str]:
    """The new cards another live session is studying."""
    return {cid for cid, holder in store.claims_of_others(db, session, now).items() if _alive(holder)}


def new_for_today(db: Database, now: datetime, settings: Settings, tz: tzinfo, deck: str | store.Scope | None = None,
                  new_limit: int | None = None, extra: int = 0, session: str = "",
                  due_facts: set[str] | None = None) -> list[store.CardRow]:
    """The new cards a session started now hands out: what today's limit leaves (+ extra), one card per fact, none
    of a fact already met today or due, none another live session holds. `stats` counts these too."""
    today = start_of_day(now, tz, settings.day_starts_at)
    done_new = store.counts_since(db, today)[1]
    if due_facts is None:  # the facts of the cards due now: theirs wait a day
        due_facts = store.due_facts(db, now, deck, end_of_day(now, tz, settings.day_starts_at))
    elsewhere = claimed_elsewhere(db, session, now)  # another session's new cards count against today's limit
    allowed = new_limit if new_limit is not None else settings.new_per_day - done_new - len(elsewhere)
    skip = (due_facts | store.facts_started_since(db, today)
            | {cid.rsplit("/", 1)[0] for cid in elsewhere})  # nor is their fact asked the other way round today
    room = None
    if new_limit is None:  # --new N overrides every limit; --extra goes beyond them
        met = store.new_by_deck_since(db, today)
        for cid in elsewhere:
            met[cid.split("/", 1)[0]] = met.get(cid.split("/", 1)[0], 0) + 1
        room = {name: own - met.get(name, 0) + extra for name, own in store.deck_new_limits(db).items()}
    paced = None
    if new_limit is None:  # exam mode: the exam's new cards at the pace that meets them all by the cut-off
        exam = exam_status(db, now, tz, settings, recall=False)
        if exam is not None and not exam["past"]:
            cards = store.schedule_params(db, settings).exam
            if cards is not None:
                paced = (cards.cards, min(exam["new_per_day_needed"], settings.new_per_day) - exam["met_today"] + extra)
                if exam["cutoff"] <= study_day(now, tz, settings.day_starts_at).isoformat():  # late: a card whose
                    skip = store.facts_started_since(db, today) | {  # sibling is due waits no longer
                        cid.rsplit("/", 1)[0] for cid in elsewhere}
    return store.new_cards(db, max(allowed, 0) + extra, deck, skip_facts=skip, claimed_by_others=elsewhere,
                           room=room, paced=paced)


def exam_status(db: Database, now: datetime, tz: tzinfo, settings: Settings,
                recall: bool = True) -> dict[str, Any] | None:
    """The stored exam as `review`, `stats` and `plan` show it: days left, the exam's cards and those not met yet,
    the pace of new cards that meets them all by the cut-off, and recall on the day if study stopped now."""
    scope = store.exam_scope(settings)
    if scope is None or settings.exam_date is None:  # exam_scope says so; the second test tells mypy
        return None
    exam = date.fromisoformat(settings.exam_date)
    today = study_day(now, tz, settings.day_starts_at)
    days_left = (exam - today).days
    exam_at = datetime(exam.year, exam.month, exam.day, 9, tzinfo=timezone.utc)
    cards = store.card_tally(db, now, None, exam_at, recall_curve(settings.params()) if recall else None, scope)
    unseen = cards.new
    met_today = store.new_in_scope_since(db, scope, start_of_day(now, tz, settings.day_starts_at))
    cutoff = exam - timedelta(days=settings.exam_cutoff)
    late = cutoff <= today  # set late: every card by the day before the exam, over the days there are
    if late:
        cutoff = max(exam - timedelta(days=1), today)
    breaks = settings.params().breaks

    def study_days(until: date) -> int:  # the days from today to `until`, breaks left out
        return sum(1 for i in range((until - today).days) if not on_break(today + timedelta(days=i), breaks))

    # a margin of two days: a card waits a day when its sibling was met or is due (one card of a fact a day)
    days = study_days(cutoff)
    spread = max(days - 2, 1) if days > 4 and not late else max(days, 1)
    pace = math.ceil((unseen + met_today) / spread) if unseen and days_left > 0 else 0  # the exam day: none
    on_the_day = average(cards.recall, cards.active) if recall else None  # only where it is shown
    return {"date": exam.isoformat(), "days_left": days_left, "decks": list(settings.exam_decks),
            "source": settings.exam_source, "cards": cards.active, "unseen": unseen, "met_today": met_today,
            "cutoff": cutoff.isoformat(),
            "window_start": max(exam - timedelta(days=settings.exam_window), today).isoformat(),
            "new_per_day_needed": pace, "new_per_day": settings.new_per_day, "recall_if_stopped": on_the_day,
            "past": days_left < 0}
