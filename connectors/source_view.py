"""What a source holds for one stream, in the form reconciliation compares with the raw layer (connectors/reconcile.py).

Each stream describes its source in the one form it can give truthfully and without holding payloads:
- `IdListing`: every id the source holds, streamed as (id, live, due). `live` is false for a tombstone;
  `due` is true when the record is old enough that the raw layer must already hold it (its cursor at or
  before the committed watermark, less the stream's re-read window). An id absent from the raw layer that
  is not yet due is "pending": the next sync takes it.
- `CountThenListing`: the source's record count, and the listing to walk only when the count differs (POLIS).
- `ReceivedRecords`: the records this run received (id -> content hash, tombstone), each of which must now
  be the current raw version (an incremental SAT sync: SAT offers no id listing short of reading everything).
- `Unavailable`: nothing to compare with, and why (an anagrafe snapshot no longer in the drop folder).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class IdListing:
    method: str
    entries: Iterable[tuple[str, bool, bool]]  # (source id, live, due); each id once


@dataclass(frozen=True)
class CountThenListing:
    method: str
    count: int
    listing: Callable[[], IdListing]


@dataclass(frozen=True)
class ReceivedRecords:
    method: str
    records: Mapping[str, tuple[str, bool]]  # source id -> (content hash, tombstone) of its last version received


@dataclass(frozen=True)
class Unavailable:
    method: str
    reason: str


SourceView = IdListing | CountThenListing | ReceivedRecords | Unavailable
