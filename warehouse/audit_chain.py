"""The hash chain over ``api_audit``: each row holds the hash of the row before it, so that a row deleted or
edited afterwards — even by a superuser with the triggers disabled — is found by ``verify``.

A row's hash is SHA-256 over its canonical text: the fields of ``CHAINED`` in order, each written as
``<length>:<text>`` (``-`` for NULL; the time as UTC ``YYYY-MM-DDTHH:MM:SS.ffffff``), then those of ``OPTIONAL``
that are set (fields added later: a row written before one existed hashes as it did), joined by ``|``, then
``|`` and the previous row's hash (64 zeros for the first row).

A read of several beneficiaries (a page of the change feed, search hits) is one row whose ``beneficiary_ids`` (a
JSON array, hashed with the row) names them; a trigger copies them to ``api_audit_beneficiary`` (migration
0014_api_reads), the index `fase audit --beneficiary` searches. ``verify`` also checks that index against the
lists: a row removed from it, or added to it, is found like an edited audit row. On PostgreSQL a BEFORE INSERT trigger
(migration 0011_privacy, ``api_audit_chain``) computes it with the same text: it takes an advisory
transaction lock, gives the row the next id and chains it to the row with the highest id, so ids follow
the chain (increasing, not contiguous). On SQLite ``append`` does the same in Python inside one
``BEGIN IMMEDIATE`` transaction.

Limits: the chain shows that rows were removed or changed *inside* it. Removing the newest rows, or
rewriting every hash after an edit, leaves a consistent shorter chain: keep the head ``verify`` prints
(id and hash) somewhere the database's administrators cannot write, and pass it back as an anchor.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse.models import ACCESS_TABLES

api_audit, audit_index = ACCESS_TABLES["api_audit"], ACCESS_TABLES["api_audit_beneficiary"]
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
OPTIONAL = ("beneficiary_ids",)
"""Fields hashed after CHAINED only when set (added by 0014_api_reads)."""
VERIFY_BATCH = 10_000


def _hash(values: tuple, prev_hash: str, optional: tuple = ()) -> str:
    """SHA-256 of the canonical text of a row's CHAINED values (in order), its OPTIONAL values that are set and the
    previous row's hash."""
    parts = []
    for value in (*values, *(v for v in optional if v is not None)):
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
    return _hash(tuple(row[f] for f in CHAINED), prev_hash, tuple(row.get(f) for f in OPTIONAL))


@functools.lru_cache(maxsize=16)
def _autocommit(engine: Engine) -> Engine:
    """The engine's autocommit view, made once per engine (making it costs more than the insert's Python)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def append(engine: Engine, rows: list[dict]) -> None:
    """Insert audit rows, chained, in one transaction (all or none).

    PostgreSQL: the trigger chains them; the INSERT is `inline` (no RETURNING), so that a role holding
    only INSERT on the table can write it. SQLite: under BEGIN IMMEDIATE (one writer at a time), each
    row gets the next id and the hash of the row before it here."""
    if engine.dialect.name != "sqlite":
        if len(rows) == 1:  # one statement, its own transaction: one round trip
            with _autocommit(engine).connect() as conn:
                conn.execute(api_audit.insert().inline(), rows)
        else:
            with engine.begin() as conn:
                conn.execute(api_audit.insert().inline(), rows)
        return
    with _autocommit(engine).connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            last = conn.execute(
                sa.select(api_audit.c.audit_id, api_audit.c.row_hash).order_by(api_audit.c.audit_id.desc()).limit(1)
            ).first()
            audit_id, prev = (last.audit_id, last.row_hash or GENESIS) if last else (0, GENESIS)
            chained = []
            for row in rows:
                audit_id += 1
                full = {**{f: None for f in (*CHAINED, *OPTIONAL)}, **row, "audit_id": audit_id, "prev_hash": prev}
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
    q = sa.select(  # in this order: CHAINED, OPTIONAL, prev_hash, row_hash
        *(api_audit.c[f] for f in (*CHAINED, *OPTIONAL)), api_audit.c.prev_hash, api_audit.c.row_hash
    )
    result = conn.execution_options(stream_results=True, yield_per=VERIFY_BATCH).execute(
        q.order_by(api_audit.c.audit_id)
    )
    for part in result.partitions():
        yield from part


class _IndexCheck:
    """The beneficiary index (api_audit_beneficiary) read alongside the chain, both in audit id order."""

    def __init__(self, conn: Connection):
        q = sa.select(audit_index.c.audit_id, audit_index.c.beneficiary_id).order_by(audit_index.c.audit_id)
        result = conn.execution_options(stream_results=True, yield_per=VERIFY_BATCH).execute(q)
        self._entries: Iterator = (entry for part in result.partitions() for entry in part)
        self._next = next(self._entries, None)

    @property
    def pending(self) -> int | None:
        """The audit id of the next entry not yet matched to a row (None once all are)."""
        return None if self._next is None else self._next[0]

    def mismatch(self, audit_id: int, listed: str | None) -> str | None:
        """What is wrong with the index entries of row `audit_id`, given its list (None when all is well)."""
        found = set()
        while self._next is not None and self._next[0] <= audit_id:
            if self._next[0] != audit_id:
                return f"index entry of row {self._next[0]}, which lists no beneficiaries: an index row was added"
            found.add(self._next[1])
            self._next = next(self._entries, None)
        expected = set(json.loads(listed)) if listed else set()
        if found != expected:
            return "its beneficiary index differs from its list: an index row was deleted or added"
        return None


def verify(engine: Engine, anchor: tuple[int, str] | None = None) -> Verdict:
    """Walk the chain in id order (streamed) and report the first row that is not what the chain says, or whose
    beneficiary index entries are not its list.

    `anchor` (id, hash): a head printed by an earlier verify; that row must still be there with that hash
    (catches the newest rows removed, or the whole chain rewritten after an edit)."""
    count, prev, prev_id = 0, GENESIS, None
    anchor_seen = False
    width, extra = len(CHAINED), len(OPTIONAL)
    with engine.connect() as conn, engine.connect() as index_conn:
        index = _IndexCheck(index_conn)
        for row in _rows(conn):
            audit_id, stored_prev, stored = row[0], row[width + extra], row[width + extra + 1]
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
            if _hash(tuple(row[:width]), prev, tuple(row[width : width + extra])) != stored:
                return Verdict(count, prev_id, prev, audit_id, "content does not match its hash: the row was edited")
            if problem := index.mismatch(audit_id, row[width]):  # OPTIONAL[0]: beneficiary_ids
                return Verdict(count, prev_id, prev, audit_id, problem)
            if anchor is not None and audit_id == anchor[0]:
                if stored != anchor[1]:
                    return Verdict(
                        count, prev_id, prev, audit_id, "anchor row has another hash: the chain was rewritten"
                    )
                anchor_seen = True
            prev, prev_id = stored, audit_id
        if index.pending is not None:
            return Verdict(count, prev_id, prev, index.pending, "index entry of a row past the head: it was added")
    if anchor is not None and not anchor_seen:
        return Verdict(count, prev_id, prev, anchor[0], "anchor row is missing: rows were removed")
    return Verdict(count, prev_id, prev if prev_id is not None else None)
