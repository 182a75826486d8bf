"""The connector base: streams yield units of work; each unit is written with its sync state in one transaction.

A unit is what may be committed on its own: an HTTP page, a batch of database rows, a whole
snapshot file. A crash between units loses nothing (the state says where to resume) and a
crash inside one rolls it back whole; re-reading a committed unit finds its records unchanged.
What a unit refuses (a poison file, rows with a conflicting duplicate id) is quarantined in the
same transaction. After a sync, each stream tells reconciliation what its source holds
(`Stream.source_view`, connectors/reconcile.py).
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Literal

from sqlalchemy.engine import Engine

from connectors.raw_writer import RawWriter, Record, WriteCounts
from connectors.source_quarantine import Refusal, file_refusals, release_rows
from connectors.source_view import SourceView
from progress import Task, track
from warehouse.state import load_state, save_state

log = logging.getLogger(__name__)

Mode = Literal["incremental", "full_refresh", "backfill"]


@dataclass(frozen=True)
class SyncRequest:
    """How to sync: incremental from the stored state, a full refresh, or a backfill from a date."""

    mode: Mode = "incremental"
    since: datetime | None = None  # backfill start (aware)

    def __post_init__(self) -> None:
        if (self.mode == "backfill") != (self.since is not None):
            raise ValueError("a backfill needs `since`, and only a backfill takes it")
        if self.since is not None and self.since.tzinfo is None:
            raise ValueError("backfill `since` must carry a timezone offset")


@dataclass
class Unit:
    """A unit of work committed atomically with `state_after`."""

    records: Iterable[Record] = ()
    state_after: dict | None = None
    cursor_value: str | None = None
    pages: int = 1
    complete_set: bool = False  # the records are the whole collection: live records not among them are deleted
    seen_ids: Iterable[str] | None = None  # ids of the whole collection, when `records` holds only the changes
    note: str | None = None
    refused: list[Refusal] = field(default_factory=list)  # quarantined once `records` is read (the reader may add)


@dataclass
class StreamStats:
    system: str
    stream: str
    pages: int = 0
    counts: WriteCounts = field(default_factory=WriteCounts)
    retries: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    quarantined: int = 0  # files and rows refused by the connector and quarantined in this run

    def as_dict(self) -> dict:
        c = self.counts
        return {
            "system": self.system,
            "stream": self.stream,
            "pages": self.pages,
            "received": c.received,
            "new": c.new,
            "changed": c.changed,
            "unchanged": c.unchanged,
            "deleted": c.deleted,
            "quarantined": self.quarantined,
            "retries": self.retries,
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
        }


class Stream(ABC):
    """One source collection: its key, its cursor, and how to read it from a stored state."""

    system: str
    name: str
    primary_key: str
    cursor_field: str | None

    @abstractmethod
    def units(self, state: dict | None, request: SyncRequest) -> Iterator[Unit]:
        """Yield units of work from `state` (None: from the beginning)."""

    @abstractmethod
    def source_view(self, state: dict | None) -> SourceView:
        """What the source holds now, given the committed `state`; after `units` ran, what this run received."""

    def retries(self) -> int:
        return 0


WRITE_BATCH = 2000


def _batched(items: Iterable[Record], size: int) -> Iterator[list[Record]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


CrashHook = Callable[[str, int], None]
"""Test hook called as hook(point, unit_number) at 'before_commit' and 'after_commit'."""


def run_stream(
    engine: Engine,
    stream: Stream,
    run_id: int,
    request: SyncRequest = SyncRequest(),
    crash_hook: CrashHook | None = None,
) -> StreamStats:
    """Sync one stream: each unit and its state in one transaction (progress: records and pages per unit)."""
    with track(f"sync {stream.system}.{stream.name}", unit="records") as progress:
        return _run_stream(engine, stream, run_id, request, crash_hook, progress)


def _run_stream(
    engine: Engine, stream: Stream, run_id: int, request: SyncRequest, crash_hook: CrashHook | None, progress: Task
) -> StreamStats:
    stats = StreamStats(stream.system, stream.name)
    started = time.monotonic()
    with engine.connect() as conn:
        state = None if request.mode != "incremental" else load_state(conn, stream.system, stream.name)
    for number, unit in enumerate(stream.units(state, request), start=1):
        with engine.begin() as conn:
            writer = RawWriter(conn, stream.system, stream.name, run_id)
            for chunk in _batched(unit.records, WRITE_BATCH):
                stats.counts.add(writer.apply(chunk))
                if unit.complete_set:
                    writer.mark_seen({r.source_id for r in chunk})
            if unit.seen_ids is not None:
                writer.mark_seen(unit.seen_ids)
            if unit.complete_set:  # the whole collection: row entries of an earlier file are settled
                release_rows(
                    conn, stream.system, stream.name, run_id, {r.source_id for r in unit.refused if r.source_id}
                )
            stats.quarantined += file_refusals(conn, stream.system, stream.name, run_id, unit.refused)
            if unit.complete_set or unit.seen_ids is not None:
                stats.counts.deleted += writer.delete_unseen(unit.cursor_value)
            if unit.state_after is not None:
                save_state(conn, stream.system, stream.name, unit.state_after, unit.cursor_value, run_id)
            if crash_hook:
                crash_hook("before_commit", number)
        if crash_hook:
            crash_hook("after_commit", number)
        stats.pages += unit.pages
        if unit.note:
            stats.notes.append(unit.note)
        progress.update(
            completed=stats.counts.received, detail=f"{stats.pages:,} page{'s' if stats.pages != 1 else ''}"
        )
    stats.retries = stream.retries()
    stats.seconds = time.monotonic() - started
    log.info("synced %s.%s: %s", stream.system, stream.name, stats.as_dict())
    return stats
