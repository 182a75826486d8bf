"""The work a linkage run plans: its records, prepared for the comparators, and the candidate pairs to score.

`plan_work` reads the run's records (stg_person rows of the staging runs it sees, with the birth bounds
their events imply), flags the ones to compare (all in a full run; in an incremental run those new or
changed since the previous run) and blocks them into candidate pairs. `save_work` stores what another
process cannot recompute cheaply — the record keys and the pairs (the blocking) — in `linkage_work`, and
`load_work` rebuilds the same work from it in any worker: records re-read by key from staging (a record
restaged or deleted since the plan drops out with its pairs) and prepared again.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from matching import store
from matching.blocking import candidate_pairs
from matching.finalize import constraint_columns
from matching.implied_birth import with_birth_bounds
from matching.prepare import prepare_records
from matching.settings import LinkageSettings
from warehouse.models import STAGING_TABLES
from warehouse.types import utcnow


@dataclass
class Work:
    settings: LinkageSettings
    records: pd.DataFrame  # stg_person rows of the run (index = record key, sorted)
    prepared: pd.DataFrame  # prepared for the comparators (positions = rows of `records`)
    keys: np.ndarray
    changed: np.ndarray  # bool per record: compared this run
    i: np.ndarray  # candidate pairs to compare this run (positions, i < j)
    j: np.ndarray
    blocking: dict = field(default_factory=dict)
    levels: np.ndarray | None = None  # comparison levels of (i, j), when the plan computed them (model fitting)
    staged: tuple | None = None  # staging_signature before the plan read `records` (None: work loaded)


def run_records(conn: Connection, settings: LinkageSettings, staging_runs: list[int] | None = None) -> pd.DataFrame:
    """stg_person rows with their implied birth bounds, restricted to `staging_runs` when given; the columns the
    settings read and those finalising reads (so that it can take this frame instead of reading its own)."""
    columns = list(dict.fromkeys([*store.person_columns(settings), *constraint_columns(settings)]))
    records = with_birth_bounds(store.read_persons(conn, settings, columns=columns, compact=True), settings, conn)
    if staging_runs is not None:
        records = records[records["run_id"].isin(staging_runs)]
    return records


def staging_signature(conn: Connection, settings: LinkageSettings) -> tuple | None:
    """Rows per staging run of stg_person and of the implied-birth events table (None when that table is not a
    staging table of the hub's: no signature). A staging run writes its rows in one transaction, each under
    its own run id, so the same signature later means the same records and events (a run staged in between
    adds a run id, moves rows to its own or deletes some)."""
    spec, tables = settings.implied_birth, [store.STG]
    if spec is not None:
        if spec.table not in STAGING_TABLES:
            return None
        tables.append(STAGING_TABLES[spec.table])
    counts = [sa.select(t.c.run_id, sa.func.count()).group_by(t.c.run_id).order_by(t.c.run_id) for t in tables]
    return tuple(tuple(map(tuple, conn.execute(q))) for q in counts)


def changed_records(records: pd.DataFrame, seen_staging_runs: set[int], crosswalk: pd.Index) -> np.ndarray:
    """Records to compare in an incremental run: staged by a run the previous linkage did not see, or new to
    the crosswalk."""
    return ~records["run_id"].isin(seen_staging_runs).to_numpy() | ~records.index.isin(crosswalk)


def plan_work(conn: Connection, settings: LinkageSettings, changed: np.ndarray | None, records: pd.DataFrame) -> Work:
    """Block `records`; keep the pairs touching a changed record (every pair when `changed` is None)."""
    keys = records.index.to_numpy(dtype=object)
    if changed is None:
        changed = np.ones(len(records), dtype=bool)
    prepared = prepare_records(records, settings)
    i, j, stats = candidate_pairs(prepared, settings)
    blocking = stats.as_dict()
    if not changed.all():
        keep = changed[i] | changed[j]
        i, j = i[keep], j[keep]
    blocking["compared_pairs"] = int(i.size)
    return Work(settings, records, prepared, keys, changed, i, j, blocking)


def save_work(conn: Connection, run_id: int, work: Work) -> None:
    """Store the run's record keys, changed flags and candidate pairs (compressed) under its id."""
    buf = io.BytesIO()
    keys = zlib.compress("\n".join(work.keys.tolist()).encode("utf-8"))
    np.savez_compressed(
        buf,
        keys=np.frombuffer(keys, dtype=np.uint8),
        changed=work.changed,
        i=work.i.astype(np.int64),
        j=work.j.astype(np.int64),
    )
    table = store.WORK
    conn.execute(table.delete().where(table.c.run_id == run_id))
    conn.execute(table.insert().values(run_id=run_id, created_at=utcnow(), payload=buf.getvalue()))


def load_work(conn: Connection, run_id: int, settings: LinkageSettings, staging_runs: list[int]) -> Work:
    """The work stored for run `run_id`, rebuilt on this process's records (pairs of vanished records dropped)."""
    table = store.WORK
    payload = conn.execute(sa.select(table.c.payload).where(table.c.run_id == run_id)).scalar()
    if payload is None:
        raise LookupError(f"linkage run {run_id} stored no work: it was run in one process, or not planned")
    with np.load(io.BytesIO(payload)) as data:
        planned = np.array(zlib.decompress(data["keys"].tobytes()).decode("utf-8").split("\n"), dtype=object)
        changed, i, j = data["changed"], data["i"], data["j"]
    if not len(planned) or planned[0] == "":
        planned, changed = np.empty(0, dtype=object), np.empty(0, dtype=bool)
    records = run_records(conn, settings, staging_runs)
    here = pd.Index(records.index).get_indexer(planned)  # planned position -> position now (-1: gone)
    present = here >= 0
    records = records.iloc[here[present]]
    new_pos = np.cumsum(present) - 1
    keep = present[i] & present[j]
    i, j = new_pos[i[keep]], new_pos[j[keep]]
    keys = records.index.to_numpy(dtype=object)
    prepared = prepare_records(records, settings)
    return Work(settings, records, prepared, keys, changed[present], i, j, {"compared_pairs": int(i.size)})
