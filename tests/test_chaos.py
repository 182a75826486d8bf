"""Issue 14 §7: random SIGKILLs of sync, stage, link and publish, overlapping runs of each and source faults leave
the warehouse equal to an undisturbed run's — on SQLite and PostgreSQL (sandbox/chaos.py; bench/chaos.py runs more)."""

from __future__ import annotations

from configuration import SYSTEMS
from hub import pipeline
from sandbox.chaos import run_chaos


def plain_pipeline(config) -> None:
    """The undisturbed pipeline, in this process (the chaos rounds are the `fase` processes)."""
    config = str(config)
    for system in SYSTEMS:
        pipeline.sync(system, config)
    for system in SYSTEMS:
        pipeline.stage(system, config)
    from matching.pipeline import link

    link(pipeline.open_hub(config)[1], "full", refit=True, trigger="test")
    pipeline.publish(config)


def test_kills_and_overlaps_change_nothing(tmp_path, warehouse_url, request):
    urls = {}
    if warehouse_url.startswith("postgresql"):  # two fresh databases: the reference and the chaos warehouse
        from tests.servers import postgres_database

        gens = [postgres_database("fase_chaos") for _ in range(2)]
        urls = {"reference_url": next(gens[0]), "chaos_url": next(gens[1])}
        for g in gens:
            request.addfinalizer(lambda g=g: next(g, None))
    report = run_chaos(tmp_path, size=120, seed=11, rounds=6, fault_rate=0.2, pipeline=plain_pipeline, **urls)
    assert report.kills >= 2 and report.overlaps >= 2, report.lines()
    assert report.refused == report.overlaps, report.lines()  # a second run never runs beside the first
    assert report.clean, "\n".join(report.lines())
