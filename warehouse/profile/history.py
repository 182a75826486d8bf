"""Type-2 history of the golden record: a new version only when its content (row_hash) changes.

`golden_history` keeps every version with `valid_from` / `valid_to` (UTC, half-open) and `is_current`:
"what did we know about this person at T" is

    SELECT * FROM golden_history WHERE beneficiary_id = :b AND valid_from <= :t
       AND (valid_to IS NULL OR valid_to > :t)

Times come from the sources, so a re-run gives the same history: a person's first version starts at
their earliest source record's `source_updated_at`; a later version starts at the latest
`source_updated_at` of their records (the change that produced it) or, when that is not after the
previous version (a record deleted or relinked), at the publish's data time. A beneficiary no longer
active gets its current version closed at the data time. A publish that changes nothing adds nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import PROFILE_TABLES
from warehouse.profile.frames import clean, insert, read_in
from warehouse.profile.survivorship import GOLDEN_COLUMNS

TICK = timedelta(microseconds=1000)


def _after(candidate, previous: datetime, data_time: datetime) -> datetime:
    candidate = clean(candidate)
    if candidate is not None and candidate > previous:
        return candidate
    return data_time if data_time > previous else previous + TICK


def apply_history(
    conn: Connection, golden: pd.DataFrame, scope: set[str] | None, data_time: datetime, run_id: int
) -> dict:
    """Record new versions for the beneficiaries of `golden`; close those of `scope` absent from it.

    `golden` needs GOLDEN_COLUMNS, row_hash, source_updated_at (latest) and first_source_at."""
    t = PROFILE_TABLES["golden_history"]
    current = read_in(
        conn,
        sa.select(t.c.beneficiary_id, t.c.valid_from, t.c.row_hash).where(t.c.is_current),
        t.c.beneficiary_id,
        scope,
    )
    cur = current.set_index("beneficiary_id")
    new = golden.set_index("beneficiary_id")
    fresh = new.index.difference(cur.index)
    both = new.index.intersection(cur.index)
    changed = both[new.loc[both, "row_hash"].values != cur.loc[both, "row_hash"].values]
    gone = cur.index.difference(new.index)
    closes: list[dict] = []
    versions = []
    for bid in changed:
        start = _after(new.at[bid, "source_updated_at"], clean(cur.at[bid, "valid_from"]), data_time)
        closes.append({"b": bid, "f": clean(cur.at[bid, "valid_from"]), "to": start})
        versions.append((bid, start))
    for bid in gone:
        prev = clean(cur.at[bid, "valid_from"])
        closes.append({"b": bid, "f": prev, "to": _after(None, prev, data_time)})
    for bid in fresh:  # a person whose records carry no source time starts at the publish's data time
        start = clean(new.at[bid, "first_source_at"])
        versions.append((bid, data_time if start is None or pd.isna(start) else start))
    if closes:
        conn.execute(
            sa.update(t)
            .where(t.c.beneficiary_id == sa.bindparam("b"), t.c.valid_from == sa.bindparam("f"))
            .values(valid_to=sa.bindparam("to"), is_current=False),
            closes,
        )
    if versions:
        ids = [b for b, _ in versions]
        rows = new.loc[ids, GOLDEN_COLUMNS + ["row_hash"]].reset_index()
        rows["valid_from"] = [start for _, start in versions]
        rows["valid_to"] = None
        rows["is_current"] = True
        rows["recorded_run_id"] = run_id
        insert(conn, t, rows)
    return {"new": len(fresh), "changed": len(changed), "closed": len(gone)}
