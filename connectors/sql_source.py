"""Connector base for source systems read over SQL (volontariato, contabilita): keyset batches on a watermark.

Rows are read in (cursor, primary key) order, in batches that each commit with the watermark.
The filter is inclusive and starts `lookback` before the watermark, so rows sharing the last
instant — or, for local-time cursors, rows written in the repeated hour when daylight saving
ends — are re-read and found unchanged rather than missed. Hard deletes are found by comparing
the source's id set with the raw layer's.

Every comparison happens in the cursor column's own stored representation, the one its ORDER BY
uses. The keyset bound is the last row's cursor exactly as the database handed it back (on SQLite
its text, whatever its format: `2025-11-17 18:05:19` written by another tool, or SQLAlchemy's
`…19.000000`; on MariaDB and PostgreSQL the native value), never a re-rendered datetime: a
re-rendered `…19.000000` sorts after the stored `…19` and skipped every row tied with the last row
of a batch. The watermark bound, a computed instant, is rendered on SQLite as text to the whole
second in the column's own date/time separator, which sorts at or before every stored text of that
instant: ties with the watermark are re-read, never skipped.

Date and time columns of a SQLite source are read leniently: text that is no valid date
(`0000-00-00`) reaches the payload as the source stored it — as MariaDB's driver hands it over —
so the contract quarantines it, instead of the whole sync failing on "year 0 is out of range".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.types import NullType, TypeDecorator

from connectors.base import Stream, SyncRequest, Unit
from connectors.raw_writer import Record
from connectors.source_view import IdListing, SourceView

BATCH = 2000
ROME = ZoneInfo("Europe/Rome")
STORED_CURSOR = "_fase_stored_cursor"
"""Label of the cursor value as stored, selected beside the row for the keyset bound."""


def json_value(value):
    """A database value as JSON keeps it: exact decimals as strings, dates ISO, naive times as written."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.tzinfo is None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class LenientDate(TypeDecorator):
    """A SQLite DATE as stored: an ISO date becomes a date, any other value stays what it is (`0000-00-00`)."""

    impl = sa.String
    cache_ok = True

    def process_result_value(self, value, dialect):
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                return value
        return value


class LenientDateTime(TypeDecorator):
    """A SQLite DATETIME as stored: an ISO timestamp becomes a datetime, any other value stays what it is."""

    impl = sa.String
    cache_ok = True

    def process_result_value(self, value, dialect):
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                return value
        return value


