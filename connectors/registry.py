"""`sync_system`: run every stream of one system as one recorded run, then reconcile the source with the raw layer."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from configuration import HubConfig
from connectors.base import CrashHook, SyncRequest, run_stream
from connectors.catalog import STREAM_FACTORIES, build_streams, check_system
from connectors.reconcile import raise_on_missing, reconcile_streams
from warehouse.runs import recorded_run

__all__ = ["STREAM_FACTORIES", "sync_system"]


def sync_system(
    cfg: HubConfig,
    engine: Engine,
    system: str,
    request: SyncRequest = SyncRequest(),
    *,
    trigger: str = "cli",
    crash_hook: CrashHook | None = None,
    wait: float = 0.0,
    **client_kwargs,
) -> dict:
    """Sync all streams of `system` into the raw layer under the system's sync lock (StepBusy after `wait`
    seconds while another sync of it runs), then reconcile each; returns the run summary.

    The summary holds per stream its figures (pages, records new/changed/unchanged/deleted, quarantined,
    retries) and, under `reconciliation`, the source's and the raw layer's counts. Records missing from
    the raw layer fail the run with a ReconciliationError (its `summary` holds the figures)."""
    check_system(system)  # before any run is recorded
    with recorded_run(engine, "sync", system, trigger=trigger, wait=wait) as summary:
        summary["mode"] = request.mode
        summary["streams"] = []
        streams = build_streams(cfg, system, **client_kwargs)
        for stream in streams:
            stats = run_stream(engine, stream, summary["run_id"], request, crash_hook)
            summary["streams"].append(stats.as_dict())
        for entry, figures in zip(summary["streams"], reconcile_streams(engine, streams)):
            entry["reconciliation"] = figures
        raise_on_missing(system, summary)
    return summary
