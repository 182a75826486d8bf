"""Recording pipeline runs under their step's lock: start, heartbeat, finish, fail, abandon.

`recorded_run(engine, step, system)` is how every step that writes runs: it takes the step's lock
(warehouse/locks.py; scope `step` or `step:system`), creates the run in the same transaction, heartbeats
while the block works, and records success with the block's summary or failure with a scrubbed one-line
reason (warehouse/scrub.py). A run that cannot take its lock raises StepBusy and leaves no row. A run
whose process died is marked `abandoned` by the next taker of its lock, or by `abandon_dead_runs`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse import locks
from warehouse.models import PipelineRun, table_of
from warehouse.scrub import scrub, summarise_error
from warehouse.types import utcnow

RUN = table_of(PipelineRun)


def lock_scope(step: str, system: str | None = None) -> str:
    """The lock a step takes: one writer per step and system ("sync:sat"), or per step ("link")."""
    return f"{step}:{system}" if system else step


def _run_values(
    step: str, system: str | None, trigger: str, orchestrator_run: str | None, task: str | None, lease: int
) -> dict:
    now = utcnow()
    return {
        "step": step,
        "system": system,
        "status": "running",
        "started_at": now,
        "trigger": trigger,
        "orchestrator_run": orchestrator_run,
        "task": task,
        "host": locks.this_host(),
        "pid": os.getpid(),
        "heartbeat_at": now,
        "lease_seconds": lease,
    }


def start_run(
    engine: Engine | Connection,
    step: str,
    system: str | None = None,
    trigger: str = "cli",
    orchestrator_run: str | None = None,
    task: str | None = None,
    lease: int = locks.LEASE_SECONDS,
) -> int:
    """Insert a running run (without a lock: for records made outside a step, e.g. a failed Airflow task)."""
    stmt = sa.insert(RUN).values(**_run_values(step, system, trigger, orchestrator_run, task, lease))
    if isinstance(engine, Connection):
        return engine.execute(stmt.returning(RUN.c.run_id)).scalar_one()
    with engine.begin() as conn:
        return conn.execute(stmt.returning(RUN.c.run_id)).scalar_one()


def finish_run(engine: Engine, run_id: int, summary: dict | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(RUN)
            .where(RUN.c.run_id == run_id)
            .values(status="success", finished_at=utcnow(), heartbeat_at=utcnow(), summary=summary)
        )


def fail_run(
    engine: Engine,
    run_id: int | None,
    error: str | BaseException,
    *,
    step: str | None = None,
    system: str | None = None,
    task: str | None = None,
    summary: dict | None = None,
) -> int:
    """Mark a run failed with its reason (scrubbed); creates the row when the failure came before the run."""
    reason = summarise_error(error) if isinstance(error, BaseException) else scrub(error)
    if run_id is None:
        run_id = start_run(engine, step or "unknown", system, task=task)
    values = {"status": "failed", "finished_at": utcnow(), "error": reason, "summary": summary}
    if task is not None:
        values["task"] = task
    with engine.begin() as conn:
        conn.execute(sa.update(RUN).where(RUN.c.run_id == run_id).values(**values))
    return run_id


def close_failed(engine: Engine, run_id: int, reason: str) -> None:
    """Fail a run that is still running (its orchestrator gave up on it) and free any lock it holds."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(RUN)
            .where(RUN.c.run_id == run_id, RUN.c.status == "running")
            .values(status="failed", finished_at=utcnow(), error=scrub(reason))
        )
        conn.execute(sa.delete(locks.LOCK).where(locks.LOCK.c.run_id == run_id))


def abandon_dead_runs(engine: Engine, step: str | None = None) -> list[int]:
    """Mark abandoned every running run (of `step`) whose holder is dead: the lock naming it, or the run's own
    host, pid and heartbeat when no lock names it (a run recorded without a lock). Returns their ids."""
    now = utcnow()
    dead = []
    with engine.begin() as conn:
        held = {r["run_id"]: dict(r) for r in conn.execute(sa.select(locks.LOCK)).mappings() if r["run_id"]}
        q = sa.select(
            RUN.c.run_id, RUN.c.host, RUN.c.pid, RUN.c.heartbeat_at, RUN.c.lease_seconds, RUN.c.started_at
        ).where(RUN.c.status == "running")
        for r in conn.execute(q.where(RUN.c.step == step) if step else q).mappings().all():
            holder = held.get(r["run_id"]) or {
                **r,
                "heartbeat_at": r["heartbeat_at"] or r["started_at"],
                "lease_seconds": r["lease_seconds"] or locks.LEASE_SECONDS,
            }
            judged = locks.verdict(holder, now)
            if not judged.alive:
                locks.abandon(conn, r["run_id"], judged.reason)
                conn.execute(sa.delete(locks.LOCK).where(locks.LOCK.c.run_id == r["run_id"]))
                dead.append(r["run_id"])
    return dead


def begin_run(
    engine: Engine,
    step: str,
    system: str | None = None,
    *,
    trigger: str = "cli",
    wait: float = 0.0,
    orchestrator_run: str | None = None,
    task: str | None = None,
    scope: str | None = None,
) -> tuple[int, locks.Held]:
    """Take the step's lock (or `scope`, a lock the step shares with another) and create its run in one
    transaction; the lock heartbeats from here on. Runs of the step whose process died are marked abandoned
    first."""
    abandon_dead_runs(engine, step)
    ids = {}

    def start(conn: Connection) -> int:
        ids["run"] = start_run(conn, step, system, trigger, orchestrator_run, task)
        return ids["run"]

    scope = scope or lock_scope(step, system)
    held = locks.acquire(
        engine,
        scope,
        holder=f"{lock_scope(step, system)} ({trigger})",
        start=start,
        wait=wait,
    )
    return ids["run"], held.start_heartbeat()


@contextmanager
def recorded_run(
    engine: Engine,
    step: str,
    system: str | None = None,
    *,
    trigger: str = "cli",
    wait: float = 0.0,
    orchestrator_run: str | None = None,
    task: str | None = None,
    scope: str | None = None,
) -> Iterator[dict]:
    """Run a block as a recorded run under its step's lock; the yielded dict becomes the run summary.

    StepBusy when the lock is held by a live run after `wait` seconds. Failures are recorded and re-raised."""
    run_id, held = begin_run(
        engine, step, system, trigger=trigger, wait=wait, orchestrator_run=orchestrator_run, task=task, scope=scope
    )
    summary: dict = {"run_id": run_id}
    try:
        yield summary
    except BaseException as exc:
        held.stop_heartbeat()
        fail_run(engine, run_id, exc, summary=summary, task=task)
        held.release()
        raise
    held.stop_heartbeat()
    finish_run(engine, run_id, summary)
    held.release()
