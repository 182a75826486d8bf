"""Coherence in linkage runs on the warehouse: a name-only record that arrives between two people of one name
(their full birth dates months apart) merges neither, in an incremental run as in a full one, partitioned or
not, and its links wait in the review queue naming both people."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matching import pipeline, store
from matching.settings import load_settings
from tests.identity_data import PLACES, D, background, crosswalk, key, row, stage
from tests.stage_data import fresh_warehouse

FIRST = row("910001", "anagrafe", first="ROSALBA", last="TOMMASINI", sex="F", birth=D(1980, 3, 12), place=PLACES[0])
SECOND = row("910002", "sat", first="ROSALBA", last="TOMMASINI", sex="F", birth=D(1980, 9, 25), cf=None)
NAME_ONLY = row("910003", "volontariato", first="ROSALBA", last="TOMMASINI", sex="F", birth=None, cf=None)


@pytest.fixture
def engine(warehouse_url):
    return fresh_warehouse(warehouse_url)


def review_items(engine) -> list[dict]:
    R = store.REVIEW
    with engine.connect() as conn:
        rows = conn.execute(sa.select(R)).mappings().all()
    return [
        dict(
            r,
            left=store.record_key(r["left_system"], r["left_id"]),
            right=store.record_key(r["right_system"], r["right_id"]),
        )
        for r in rows
    ]


def link(engine, mode: str, settings, partitions: int) -> dict:
    """A linkage run in one process, or planned in `partitions` scored one by one as the Airflow DAG does."""
    if partitions == 1:
        return pipeline.link(engine, mode, trigger="test", settings=settings)
    run = pipeline.LinkageRun.plan(
        engine, mode=mode, partitions=partitions, settings=settings, trigger="test", store_work=True
    )
    run.detach()
    for name in run.partitions:
        pipeline.LinkageRun.load(engine, run.run_id).score_partition(name)
    return pipeline.LinkageRun.load(engine, run.run_id).finalize()


@pytest.mark.parametrize(
    ("incremental", "population", "partitions"),
    [(True, True, 1), (True, False, 1), (False, True, 1), (False, False, 1), (True, False, 3)],
)
def test_a_bridging_record_never_merges_two_people_of_one_name(engine, incremental, population, partitions):
    # with the population prior the name-only links fall in the review band (another ROSALBA TOMMASINI born
    # 1980); without it they are automatic, and coherence withdraws them: the record is a bridge
    settings = load_settings("stg_person")
    if not population:
        settings = settings.model_copy(update={"population": None})
    people = background(120, seed=11) + [FIRST, SECOND]
    if incremental:
        stage(engine, people)
        link(engine, "incremental", settings, partitions)
        before = crosswalk(engine)
        assert before[key(FIRST)] != before[key(SECOND)]
        stage(engine, [NAME_ONLY])
        summary = link(engine, "incremental", settings, partitions)
        assert summary["mode"] == "incremental"
    else:
        stage(engine, people + [NAME_ONLY])
        link(engine, "full", settings, partitions)
    xw = crosswalk(engine)
    assert xw[key(FIRST)] != xw[key(SECOND)]
    assert xw[key(NAME_ONLY)] not in (xw[key(FIRST)], xw[key(SECOND)])
    if incremental:
        assert xw[key(FIRST)] == before[key(FIRST)] and xw[key(SECOND)] == before[key(SECOND)]
    queued = {frozenset((r["left"], r["right"])): r["evidence"] for r in review_items(engine)}
    pairs = [frozenset((key(NAME_ONLY), key(p))) for p in (FIRST, SECOND)]
    assert all(p in queued for p in pairs)  # both candidates wait for a reviewer
    for p in pairs:
        ev = queued[p]
        assert (ev["population_adjustment"] == pytest.approx(-1.0)) == population  # one other bearer
        if not population:
            assert ev["reason"].startswith("automatic link refused: ambiguous_bridge")
            assert set(ev["candidates"]) == {key(FIRST), key(SECOND)}
