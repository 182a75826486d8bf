"""Writes source records into a versioned raw table: new / changed / unchanged / deleted, by content hash.

Payloads are stored as the source sent them, on every dialect. PostgreSQL's JSONB refuses the NUL
character ("unsupported Unicode escape sequence") and lone UTF-16 surrogates, which SQLite and the
sources accept; the payload column (`warehouse.types.LosslessJSON`) therefore escapes, on PostgreSQL
only, every string (key or value) holding one of them or starting with the mark U+FDD0 (a Unicode
noncharacter): it becomes U+FDD0 followed by the text with each backslash doubled and each such
character written `\\uXXXX`. Reading reverses it exactly (`warehouse.types.escape_text` /
`unescape_text`), so every reader gets back what was written; all other strings are stored as they are.
The content hash is always the hash of the payload as the source sent it, before any escaping.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import RAW_TABLES, sync_seen
from warehouse.types import utcnow

CHUNK = 500
T = TypeVar("T")


def content_hash(payload: dict) -> str:
    """SHA-256 of the canonical JSON of a payload (sorted keys, no whitespace; a lone surrogate a JSON source
    may send is hashed as its UTF-8-style bytes rather than refused)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Record:
    """One record as received: its source id, payload, the source's cursor value, and whether it is a tombstone."""

    source_id: str
    payload: dict
    cursor: str | None = None
    tombstone: bool = False


@dataclass
class WriteCounts:
    received: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0

    def add(self, other: WriteCounts) -> None:
        for k in ("received", "new", "changed", "unchanged", "deleted"):
            setattr(self, k, getattr(self, k) + getattr(other, k))


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class RawWriter:
    """Applies batches to raw_<system>_<stream> inside the caller's transaction."""

    conn: Connection
    system: str
    stream: str
    run_id: int
    extracted_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        self.table = RAW_TABLES[(self.system, self.stream)]

    def _current(self, ids: list[str]) -> dict[str, tuple[int, str, bool]]:
        t = self.table
        found: dict[str, tuple[int, str, bool]] = {}
        for chunk in _chunks(ids):
            rows = self.conn.execute(
                sa.select(t.c.source_id, t.c.version, t.c.content_hash, t.c.deleted).where(
                    t.c.is_current, t.c.source_id.in_(chunk)
                )
            )
            found.update({r.source_id: (r.version, r.content_hash, r.deleted) for r in rows})
        return found

    def apply(self, records: Iterable[Record]) -> WriteCounts:
        """Write one batch; a source id repeated in the batch counts once (the last occurrence wins)."""
        counts = WriteCounts()
        latest: dict[str, Record] = {}
        for rec in records:
            counts.received += 1
            latest[rec.source_id] = rec
        current = self._current(list(latest))
        inserts, retire = [], []
        for sid, rec in latest.items():
            digest = content_hash(rec.payload)
            prev = current.get(sid)
            if prev is None:
                change = "deleted" if rec.tombstone else "new"
            elif prev[1] == digest and prev[2] == rec.tombstone:
                counts.unchanged += 1
                continue
            elif rec.tombstone:
                change = "deleted"
            else:
                change = "restored" if prev[2] else "changed"
            counts.new += change == "new"
            counts.changed += change in ("changed", "restored")
            counts.deleted += change == "deleted"
            if prev is not None:
                retire.append(sid)
            inserts.append(
                self._row(sid, (prev[0] + 1) if prev else 1, rec.tombstone, change, rec.payload, digest, rec.cursor)
            )
        self._retire(retire)
        if inserts:
            self.conn.execute(sa.insert(self.table), inserts)
        # ids received more than once in the batch are unchanged repeats of themselves
        counts.unchanged += counts.received - len(latest)
        return counts

    def _row(self, sid, version, deleted, change, payload, digest, cursor) -> dict:
        return {
            "source_id": sid,
            "version": version,
            "is_current": True,
            "deleted": deleted,
            "change": change,
            "payload": payload,
            "content_hash": digest,
            "source_cursor": cursor,
            "run_id": self.run_id,
            "extracted_at": self.extracted_at,
        }

    def _retire(self, ids: list[str]) -> None:
        t = self.table
        for chunk in _chunks(ids):
            self.conn.execute(sa.update(t).where(t.c.is_current, t.c.source_id.in_(chunk)).values(is_current=False))

    # -- deletions found by reconciling id sets (snapshots, hard deletes) ---------------------------------------

    def mark_seen(self, ids: Iterable[str]) -> int:
        n = 0
        batch: list[dict] = []
        for sid in ids:
            batch.append({"run_id": self.run_id, "system": self.system, "stream": self.stream, "source_id": sid})
            if len(batch) >= CHUNK * 4:
                n += self._insert_seen(batch)
                batch = []
        return n + self._insert_seen(batch)

    def _insert_seen(self, batch: list[dict]) -> int:
        if batch:
            self.conn.execute(sa.insert(sync_seen), batch)
        return len(batch)

    def delete_unseen(self, cursor: str | None = None) -> int:
        """Add a deleted version for every current, live record whose id was not marked seen; clear the marks."""
        t, s = self.table, sync_seen
        seen = sa.select(s.c.source_id).where(
            s.c.run_id == self.run_id, s.c.system == self.system, s.c.stream == self.stream
        )
        gone = self.conn.execute(
            sa.select(t.c.source_id, t.c.version, t.c.payload, t.c.content_hash).where(
                t.c.is_current, sa.not_(t.c.deleted), t.c.source_id.not_in(seen)
            )
        ).all()
        for chunk in _chunks(gone):
            self._retire([r.source_id for r in chunk])
            self.conn.execute(
                sa.insert(t),
                [
                    self._row(r.source_id, r.version + 1, True, "deleted", r.payload, r.content_hash, cursor)
                    for r in chunk
                ],
            )
        self.conn.execute(
            sa.delete(s).where(s.c.run_id == self.run_id, s.c.system == self.system, s.c.stream == self.stream)
        )
        return len(gone)
