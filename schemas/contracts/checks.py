"""The checks the contracts are made of, registered with pandera, and how each failure reads in words.

Column checks run on object columns holding the payload values as received (nulls already
dropped by pandera); frame checks compare two columns of a row. `DESCRIBE` turns one pandera
failure case into a sentence naming the column, the value and the rule; a long value is shown
cut short, and the length and control-character rules never echo the value at all.

Lengths are counted as the standardisers may write the value (`written_length`): upper-cased or
folded (ligatures, ß, Æ and accents unfolded), whichever is longest, so a value within its limit
always fits the staging column it feeds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
from pandera import extensions

from schemas.standardise._text import fold

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
LINE_BREAKS = "tab, CR, LF"
"""The control characters a free-text address may hold (the address parser reads them as spaces)."""
_CONTROLS = {"": re.compile(r"[\x00-\x1f\x7f-\x9f]"), LINE_BREAKS: re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")}
# fmt: off
_C0_NAMES = (
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "TAB", "LF", "VT", "FF", "CR", "SO", "SI",
    "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US",
)
# fmt: on
SHOWN = 60
"""Characters of a value shown in a failure message; longer values are cut (the quarantine keeps the payload)."""


def parse_dates(values: pd.Series, fmt: str) -> pd.Series:
    """Dates in contract format `fmt` as datetime64; NaT for anything else (wrong format, impossible day)."""
    pattern, strftime = DATE_FORMATS[fmt]
    text = values.astype("string")
    ok = text.str.fullmatch(pattern).fillna(False).astype(bool)
    return pd.to_datetime(text.where(ok), format=strftime, errors="coerce")


def _bound(text: str) -> pd.Timestamp:
    return pd.Timestamp(date.today()) if text == "today" else pd.Timestamp(text)


def written_length(value: str) -> int:
    """The most characters `value` can take once standardised: as received, upper-cased or folded."""
    if value.isascii():
        return len(value)
    return max(len(value), len(value.upper()), len(fold(value)))


def first_control(value: str, allowed: str = "") -> str | None:
    """The first control character in `value` that the field does not allow (C0, DEL, C1), or None."""
    m = _CONTROLS[allowed].search(value)
    return m.group(0) if m else None


def control_name(char: str) -> str:
    """'U+0000 (NUL)', 'U+007F (DEL)', 'U+0092, a C1 control (UTF-8 text read as latin-1?)'."""
    code = ord(char)
    if code < 0x20:
        return f"U+{code:04X} ({_C0_NAMES[code]})"
    if code == 0x7F:
        return "U+007F (DEL)"
    return f"U+{code:04X}, a C1 control (UTF-8 text read as latin-1?)"


def shown(value: object) -> str:
    """repr of a value for a message, cut after SHOWN characters."""
    if isinstance(value, str) and len(value) > SHOWN:
        return f"{value[:SHOWN]!r}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= SHOWN + 2 else text[:SHOWN] + "..."


def _per_distinct(values: pd.Series, test: Callable[[object], bool]) -> pd.Series:
    """test(value) for each distinct value (names, places and codes repeat), spread back over the column."""
    try:
        codes, distinct = pd.factorize(values)
    except TypeError:  # unhashable values (a list where text was expected): one by one
        return values.map(test).astype(bool)
    passed = np.fromiter((test(v) for v in distinct), dtype=bool, count=len(distinct))
    return pd.Series(passed[codes], index=values.index)


@extensions.register_check_method(statistics=["limit"])
def max_length(values: pd.Series, *, limit: int) -> pd.Series:
    return _per_distinct(values, lambda v: type(v) is not str or written_length(v) <= limit)


@extensions.register_check_method(statistics=["allowed"])
def no_control_characters(values: pd.Series, *, allowed: str) -> pd.Series:
    return _per_distinct(values, lambda v: type(v) is not str or first_control(v, allowed) is None)


@extensions.register_check_method(statistics=["limit"])
def at_most(values: pd.Series, *, limit: int) -> pd.Series:
    return values.map(lambda v: type(v) is not int or v <= limit)


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


def _zero(value: object) -> str:
    """'a zero date, ' for MariaDB's 0000-00-00 (and 00/00/0000, 0000-00-00 00:00:00): no date at all."""
    return "a zero date, " if isinstance(value, str) and value and not value.strip("0-/: T") else ""


def _control_message(column: str, value: str, allowed: str) -> str:
    char = first_control(value, allowed)
    found = f"the control character {control_name(char)}" if char else "a control character"
    return f"{column} contains {found}, which is not allowed"


Describer = Callable[[str, object, dict, pd.Series], str]
DESCRIBE: dict[str, Describer] = {
    "not_nullable": lambda c, v, s, r: f"{c} is missing (null or empty)",
    "column_in_dataframe": lambda c, v, s, r: f"column {v} missing from the payload (renamed or dropped?)",
    "type_is": lambda c, v, s, r: f"{c} {shown(v)} is not {_article(s['kind'])} {s['kind']}",
    "isin": lambda c, v, s, r: f"{c} {shown(v)} not one of {', '.join(map(str, s['allowed_values']))}",
    "date_format": lambda c, v, s, r: f"{c} {shown(v)} is {_zero(v)}not a date in format {s['fmt']}",
    "date_between": lambda c, v, s, r: f"{c} {v} is outside {s['low']} .. {s['high']}",
    "timestamp_format": lambda c, v, s, r: f"{c} {shown(v)} is {_zero(v)}not a timestamp in format {s['fmt']}",
    "matches": lambda c, v, s, r: f"{c} {shown(v)} is not {s['label']}",
    "amount": lambda c, v, s, r: f"{c} {shown(v)} is not an amount in euros (digits, up to 2 decimals)",
    "not_negative": lambda c, v, s, r: f"{c} {v} is negative",
    "greater_than_or_equal_to": lambda c, v, s, r: f"{c} {v} is below {s['min_value']}",
    "at_most": lambda c, v, s, r: f"{c} {shown(v)} is above {s['limit']}",
    "max_length": lambda c, v, s, r: (
        f"{c} is too long: {written_length(str(v))} characters where at most {s['limit']} are allowed"
    ),
    "no_control_characters": lambda c, v, s, r: _control_message(c, str(v), s["allowed"]),
    "not_before": lambda c, v, s, r: f"{s['later']} {r[s['later']]} is before {s['earlier']} {r[s['earlier']]}",
    "required_when": lambda c, v, s, r: f"{s['column']} is missing although {s['when_column']} is {s['when_value']}",
}
FRAME_CHECK_COLUMN = {"not_before": "later", "required_when": "column"}
"""For frame checks: which statistic names the column the failure is about."""


def rule_label(name: str, stats: dict) -> str:
    """A short name of a rule for summaries: 'date_format(fmt=YYYY-MM-DD)', 'not_nullable'."""
    listed = {k: v for k, v in stats.items() if k != "regex" and v != ""}
    return f"{name}({', '.join(f'{k}={v}' for k, v in listed.items())})" if listed else name
