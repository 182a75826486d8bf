"""Column types shared by every warehouse table: UTC timestamps, money, JSON documents (lossless on PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC; aware datetimes in, aware UTC datetimes out, on every dialect."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: resolve the source's offset first")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


Money = sa.Numeric(12, 2, asdecimal=True)
"""Euros with cents, exact: never float."""

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
"""A JSON document (JSONB on PostgreSQL)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


ESCAPE_MARK = "\ufdd0"
"""First character of an escaped string: U+FDD0, a Unicode noncharacter (reserved for a program's internal use)."""
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_TO_ESCAPE = re.compile("[\\\\\x00\ud800-\udfff]")
_ESCAPED = re.compile(r"\\(\\|u[0-9a-f]{4})")


def escape_text(text: str) -> str:
    """`text` in a form PostgreSQL's JSONB stores, unchanged unless it holds NUL, a lone surrogate, or starts
    with ESCAPE_MARK; then ESCAPE_MARK + the text with `\\` doubled and each such character as `\\uXXXX`."""
    if not (_UNSTORABLE.search(text) or text.startswith(ESCAPE_MARK)):
        return text
    return ESCAPE_MARK + _TO_ESCAPE.sub(lambda m: "\\\\" if m.group() == "\\" else f"\\u{ord(m.group()):04x}", text)


def unescape_text(text: str) -> str:
    """The inverse of `escape_text`."""
    if not text.startswith(ESCAPE_MARK):
        return text
    return _ESCAPED.sub(lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1)[1:], 16)), text[1:])


def _map_strings(value, fn):
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {fn(k) if isinstance(k, str) else k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_map_strings(v, fn) for v in value]
    return value


class LosslessJSON(TypeDecorator):
    """A JSON document stored losslessly on every dialect (JSONB on PostgreSQL).

    JSONB refuses two things JSON text and SQLite accept: the NUL character ("unsupported Unicode
    escape sequence") and lone UTF-16 surrogates. On PostgreSQL every string (key or value) holding
    one, or starting with ESCAPE_MARK, is stored escaped (`escape_text`) and unescaped on reading,
    so readers get back exactly what was written; every other string is stored as it is, so SQL
    on ordinary values works unchanged. SQLite stores JSON text and needs no escape.
    """

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(postgresql.JSONB() if dialect.name == "postgresql" else sa.JSON())

    def process_bind_param(self, value, dialect):
        return _map_strings(value, escape_text) if dialect.name == "postgresql" else value

    def process_result_value(self, value, dialect):
        return _map_strings(value, unescape_text) if dialect.name == "postgresql" else value