class SqlStream(Stream):
    """One table of a SQL source, read by watermark on `cursor_field`."""

    cursor_field: str

    def __init__(
        self,
        system: str,
        engine: Engine,
        table: str,
        primary_key: str,
        cursor_field: str,
        *,
        naive_cursor: bool,
        lookback: timedelta = timedelta(0),
        reconcile_deletes: bool = False,
        transform: Callable[[dict], dict] | None = None,
        batch: int | None = None,
    ):
        self.system, self.name, self.primary_key, self.cursor_field = system, table, primary_key, cursor_field
        self.engine, self.naive_cursor, self.lookback = engine, naive_cursor, lookback
        self.reconcile_deletes, self.transform, self.batch = reconcile_deletes, transform, batch or BATCH
        self.table = sa.Table(table, sa.MetaData(), autoload_with=engine)
        self.stored_cursor = sa.type_coerce(self.table.c[cursor_field], NullType())  # no type processing either way

    def _parse(self, text: str) -> datetime:
        return datetime.fromisoformat(text)

    def _db_value(self, value: datetime) -> datetime:
        """Bind a cursor value as the column stores it (SQLite keeps aware timestamps as naive UTC)."""
        if not self.naive_cursor and self.engine.dialect.name == "sqlite" and value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def _cursor_text(self, value: datetime) -> str:
        if not self.naive_cursor and value.tzinfo is None:  # SQLite hands back naive UTC
            value = value.replace(tzinfo=UTC)
        return value.isoformat()

    def _readable(self, column: sa.Column) -> sa.ColumnElement:
        """A column as selected for the payload: SQLite dates and times leniently (see the module docstring)."""
        if self.engine.dialect.name == "sqlite":
            if isinstance(column.type, sa.DateTime):
                return sa.type_coerce(column, LenientDateTime()).label(column.name)
            if isinstance(column.type, sa.Date):
                return sa.type_coerce(column, LenientDate()).label(column.name)
        return column

    def _text_separator(self) -> str | None:
        """On SQLite, the date/time separator of the cursor's stored text (None: not stored as text)."""
        if self.engine.dialect.name != "sqlite":
            return None
        with self.engine.connect() as conn:
            sample = conn.execute(
                sa.select(self.stored_cursor).where(self.table.c[self.cursor_field].is_not(None)).limit(1)
            ).scalar()
        return sample[10] if isinstance(sample, str) and len(sample) >= 19 else None

    def _not_before(self, low: datetime, separator: str | None) -> sa.ColumnElement:
        """cursor >= low, compared in the column's stored representation (see the module docstring)."""
        value = self._db_value(low)
        if separator is None:
            return self.table.c[self.cursor_field] >= value
        return self.stored_cursor >= value.strftime(f"%Y-%m-%d{separator}%H:%M:%S")

    def units(self, state: dict | None, request: SyncRequest) -> Iterator[Unit]:
        t = self.table
        cur, pk, stored = t.c[self.cursor_field], t.c[self.primary_key], self.stored_cursor
        columns = [self._readable(c) for c in t.c] + [stored.label(STORED_CURSOR)]
        watermark = (state or {}).get("watermark")
        if request.since is not None:
            since = request.since
            watermark = (since.astimezone(ROME).replace(tzinfo=None) if self.naive_cursor else since).isoformat()
        low = self._parse(watermark) - self.lookback if watermark else None
        separator = self._text_separator() if low is not None else None
        after: tuple | None = None
        while True:
            q = sa.select(*columns).order_by(cur, pk).limit(self.batch)
            if low is not None:
                q = q.where(self._not_before(low, separator))
            if after is not None:
                q = q.where(sa.or_(stored > after[0], sa.and_(stored == after[0], pk > after[1])))
            with self.engine.connect() as conn:
                rows = [dict(r._mapping) for r in conn.execute(q)]
            if not rows:
                break
            after = (rows[-1][STORED_CURSOR], rows[-1][self.primary_key])
            instants = [r[self.cursor_field] for r in rows if isinstance(r[self.cursor_field], datetime)]
            if instants:
                newest = self._cursor_text(max(instants))
                if watermark is None or self._parse(newest) > self._parse(watermark):
                    watermark = newest
            records = [Record(str(r[self.primary_key]), self._payload(r), self._record_cursor(r)) for r in rows]
            yield Unit(records=records, state_after={"watermark": watermark}, cursor_value=watermark)
            if len(rows) < self.batch:
                break
        if self.reconcile_deletes:
            yield Unit(
                pages=0,
                seen_ids=self._all_ids(),
                cursor_value=watermark,
                note="deletions reconciled against the source's id set",
            )

    def _record_cursor(self, row: dict) -> str:
        value = row[self.cursor_field]
        return self._cursor_text(value) if isinstance(value, datetime) else str(value)

    def _payload(self, row: dict) -> dict:
        payload = {k: json_value(v) for k, v in row.items() if k != STORED_CURSOR}
        return self.transform(payload) if self.transform else payload

    def _all_ids(self) -> Iterator[str]:
        pk = self.table.c[self.primary_key]
        with self.engine.connect().execution_options(stream_results=True, yield_per=10000) as conn:
            for (value,) in conn.execute(sa.select(pk)):
                yield str(value)

    def source_view(self, state: dict | None) -> SourceView:
        """The source's id set; a row is due once its cursor is at or before the watermark less the lookback."""
        watermark = (state or {}).get("watermark")
        due_until = self._parse(watermark) - self.lookback if watermark else None
        return IdListing("id set", self._ids_and_due(due_until))

    def _ids_and_due(self, due_until: datetime | None) -> Iterator[tuple[str, bool, bool]]:
        t = self.table
        q = sa.select(t.c[self.primary_key], self._readable(t.c[self.cursor_field]))
        with self.engine.connect().execution_options(stream_results=True, yield_per=10000) as conn:
            for key, value in conn.execute(q):
                yield str(key), True, self._is_due(value, due_until)

    def _is_due(self, value, due_until: datetime | None) -> bool:
        if due_until is None:
            return False
        if not isinstance(value, datetime):  # a cursor that is no timestamp cannot be newer than the watermark
            return True
        return self._parse(self._cursor_text(value)) <= due_until
