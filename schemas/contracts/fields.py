"""Field factories the stream models are written with: one call per contract column.

Every column is an object column of payload values as received; a factory adds its type check,
format and range checks, and says whether null is allowed. `StreamModel` is the shared base.
"""

from __future__ import annotations

import pandera.pandas as pa

import schemas.contracts.checks  # noqa: F401  registers the custom checks with pandera


class StreamModel(pa.DataFrameModel):
    """Base of every raw-stream contract: extra payload keys are allowed, nothing is coerced."""

    class Config:
        strict = False
        coerce = False


def integer(*, nullable: bool = False, minimum: int | None = None) -> object:
    extra = {"ge": minimum} if minimum is not None else {}
    return pa.Field(nullable=nullable, type_is="integer", **extra)


def text(*, nullable: bool = False) -> object:
    return pa.Field(nullable=nullable, type_is="string")


def boolean(*, nullable: bool = False) -> object:
    return pa.Field(nullable=nullable, type_is="boolean")


def enum(values: tuple[str, ...], *, nullable: bool = False) -> object:
    return pa.Field(nullable=nullable, isin=list(values))


def pattern(label: str, regex: str, *, nullable: bool = False) -> object:
    return pa.Field(nullable=nullable, matches={"label": label, "regex": regex})


def day(fmt: str, *, nullable: bool = False) -> object:
    return pa.Field(nullable=nullable, date_format=fmt)


def birth_day(fmt: str, *, nullable: bool = True) -> object:
    """A birth date: in format, and between 1900-01-01 and today."""
    return pa.Field(nullable=nullable, date_format=fmt, date_between={"fmt": fmt, "low": "1900-01-01", "high": "today"})


def timestamp(fmt: str, *, nullable: bool = False) -> object:
    return pa.Field(nullable=nullable, timestamp_format=fmt)


def money(*, nullable: bool = False) -> object:
    return pa.Field(nullable=nullable, amount=(), not_negative=())
