"""Sandbox time: Europe/Rome days as UTC epoch ranges, and the timestamp formats of the systems.

The sandbox clock is a date (``world.json`` ``today``); each simulated day's changes carry
timestamps inside that local day (a 25-hour day on 2026-10-25, when 03:00 CEST becomes
02:00 CET and local times 02:00-02:59 happen twice).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from random import Random
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")
START_DATE = date(2026, 10, 22)
"""First sandbox day: advancing three days crosses the end of DST (2026-10-25)."""


def day_bounds(day: date) -> tuple[float, float]:
    """UTC epoch seconds of local midnight at the start of ``day`` and of the next day."""
    start = datetime.combine(day, time(), ROME).timestamp()
    end = datetime.combine(day + timedelta(days=1), time(), ROME).timestamp()
    return start, end


def repeated_hour(day: date) -> tuple[float, float] | None:
    """UTC epoch range of the two local 02:00-03:00 hours when DST ends on ``day``, else None."""
    start, end = day_bounds(day)
    if end - start <= 86400:
        return None
    first = datetime.combine(day, time(2), ROME).timestamp()  # fold=0: 02:00 CEST
    return first, first + 7200


def random_ts(rng: Random, start: float, end: float) -> float:
    """A whole-second epoch uniformly in [start, end)."""
    return float(int(start + rng.random() * (end - start)))


def iso_local(ts: float) -> str:
    """ISO 8601 with the Europe/Rome offset: ``2026-10-25T02:30:00+01:00``."""
    return datetime.fromtimestamp(ts, ROME).isoformat()


def naive_local(ts: float) -> datetime:
    """Europe/Rome wall-clock time without offset (ambiguous in the repeated hour, as in volontariato)."""
    return datetime.fromtimestamp(ts, ROME).replace(tzinfo=None)


def utc(ts: float) -> datetime:
    """Aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)
