"""What the DAG files in dags/ share: default task arguments, the failure callback, DAG ids and assets.

The DAG processor imports this module while parsing, so it imports only the Task SDK, the
standard library and `configuration` (already-loaded pydantic/yaml); the pipeline itself is
imported inside the task functions and the callback, at run time.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import pendulum
from airflow.sdk import Asset

from configuration import CONFIG_ENV, DEFAULT_CONFIG, SYSTEMS

log = logging.getLogger(__name__)

OWNER = "fase-data-engineering"
SYNC_PREFIX = "fase_sync_"
START_DATE = pendulum.datetime(2025, 1, 1, tz="Europe/Rome")
"""Schedules are in Florence's time: the anagrafe drop is a nightly local event."""


def config_path() -> str:
    """The hub configuration the tasks use: $FASE_CONFIG, else config/sandbox.yaml (relative to the worker's cwd)."""
    return os.environ.get(CONFIG_ENV) or str(DEFAULT_CONFIG)


def sync_dag_id(system: str) -> str:
    return SYNC_PREFIX + system


def staging_asset(system: str) -> Asset:
    """The asset a system's sync DAG updates when its staging data is refreshed."""
    return Asset(f"fase://staging/{system}")


STAGING_ASSETS = {system: staging_asset(system) for system in SYSTEMS}
MARTS_ASSET = Asset("fase://marts/beneficiary_profile")


def run_step(name: str, *args, **kwargs):
    """Call the pipeline step `hub.pipeline.<name>` with the configured hub config; the body of every task.

    A quality step whose expectations failed fails the task at once (AirflowFailException: a retry
    would give the same answer); any other error goes through the retries. A database error reaches the task
    log summarised (warehouse/scrub.py): its statement and parameters hold the personal data of the batch.
    """
    import sqlalchemy as sa
    from airflow.sdk.exceptions import AirflowFailException

    from hub import pipeline
    from warehouse.scrub import summarise_error

    try:
        return getattr(pipeline, name)(*args, config_path=config_path(), **kwargs)
    except pipeline.QualityFailed as exc:
        raise AirflowFailException(f"step {name}: {exc}") from exc
    except sa.exc.StatementError as exc:
        raise StepError(f"step {name}: {summarise_error(exc)}") from None


class StepError(RuntimeError):
    """A step failed on a database error; the message is its scrubbed summary (the original is not chained)."""


def failure_reason(context) -> str:
    """The task's exception as one scrubbed line (warehouse/scrub.py)."""
    exc = context.get("exception")
    if exc is None:
        return "task failed without an exception (killed, timed out or marked failed)"
    from warehouse.scrub import summarise_error

    return summarise_error(exc)


def record_task_failure(context) -> None:
    """on_failure_callback: a `failed` row in the warehouse's pipeline_run with the task id and the reason; for a
    task of a linkage run (link_plan's run id in XCom), that run is failed and its lock freed.

    Never raises: a callback failure must not hide the task's own failure (it is logged instead).
    """
    ti = context["ti"]
    dag_id = ti.dag_id
    map_index = getattr(ti, "map_index", None)
    task = f"{dag_id}.{ti.task_id}" + (f"[{map_index}]" if map_index is not None and map_index >= 0 else "")
    system = dag_id.removeprefix(SYNC_PREFIX)
    run_id = None
    if ti.task_id.startswith("link_") and ti.task_id != "link_plan":
        try:
            from hub.pipeline import planned_run

            run_id = planned_run(ti.xcom_pull(task_ids="link_plan"))
        except Exception:  # no XCom: the failure is still recorded below
            log.exception("could not read the linkage run id of %s", task)
    try:
        from hub.pipeline import record_failure

        record_failure(
            ti.task_id,
            failure_reason(context),
            system=system if system in SYSTEMS else None,
            task=task,
            orchestrator_run=ti.run_id,
            config_path=config_path(),
            run_id=run_id,
        )
    except Exception:  # the warehouse itself may be what failed
        log.exception("could not record the failure of %s in pipeline_run", task)


DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,  # 2, 4, 8 minutes…
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(hours=1),
    "on_failure_callback": record_task_failure,
}
"""Task defaults of every fase DAG: retries with exponential backoff, a timeout, the failure record."""
