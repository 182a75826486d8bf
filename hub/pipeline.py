"""The pipeline steps, as plain functions that the CLI, the Airflow DAGs and the tests call alike.

Each step loads the configuration, opens the warehouse (migrated to head), runs, records itself
in `pipeline_run` and returns a small JSON-able summary (never a DataFrame: steps hand each
other table names, and the warehouse holds the data).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import Engine

from configuration import HubConfig, load_config
from progress import track
from warehouse import db


@lru_cache(maxsize=8)
def _open(config_path: str | None) -> tuple[HubConfig, Engine]:
    cfg = load_config(config_path)
    engine = db.make_engine(cfg.warehouse.sqlalchemy_url())
    db.check_reachable(engine)  # one clear line (URL without password) rather than a driver traceback
    db.upgrade(engine)
    return cfg, engine


def open_hub(config_path: str | Path | None = None) -> tuple[HubConfig, Engine]:
    """Configuration and a migrated warehouse engine, cached per configuration file for this process."""
    return _open(str(config_path) if config_path else None)


def sync(
    system: str,
    config_path: str | None = None,
    mode: str = "incremental",
    since: str | None = None,
    trigger: str = "cli",
) -> dict:
    """Extract one source system into the raw layer."""
    from datetime import datetime

    from connectors.base import SyncRequest
    from connectors.registry import sync_system
    from hub.source_check import check_source

    cfg, engine = open_hub(config_path)
    check_source(cfg, system)  # sandbox mode: "start the sandbox" at once, not retries of "connection refused"
    request = SyncRequest(mode, datetime.fromisoformat(since) if since else None)  # type: ignore[arg-type]
    return sync_system(cfg, engine, system, request, trigger=trigger)


def record_failure(
    step: str,
    error: str,
    system: str | None = None,
    task: str | None = None,
    orchestrator_run: str | None = None,
    config_path: str | None = None,
    run_id: int | None = None,
) -> int:
    """Record a failure that happened outside a step's own run (e.g. an Airflow task timeout). With `run_id`, the
    run a multi-task step left open (a linkage run whose task failed for good) is failed and its lock freed."""
    from warehouse.runs import close_failed, fail_run, start_run

    _, engine = open_hub(config_path)
    if run_id is not None:
        close_failed(engine, run_id, f"task {task} failed: {error}")
    failed = start_run(engine, step, system, trigger="airflow", orchestrator_run=orchestrator_run, task=task)
    return fail_run(engine, failed, error, task=task)


def stage(system: str, config_path: str | None = None, trigger: str = "cli") -> dict:
    """Validate and standardise one system's raw layer into staging, rejects to quarantine."""
    from schemas.stage import stage_system as run

    cfg, engine = open_hub(config_path)
    return run(cfg, engine, system, trigger=trigger)


def anagrafe_snapshot_pending(config_path: str | None = None) -> str | None:
    """Name of the newest complete anagrafe snapshot newer than the last loaded one, or None (sensor poke)."""
    from connectors.anagrafe import AnagrafeStream, newer_complete_snapshot
    from warehouse.state import load_state

    cfg, engine = open_hub(config_path)
    with engine.connect() as conn:
        state = load_state(conn, AnagrafeStream.system, AnagrafeStream.name) or {}
    check = newer_complete_snapshot(cfg.sources.anagrafe.folder, state.get("snapshot"))
    return check.path.name if check else None


def link_plan(config_path: str | None = None, trigger: str = "airflow") -> list[dict]:
    """Open a linkage run under the link lock, store its planned work for the partition tasks and hand the lock
    over to them; one {"linkage_run": run id, "partition": "p0of4"} per blocking partition with pairs to compare
    (at least one: the DAG maps link_partition over them)."""
    from matching.pipeline import LinkageRun

    _, engine = open_hub(config_path)
    with track("link: plan (blocking, model)"):
        run = LinkageRun.plan(engine, trigger=trigger, store_work=True)
    run.detach()
    return [{"linkage_run": run.run_id, "partition": name} for name in run.partitions]


def link_partition(linkage_run: int, partition: str, config_path: str | None = None) -> dict:
    """Compare and score the candidate pairs of one blocking partition of a linkage run; returns its summary."""
    from matching.pipeline import LinkageRun

    _, engine = open_hub(config_path)
    with track(f"link: score partition {partition}"):
        return LinkageRun.load(engine, linkage_run).score_partition(partition)


def link_finalize(planned: list[dict], config_path: str | None = None) -> dict:
    """Cluster the scored pairs of the run `planned` by link_plan into stable beneficiary ids and the crosswalk;
    close the run."""
    from matching.pipeline import LinkageRun

    _, engine = open_hub(config_path)
    with track("link: finalise (clusters, stable ids)"):
        return LinkageRun.load(engine, planned_run(planned)).finalize()


def planned_run(planned: list[dict]) -> int:
    """The linkage run id of link_plan's output."""
    return int(planned[0]["linkage_run"])


def publish(config_path: str | None = None, trigger: str = "cli") -> dict:
    """Survivorship, facts and marts from the identity layer."""
    from warehouse.publish import publish as run

    cfg, engine = open_hub(config_path)
    return run(cfg, engine, trigger=trigger)


class QualityFailed(Exception):
    """Expectations failed: the data, not the run, needs fixing (a retry would give the same answer)."""


def quality(config_path: str | None = None, trigger: str = "cli") -> dict:
    """Great Expectations suites over staging (results stored, Data Docs built) and the open quarantine per stream.

    Returns the summary; raises QualityFailed, after everything is recorded, when an expectation failed.
    """
    import sqlalchemy as sa

    from schemas.quality.runner import validate_staging as run
    from warehouse.models import Quarantine as Q

    cfg, engine = open_hub(config_path)
    summary = run(cfg, engine, trigger=trigger)
    with engine.connect() as conn:
        open_entries = conn.execute(
            sa.select(Q.system, Q.stream, sa.func.count())
            .where(Q.released_run_id.is_(None))
            .group_by(Q.system, Q.stream)
        ).all()
    summary["quarantine_open"] = {f"{system}.{stream}": n for system, stream, n in open_entries}
    if not summary.get("success", True):
        failed = {suite: s["failed"] for suite, s in summary.get("suites", {}).items() if s.get("failed")}
        raise QualityFailed(f"expectations failed: {failed}; Data Docs: {summary.get('data_docs')}")
    return summary
