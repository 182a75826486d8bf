"""Quarantine of what a connector refuses before it reaches the raw layer: whole source files and single rows.

A `Refusal` of kind `file` is a source file that cannot be read whole (a poison anagrafe snapshot):
only its name, the line, the reason and its sha256 are kept, never its content. A `Refusal` of kind
`row` is one row refused on its own (an id repeated with different content): its id and the row as
read are kept. `file_refusals` files them in the caller's transaction, each at most once while open;
`release_rows` closes the row entries a later complete snapshot has made moot; `open_row_ids` tells
reconciliation which source ids are accounted for by an open row entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import Quarantine, table_of
from warehouse.types import utcnow

Q = table_of(Quarantine)


@dataclass(frozen=True)
class Refusal:
    """A source file refused whole, or one source row refused on its own."""

    kind: Literal["file", "row"]
    file_name: str
    reason: str
    sha256: str | None
    line: int | None = None
    source_id: str | None = None
    payload: dict = field(default_factory=dict)  # a row as read; empty for a file (its content is never copied)


def _open(system: str, stream: str, kind: str) -> sa.ColumnElement:
    return sa.and_(Q.c.system == system, Q.c.stream == stream, Q.c.kind == kind, Q.c.released_run_id.is_(None))


def file_refusals(conn: Connection, system: str, stream: str, run_id: int, refusals: Iterable[Refusal]) -> int:
    """File each refusal unless the same one (kind, file, sha256, line, id) is open already; returns how many."""
    refusals = list(refusals)
    if not refusals:
        return 0
    names = sorted({r.file_name for r in refusals})
    already = {
        tuple(row)
        for row in conn.execute(
            sa.select(Q.c.kind, Q.c.file_name, Q.c.sha256, Q.c.line, Q.c.source_id).where(
                Q.c.system == system, Q.c.stream == stream, Q.c.released_run_id.is_(None), Q.c.file_name.in_(names)
            )
        )
    }
    now, rows = utcnow(), []
    for r in refusals:
        key = (r.kind, r.file_name, r.sha256, r.line, r.source_id)
        if key in already:
            continue
        already.add(key)
        rows.append(
            {
                "run_id": run_id,
                "system": system,
                "stream": stream,
                "kind": r.kind,
                "source_id": r.source_id,
                "raw_id": None,
                "file_name": r.file_name,
                "line": r.line,
                "sha256": r.sha256,
                "rules": [r.reason],
                "payload": r.payload,
                "quarantined_at": now,
            }
        )
    if rows:
        conn.execute(sa.insert(Q), rows)
    return len(rows)


def release_rows(conn: Connection, system: str, stream: str, run_id: int, keep: set[str]) -> int:
    """Close the open row entries of a stream whose id is not in `keep` (a complete snapshot settled them)."""
    q = sa.update(Q).where(_open(system, stream, "row"))
    if keep:
        q = q.where(Q.c.source_id.not_in(sorted(keep)))
    return conn.execute(q.values(released_run_id=run_id)).rowcount


def open_row_ids(conn: Connection, system: str, stream: str) -> set[str]:
    """Source ids with an open row entry: held back by the connector, so not expected in the raw layer."""
    return set(conn.execute(sa.select(Q.c.source_id).where(_open(system, stream, "row"))).scalars())
