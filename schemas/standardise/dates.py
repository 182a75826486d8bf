"""Dates and timestamps of the five contracts -> `date` / aware UTC `datetime`.

- `parse_date`: 'DD/MM/YYYY' (anagrafe), 'YYYY-MM-DD' (sat, polis, SQL text), `date`/`datetime`
  objects (SQL drivers, pandas Timestamp); blank -> None; anything else -> ValueError naming the value
  and the expected formats.
- `parse_timestamp_utc`: ISO 8601 with an offset ('Z' or '+01:00') or an aware `datetime` -> aware
  UTC. A naive value is an error unless `naive_tz` says where it was local.
- `local_to_utc`: naive local wall time (volontariato's `ultima_modifica`, Europe/Rome) -> aware UTC.
  Repeated autumn hour (02:00-02:59 on the last Sunday of October happens twice): `fold=0` (the
  default) takes the first occurrence (still summer time, +02:00), `fold=1` the second (+01:00).
  The default is the safe one for an incremental watermark: it maps to the earlier instant, so a
  sync that compares `> watermark` may re-read a row but never skips one. Spring gap (02:00-02:59
  on the last Sunday of March does not exist): read with the offset in force before the change
  (+01:00), i.e. 02:30 -> 01:30 UTC, the instant the clock showed 03:30 CEST.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from ._text import is_blank

ROME = ZoneInfo("Europe/Rome")
UTC = UTC

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_DATE_FORMATS = "DD/MM/YYYY or YYYY-MM-DD (or a date object)"


@lru_cache(maxsize=100_000)
def _parse_date_str(s: str) -> date:
    m = _YMD.match(s)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _DMY.match(s)
        if not m:
            raise ValueError(f"unparseable date {s!r}: expected {_DATE_FORMATS}")
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return date(y, mo, d)
    except ValueError as exc:
        raise ValueError(f"impossible date {s!r} ({exc}): expected {_DATE_FORMATS}") from None


def parse_date(value: Any) -> date | None:
    """A calendar date from any of the contracts' date formats; None for blank."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return _parse_date_str(value.strip())
    raise ValueError(f"unparseable date {value!r} of type {type(value).__name__}: expected {_DATE_FORMATS}")


def is_default_birth_date(d: date | None) -> bool:
    """True for a 1 January birth date: the usual placeholder when only the year is known."""
    return d is not None and d.month == 1 and d.day == 1


_ISO_FORMATS = "ISO 8601 with offset, e.g. 2026-03-01T08:12:44+01:00 or ...Z"


def _iso(s: str) -> datetime:
    t = s.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(t)
    except ValueError:
        raise ValueError(f"unparseable timestamp {s!r}: expected {_ISO_FORMATS}") from None


def parse_timestamp_utc(value: Any, *, naive_tz: tzinfo | None = None, fold: int = 0) -> datetime | None:
    """Aware UTC datetime from an ISO 8601 string with offset or a datetime; None for blank.

    Naive values raise ValueError unless `naive_tz` is given (then as `local_to_utc`)."""
    if is_blank(value):
        return None
    if isinstance(value, str):
        dt = _iso(value)
    elif isinstance(value, datetime):
        dt = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    else:
        raise ValueError(f"unparseable timestamp {value!r} of type {type(value).__name__}: expected {_ISO_FORMATS}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        if naive_tz is None:
            raise ValueError(f"timestamp {value!r} has no offset: expected {_ISO_FORMATS}")
        return _localise(dt, naive_tz, fold)
    return dt.astimezone(UTC)


def _localise(dt: datetime, tz: tzinfo, fold: int) -> datetime:
    if fold not in (0, 1):
        raise ValueError(f"fold must be 0 or 1, not {fold!r}")
    return dt.replace(tzinfo=tz, fold=fold).astimezone(UTC)


_LOCAL_FORMATS = "YYYY-MM-DD HH:MM:SS local time without offset (or a naive datetime)"


def local_to_utc(value: Any, tz: ZoneInfo = ROME, *, fold: int = 0) -> datetime | None:
    """Naive local wall time (string 'YYYY-MM-DD HH:MM[:SS[.ffffff]]' or naive datetime) -> aware UTC.

    See the module docstring for the repeated autumn hour (`fold`) and the spring gap."""
    if is_blank(value):
        return None
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"unparseable local timestamp {value!r}: expected {_LOCAL_FORMATS}") from None
    elif isinstance(value, datetime):
        dt = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    else:
        raise ValueError(
            f"unparseable local timestamp {value!r} of type {type(value).__name__}: expected {_LOCAL_FORMATS}"
        )
    if dt.tzinfo is not None:
        raise ValueError(f"local timestamp {value!r} already carries an offset: expected {_LOCAL_FORMATS}")
    return _localise(dt, tz, fold)


def is_ambiguous_local(value: datetime, tz: ZoneInfo = ROME) -> bool:
    """True when a naive wall time occurs twice in `tz` (the repeated autumn hour)."""
    a = value.replace(tzinfo=tz, fold=0).utcoffset()
    b = value.replace(tzinfo=tz, fold=1).utcoffset()
    return a != b and a is not None and b is not None and a > b


def is_nonexistent_local(value: datetime, tz: ZoneInfo = ROME) -> bool:
    """True when a naive wall time does not exist in `tz` (the skipped spring hour)."""
    a = value.replace(tzinfo=tz, fold=0).utcoffset()
    b = value.replace(tzinfo=tz, fold=1).utcoffset()
    return a is not None and b is not None and a < b


__all__ = [
    "parse_date",
    "is_default_birth_date",
    "parse_timestamp_utc",
    "local_to_utc",
    "is_ambiguous_local",
    "is_nonexistent_local",
    "ROME",
    "UTC",
]
