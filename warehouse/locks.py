"""One writer per step: a lock in the warehouse per scope ("sync:sat", "stage:sat", "link", "publish").

A lock is a `step_lock` row naming its holder (run id, host, pid) with a lease that heartbeats renew. It is
taken in a serialised transaction: on PostgreSQL under a transaction-level advisory lock of the scope, and
the holding process also keeps a session-level advisory lock, which the server releases the moment that
process or its connection dies; on SQLite under `BEGIN IMMEDIATE`. A holder is dead when its lease expired,
when it is on this host and its process is gone, or (PostgreSQL) when its session lock is free; the next
taker then marks its run `abandoned` with the reason. A multi-task run (the link DAG) detaches between its
tasks: its lease alone keeps the lock, and each task joins the run's lock while it works.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import psutil
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse.models import PipelineRun, StepLock, table_of
from warehouse.scrub import scrub
from warehouse.types import utcnow

LOCK = table_of(StepLock)
RUN = table_of(PipelineRun)
LEASE_SECONDS = 120
"""How long a holder that stopped heartbeating keeps its lock (it heartbeats every LEASE_SECONDS / 6)."""
DETACHED_LEASE_SECONDS = 20 * 60
"""How long a multi-task run keeps its lock between tasks (covers Airflow's queueing and retries)."""
TRANSIENT_SECONDS = 5.0
"""How long a taker waits, even without `wait`, on a session lock held with no lock row (settles in moments)."""
SQLITE_TAKE_SECONDS = 2.0
"""How long a taker waits for SQLite's write lock before reading the holder and reporting it busy."""
SQLITE_BUSY_MS = 60_000
"""The busy timeout warehouse.db gives SQLite connections (restored after taking a lock)."""
EXIT_BUSY = 75
"""Exit code of a command that could not take its lock (EX_TEMPFAIL: try again later)."""


class StepBusy(RuntimeError):
    """The scope's lock is held by a live holder; the message says who, where and since when."""

    def __init__(self, scope: str, holder: dict):
        self.scope, self.holder = scope, holder
        super().__init__(describe_holder(scope, holder))


class WarehouseWriting(RuntimeError):
    """SQLite: another process holds the warehouse's single write lock (a long write), so no lock can be taken."""


class LockLost(RuntimeError):
    """A run's lock is no longer its own (abandoned by another taker after its lease expired)."""


def describe_holder(scope: str, h: dict) -> str:
    run = f" (run {h['run_id']})" if h.get("run_id") else ""
    where = f"on {h['host']} pid {h['pid']}" if h.get("pid") else f"between tasks (last on {h['host']})"
    started = h["acquired_at"].strftime("%Y-%m-%d %H:%M:%S UTC")
    beat = max(0, int((utcnow() - h["heartbeat_at"]).total_seconds()))
    return f"{scope} is busy: {h['holder']}{run} {where}, started {started}, last heartbeat {beat} s ago"


def this_host() -> str:
    return socket.gethostname()


def process_started(pid: int) -> float | None:
    """Creation time of process `pid` (tells a live holder from a new process that reused its pid)."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def advisory_key(scope: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory lock key: 'fase' in the high half, crc32 of the scope."""
    return (0x66617365 << 32 | zlib.crc32(scope.encode())) - (1 << 63)


# --------------------------------------------------------------------------- liveness
@dataclass(frozen=True)
class Verdict:
    alive: bool
    reason: str = ""


def verdict(holder: dict, now: datetime, session_lock_free: bool | None = None) -> Verdict:
    """Whether a holder (a lock row, or a run row standing in for one) is alive; if not, why.

    Keys used: host, pid, process_started, heartbeat_at, lease_seconds. `session_lock_free` (PostgreSQL):
    whether the scope's session advisory lock was free, i.e. no live session holds it."""
    if holder.get("pid") is not None:
        if holder.get("host") == this_host():
            started = process_started(holder["pid"])
            recorded = holder.get("process_started")
            if started is None or (recorded and abs(started - recorded) > 1):
                return Verdict(False, f"process {holder['pid']} on {holder['host']} is gone")
            return Verdict(True)  # alive here: a long write may delay its heartbeat, not end it
        if session_lock_free is True:
            return Verdict(False, f"the database session of pid {holder['pid']} on {holder['host']} ended")
    expires = holder["heartbeat_at"] + timedelta(seconds=holder["lease_seconds"])
    if now > expires:
        return Verdict(False, f"lease expired at {expires.isoformat(timespec='seconds')}")
    return Verdict(True)


# --------------------------------------------------------------------------- holding a lock
class Held:
    """A lock this process takes part in: heartbeats renew it; detach it between tasks or release it."""

    def __init__(self, engine: Engine, scope: str, run_id: int | None, lease: int, session: Connection | None = None):
        self.engine, self.scope, self.run_id, self.lease = engine, scope, run_id, lease
        self._session = session  # PostgreSQL: the connection holding the session advisory lock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _mine(self):
        if self.run_id is not None:
            return sa.and_(LOCK.c.scope == self.scope, LOCK.c.run_id == self.run_id)
        return sa.and_(LOCK.c.scope == self.scope, LOCK.c.run_id.is_(None), LOCK.c.pid == os.getpid())

    def beat(self) -> None:
        """Renew the lease and the run's heartbeat; LockLost when the lock is no longer ours."""
        now = utcnow()
        with self.engine.begin() as conn:
            if not conn.execute(sa.update(LOCK).where(self._mine()).values(heartbeat_at=now)).rowcount:
                raise LockLost(f"{self.scope}: the lock of run {self.run_id} was taken over")
            if self.run_id is not None:
                conn.execute(sa.update(RUN).where(RUN.c.run_id == self.run_id).values(heartbeat_at=now))

    def start_heartbeat(self) -> Held:
        interval = max(0.5, self.lease / 6)

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.beat()
                except LockLost:
                    return
                except sa.exc.SQLAlchemyError:  # SQLite busy behind our own long write: the pid check covers us
                    continue

        self._thread = threading.Thread(target=loop, name=f"heartbeat {self.scope}", daemon=True)
        self._thread.start()
        return self

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self._stop = threading.Event()

    def detach(self, lease: int = DETACHED_LEASE_SECONDS) -> None:
        """Keep the lock for the run's next task (another process): no pid, a longer lease."""
        self.stop_heartbeat()
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(LOCK)
                .where(self._mine())
                .values(pid=None, process_started=None, heartbeat_at=utcnow(), lease_seconds=lease)
            )
        self._end_session()

    def release(self) -> None:
        self.stop_heartbeat()
        with self.engine.begin() as conn:
            conn.execute(sa.delete(LOCK).where(self._mine()))
        self._end_session()

    def _end_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                session.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(self.scope)})
                session.commit()
            finally:
                session.close()


