"""Connector base for source systems read over SQL (volontariato, contabilita): keyset batches on a watermark.

Rows are read in (cursor, primary key) order, in batches that each commit with the watermark.
The filter is inclusive and starts `lookback` before the watermark, so rows sharing the last
instant — or, for local-time cursors, rows written in the repeated hour when daylight saving
ends — are re-read and found unchanged rather than missed. Hard deletes are found by comparing
the source's id set with the raw layer's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from connectors.base import Stream, SyncRequest, Unit
from connectors.raw_writer import Record

BATCH = 2000
ROME = ZoneInfo("Europe/Rome")


def json_value(value):
    """A database value as JSON keeps it: exact decimals as strings, dates ISO, naive times as written."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.tzinfo is None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class SqlStream(Stream):
    """One table of a SQL source, read by watermark on `cursor_field`."""

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

    def units(self, state: dict | None, request: SyncRequest) -> Iterator[Unit]:
        t = self.table
        cur, pk = t.c[self.cursor_field], t.c[self.primary_key]
        watermark = (state or {}).get("watermark")
        if request.since is not None:
            since = request.since
            watermark = (since.astimezone(ROME).replace(tzinfo=None) if self.naive_cursor else since).isoformat()
        low = self._parse(watermark) - self.lookback if watermark else None
        after: tuple | None = None
        while True:
            q = sa.select(t).order_by(cur, pk).limit(self.batch)
            if low is not None:
                q = q.where(cur >= self._db_value(low))
            if after is not None:
                q = q.where(sa.or_(cur > after[0], sa.and_(cur == after[0], pk > after[1])))
            with self.engine.connect() as conn:
                rows = [dict(r._mapping) for r in conn.execute(q)]
            if not rows:
                break
            after = (rows[-1][self.cursor_field], rows[-1][self.primary_key])
            newest = self._cursor_text(max(r[self.cursor_field] for r in rows))
            if watermark is None or self._parse(newest) > self._parse(watermark):
                watermark = newest
            records = [
                Record(str(r[self.primary_key]), self._payload(r), self._cursor_text(r[self.cursor_field]))
                for r in rows
            ]
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

    def _payload(self, row: dict) -> dict:
        payload = {k: json_value(v) for k, v in row.items()}
        return self.transform(payload) if self.transform else payload

    def _all_ids(self) -> Iterator[str]:
        pk = self.table.c[self.primary_key]
        with self.engine.connect().execution_options(stream_results=True, yield_per=10000) as conn:
            for (value,) in conn.execute(sa.select(pk)):
                yield str(value)
