"""Reconciliation: a record the source holds and the raw layer lacks fails loudly, whatever the cause.

A record is removed from the raw layer behind the connector's back (the row deleted in the
warehouse); for every system the next sync, or `fase reconcile`, fails naming it, the figures are
printed and stored with the run, and a full refresh brings the record back.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from configuration import SYSTEMS, load_env_file
from connectors.base import SyncRequest
from connectors.reconcile import ReconciliationError, reconcile_system
from connectors.registry import sync_system
from hub.commands.reconcile import reconcile
from hub.commands.sync import sync
from sandbox import services, world
from tests.helpers import sandbox_config
from tests.stage_data import fresh_warehouse
from warehouse.models import RAW_TABLES, PipelineRun

STREAMS = {system: [st for sy, st in RAW_TABLES if sy == system] for system in SYSTEMS}


@pytest.fixture
def synced_world(tmp_path, warehouse_url):
    """A small sandbox with its simulators running, every system synced into a fresh warehouse."""
    folder = tmp_path / "sandbox"
    world.generate(folder, 250, seed=31)
    load_env_file(folder / "secrets.env")
    engine = fresh_warehouse(warehouse_url)
    with services.running(folder) as urls:
        cfg = sandbox_config(tmp_path, folder, warehouse_url, urls, page_size=60)
        for system in SYSTEMS:
            summary = sync_system(cfg, engine, system)
            for s in summary["streams"]:
                r = s["reconciliation"]
                assert (r["missing"], r["extra"] or 0) == (0, 0), (system, s["stream"], r)
        yield folder, cfg, engine


def remove_behind_the_back(engine, system: str, stream: str) -> str:
    """Delete the oldest live record of a raw table (all its versions) as a stray DELETE would; returns its id."""
    t = RAW_TABLES[(system, stream)]
    with engine.begin() as conn:
        once = (
            sa.select(t.c.source_id)
            .group_by(t.c.source_id)
            .having(sa.func.count() == 1)
            .having(sa.func.max(sa.case((t.c.deleted, 1), else_=0)) == 0)
        )
        victim = conn.execute(
            sa.select(t.c.source_id).where(t.c.source_id.in_(once)).order_by(t.c.raw_id).limit(1)
        ).scalar_one()
        conn.execute(sa.delete(t).where(t.c.source_id == victim))
    return victim


def _run(engine, run_id: int):
    with engine.connect() as conn:
        return conn.execute(sa.select(PipelineRun).where(PipelineRun.run_id == run_id)).one()


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_record_removed_from_the_raw_layer_fails_sync_or_reconcile_naming_it(synced_world, system):
    folder, cfg, engine = synced_world
    stream = STREAMS[system][-1]
    victim = remove_behind_the_back(engine, system, stream)
    if system == "sat":  # an incremental SAT sync checks only what it received: `fase reconcile` reads SAT whole
        sync_system(cfg, engine, system)
        with pytest.raises(ReconciliationError) as failure:
            reconcile_system(cfg, engine, system)
    else:
        with pytest.raises(ReconciliationError) as failure:
            sync_system(cfg, engine, system)
    message = str(failure.value)
    assert f"{system}.{stream}: 1 record(s) missing" in message and victim in message
    figures = next(s for s in failure.value.summary["streams"] if s["stream"] == stream)["reconciliation"]
    assert (figures["missing"], figures["first_missing"]) == (1, [victim])
    assert figures["source"] == figures["raw"] + 1
    run = _run(engine, failure.value.summary["run_id"])  # the run failed loudly, figures stored with it
    assert run.status == "failed" and victim in run.error and "ReconciliationError" in run.error
    stored = next(s for s in run.summary["streams"] if s["stream"] == stream)["reconciliation"]
    assert stored["first_missing"] == [victim]
    # a full refresh reloads it; reconciliation passes again
    sync_system(cfg, engine, system, SyncRequest("full_refresh"))
    again = reconcile_system(cfg, engine, system)
    assert all(s["reconciliation"]["missing"] == 0 for s in again["streams"])
    assert _run(engine, again["run_id"]).status == "success"


def test_fase_reconcile_prints_the_figures_and_exits_non_zero_on_a_mismatch(synced_world):
    folder, cfg, engine = synced_world
    runner = CliRunner()
    obj = {"config_path": "unused.yaml", "config": cfg, "engine": engine}
    out = runner.invoke(reconcile, ["--all"], obj=obj)
    assert out.exit_code == 0, out.output
    for system in SYSTEMS:
        for stream in STREAMS[system]:
            line = next(line for line in out.output.splitlines() if f"{system}.{stream} " in line)
            assert "reconciled by" in line and "missing 0" in line
    victim = remove_behind_the_back(engine, "volontariato", "servizi")
    out = runner.invoke(reconcile, ["contabilita", "volontariato"], obj=obj)
    assert out.exit_code == 1
    line = next(line for line in out.output.splitlines() if "volontariato.servizi " in line)
    assert "missing 1" in line and f"MISSING: {victim}" in line
    assert "reconciliation failed for: volontariato" in out.output
    out = runner.invoke(sync, ["volontariato"], obj=obj)  # the sync prints the same figures, and fails
    assert out.exit_code == 1 and f"MISSING: {victim}" in out.output and "sync failed for: volontariato" in out.output


def test_sync_prints_reconciliation_figures_per_stream(synced_world):
    folder, cfg, engine = synced_world
    world.advance(folder, 1)
    out = CliRunner().invoke(sync, ["--all"], obj={"config_path": "x", "config": cfg, "engine": engine})
    assert out.exit_code == 0, out.output
    assert "reconciled by id set: source " in out.output  # SQL sources
    assert "reconciled by snapshot ANAGRAFE_RESIDENTI_20261023.csv" in out.output
    assert "reconciled by count: source " in out.output  # POLIS
    assert "reconciled by records received in this run" in out.output  # SAT, incremental
