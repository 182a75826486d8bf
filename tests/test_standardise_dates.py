"""Dates and timestamps of the five contracts."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from schemas.standardise.dates import (
    is_ambiguous_local,
    is_default_birth_date,
    is_nonexistent_local,
    local_to_utc,
    parse_date,
    parse_timestamp_utc,
)

UTC = UTC


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("11/02/1984", date(1984, 2, 11)),  # anagrafe
        ("01/06/2019", date(2019, 6, 1)),
        ("1/6/2019", date(2019, 6, 1)),
        ("29/02/2024", date(2024, 2, 29)),
        ("1984-02-11", date(1984, 2, 11)),  # sat / polis
        (" 1984-02-11 ", date(1984, 2, 11)),
        ("1984-02-11 00:00:00", date(1984, 2, 11)),  # SQL date read back as text
        (date(1984, 2, 11), date(1984, 2, 11)),  # SQL date object
        (datetime(1984, 2, 11, 0, 0), date(1984, 2, 11)),
        (pd.Timestamp("1984-02-11"), date(1984, 2, 11)),
        ("", None),
        ("  ", None),
        (None, None),
        (math.nan, None),
        (pd.NaT, None),
        (pd.NA, None),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "1984/02/11",
        "11-02-1984",
        "31/02/1984",
        "02/30/1984",
        "11.02.1984",
        "ieri",
        "1984-2-11",
        "2026-03-02T10:00:00",
        19840211,
    ],
)
def test_parse_date_rejects_with_a_clear_message(raw):
    with pytest.raises(ValueError) as exc:
        parse_date(raw)
    assert repr(raw) in str(exc.value) and "DD/MM/YYYY" in str(exc.value)


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(1980, 1, 1), True),
        (date(1980, 1, 2), False),
        (date(1980, 12, 1), False),
        (None, False),
    ],
)
def test_is_default_birth_date(d, expected):
    assert is_default_birth_date(d) is expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026-03-02T10:00:00+01:00", datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),  # polis
        ("2026-03-01T08:12:44+01:00", datetime(2026, 3, 1, 7, 12, 44, tzinfo=UTC)),  # sat
        ("2026-07-01T08:00:00+02:00", datetime(2026, 7, 1, 6, 0, tzinfo=UTC)),
        ("2026-03-01T00:00:00Z", datetime(2026, 3, 1, 0, 0, tzinfo=UTC)),
        ("2026-03-01T00:00:00.123456+00:00", datetime(2026, 3, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        (datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=1))), datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
        (pd.Timestamp("2026-03-02T10:00:00+01:00"), datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),  # contabilita dt_agg
        (None, None),
        ("", None),
    ],
)
def test_parse_timestamp_utc(raw, expected):
    got = parse_timestamp_utc(raw)
    assert got == expected
    if got is not None:
        assert got.utcoffset() == timedelta(0)


@pytest.mark.parametrize("raw", ["2026-03-02T10:00:00", "02/03/2026 10:00", "yesterday", datetime(2026, 3, 2, 10, 0)])
def test_parse_timestamp_rejects_naive_or_garbage(raw):
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_timestamp_utc(raw)


def test_parse_timestamp_naive_with_zone():
    assert parse_timestamp_utc("2026-03-02 10:00:00", naive_tz=ZoneInfo("Europe/Rome")) == datetime(
        2026, 3, 2, 9, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "raw, fold, expected",
    [
        ("2026-01-15 12:00:00", 0, datetime(2026, 1, 15, 11, 0, tzinfo=UTC)),  # winter, +01:00
        ("2026-07-15 12:00:00", 0, datetime(2026, 7, 15, 10, 0, tzinfo=UTC)),  # summer, +02:00
        (datetime(2026, 7, 15, 12, 0), 0, datetime(2026, 7, 15, 10, 0, tzinfo=UTC)),  # SQL datetime object
        # autumn: 02:30 happens twice on 25 October 2026
        ("2026-10-25 02:30:00", 0, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # first pass, CEST
        ("2026-10-25 02:30:00", 1, datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),  # second pass, CET
        ("2026-10-25 01:59:59", 1, datetime(2026, 10, 24, 23, 59, 59, tzinfo=UTC)),  # not ambiguous: fold ignored
        ("2026-10-25 03:00:00", 0, datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
        # spring: 02:30 on 29 March 2026 does not exist -> read with the pre-change offset (+01:00)
        ("2026-03-29 02:30:00", 0, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        ("2026-03-29 03:30:00", 0, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        ("2026-03-29 01:30:00", 0, datetime(2026, 3, 29, 0, 30, tzinfo=UTC)),
        (None, 0, None),
    ],
)
def test_local_to_utc(raw, fold, expected):
    assert local_to_utc(raw, fold=fold) == expected


def test_default_fold_keeps_a_watermark_safe():
    first = local_to_utc("2026-10-25 02:10:00")
    second_pass_later_row = local_to_utc("2026-10-25 02:05:00", fold=1)
    assert first < second_pass_later_row  # the default maps the repeated hour to the earlier instant


@pytest.mark.parametrize("raw", ["25/10/2026 02:30", "not a time", "2026-10-25T02:30:00+01:00", 12])
def test_local_to_utc_rejects(raw):
    with pytest.raises(ValueError, match="local"):
        local_to_utc(raw)


def test_dst_predicates():
    assert is_ambiguous_local(datetime(2026, 10, 25, 2, 30))
    assert not is_ambiguous_local(datetime(2026, 10, 25, 3, 30))
    assert is_nonexistent_local(datetime(2026, 3, 29, 2, 30))
    assert not is_nonexistent_local(datetime(2026, 3, 29, 3, 30))
