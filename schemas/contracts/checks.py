"""The checks the contracts are made of, registered with pandera, and how each failure reads in words.

Column checks run on object columns holding the payload values as received (nulls already
dropped by pandera); frame checks compare two columns of a row. `describe` turns one pandera
failure case into a sentence naming the column, the value and the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
from pandera import extensions

DATE_FORMATS = {"YYYY-MM-DD": (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"), "DD/MM/YYYY": (r"\d{2}/\d{2}/\d{4}", "%d/%m/%Y")}
_WALL = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
_OFFSET = r"(Z|[+-]\d{2}:\d{2})"
TIMESTAMP_FORMATS = {
    "ISO 8601 with offset": _WALL.replace("[T ]", "T") + _OFFSET,
    "ISO 8601, offset optional (naive is UTC)": _WALL + _OFFSET + "?",
    "local YYYY-MM-DD HH:MM:SS without offset": _WALL,
}
KINDS: dict[str, tuple[type, ...]] = {"integer": (int,), "string": (str,), "boolean": (bool,)}
AMOUNT = r"-?\d{1,10}(\.\d{1,2})?"


def parse_dates(values: pd.Series, fmt: str) -> pd.Series:
    """Dates in contract format `fmt` as datetime64; NaT for anything else (wrong format, impossible day)."""
    pattern, strftime = DATE_FORMATS[fmt]
    text = values.astype("string")
    ok = text.str.fullmatch(pattern).fillna(False).astype(bool)
    return pd.to_datetime(text.where(ok), format=strftime, errors="coerce")


def _bound(text: str) -> pd.Timestamp:
    return pd.Timestamp(date.today()) if text == "today" else pd.Timestamp(text)


@extensions.register_check_method(statistics=["kind"])
def type_is(values: pd.Series, *, kind: str) -> pd.Series:
    return values.map(type).isin(KINDS[kind])


@extensions.register_check_method(statistics=["fmt"])
def date_format(values: pd.Series, *, fmt: str) -> pd.Series:
    return parse_dates(values, fmt).notna()


@extensions.register_check_method(statistics=["fmt", "low", "high"])
def date_between(values: pd.Series, *, fmt: str, low: str, high: str) -> pd.Series:
    parsed = parse_dates(values, fmt)
    return parsed.isna() | parsed.between(_bound(low), _bound(high))  # a bad format is date_format's failure


@extensions.register_check_method(statistics=["fmt"])
def timestamp_format(values: pd.Series, *, fmt: str) -> pd.Series:
    text = values.astype("string")
    ok = text.str.fullmatch(TIMESTAMP_FORMATS[fmt]).fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(ok), format="ISO8601", utc=True, errors="coerce")
    return parsed.notna()


@extensions.register_check_method(statistics=["label", "regex"])
def matches(values: pd.Series, *, label: str, regex: str) -> pd.Series:
    return values.astype("string").str.fullmatch(regex).fillna(False).astype(bool)


@extensions.register_check_method(statistics=[])
def amount(values: pd.Series) -> pd.Series:
    return values.astype("string").str.fullmatch(AMOUNT).fillna(False).astype(bool)


@extensions.register_check_method(statistics=[])
def not_negative(values: pd.Series) -> pd.Series:
    return ~values.astype("string").str.fullmatch(r"-\d.*").fillna(False).astype(bool)


@extensions.register_check_method(statistics=["later", "earlier", "fmt"], supported_types=pd.DataFrame)
def not_before(frame: pd.DataFrame, *, later: str, earlier: str, fmt: str) -> pd.Series:
    if later not in frame or earlier not in frame:  # the missing column is reported on its own
        return pd.Series(True, index=frame.index)
    return ~(parse_dates(frame[later], fmt) < parse_dates(frame[earlier], fmt))


@extensions.register_check_method(statistics=["column", "when_column", "when_value"], supported_types=pd.DataFrame)
def required_when(frame: pd.DataFrame, *, column: str, when_column: str, when_value: str) -> pd.Series:
    if column not in frame or when_column not in frame:
        return pd.Series(True, index=frame.index)
    return ~(frame[when_column].eq(when_value) & frame[column].isna())


def _article(kind: str) -> str:
    return "an" if kind[0] in "aeiou" else "a"


Describer = Callable[[str, object, dict, pd.Series], str]
DESCRIBE: dict[str, Describer] = {
    "not_nullable": lambda c, v, s, r: f"{c} is missing (null or empty)",
    "column_in_dataframe": lambda c, v, s, r: f"column {v} missing from the payload (renamed or dropped?)",
    "type_is": lambda c, v, s, r: f"{c} {v!r} is not {_article(s['kind'])} {s['kind']}",
    "isin": lambda c, v, s, r: f"{c} {v!r} not one of {', '.join(map(str, s['allowed_values']))}",
    "date_format": lambda c, v, s, r: f"{c} {v!r} is not a date in format {s['fmt']}",
    "date_between": lambda c, v, s, r: f"{c} {v} is outside {s['low']} .. {s['high']}",
    "timestamp_format": lambda c, v, s, r: f"{c} {v!r} is not a timestamp in format {s['fmt']}",
    "matches": lambda c, v, s, r: f"{c} {v!r} is not {s['label']}",
    "amount": lambda c, v, s, r: f"{c} {v!r} is not an amount in euros (digits, up to 2 decimals)",
    "not_negative": lambda c, v, s, r: f"{c} {v} is negative",
    "greater_than_or_equal_to": lambda c, v, s, r: f"{c} {v} is below {s['min_value']}",
    "not_before": lambda c, v, s, r: f"{s['later']} {r[s['later']]} is before {s['earlier']} {r[s['earlier']]}",
    "required_when": lambda c, v, s, r: f"{s['column']} is missing although {s['when_column']} is {s['when_value']}",
}
FRAME_CHECK_COLUMN = {"not_before": "later", "required_when": "column"}
"""For frame checks: which statistic names the column the failure is about."""


def rule_label(name: str, stats: dict) -> str:
    """A short name of a rule for summaries: 'date_format(fmt=YYYY-MM-DD)', 'not_nullable'."""
    shown = {k: v for k, v in stats.items() if k != "regex"}
    return f"{name}({', '.join(f'{k}={v}' for k, v in shown.items())})" if shown else name
