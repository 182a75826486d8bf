"""Field factories the stream models are written with: one call per contract column.

Every column is an object column of payload values as received; a factory adds its type check,
format and range checks, and says whether null is allowed. `StreamModel` is the shared base.

Text never holds control characters (C0 with NUL, DEL, C1: what a UTF-8 file read as latin-1 gives);
only a free-text address (`line_breaks=True`) may hold tabs and line breaks: a pasted two-line address
is still an address (the address parser reads whitespace as a separator), while a line break in a
name, code or phone is a defect. Every text has a maximum length, never
more than the staging columns it feeds (tests/test_contracts.py checks it against the models), and
every integer fits a 64-bit column.

Each factory returns what `pa.Field` returns, typed `Any` as pandera types it: the value is assigned to a
`Series[...]` class attribute, which pandera's model class turns into a column (mypy must accept it there).
"""

from __future__ import annotations

from typing import Any

import pandera.pandas as pa

from schemas.contracts.checks import LINE_BREAKS  # importing checks registers the custom checks with pandera

INT64_MAX = 2**63 - 1


class StreamModel(pa.DataFrameModel):
    """Base of every raw-stream contract: extra payload keys are allowed, nothing is coerced."""

    class Config:
        strict = False
        coerce = False


def integer(*, nullable: bool = False, minimum: int | None = None, maximum: int = INT64_MAX) -> Any:
    return pa.Field(nullable=nullable, ge=minimum, type_is="integer", at_most=maximum)


def text(max_length: int, *, nullable: bool = False, line_breaks: bool = False) -> Any:
    """A string of at most `max_length` characters without control characters (but tabs and line breaks
    when `line_breaks`)."""
    return pa.Field(
        nullable=nullable,
        type_is="string",
        max_length=max_length,
        no_control_characters=LINE_BREAKS if line_breaks else "",
    )


def boolean(*, nullable: bool = False) -> Any:
    return pa.Field(nullable=nullable, type_is="boolean")


def enum(values: tuple[str, ...], *, nullable: bool = False) -> Any:
    return pa.Field(nullable=nullable, isin=list(values))


def pattern(label: str, regex: str, *, nullable: bool = False) -> Any:
    """A value matching `regex` in full (described as `label`), without control characters (`\\s` would take some)."""
    return pa.Field(nullable=nullable, matches={"label": label, "regex": regex}, no_control_characters="")


def day(fmt: str, *, nullable: bool = False) -> Any:
    return pa.Field(nullable=nullable, date_format=fmt)


def birth_day(fmt: str, *, nullable: bool = True) -> Any:
    """A birth date: in format, and between 1900-01-01 and today."""
    return pa.Field(nullable=nullable, date_format=fmt, date_between={"fmt": fmt, "low": "1900-01-01", "high": "today"})


def timestamp(fmt: str, *, nullable: bool = False) -> Any:
    return pa.Field(nullable=nullable, timestamp_format=fmt)


def money(*, nullable: bool = False) -> Any:
    return pa.Field(nullable=nullable, amount=(), not_negative=())
