"""Recording pipeline runs: start, finish, fail — the run table data engineers watch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.models import PipelineRun
from warehouse.types import utcnow


def start_run(
    engine: Engine,
    step: str,
    system: str | None = None,
    trigger: str = "cli",
    orchestrator_run: str | None = None,
    task: str | None = None,
) -> int:
    with engine.begin() as conn:
        return conn.execute(
            sa.insert(PipelineRun)
            .values(
                step=step,
                system=system,
                status="running",
                started_at=utcnow(),
                trigger=trigger,
                orchestrator_run=orchestrator_run,
                task=task,
            )
            .returning(PipelineRun.run_id)
        ).scalar_one()


def finish_run(engine: Engine, run_id: int, summary: dict | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(PipelineRun)
            .where(PipelineRun.run_id == run_id)
            .values(status="success", finished_at=utcnow(), summary=summary)
        )


def fail_run(
    engine: Engine,
    run_id: int | None,
    error: str,
    *,
    step: str | None = None,
    system: str | None = None,
    task: str | None = None,
    summary: dict | None = None,
) -> int:
    """Mark a run failed with its reason; creates the row when the failure came before the run started."""
    if run_id is None:
        run_id = start_run(engine, step or "unknown", system, task=task)
    with engine.begin() as conn:
        conn.execute(
            sa.update(PipelineRun)
            .where(PipelineRun.run_id == run_id)
            .values(status="failed", finished_at=utcnow(), error=error[:4000], task=task, summary=summary)
        )
    return run_id


@contextmanager
def recorded_run(engine: Engine, step: str, system: str | None = None, **kwargs) -> Iterator[dict]:
    """Run a block as a recorded run; the yielded dict becomes the run summary. Failures are recorded and re-raised."""
    run_id = start_run(engine, step, system, **kwargs)
    summary: dict = {"run_id": run_id}
    try:
        yield summary
    except BaseException as exc:
        fail_run(engine, run_id, f"{type(exc).__name__}: {exc}", summary=summary, task=kwargs.get("task"))
        raise
    finish_run(engine, run_id, summary)
