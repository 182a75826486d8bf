"""Anagrafe connector: nightly full-snapshot CSV files (latin-1, `;`, CRLF, `#EOF;<n>` trailer) in a drop folder.

A snapshot is loaded at most once, whole, in one transaction, and only when its trailer is present
and its count matches; otherwise it is left for the next run (as is a file that cannot be opened:
it may still be being copied). Snapshots are diffed against the raw layer: new and changed rows
add versions, people missing from tonight's file are purged (a deleted version).

Encoding. The contract says latin-1, but a drop has come in UTF-8, and read as latin-1 it loaded
garbled (NICOLÒ became "NICOLÃ" plus a C1 control). The encoding is detected from the bytes while
the file is hashed, and the file is read correctly rather than refused: a file whose non-ASCII lines
all decode as strict UTF-8 is read as UTF-8 (a byte-order mark is dropped); otherwise it is latin-1,
unless it holds bytes 0x80-0x9F, C1 control characters in latin-1 that a registry export never
contains (a Windows-1252 apostrophe, a binary file): such a file is neither, and is quarantined.
Reading UTF-8 is safe because latin-1 registry text is essentially never valid UTF-8: an accented
capital (0xC0-0xDD) would have to be followed by a byte in 0x80-0xBF, a C1 control or a symbol
(¡ to ¿) in latin-1, never the letter of a name; refusing such a file would stop the registry feed
for a formality while its content is unambiguous.

Poison files. A file that cannot be read whole (neither encoding, no ID_INDIVIDUO column, a field
over the csv limit of 128 KiB, a row with the wrong number of fields) is checked before anything of
it is written, quarantined whole (file, line, reason, sha256: `fase quarantine list`), remembered in
the stream state so it is not read again, and later snapshots load as usual.

Duplicate ids. An id on several identical rows counts once. An id on rows with different content is
never settled by picking one: its rows are quarantined (kind `row`), its previous raw version stays
current (the id counts as seen, so it is not purged), and the stream's figures count those rows.
The next complete snapshot settles the entries (released), whatever it holds.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from configuration import HubConfig
from connectors.base import Stream, SyncRequest, Unit
from connectors.http import SourceError
from connectors.raw_writer import Record
from connectors.source_quarantine import Refusal
from connectors.source_view import IdListing, SourceView, Unavailable

FILE_RE = re.compile(r"^ANAGRAFE_RESIDENTI_(\d{8})\.csv$")
TRAILER_RE = re.compile(r"^#EOF;(\d+)$")
ENCODING = "latin-1"
KEY = "ID_INDIVIDUO"
C1_BYTES = re.compile(rb"[\x80-\x9f]")
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class SnapshotCheck:
    path: Path
    snapshot: date
    complete: bool
    rows: int
    reason: str | None
    sha256: str
    encoding: str = ENCODING  # how to read it: latin-1, utf-8 or utf-8-sig
    encoding_problem: tuple[int, str] | None = None  # (line, reason) when it is neither UTF-8 nor latin-1


@dataclass
class SnapshotScan:
    """What a full parse of a complete snapshot found: the first problem that refuses it, or its duplicate ids."""

    rows: int = 0
    problem: tuple[int, str] | None = None  # (line, reason)
    conflicts: set[str] = field(default_factory=set)  # ids on rows with different content
    repeats: set[str] = field(default_factory=set)  # ids on several identical rows


def snapshot_files(folder: Path) -> list[tuple[date, Path]]:
    found = []
    for path in folder.iterdir() if folder.exists() else ():
        m = FILE_RE.match(path.name)
        if m:
            found.append((datetime.strptime(m.group(1), "%Y%m%d").date(), path))
    return sorted(found)


class _EncodingSniffer:
    """Fed the lines of a file, tells its encoding (see the module docstring)."""

    def __init__(self) -> None:
        self.non_ascii = self.bom = False
        self.utf8 = True
        self.c1_line: int | None = None
        self.c1_byte = 0

    def feed(self, number: int, line: bytes) -> None:
        if number == 1 and line.startswith(UTF8_BOM):
            self.bom = True
        if line.isascii():
            return
        self.non_ascii = True
        if self.utf8:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                self.utf8 = False
        if self.c1_line is None and (m := C1_BYTES.search(line)):
            self.c1_line, self.c1_byte = number, m.group()[0]

    def verdict(self) -> tuple[str, tuple[int, str] | None]:
        if self.utf8 and (self.non_ascii or self.bom):
            return ("utf-8-sig" if self.bom else "utf-8"), None
        if self.c1_line is None:
            return ENCODING, None
        return ENCODING, (
            self.c1_line,
            f"neither UTF-8 nor latin-1: byte 0x{self.c1_byte:02X} is not valid UTF-8 here and is a C1 control "
            "character in latin-1 (a Windows-1252 or binary file?)",
        )


def check_snapshot(path: Path, snapshot: date) -> SnapshotCheck:
    """Stream the file once: count data rows, find the trailer, hash the bytes, tell the encoding.

    A file that cannot be opened is not complete (it may still be being copied): retried later."""
    digest, rows, last, sniffer = hashlib.sha256(), 0, None, _EncodingSniffer()
    try:
        with path.open("rb") as fh:
            for number, line in enumerate(fh, start=1):
                digest.update(line)
                sniffer.feed(number, line)
                if last is not None:
                    rows += 1
                last = line
    except OSError as exc:
        return SnapshotCheck(path, snapshot, False, 0, f"cannot be read ({exc.strerror})", "")
    rows -= 1 if rows else 0  # the header is not a data row
    encoding, problem = sniffer.verdict()
    text = (last or b"").decode(ENCODING).rstrip("\r\n")
    m = TRAILER_RE.match(text)
    if not m:
        reason = "no trailer: still being written or truncated"
        return SnapshotCheck(path, snapshot, False, rows, reason, digest.hexdigest(), encoding, problem)
    if int(m.group(1)) != rows:
        reason = f"trailer says {m.group(1)} rows, file has {rows}"
        return SnapshotCheck(path, snapshot, False, rows, reason, digest.hexdigest(), encoding, problem)
    return SnapshotCheck(path, snapshot, True, rows, None, digest.hexdigest(), encoding, problem)


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


class UnreadableSnapshot(SourceError):
    """A complete snapshot that cannot be read whole: the line and the reason."""

    def __init__(self, file_name: str, line: int, reason: str):
        super().__init__("anagrafe", f"{file_name} line {line}: {reason}")
        self.line, self.reason = line, reason


def _rows(check: SnapshotCheck) -> Iterator[tuple[int, list[str], list[str]]]:
    """(line, header, row) of every data row; UnreadableSnapshot on the first row that cannot be read."""
    name = check.path.name
    with check.path.open("r", encoding=check.encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=";", quotechar='"')
        try:
            header = next(reader)
            if KEY not in header:
                raise UnreadableSnapshot(name, 1, f"header has no {KEY} column")
            for row in reader:
                if row and row[0] == "#EOF":
                    return
                if len(row) != len(header):
                    raise UnreadableSnapshot(name, reader.line_num, f"{len(row)} fields, header has {len(header)}")
                yield reader.line_num, header, row
        except csv.Error as exc:
            raise UnreadableSnapshot(name, reader.line_num, str(exc)) from None
        except UnicodeDecodeError as exc:
            raise UnreadableSnapshot(name, reader.line_num + 1, f"not {check.encoding}: {exc.reason}") from None


def read_snapshot(check: SnapshotCheck) -> Iterator[Record]:
    """Every data row as a record, in file order (repeated ids included)."""
    for _, header, row in _rows(check):
        payload = dict(zip(header, row))
        yield Record(payload[KEY], payload, check.path.name)


def scan_snapshot(check: SnapshotCheck) -> SnapshotScan:
    """Parse the whole file before anything of it is written: the problem that refuses it, or its duplicates."""
    scan = SnapshotScan()
    if check.encoding_problem:
        scan.problem = check.encoding_problem
        return scan
    first: dict[str, int] = {}  # id -> hash of its first row's content (this process's hash: compared here only)
    try:
        for _, header, row in _rows(check):
            scan.rows += 1
            sid, digest = row[header.index(KEY)], hash(tuple(row))
            previous = first.get(sid)
            if previous is None:
                first[sid] = digest
                continue
            (scan.repeats if previous == digest else scan.conflicts).add(sid)
    except UnreadableSnapshot as exc:
        scan.problem = (exc.line, exc.reason)
    scan.repeats -= scan.conflicts
    return scan


def snapshot_records(check: SnapshotCheck, scan: SnapshotScan, refused: list[Refusal]) -> Iterator[Record]:
    """The records of a scanned snapshot: each id once; rows of conflicting ids go to `refused` instead."""
    emitted: set[str] = set()
    for line, header, row in _rows(check):
        payload = dict(zip(header, row))
        sid = payload[KEY]
        if sid in scan.conflicts:
            reason = f"{KEY} {sid} is on several rows of {check.path.name} with different content: none is loaded"
            refused.append(Refusal("row", check.path.name, reason, check.sha256, line, sid, payload))
            continue
        if sid in scan.repeats:
            if sid in emitted:
                continue
            emitted.add(sid)
        yield Record(sid, payload, check.path.name)


class AnagrafeStream(Stream):
    system = "anagrafe"
    name = "residenti"
    primary_key = KEY
    cursor_field = None

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def units(self, state: dict | None, request: SyncRequest) -> Iterator[Unit]:
        running = dict(state or {})  # the state as units commit it; `quarantined`: file name -> sha256
        running.setdefault("quarantined", {})
        files = snapshot_files(self.folder)
        if request.mode == "full_refresh":  # the newest complete snapshot that loads, whatever was loaded before
            for snapshot, path in reversed(files):
                check = check_snapshot(path, snapshot)
                if check.complete:
                    unit = self._unit(check, running, remember=False)
                    yield unit
                    if unit.complete_set:
                        return
            return
        if request.since is not None:  # a backfill
            files = [(d, p) for d, p in files if d >= request.since.date()]
        elif running.get("snapshot"):
            files = [(d, p) for d, p in files if d.isoformat() > running["snapshot"]]
        for snapshot, path in files:
            check = check_snapshot(path, snapshot)
            if not check.complete:
                yield Unit(pages=0, note=f"{check.path.name} not loaded: {check.reason}; retry later")
            elif running["quarantined"].get(path.name) == check.sha256:
                yield Unit(pages=0, note=f"{path.name} skipped: quarantined by an earlier run")
            else:
                yield self._unit(check, running, remember=request.mode == "incremental")

    def _unit(self, check: SnapshotCheck, running: dict, remember: bool) -> Unit:
        """The unit of a complete file: the snapshot, or its quarantine; `running` is updated to the state after."""
        name = check.path.name
        scan = scan_snapshot(check)
        if scan.problem:
            line, reason = scan.problem
            running["quarantined"][name] = check.sha256
            return Unit(
                pages=0,
                refused=[Refusal("file", name, reason, check.sha256, line or None)],
                # a refresh or backfill leaves the stored state alone
                state_after={**running, "quarantined": dict(running["quarantined"])} if remember else None,
                cursor_value=running.get("file"),
                note=f"{name} quarantined whole: line {line}: {reason}",
            )
        running.update(snapshot=check.snapshot.isoformat(), file=name, rows=check.rows, sha256=check.sha256)
        running["encoding"] = check.encoding
        # files dated before the loaded one (names sort by date) are never read again: forget them
        running["quarantined"] = {f: sha for f, sha in running["quarantined"].items() if f > name}
        refused: list[Refusal] = []
        details = [f"{check.rows} rows"]
        if check.encoding != ENCODING:
            details.append("read as UTF-8")
        if scan.conflicts:
            details.append(f"{len(scan.conflicts)} ids on rows with different content quarantined")
        return Unit(
            records=snapshot_records(check, scan, refused),
            complete_set=True,
            seen_ids=sorted(scan.conflicts),  # their previous versions stay: not purged
            refused=refused,
            cursor_value=name,
            state_after={**running, "quarantined": dict(running["quarantined"])},
            note=f"{name} loaded ({', '.join(details)})",
        )

    def source_view(self, state: dict | None) -> SourceView:
        """The id set of the snapshot last loaded."""
        name = (state or {}).get("file")
        if not name:
            return IdListing("snapshot (none loaded yet)", iter(()))
        path = self.folder / name
        if not path.exists():
            return Unavailable(f"snapshot {name}", f"{name} is no longer in the drop folder")
        m = FILE_RE.match(name)
        snapshot = datetime.strptime(m.group(1), "%Y%m%d").date() if m else date.min
        return IdListing(f"snapshot {name}", self._ids(check_snapshot(path, snapshot)))

    @staticmethod
    def _ids(check: SnapshotCheck) -> Iterator[tuple[str, bool, bool]]:
        seen: set[str] = set()
        for record in read_snapshot(check):
            if record.source_id not in seen:
                seen.add(record.source_id)
                yield record.source_id, True, True


def streams(cfg: HubConfig, **_) -> list[Stream]:
    return [AnagrafeStream(cfg.sources.anagrafe.folder)]
