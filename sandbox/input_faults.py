"""Bad input the real systems have been seen to send, written into a sandbox world on request.

Test hooks, never applied by ``generate`` or ``advance`` unless asked (``advance(anagrafe_fault=...)``),
so default worlds and their figures do not change. Each hook alters one system's own storage in place,
as the system (or another tool writing to its database or drop folder) would:

- SQL sources: ``tie_timestamps`` (many rows per second; on SQLite written as text without fractional
  seconds, as a tool other than SQLAlchemy writes a DATETIME), ``set_zero_date`` (``0000-00-00``, as
  MariaDB keeps it without strict mode), ``set_text`` (any text, e.g. with a NUL byte);
- anagrafe drop files: ``reencode_snapshot`` (the night's file in UTF-8 or Windows-1252 instead of latin-1),
  ``poison_snapshot`` (a 10 MB field, a row with a field too many), ``duplicate_ids`` (ids repeated with
  different content); the trailer always stays right, so each file is "complete";
- SAT/POLIS stores: ``put_item`` (an item as given, e.g. a name with a NUL). Malformed HTTP answers are
  the servers' business: ``FaultConfig.shape`` (sandbox/servers/faults.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from random import Random

import sqlalchemy as sa

from sandbox.http_store import HttpStore
from sandbox.systems.base import make_engine

ANAGRAFE_FAULTS = ("utf-8", "cp1252", "huge_field", "extra_field", "duplicate_ids")
"""What ``advance(anagrafe_fault=...)`` can do to the night's file (see ``apply_anagrafe_fault``)."""
HUGE_FIELD = 10 * 1024 * 1024
TEXT_TIMESTAMP = "%Y-%m-%d %H:%M:%S"


# --- SQL sources ----------------------------------------------------------------------------------------------
def tie_timestamps(
    url: str, table: str, key: str, column: str, *, start: datetime, per_second: int, as_text: bool = False
) -> int:
    """Rewrite ``column`` so that rows, in ``key`` order, share each second ``per_second`` at a time.

    ``as_text`` (SQLite only): store ``YYYY-MM-DD HH:MM:SS`` text, no fractional seconds, as another tool
    writing the file would. ``start`` is naive for naive columns (aware for PostgreSQL timestamptz).
    Returns the number of rows rewritten."""
    engine = make_engine(url)
    if as_text and engine.dialect.name != "sqlite":
        raise ValueError("text timestamps are a SQLite storage trait; other databases keep a native type")
    try:
        with engine.begin() as conn:
            keys = [r[0] for r in conn.execute(sa.text(f"SELECT {key} FROM {table} ORDER BY {key}"))]
            values = [
                {"k": k, "v": _stamp(start + timedelta(seconds=i // per_second), as_text)} for i, k in enumerate(keys)
            ]
            if values:
                conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE {key} = :k"), values)
        return len(values)
    finally:
        engine.dispose()


def _stamp(moment: datetime, as_text: bool) -> datetime | str:
    return moment.strftime(TEXT_TIMESTAMP) if as_text else moment


def set_zero_date(url: str, table: str, key: str, row_id: int, column: str) -> None:
    """Store ``0000-00-00`` in a DATE column of one row (MariaDB: with the session's strict mode off)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name in ("mysql", "mariadb"):
                conn.execute(sa.text("SET SESSION sql_mode = ''"))
            elif engine.dialect.name != "sqlite":
                raise ValueError(f"{engine.dialect.name} cannot store a zero date")
            conn.execute(sa.text(f"UPDATE {table} SET {column} = '0000-00-00' WHERE {key} = :k"), {"k": row_id})
    finally:
        engine.dispose()


def set_text(url: str, table: str, key: str, row_id: int, column: str, value: str) -> None:
    """Store ``value`` as it is (a NUL byte included) in a text column of one row."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE {key} = :k"), {"v": value, "k": row_id})
    finally:
        engine.dispose()


# --- SAT / POLIS stores ---------------------------------------------------------------------------------------
def put_item(store_path: str | Path, system: str, collection: str, item: dict) -> None:
    """Write one item into a simulator's store exactly as given (the servers serve it at the next request)."""
    store = HttpStore(store_path, system)
    try:
        store.upsert(collection, [item])
    finally:
        store.close()


# --- anagrafe drop files --------------------------------------------------------------------------------------
def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\r\n")


def _write(path: Path, lines: list[bytes]) -> None:
    """Write data lines back with the header and a trailer that counts them (the file stays "complete")."""
    body = [line for line in lines if line and not line.startswith(b"#EOF;")]
    path.write_bytes(b"\r\n".join(body + [b"#EOF;%d" % (len(body) - 1), b""]))


def reencode_snapshot(path: str | Path, encoding: str) -> None:
    """Re-encode a latin-1 snapshot in ``encoding`` (``utf-8``: NICOLÒ takes two bytes; ``cp1252``: add a
    typographic apostrophe, which latin-1 does not have, to the first surname)."""
    path = Path(path)
    text = path.read_bytes().decode("latin-1")
    if encoding == "cp1252":
        lines = text.split("\r\n")
        cells = lines[1].split(";")
        cells[1] = "D\u2019" + cells[1]
        lines[1] = ";".join(cells)
        text = "\r\n".join(lines)
    path.write_bytes(text.encode(encoding))


def poison_snapshot(path: str | Path, kind: str, line: int = 2) -> None:
    """Spoil data line ``line`` (1 is the header): ``huge_field`` makes its NOME 10 MB long,
    ``extra_field`` appends a field the header does not have."""
    path = Path(path)
    lines = _lines(path)
    cells = lines[line - 1].split(b";")
    if kind == "huge_field":
        cells[2] = b"A" * HUGE_FIELD
    elif kind == "extra_field":
        cells.append(b"X")
    else:
        raise ValueError(f"unknown poison {kind!r}; expected huge_field or extra_field")
    lines[line - 1] = b";".join(cells)
    _write(path, lines)


def duplicate_ids(path: str | Path, count: int, seed: int = 0, identical: int = 0) -> list[str]:
    """Repeat ``count`` rows with another NOME (same id, different content) and ``identical`` rows unchanged,
    at the end of the file; returns the ids repeated with different content."""
    path = Path(path)
    lines = _lines(path)
    data = [i for i, line in enumerate(lines) if i > 0 and line and not line.startswith(b"#EOF;")]
    rng = Random(seed)
    chosen = rng.sample(data, count + identical)
    changed = []
    for i in chosen[:count]:
        cells = lines[i].split(b";")
        cells[2] = cells[2] + b" BIS"
        lines.append(b";".join(cells))
        changed.append(cells[0].decode("ascii"))
    lines += [lines[i] for i in chosen[count:]]
    _write(path, lines)
    return changed


def apply_anagrafe_fault(path: str | Path, fault: str) -> None:
    """Apply one of ``ANAGRAFE_FAULTS`` to a written snapshot file."""
    if fault in ("utf-8", "cp1252"):
        reencode_snapshot(path, fault)
    elif fault in ("huge_field", "extra_field"):
        poison_snapshot(path, fault)
    elif fault == "duplicate_ids":
        duplicate_ids(path, 2)
    else:
        raise ValueError(f"unknown anagrafe fault {fault!r}; expected one of {', '.join(ANAGRAFE_FAULTS)}")
