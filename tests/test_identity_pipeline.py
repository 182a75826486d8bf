"""Linkage runs on the warehouse (SQLite and PostgreSQL): stable ids, merge, undo-merge, split by a review
decision, undo, must-link, deletion, incremental == full, partitioned == single, EM stored with the run."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matching import pipeline, store
from matching.review import decide_pair, undo_decision, undo_merge
from tests.identity_data import (
    BRIDGE_A,
    BRIDGE_B,
    BRIDGE_C,
    TRIPLE,
    D,
    background,
    beneficiary,
    changes,
    clusters,
    crosswalk,
    key,
    row,
    stage,
)
from tests.stage_data import fresh_warehouse

LONE = row(
    "700001", "sat", first="SERAFINO", last="BOTTEGHINI", sex="M", birth=D(1948, 2, 29), cf=None, phone="+393479990001"
)


@pytest.fixture
def engine(warehouse_url):
    return fresh_warehouse(warehouse_url)


def link(engine, mode="incremental", **kw):
    return pipeline.link(engine, mode, trigger="test", **kw)


def linkage_row(engine, run_id):
    with engine.connect() as conn:
        return conn.execute(sa.select(store.LRUN).where(store.LRUN.c.run_id == run_id)).mappings().one()


def test_identity_lifecycle(engine):
    stage(engine, background() + [BRIDGE_A, BRIDGE_B, LONE] + TRIPLE)
    s1 = link(engine)
    assert s1["mode"] == "full" and s1["model_fitted"] and s1["created"] == s1["beneficiaries"]
    run1 = linkage_row(engine, s1["run_id"])
    assert run1["model"]["method"] == "em_sessions" and run1["model"]["converged"]
    assert run1["settings"]["name"] == "stg_person" and run1["metrics"]["fit_reasons"] == ["first run"]
    with engine.connect() as conn:
        status = conn.execute(
            sa.text("SELECT step, status FROM pipeline_run WHERE run_id = :r"), {"r": s1["run_id"]}
        ).one()
    assert tuple(status) == ("link", "success")
    xw1 = crosswalk(engine)
    a, b = xw1[key(BRIDGE_A)], xw1[key(BRIDGE_B)]
    t = xw1[key(TRIPLE[0])]
    assert a != b and {xw1[key(r)] for r in TRIPLE} == {t}

    # ---- nothing changed: same ids, nothing compared, model reused, no change rows
    s2 = link(engine)
    assert s2["mode"] == "incremental" and not s2["model_fitted"] and s2["compared_pairs"] == 0
    assert crosswalk(engine) == xw1 and changes(engine, s2["run_id"]) == []
    assert linkage_row(engine, s2["run_id"])["model"] == run1["model"]

    # ---- a new record bridges two beneficiaries: merge, oldest id (same run -> smallest id) survives
    stage(engine, [BRIDGE_C])
    s3 = link(engine)
    assert s3["mode"] == "incremental" and 0 < s3["compared_pairs"] < s1["compared_pairs"]
    xw3 = crosswalk(engine)
    survivor, absorbed = min(a, b), max(a, b)
    assert {xw3[key(r)] for r in (BRIDGE_A, BRIDGE_B, BRIDGE_C)} == {survivor}
    assert all(xw3[k] == v for k, v in xw1.items() if v not in (a, b))
    assert (
        beneficiary(engine, absorbed)["status"] == "merged" and beneficiary(engine, absorbed)["merged_into"] == survivor
    )
    assert (absorbed, "merged", survivor, None) in changes(engine, s3["run_id"])

    # ---- undo the merge: the next run separates the records again and revives the absorbed id
    undone = undo_merge(engine, absorbed, by="tester")
    assert undone["survivor"] == survivor and undone["cannot_links_added"] >= 1
    s4 = link(engine)
    xw4 = crosswalk(engine)
    assert xw4[key(BRIDGE_A)] == a and xw4[key(BRIDGE_B)] == b and xw4[key(BRIDGE_C)] in (a, b)
    assert beneficiary(engine, absorbed)["status"] == "active" and beneficiary(engine, absorbed)["merged_into"] is None
    assert any(c[1] == "split" and c[0] == survivor for c in changes(engine, s4["run_id"]))

    # ---- a cannot-link decision splits the triple: the largest part keeps the id, the rest gets a new one
    decision = decide_pair(engine, key(TRIPLE[0]), key(TRIPLE[2]), match=False, by="reviewer", note="not the same")
    s5 = link(engine)
    xw5 = crosswalk(engine)
    ids = [xw5[key(r)] for r in TRIPLE]
    assert ids[0] != ids[2] and t in ids and ids.count(t) == 2
    new = next(i for i in ids if i != t)
    assert (t, "split", None, sorted([t, new])) in changes(engine, s5["run_id"])
    assert (new, "created", None, None) in changes(engine, s5["run_id"])

    # ---- undo the decision: the previous state comes back
    undo_decision(engine, decision["review_id"], by="reviewer")
    s6 = link(engine)
    assert crosswalk(engine) == xw4
    assert (new, "merged", t, None) in changes(engine, s6["run_id"])
    with engine.connect() as conn:
        revoked = conn.execute(
            sa.select(store.CONSTRAINT.c.revoked_by).where(store.CONSTRAINT.c.review_id == decision["review_id"])
        ).scalar_one()
    assert revoked == "reviewer"

    # ---- a must-link decision joins records the model keeps apart; a deleted record leaves, its id retires
    lone = xw4[key(LONE)]
    decide_pair(engine, key(LONE), key(TRIPLE[1]), match=True, by="reviewer")
    stage(engine, delete=[key(BRIDGE_A)])
    s7 = link(engine)
    xw7 = crosswalk(engine)
    assert xw7[key(LONE)] == xw7[key(TRIPLE[1])] and key(BRIDGE_A) not in xw7
    assert s7["deleted_records"] == 1 and lone in {c[0] for c in changes(engine, s7["run_id"]) if c[1] == "merged"}
    if xw4[key(BRIDGE_C)] != a:  # BRIDGE_A was alone: its id is retired
        assert beneficiary(engine, a)["status"] == "retired" and (a, "retired", None, None) in changes(
            engine, s7["run_id"]
        )

    # ---- a full relink (same model) gives the same clusters and ids, and announces nothing
    s8 = link(engine, "full")
    assert s8["mode"] == "full" and not s8["model_fitted"] and s8["compared_pairs"] > s7["compared_pairs"]
    assert crosswalk(engine) == xw7 and changes(engine, s8["run_id"]) == []


def test_incremental_changes_match_a_full_relink(engine):
    rows = background(120, seed=8)
    stage(engine, rows)
    link(engine)
    # change a few records (a corrected surname, a moved person), add new ones, delete one
    changed = []
    for r in rows[5:25:4]:
        r = dict(r)
        r["phone"] = "+393330000" + r["source_person_id"][-3:].replace("-", "0")
        changed.append(r)
    stage(engine, changed + [BRIDGE_A, BRIDGE_B, BRIDGE_C] + TRIPLE, delete=[key(rows[1])])
    s = link(engine)
    assert s["mode"] == "incremental" and s["changed_records"] == len(changed) + 6 and s["carried_pairs"] > 0
    incremental = clusters(engine)
    ids = crosswalk(engine)
    link(engine, "full")
    assert clusters(engine) == incremental and crosswalk(engine) == ids


def test_partitioned_path_gives_the_clusters_of_the_single_path(warehouse_url):
    rows = background(120, seed=9) + [BRIDGE_A, BRIDGE_B, BRIDGE_C] + TRIPLE
    engine = fresh_warehouse(warehouse_url)
    stage(engine, rows)
    single = pipeline.link(engine, trigger="test")
    single_xw, single_pairs = crosswalk(engine), single["stored_pairs"]

    engine = fresh_warehouse(warehouse_url)
    stage(engine, rows)
    run = pipeline.LinkageRun.plan(engine, partitions=4, trigger="test", store_work=True)
    names = run.partitions
    assert len(names) == 4 and all(n.endswith("of4") for n in names)
    run.detach()  # as the Airflow DAG does: each task below loads the run in its own process
    parts = [pipeline.LinkageRun.load(engine, run.run_id).score_partition(n) for n in names]
    assert sum(p["stored_pairs"] for p in parts) == single_pairs
    pipeline.LinkageRun.load(engine, run.run_id).score_partition(names[0])  # a retry stores nothing twice
    summary = pipeline.LinkageRun.load(engine, run.run_id).finalize()
    assert crosswalk(engine) == single_xw and summary["beneficiaries"] == single["beneficiaries"]
    with pytest.raises(LookupError, match="is success, not open"):
        pipeline.LinkageRun.load(engine, run.run_id)


def test_finalise_reads_staging_again_when_it_changed_since_the_plan(engine):
    """Finalising takes the records the plan read, unless staging changed since the plan: then it reads them
    again (a record deleted in between leaves the crosswalk, as when the run's tasks run in other processes)."""
    stage(engine, background(60) + [LONE])
    link(engine)
    run = pipeline.LinkageRun.plan(engine, mode="full", trigger="test")
    with engine.connect() as conn:
        assert run._planned_records(conn) is not None  # nothing staged since the plan
    for name in run.partitions:
        run.score_partition(name)
    stage(engine, delete=[key(LONE)])
    with engine.connect() as conn:
        assert run._planned_records(conn) is None
    run.finalize()
    assert key(LONE) not in crosswalk(engine)


def test_linking_an_empty_staging_layer_does_nothing(engine):
    """The link DAG fires on any staging asset: the first run may find no person staged yet."""
    first = link(engine)
    assert first["beneficiaries"] == 0 and first["records"] == 0 and crosswalk(engine) == {}
    stage(engine, background(30))
    second = link(engine)
    assert second["model_fitted"] and second["beneficiaries"] > 0  # the untrained model is refitted
