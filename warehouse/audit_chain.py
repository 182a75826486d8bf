"""The hash chain over ``api_audit``: each row holds the hash of the row before it, so that a row deleted or
edited afterwards — even by a superuser with the triggers disabled — is found by ``verify``.

A row's hash is SHA-256 over its canonical text: the fields of ``CHAINED`` in order, each written as
``<length>:<text>`` (``-`` for NULL; the time as UTC ``YYYY-MM-DDTHH:MM:SS.ffffff``), joined by ``|``, then
``|`` and the previous row's hash (64 zeros for the first row). On PostgreSQL a BEFORE INSERT trigger
(migration 0011_privacy, ``api_audit_chain``) computes it with the same text: it takes an advisory
transaction lock, gives the row the next id and chains it to the row with the highest id, so ids follow
the chain (increasing, not contiguous). On SQLite ``append`` does the same in Python inside one
``BEGIN IMMEDIATE`` transaction.

Limits: the chain shows that rows were removed or changed *inside* it. Removing the newest rows, or
rewriting every hash after an edit, leaves a consistent shorter chain: keep the head ``verify`` prints
(id and hash) somewhere the database's administrators cannot write, and pass it back as an anchor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse.models import ACCESS_TABLES

api_audit = ACCESS_TABLES["api_audit"]
GENESIS = "0" * 64
CHAINED = (
    "audit_id",
    "at",
    "client_id",
    "role",
    "purpose",
    "user_id",
    "location",
    "method",
    "path",
    "beneficiary_id",
    "outcome",
    "detail",
)
"""The fields a row's hash covers, in order (the PostgreSQL trigger writes the same list)."""
VERIFY_BATCH = 10_000


def _hash(values: tuple, prev_hash: str) -> str:
    """SHA-256 of the canonical text of a row's CHAINED values (in order) and the previous row's hash."""
    parts = []
    for value in values:
        if value is None:
            parts.append("-")
            continue
        if type(value) is not str:
            if isinstance(value, datetime):
                value = value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
            else:
                value = str(value)
        parts.append(f"{len(value)}:{value}")
    parts.append(prev_hash)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def row_hash(row: dict, prev_hash: str) -> str:
    """The hash of one audit row chained to `prev_hash`."""
    return _hash(tuple(row[f] for f in CHAINED), prev_hash)


def append(engine: Engine, rows: list[dict]) -> None:
    """Insert audit rows, chained, in one transaction (all or none).

    PostgreSQL: the trigger chains them; the INSERT is `inline` (no RETURNING), so that a role holding
    only INSERT on the table can write it. SQLite: under BEGIN IMMEDIATE (one writer at a time), each
    row gets the next id and the hash of the row before it here."""
    if engine.dialect.name != "sqlite":
        if len(rows) == 1:  # one statement, its own transaction: one round trip
            with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(api_audit.insert().inline(), rows)
        else:
            with engine.begin() as conn:
                conn.execute(api_audit.insert().inline(), rows)
        return
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            last = conn.execute(
                sa.select(api_audit.c.audit_id, api_audit.c.row_hash).order_by(api_audit.c.audit_id.desc()).limit(1)
            ).first()
            audit_id, prev = (last.audit_id, last.row_hash or GENESIS) if last else (0, GENESIS)
            chained = []
            for row in rows:
                audit_id += 1
                full = {**{f: None for f in CHAINED}, **row, "audit_id": audit_id, "prev_hash": prev}
                full["row_hash"] = prev = row_hash(full, prev)
                chained.append(full)
            conn.execute(api_audit.insert(), chained)
            conn.exec_driver_sql("COMMIT")
        except BaseException:
            conn.exec_driver_sql("ROLLBACK")
            raise


@dataclass(frozen=True)
class Verdict:
    """The outcome of walking the chain: rows checked, the head, and the first break found (if any)."""

    rows: int
    head_id: int | None
    head_hash: str | None
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def _rows(conn: Connection) -> Iterable:
    q = sa.select(*(api_audit.c[f] for f in CHAINED), api_audit.c.prev_hash, api_audit.c.row_hash)  # in this order
    result = conn.execution_options(stream_results=True, yield_per=VERIFY_BATCH).execute(
        q.order_by(api_audit.c.audit_id)
    )
    for part in result.partitions():
        yield from part


def verify(engine: Engine, anchor: tuple[int, str] | None = None) -> Verdict:
    """Walk the chain in id order (streamed) and report the first row that is not what the chain says.

    `anchor` (id, hash): a head printed by an earlier verify; that row must still be there with that hash
    (catches the newest rows removed, or the whole chain rewritten after an edit)."""
    count, prev, prev_id = 0, GENESIS, None
    anchor_seen = False
    width = len(CHAINED)
    with engine.connect() as conn:
        for row in _rows(conn):
            audit_id, stored_prev, stored = row[0], row[width], row[width + 1]
            count += 1
            if stored is None or stored_prev is None:
                return Verdict(count, prev_id, prev, audit_id, "row has no hash (written outside the chain)")
            if stored_prev != prev:
                where = f"row {prev_id}" if prev_id is not None else "the start of the log"
                return Verdict(
                    count,
                    prev_id,
                    prev,
                    audit_id,
                    f"previous hash does not match {where}: a row between them was deleted, or {where} was edited",
                )
            if _hash(tuple(row[:width]), prev) != stored:
                return Verdict(count, prev_id, prev, audit_id, "content does not match its hash: the row was edited")
            if anchor is not None and audit_id == anchor[0]:
                if stored != anchor[1]:
                    return Verdict(
                        count, prev_id, prev, audit_id, "anchor row has another hash: the chain was rewritten"
                    )
                anchor_seen = True
            prev, prev_id = stored, audit_id
    if anchor is not None and not anchor_seen:
        return Verdict(count, prev_id, prev, anchor[0], "anchor row is missing: rows were removed")
    return Verdict(count, prev_id, prev if prev_id is not None else None)
