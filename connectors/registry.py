"""Which connector serves which system, and `sync_system`: run every stream of one system as one recorded run."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from configuration import SYSTEMS, HubConfig
from connectors import anagrafe, contabilita, polis, sat, volontariato
from connectors.base import CrashHook, Stream, SyncRequest, run_stream
from warehouse.runs import recorded_run

STREAM_FACTORIES: dict[str, Callable[..., list[Stream]]] = {
    "sat": sat.streams,
    "anagrafe": anagrafe.streams,
    "polis": polis.streams,
    "volontariato": volontariato.streams,
    "contabilita": contabilita.streams,
}
assert tuple(STREAM_FACTORIES) == SYSTEMS


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
    seconds while another sync of it runs); returns the run summary (per-stream figures)."""
    if system not in STREAM_FACTORIES:
        raise ValueError(f"unknown system {system!r}; expected one of {', '.join(SYSTEMS)}")
    with recorded_run(engine, "sync", system, trigger=trigger, wait=wait) as summary:
        summary["mode"] = request.mode
        summary["streams"] = []
        for stream in STREAM_FACTORIES[system](cfg, **client_kwargs):
            stats = run_stream(engine, stream, summary["run_id"], request, crash_hook)
            summary["streams"].append(stats.as_dict())
    return summary
