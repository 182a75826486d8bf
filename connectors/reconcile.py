"""Reconciliation: what each source holds against the raw layer, after every sync and on demand (`fase reconcile`).

Whatever the cause of a loss (a connector bug, a row deleted behind the hub's back, a source that
back-dates a change), a record the source holds that the raw layer does not is found here and fails
the run loudly, naming the system, the stream and the first missing ids. Per stream the figures are:

- `source`: records the source holds (live ones; for POLIS without a mismatch, its `count`);
- `raw`: live current records of the raw table;
- `missing`: in the source, due (see connectors/source_view.py), absent from the raw layer and not held
  back by the connector in quarantine: a loss; `first_missing` names up to ten;
- `extra`: live in the raw layer, not in the source (a purge the hub has not seen): reported, not a loss;
- `pending`: in the source, not due yet (written after the sync's watermark): the next sync takes them;
- `quarantined`: in the source, held back by an open quarantine entry of the connector (a conflicting
  duplicate row).

Ids are compared in chunks: each chunk of source ids is looked up among the raw table's current
versions, so the raw side is never loaded whole, and the SQL sources stream their ids through a
server-side cursor. Listings that may repeat an id (a snapshot with duplicate rows, an HTTP walk
whose pages shift) are de-duplicated on ids alone. No payload is kept on either side.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from configuration import HubConfig
from connectors.base import Stream
from connectors.catalog import build_streams, check_system
from connectors.source_quarantine import open_row_ids
from connectors.source_view import CountThenListing, IdListing, ReceivedRecords, SourceView, Unavailable
from warehouse.models import RAW_TABLES
from warehouse.runs import lock_scope, recorded_run
from warehouse.state import load_state

FIRST_MISSING = 10
CHUNK = 1000


class ReconciliationError(RuntimeError):
    """Records the source holds are missing from the raw layer; `summary` holds every stream's figures."""

    def __init__(self, system: str, summary: dict):
        self.system, self.summary = system, summary
        losses = [
            f"{system}.{s['stream']}: {r['missing']} record(s) missing from the raw layer "
            f"(first: {', '.join(r['first_missing'])})"
            for s in summary["streams"]
            if (r := s.get("reconciliation")) and r["missing"]
        ]
        super().__init__(
            "reconciliation failed: " + "; ".join(losses) + f"; `fase sync {system} --full-refresh` reloads them"
        )


def _batched(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _figures(method: str, **values) -> dict:
    figures: dict = {
        "method": method,
        "source": None,
        "raw": None,
        "missing": 0,
        "extra": None,
        "pending": 0,
        "quarantined": 0,
        "first_missing": [],
    }
    figures.update(values)
    return figures


def _raw_live(conn: Connection, table: sa.Table) -> int:
    return conn.execute(
        sa.select(sa.func.count()).select_from(table).where(table.c.is_current, sa.not_(table.c.deleted))
    ).scalar_one()


def compare_ids(conn: Connection, table: sa.Table, listing: IdListing, held: set[str]) -> dict:
    """The figures of an id listing against the raw table's live current records."""
    source = matched = missing = pending = quarantined = 0
    first: list[str] = []
    for chunk in _batched(listing.entries, CHUNK):
        live = [sid for sid, is_live, _ in chunk if is_live]
        found = set(
            conn.execute(
                sa.select(table.c.source_id).where(
                    table.c.is_current, sa.not_(table.c.deleted), table.c.source_id.in_(live)
                )
            ).scalars()
        )
        source, matched = source + len(live), matched + len(found)
        for sid, is_live, due in chunk:
            if not is_live or sid in found:
                continue
            if sid in held:
                quarantined += 1
            elif due:
                missing += 1
                if len(first) < FIRST_MISSING:
                    first.append(sid)
            else:
                pending += 1
    raw = _raw_live(conn, table)
    return _figures(
        listing.method,
        source=source,
        raw=raw,
        missing=missing,
        extra=raw - matched,
        pending=pending,
        quarantined=quarantined,
        first_missing=first,
    )


def compare_received(conn: Connection, table: sa.Table, received: ReceivedRecords) -> dict:
    """The figures of the records a run received: each must be the current raw version (same hash, same flag)."""
    missing, first = 0, []  # type: tuple[int, list[str]]
    for chunk in _batched(received.records.items(), CHUNK):
        current = {
            r.source_id: (r.content_hash, r.deleted)
            for r in conn.execute(
                sa.select(table.c.source_id, table.c.content_hash, table.c.deleted).where(
                    table.c.is_current, table.c.source_id.in_([sid for sid, _ in chunk])
                )
            )
        }
        for sid, version in chunk:
            if current.get(sid) != version:
                missing += 1
                if len(first) < FIRST_MISSING:
                    first.append(sid)
    return _figures(
        received.method, source=len(received.records), raw=_raw_live(conn, table), missing=missing, first_missing=first
    )


def reconcile_stream(engine: Engine, stream: Stream) -> dict:
    """The reconciliation figures of one stream, from its committed state and what its source holds."""
    table = RAW_TABLES[(stream.system, stream.name)]
    with engine.connect() as conn:
        state = load_state(conn, stream.system, stream.name)
    view: SourceView = stream.source_view(state)
    with engine.connect() as conn:
        held = open_row_ids(conn, stream.system, stream.name)
        if isinstance(view, Unavailable):
            return _figures(view.method, raw=_raw_live(conn, table), note=view.reason)
        if isinstance(view, ReceivedRecords):
            return compare_received(conn, table, view)
        if isinstance(view, CountThenListing):
            raw = _raw_live(conn, table)
            if view.count == raw:
                return _figures(view.method, source=view.count, raw=raw, extra=0)
            figures = compare_ids(conn, table, view.listing(), held)
            figures.update(method=f"{view.method} ({view.count}), then {figures['method']}", count=view.count)
            return figures
        return compare_ids(conn, table, view, held)


def reconcile_streams(engine: Engine, streams: list[Stream]) -> list[dict]:
    """The figures of each stream, in order."""
    return [reconcile_stream(engine, stream) for stream in streams]


def raise_on_missing(system: str, summary: dict) -> None:
    """ReconciliationError when any stream of the summary has missing records."""
    if any((s.get("reconciliation") or {}).get("missing") for s in summary["streams"]):
        raise ReconciliationError(system, summary)


def reconcile_system(cfg: HubConfig, engine: Engine, system: str, *, trigger: str = "cli", **client_kwargs) -> dict:
    """Reconcile every stream of `system` as a recorded run (step `reconcile`); returns the run summary.

    Raises ReconciliationError (the run is recorded as failed, with the figures) when records are missing."""
    check_system(system)
    # the sync's lock: the source and the raw layer are compared while no sync of the system writes
    with recorded_run(engine, "reconcile", system, trigger=trigger, scope=lock_scope("sync", system)) as summary:
        streams = build_streams(cfg, system, **client_kwargs)
        summary["streams"] = [
            {"system": system, "stream": stream.name, "reconciliation": figures}
            for stream, figures in zip(streams, reconcile_streams(engine, streams))
        ]
        raise_on_missing(system, summary)
    return summary