@contextmanager
def _serialised(engine: Engine, scope: str) -> Iterator[Connection]:
    """A transaction in which no other taker of `scope` runs at the same time. SQLite has one writer for the whole
    file: while another process holds a long write transaction (a stage, a publish) this raises WarehouseWriting
    after SQLITE_TAKE_SECONDS instead of waiting the engine's long busy timeout."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(SQLITE_TAKE_SECONDS * 1000)}")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except sa.exc.OperationalError as exc:
                raise WarehouseWriting(str(exc.orig)) from None
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")  # the pooled connection's own
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        return
    with engine.begin() as conn:  # a key of its own: the holder's session lock is on advisory_key(scope)
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(f"{scope}#taking")})
        yield conn


def _session_lock(engine: Engine, scope: str) -> tuple[Connection | None, bool | None]:
    """PostgreSQL: (connection holding the scope's session advisory lock, True), or (None, False) when another
    session holds it. SQLite has no sessions to ask: (None, None)."""
    if engine.dialect.name != "postgresql":
        return None, None
    conn = engine.connect()
    got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": advisory_key(scope)}).scalar()
    conn.commit()
    if got:
        return conn, True
    conn.close()
    return None, False


StartRun = Callable[[Connection], int]


def abandon(conn: Connection, run_id: int, reason: str) -> None:
    """Mark a running run abandoned with the reason (its process died); a closed run is left as it is."""
    conn.execute(
        sa.update(RUN)
        .where(RUN.c.run_id == run_id, RUN.c.status == "running")
        .values(status="abandoned", finished_at=utcnow(), error=scrub(f"abandoned: {reason}"))
    )


def acquire(
    engine: Engine,
    scope: str,
    *,
    holder: str,
    run_id: int | None = None,
    start: StartRun | None = None,
    lease: int = LEASE_SECONDS,
    wait: float = 0.0,
    poll: float = 0.5,
) -> Held:
    """Take the lock of `scope`, waiting up to `wait` seconds; StepBusy names the live holder.

    `run_id` attaches a run that already holds the lock (the next task of a detached run); `start(conn)`
    creates the run in the same transaction as its lock, so a refused run leaves nothing behind. A dead
    holder's lock is taken over and its run marked abandoned with the reason.
    """
    started = time.monotonic()
    deadline = started + max(0.0, wait)
    while True:
        held, busy = _try_acquire(engine, scope, holder, run_id, start, lease)
        if held is not None:
            return held
        if time.monotonic() >= max(deadline, started + TRANSIENT_SECONDS if busy.get("transient") else deadline):
            raise StepBusy(scope, busy)
        time.sleep(min(poll, max(0.05, deadline - time.monotonic())))


def _try_acquire(engine, scope, holder, run_id, start, lease) -> tuple[Held | None, dict]:
    try:
        return _take(engine, scope, holder, run_id, start, lease)
    except WarehouseWriting:  # SQLite: read who holds the scope (readers are not blocked) and say so
        with engine.connect() as conn:
            row = conn.execute(sa.select(LOCK).where(LOCK.c.scope == scope)).mappings().first()
        now = utcnow()
        return None, dict(row) if row is not None else {
            "holder": "another process writing the warehouse",
            "host": this_host(),
            "pid": None,
            "run_id": None,
            "acquired_at": now,
            "heartbeat_at": now,
            "transient": True,
        }


def _take(engine, scope, holder, run_id, start, lease) -> tuple[Held | None, dict]:
    session, session_free = _session_lock(engine, scope)
    try:
        with _serialised(engine, scope) as conn:
            now = utcnow()
            if run_id is not None and start is None:
                status = conn.execute(sa.select(RUN.c.status).where(RUN.c.run_id == run_id)).scalar()
                if status != "running":
                    raise LockLost(f"{scope}: run {run_id} is {status or 'unknown'}; it no longer holds the lock")
            row = conn.execute(sa.select(LOCK).where(LOCK.c.scope == scope)).mappings().first()
            if row is not None:
                found = dict(row)
                if run_id is None or found["run_id"] != run_id:  # someone else's: is it alive?
                    judged = verdict(found, now, session_lock_free=session_free)
                    if judged.alive:
                        _unlock(session, scope)
                        return None, found
                    if found["run_id"] is not None:
                        abandon(conn, found["run_id"], judged.reason)
                conn.execute(sa.delete(LOCK).where(LOCK.c.scope == scope))
            elif session_free is False:  # a taker about to write its row, or the session of a dead one closing
                return None, {
                    "holder": "another process",
                    "host": "?",
                    "pid": None,
                    "run_id": None,
                    "acquired_at": now,
                    "heartbeat_at": now,
                    "transient": True,
                }
            if start is not None:
                run_id = start(conn)
            pid = os.getpid()
            conn.execute(
                sa.insert(LOCK).values(
                    scope=scope,
                    run_id=run_id,
                    holder=holder[:200],
                    host=this_host(),
                    pid=pid,
                    process_started=process_started(pid),
                    acquired_at=now,
                    heartbeat_at=now,
                    lease_seconds=lease,
                )
            )
    except BaseException:
        _unlock(session, scope)
        raise
    return Held(engine, scope, run_id, lease, session), {}


def _unlock(session: Connection | None, scope: str) -> None:
    if session is not None:
        session.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(scope)})
        session.commit()
        session.close()


def join(engine: Engine, scope: str, run_id: int, lease: int = DETACHED_LEASE_SECONDS) -> Held:
    """Take part in a detached run's lock from another task (several may at once, e.g. mapped partitions):
    LockLost unless the lock still names `run_id`. The heartbeat renews it; `stop_heartbeat()` ends it."""
    held = Held(engine, scope, run_id, lease)
    held.beat()
    return held


def holders(engine: Engine) -> list[dict]:
    """Every lock row, for `fase runs`."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(LOCK).order_by(LOCK.c.scope)).mappings()]
