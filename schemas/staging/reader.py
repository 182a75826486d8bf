"""Reading the raw layer for staging: changed current versions by raw_id watermark, re-reads, older versions.

Every reader returns a frame with the raw lineage columns (raw_id, source_id, version, deleted,
source_cursor) and `payload` (the dict as received), in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

RAW_COLUMNS = ["raw_id", "source_id", "version", "deleted", "source_cursor", "payload"]
IN_CHUNK = 500


def _select(table: sa.Table) -> sa.Select:
    return sa.select(*(table.c[c] for c in RAW_COLUMNS))


def _frame(rows: Sequence[sa.Row[Any]]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=RAW_COLUMNS)


def top_raw_id(conn: Connection, table: sa.Table) -> int:
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.raw_id), 0))).scalar_one()


def count_changed(conn: Connection, table: sa.Table, after: int, upto: int) -> int:
    """How many records `changed_current` will yield (the total of the stage step's progress)."""
    q = sa.select(sa.func.count()).where(table.c.is_current, table.c.raw_id > after, table.c.raw_id <= upto)
    return conn.execute(q).scalar_one()


def changed_current(conn: Connection, table: sa.Table, after: int, upto: int, chunk: int) -> Iterator[pd.DataFrame]:
    """Current versions with after < raw_id <= upto (the records changed since the watermark), in chunks."""
    while True:
        rows = conn.execute(
            _select(table)
            .where(table.c.is_current, table.c.raw_id > after, table.c.raw_id <= upto)
            .order_by(table.c.raw_id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        yield _frame(rows)
        after = rows[-1].raw_id


def _by_ids(conn: Connection, query: sa.Select, table: sa.Table, ids: Iterable[str]) -> pd.DataFrame:
    ids = sorted(set(ids))
    rows: list[sa.Row[Any]] = []
    for i in range(0, len(ids), IN_CHUNK):
        rows += conn.execute(query.where(table.c.source_id.in_(ids[i : i + IN_CHUNK]))).all()
    return _frame(rows)


def current_of(conn: Connection, table: sa.Table, ids: Iterable[str]) -> pd.DataFrame:
    """The current version of each of `ids` (those that exist)."""
    return _by_ids(conn, _select(table).where(table.c.is_current).order_by(table.c.raw_id), table, ids)


def older_versions(conn: Connection, table: sa.Table, ids: Iterable[str]) -> pd.DataFrame:
    """The retired (not current) versions of each of `ids`, oldest first."""
    return _by_ids(
        conn, _select(table).where(sa.not_(table.c.is_current)).order_by(table.c.source_id, table.c.version), table, ids
    )
