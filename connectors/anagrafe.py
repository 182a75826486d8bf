"""Anagrafe connector: nightly full-snapshot CSV files (latin-1, `;`, CRLF, `#EOF;<n>` trailer) in a drop folder.

A snapshot is loaded at most once, whole, in one transaction, and only when its trailer is present
and its count matches; otherwise it is left for the next run. Snapshots are diffed against the
raw layer: new and changed rows add versions, people missing from tonight's file are purged
(a deleted version).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from configuration import HubConfig
from connectors.base import Stream, SyncRequest, Unit
from connectors.http import SourceError
from connectors.raw_writer import Record

FILE_RE = re.compile(r"^ANAGRAFE_RESIDENTI_(\d{8})\.csv$")
TRAILER_RE = re.compile(r"^#EOF;(\d+)$")
ENCODING = "latin-1"
KEY = "ID_INDIVIDUO"


@dataclass(frozen=True)
class SnapshotCheck:
    path: Path
    snapshot: date
    complete: bool
    rows: int
    reason: str | None
    sha256: str


def snapshot_files(folder: Path) -> list[tuple[date, Path]]:
    found = []
    for path in folder.iterdir() if folder.exists() else ():
        m = FILE_RE.match(path.name)
        if m:
            found.append((datetime.strptime(m.group(1), "%Y%m%d").date(), path))
    return sorted(found)


def check_snapshot(path: Path, snapshot: date) -> SnapshotCheck:
    """Stream the file once: count data rows, find the trailer, hash the bytes."""
    digest, rows, last = hashlib.sha256(), 0, None
    with path.open("rb") as fh:
        for line in fh:
            digest.update(line)
            if last is not None:
                rows += 1
            last = line
    rows -= 1 if rows else 0  # the header is not a data row
    text = (last or b"").decode(ENCODING).rstrip("\r\n")
    m = TRAILER_RE.match(text)
    if not m:
        return SnapshotCheck(
            path, snapshot, False, rows, "no trailer: still being written or truncated", digest.hexdigest()
        )
    if int(m.group(1)) != rows:
        return SnapshotCheck(
            path, snapshot, False, rows, f"trailer says {m.group(1)} rows, file has {rows}", digest.hexdigest()
        )
    return SnapshotCheck(path, snapshot, True, rows, None, digest.hexdigest())


def newer_complete_snapshot(folder: Path, loaded: str | None) -> SnapshotCheck | None:
    """The newest complete snapshot dated after `loaded` (ISO date of the last loaded one), if any.

    What the Airflow sensor waits for: a file still being written (no trailer) or truncated
    (count mismatch) does not count.
    """
    for snapshot, path in reversed(snapshot_files(Path(folder))):
        if loaded and snapshot.isoformat() <= loaded:
            return None
        check = check_snapshot(path, snapshot)
        if check.complete:
            return check
    return None


def read_snapshot(check: SnapshotCheck) -> Iterator[Record]:
    with check.path.open("r", encoding=ENCODING, newline="") as fh:
        reader = csv.reader(fh, delimiter=";", quotechar='"')
        header = next(reader)
        if KEY not in header:
            raise SourceError("anagrafe", f"{check.path.name}: header has no {KEY} column: {header}")
        for n, row in enumerate(reader, start=2):
            if row and row[0] == "#EOF":
                return
            if len(row) != len(header):
                raise SourceError(
                    "anagrafe", f"{check.path.name} line {n}: {len(row)} fields, header has {len(header)}"
                )
            payload = dict(zip(header, row))
            yield Record(payload[KEY], payload, check.path.name)


class AnagrafeStream(Stream):
    system = "anagrafe"
    name = "residenti"
    primary_key = KEY
    cursor_field = None

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def units(self, state: dict | None, request: SyncRequest) -> Iterator[Unit]:
        last = (state or {}).get("snapshot")
        files = snapshot_files(self.folder)
        if request.mode == "full_refresh":  # reload the newest complete snapshot, whatever was loaded before
            newest = (c for c in (check_snapshot(p, d) for d, p in reversed(files)) if c.complete)
            checks = [c for c in [next(newest, None)] if c]
        else:
            if request.mode == "backfill":
                files = [(d, p) for d, p in files if d >= request.since.date()]
            elif last:
                files = [(d, p) for d, p in files if d.isoformat() > last]
            checks = [check_snapshot(p, d) for d, p in files]
        for check in checks:
            if not check.complete:
                yield Unit(pages=0, note=f"{check.path.name} not loaded: {check.reason}; retry later")
                continue
            yield Unit(
                records=read_snapshot(check),
                complete_set=True,
                cursor_value=check.path.name,
                state_after={
                    "snapshot": check.snapshot.isoformat(),
                    "file": check.path.name,
                    "rows": check.rows,
                    "sha256": check.sha256,
                },
                note=f"{check.path.name} loaded ({check.rows} rows)",
            )


def streams(cfg: HubConfig, **_) -> list[Stream]:
    return [AnagrafeStream(cfg.sources.anagrafe.folder)]
