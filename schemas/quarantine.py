"""The quarantine: failing record versions with their failed rules in words, released when superseded.

`quarantine_failures` files the failing current versions of a batch (once per raw version: a re-run
adds nothing) and `release_superseded` closes the open entries of records whose current version is
another one (it passed, was deleted, or failed anew and has its own entry). `open_entry_ids` gives the
entry of each failing version (staging rows kept from a record's last valid version point to it);
`open_entries` lists them, with the files and rows the connectors refused before anything reached the
raw layer (kinds `file` and `row`, filed and released by the connectors themselves; the functions here
leave them alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import Quarantine, table_of
from warehouse.types import utcnow

if TYPE_CHECKING:  # frames are passed in by the stage step; `fase quarantine list` need not load pandas
    import pandas as pd

IN_CHUNK = 500
Q = table_of(Quarantine)


def _open(system: str, stream: str) -> sa.ColumnElement:
    return sa.and_(Q.c.system == system, Q.c.stream == stream, Q.c.kind == "record", Q.c.released_run_id.is_(None))


def open_entry_ids(conn: Connection, system: str, stream: str, ids: list[str]) -> dict[tuple[str, int], int]:
    """(source_id, raw_id) -> quarantine_id of the open entries of the given records."""
    found: dict[tuple[str, int], int] = {}
    for i in range(0, len(ids), IN_CHUNK):
        for sid, raw_id, qid in conn.execute(
            sa.select(Q.c.source_id, Q.c.raw_id, Q.c.quarantine_id).where(
                _open(system, stream), Q.c.source_id.in_(ids[i : i + IN_CHUNK])
            )
        ):
            found[(sid, raw_id)] = qid
    return found


def open_raw_ids(conn: Connection, system: str, stream: str, ids: list[str]) -> dict[str, set[int]]:
    """source_id -> raw_ids of its open entries, for the given ids."""
    found: dict[str, set[int]] = {}
    for sid, raw_id in open_entry_ids(conn, system, stream, ids):
        found.setdefault(sid, set()).add(raw_id)
    return found


def release_superseded(conn: Connection, system: str, stream: str, current: pd.DataFrame, run_id: int) -> int:
    """Close open entries whose raw version is no longer the record's current one; returns how many."""
    ids = sorted(set(current["source_id"]))
    current_raw = dict(zip(current["source_id"], current["raw_id"]))
    superseded = [
        (sid, raw_id)
        for sid, raws in open_raw_ids(conn, system, stream, ids).items()
        for raw_id in raws
        if raw_id != current_raw[sid]
    ]
    for i in range(0, len(superseded), IN_CHUNK):
        conn.execute(
            sa.update(Q)
            .where(_open(system, stream), sa.tuple_(Q.c.source_id, Q.c.raw_id).in_(superseded[i : i + IN_CHUNK]))
            .values(released_run_id=run_id)
        )
    return len(superseded)


def quarantine_failures(
    conn: Connection, system: str, stream: str, failing: pd.DataFrame, rules: Iterable[list[str]], run_id: int
) -> int:
    """File each failing current version (columns source_id, raw_id, payload) unless already open.

    Returns the number of new entries."""
    already = open_raw_ids(conn, system, stream, sorted(set(failing["source_id"])))
    now = utcnow()
    rows = [
        {
            "run_id": run_id,
            "system": system,
            "stream": stream,
            "source_id": sid,
            "raw_id": int(raw_id),
            "rules": list(why),
            "payload": payload,
            "quarantined_at": now,
        }
        for sid, raw_id, payload, why in zip(failing["source_id"], failing["raw_id"], failing["payload"], rules)
        if raw_id not in already.get(sid, ())
    ]
    if rows:
        conn.execute(sa.insert(Q), rows)
    return len(rows)


def open_entries(conn: Connection, system: str | None = None, limit: int = 50) -> list[dict]:
    """Open quarantine entries, newest first: kind, system, stream, source_id, raw_id, rules, run_id,
    quarantined_at, and for refused files and rows file_name, line, sha256."""
    q = (
        sa.select(
            Q.c.kind,
            Q.c.system,
            Q.c.stream,
            Q.c.source_id,
            Q.c.raw_id,
            Q.c.rules,
            Q.c.run_id,
            Q.c.quarantined_at,
            Q.c.file_name,
            Q.c.line,
            Q.c.sha256,
        )
        .where(Q.c.released_run_id.is_(None))
        .order_by(Q.c.quarantine_id.desc())
        .limit(limit)
    )
    if system:
        q = q.where(Q.c.system == system)
    return [dict(r) for r in conn.execute(q).mappings()]
