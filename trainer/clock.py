"""Time, in one place: the wall clock is read only at the edge (`now`); everything else takes a time in UTC.
Stored times are one fixed-width ISO form; study days start at a rollover hour in the learner's zone."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone, tzinfo

from trainer.errors import TrainerError

# A learning step due within this is due now (Anki's learn-ahead limit): one rule for the session's queue, its
# header, `stats` and `decks`, so a step due in five minutes is neither left for later nor counted apart.
LEARN_AHEAD = timedelta(minutes=20)
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


def now() -> datetime:
    """The wall clock; TRAINER_NOW (an ISO time) pins it, for tests and for trying a later day."""
    pinned = os.environ.get("TRAINER_NOW")
    if pinned:
        try:
            t = parse_time(pinned)
        except ValueError:
            raise TrainerError(f"TRAINER_NOW: {pinned!r} is not an ISO date-time") from None
        assert t is not None
        if not EARLIEST <= t <= LATEST:  # dates a few years either side must stay inside datetime's range
            raise TrainerError(f"TRAINER_NOW: {pinned!r} is outside {EARLIEST.year}-{LATEST.year}")
        return t
    return datetime.now(timezone.utc)


def local_tz() -> tzinfo:
    tz = datetime.now().astimezone().tzinfo
    return tz if tz is not None else timezone.utc


def iso(t: datetime) -> str:
    """One fixed-width UTC text form, so stored times sort correctly as strings."""
    return t.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_time(value: str | datetime | None) -> datetime | None:
    """Stored times are ISO strings in UTC; naive values are taken as UTC."""
    if value is None or value == "":
        return None
    t = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def start_of_day(t: datetime, tz: tzinfo, rollover_hour: int) -> datetime:
    """Study days start at `rollover_hour` local time (Anki's 4 am), so a late session counts for that day."""
    local = t.astimezone(tz)
    start = local.replace(hour=rollover_hour, minute=0, second=0, microsecond=0)
    if local < start:
        start -= timedelta(days=1)
    return start.astimezone(timezone.utc)


def end_of_day(t: datetime, tz: tzinfo, rollover_hour: int) -> datetime:
    """When the study day holding `t` ends: review cards due before then are due today."""
    start = start_of_day(t, tz, rollover_hour)
    return (start.astimezone(tz) + timedelta(days=1)).astimezone(timezone.utc)


def study_day(t: datetime, tz: tzinfo, rollover_hour: int) -> date:
    """The study day `t` belongs to."""
    return (t.astimezone(tz) - timedelta(hours=rollover_hour)).date()


def day_shift(t: datetime, tz: tzinfo, rollover_hour: int) -> timedelta:
    """What a UTC time is moved by for its date to be its study day: the zone's offset at `t` in whole minutes,
    less the rollover hour."""
    offset = t.astimezone(tz).utcoffset() or timedelta(0)
    return timedelta(minutes=int(offset.total_seconds() // 60) - rollover_hour * 60)
