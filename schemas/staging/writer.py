"""Apply staging rows by difference: within a scope of source records, insert what is new, rewrite what
changed, delete what is gone; identical rows are left alone (their run_id too), so a re-run changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

IN_CHUNK = 500
IGNORED = ("run_id",)  # lineage, not content


@dataclass
class WriteStats:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    def add(self, other: WriteStats) -> None:
        self.inserted, self.updated, self.deleted = (
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.deleted + other.deleted,
        )

    def as_dict(self) -> dict:
        return {"inserted": self.inserted, "updated": self.updated, "deleted": self.deleted}


def replace_scope(
    conn: Connection,
    table: sa.Table,
    scope_column: str,
    scope: Iterable[str],
    rows: pd.DataFrame,
    where: sa.ColumnElement | None = None,
) -> WriteStats:
    """Make the rows of `table` whose `scope_column` is in `scope` (and match `where`) equal to `rows`."""
    pk = [c.name for c in table.primary_key.columns]
    content = [c.name for c in table.columns if c.name not in IGNORED]
    scope = sorted(set(scope))
    existing: dict[tuple, dict] = {}
    for i in range(0, len(scope), IN_CHUNK):
        q = sa.select(table).where(table.c[scope_column].in_(scope[i : i + IN_CHUNK]))
        if where is not None:
            q = q.where(where)
        for r in conn.execute(q).mappings():
            existing[tuple(r[c] for c in pk)] = {c: r[c] for c in content}
    names = list(rows.columns)
    records = (dict(zip(names, values)) for values in zip(*(rows[c].tolist() for c in names)))
    wanted = {tuple(r[c] for c in pk): r for r in records}
    stats = WriteStats()
    stale, inserts = [], []
    for key, row in wanted.items():
        old = existing.get(key)
        if old is not None and all(old[c] == row[c] for c in content):
            continue
        if old is not None:
            stale.append(key)
            stats.updated += 1
        else:
            stats.inserted += 1
        inserts.append(row)
    gone = [key for key in existing if key not in wanted]
    stats.deleted = len(gone)
    _delete(conn, table, pk, stale + gone)
    if inserts:
        conn.execute(sa.insert(table), inserts)
    return stats


def _delete(conn: Connection, table: sa.Table, pk: list[str], keys: list[tuple]) -> None:
    target = sa.tuple_(*(table.c[c] for c in pk)) if len(pk) > 1 else table.c[pk[0]]
    values = keys if len(pk) > 1 else [k[0] for k in keys]
    for i in range(0, len(values), IN_CHUNK):
        conn.execute(sa.delete(table).where(target.in_(values[i : i + IN_CHUNK])))
