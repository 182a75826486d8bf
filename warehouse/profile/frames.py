"""Set-based I/O for the profile: read tables into object frames, write frames back, compare by content.

Frames keep Python objects (`dtype=object`): Decimal stays Decimal, dates stay dates, None stays None,
so what goes back to the database is exactly what came out. Reads of a subset of ids go through
chunked IN lists (or the whole table when the subset is large).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

IN_CHUNK = 500
LARGE_SCOPE = 20_000
"""Above this many ids a scoped read takes the whole table and filters in memory."""


def frame(rows, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns, dtype=object)


def read(conn: Connection, query: sa.Select) -> pd.DataFrame:
    result = conn.execute(query)
    return frame(result.all(), list(result.keys()))


def read_in(conn: Connection, query: sa.Select, column: sa.ColumnElement, ids: Iterable | None) -> pd.DataFrame:
    """Rows of `query` whose `column` is in `ids` (all rows when ids is None)."""
    if ids is None:
        return read(conn, query)
    ids = sorted(set(ids))
    if len(ids) > LARGE_SCOPE:
        out = read(conn, query)
        return out[out[column.key].isin(ids)].reset_index(drop=True)
    parts = [read(conn, query.where(column.in_(ids[i : i + IN_CHUNK]))) for i in range(0, len(ids), IN_CHUNK)]
    if not parts:
        return read(conn, query.where(sa.false()))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


_PLAIN = {str, int, bool, date, Decimal}


def clean(value):
    """A frame cell as a DBAPI-friendly Python value (no NaN/NaT/numpy scalars)."""
    if type(value) in _PLAIN:
        return value
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def records(df: pd.DataFrame, columns: list[str] | None = None) -> list[dict]:
    columns = columns or list(df.columns)
    data = [[clean(v) for v in df[c].tolist()] for c in columns]
    return [dict(zip(columns, row)) for row in zip(*data)]


def canon(value) -> str:
    """Canonical text of a value, equal for equal content whatever the driver returned."""
    if type(value) is str:
        return value
    value = clean(value)
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value.normalize())
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def row_keys(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One canonical text per row over `columns`."""
    if not len(df):
        return pd.Series([], dtype=object)
    parts = [df[c].map(canon) for c in columns]
    out = parts[0]
    for p in parts[1:]:
        out = out + "\x1f" + p
    return out


def row_hashes(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    return row_keys(df, columns).map(lambda s: hashlib.sha256(s.encode()).hexdigest())


def delete_in(conn: Connection, table: sa.Table, column: str, ids: Iterable | None) -> None:
    if ids is None:
        conn.execute(sa.delete(table))
        return
    ids = sorted(set(ids))
    for i in range(0, len(ids), IN_CHUNK):
        conn.execute(sa.delete(table).where(table.c[column].in_(ids[i : i + IN_CHUNK])))


def insert(conn: Connection, table: sa.Table, df: pd.DataFrame, batch: int = 5000) -> int:
    if not len(df):
        return 0
    columns = [c.name for c in table.columns if c.name in df.columns]
    rows = records(df, columns)
    for i in range(0, len(rows), batch):
        conn.execute(sa.insert(table), rows[i : i + batch])
    return len(rows)


def replace_scope(
    conn: Connection, table: sa.Table, df: pd.DataFrame, scope: Iterable | None, column: str = "beneficiary_id"
) -> int:
    """Make the rows of `table` whose `column` is in `scope` (None: every row) equal to `df`.

    Rows of `df` whose primary key is held by a row outside the scope replace that row too."""
    if scope is None:
        conn.execute(sa.delete(table))
        return insert(conn, table, df)
    delete_in(conn, table, column, scope)
    pk = [c.name for c in table.primary_key.columns]
    if len(df) and len(pk) == 1 and pk[0] != column:
        delete_in(conn, table, pk[0], df[pk[0]].tolist())
    return insert(conn, table, df)


def sync_table(conn: Connection, table: sa.Table, df: pd.DataFrame) -> dict:
    """Make `table` equal to `df` by difference: rows with identical content are not touched."""
    pk = [c.name for c in table.primary_key.columns]
    columns = [c.name for c in table.columns]
    old = read(conn, sa.select(*(table.c[c] for c in columns)))
    new = df.reindex(columns=columns)
    old_keys, new_keys = row_keys(old, pk), row_keys(new, pk)
    old_full, new_full = row_keys(old, columns), row_keys(new, columns)
    unchanged = set(old_full) & set(new_full)
    stale = old[~old_full.isin(unchanged)] if len(old) else old
    fresh = new[~new_full.isin(unchanged)] if len(new) else new
    if len(stale):
        stale_keys = set(old_keys[stale.index])
        if len(pk) == 1:
            delete_in(conn, table, pk[0], stale[pk[0]].tolist())
        else:
            target = sa.tuple_(*(table.c[c] for c in pk))
            values = [tuple(clean(v) for v in row) for row in stale[pk].itertuples(index=False)]
            for i in range(0, len(values), IN_CHUNK):
                conn.execute(sa.delete(table).where(target.in_(values[i : i + IN_CHUNK])))
    else:
        stale_keys = set()
    insert(conn, table, fresh)
    fresh_keys = set(new_keys[fresh.index]) if len(fresh) else set()
    return {
        "inserted": len(fresh_keys - stale_keys),
        "updated": len(fresh_keys & stale_keys),
        "deleted": len(stale_keys - fresh_keys),
    }
