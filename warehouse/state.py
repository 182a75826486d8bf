"""Per-stream run state in `sync_state`: where a sync or a stage stopped, written in the caller's transaction.

Shared by the connectors (the source cursor of each stream) and the stage step (the raw-id
watermark of each raw stream), so neither layer imports the other to keep its place.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import SyncState
from warehouse.types import utcnow


def load_state(conn: Connection, system: str, stream: str) -> dict | None:
    row = conn.execute(sa.select(SyncState.state).where(SyncState.system == system, SyncState.stream == stream)).first()
    return row.state if row else None


def save_state(
    conn: Connection, system: str, stream: str, state: dict | None, cursor_value: str | None, run_id: int
) -> None:
    values = {"state": state, "cursor_value": cursor_value, "run_id": run_id, "updated_at": utcnow()}
    updated = conn.execute(
        sa.update(SyncState).where(SyncState.system == system, SyncState.stream == stream).values(**values)
    ).rowcount
    if not updated:
        conn.execute(sa.insert(SyncState).values(system=system, stream=stream, **values))
