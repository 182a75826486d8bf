"""Linkage runs on the warehouse: stg_person -> scored pairs -> clusters -> stable beneficiary ids.

Three steps, which the Airflow DAG runs as separate tasks and `link` runs in one process:

    plan_partitions(cfg, engine) -> ["p0of4", ...]   open a linkage run (pipeline_run step "link" +
        linkage_run with mode, settings and model), find the new/changed records, block, and bucket
        the candidate pairs to compare by a hash of their first record's key
    link_partition(cfg, engine, "p0of4") -> dict     compare + score that bucket's pairs; the pairs at
        or above the review threshold go to match_pair under the run (the scratch table of the run)
    finalize(cfg, engine) -> dict                    incremental: carry forward the previous run's pairs
        between unchanged records; cluster every pair of the run under the hard constraints and the
        review decisions (link_constraint); stable ids (matching/identity.py); write beneficiary,
        beneficiary_crosswalk, beneficiary_change, review_item; close the run

Modes. `incremental` (default): only pairs touching a record that is new or changed since the last
run (its staging run was not seen by that run, or it is not in the crosswalk) are compared — against
every record in their blocks — and scored with the previous run's model; records gone from staging
leave the crosswalk. `full`: every candidate pair is compared again (model reused unless `refit`).
The first run, `refit=True`, changed settings or a previous model with untrained comparisons (too
little data to estimate them, matching/training.py) fit the model (EM, unsupervised) and imply `full`.
Records staged after a run was planned wait for the next run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from matching import store
from matching.blocking import candidate_pairs
from matching.clustering import AUTO_LINK, REVIEW, SKIPPED
from matching.engine import (
    build_comparators,
    comparison_metas,
    compute_levels,
    constrained_clusters,
    random_pairs,
    tf_adjustments,
)
from matching.identity import Known, assign_ids
from matching.implied_birth import with_birth_bounds
from matching.prepare import prepare_records
from matching.scoring import FittedModel, level_frequencies
from matching.settings import LinkageSettings, load_settings
from matching.training import train_model
from warehouse.models import PipelineRun
from warehouse.runs import fail_run, finish_run, recorded_run, start_run
from warehouse.types import utcnow

log = logging.getLogger(__name__)

SETTINGS_NAME = "stg_person"
DEFAULT_PARTITIONS = 4
KEEP_PAIR_RUNS = 3
"""match_pair keeps the pairs of the last few linkage runs (each run holds its complete pair set)."""

_CACHE: dict[int, Work] = {}
"""In-process work of an open run (prepared records, candidate pairs), so that `link` computes once."""


# =========================================================================== settings and runs
def linkage_settings(cfg=None) -> LinkageSettings:
    return _bundled_settings()


@lru_cache(maxsize=1)
def _bundled_settings() -> LinkageSettings:
    return load_settings(SETTINGS_NAME)


def settings_fingerprint(settings: LinkageSettings) -> str:
    return hashlib.sha256(json.dumps(settings.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class RunInfo:
    run_id: int
    mode: str
    settings: dict
    model: FittedModel
    metrics: dict


def _run_info(row) -> RunInfo:
    return RunInfo(row.run_id, row.mode, row.settings, FittedModel.from_dict(row.model), dict(row.metrics or {}))


def last_linkage(conn: Connection, status: str = "success") -> RunInfo | None:
    """The latest linkage run whose pipeline run has `status` (success: the current state)."""
    L, R = store.LRUN, PipelineRun.__table__
    row = conn.execute(
        sa.select(L.c.run_id, L.c.mode, L.c.settings, L.c.model, L.c.metrics)
        .join(R, R.c.run_id == L.c.run_id)
        .where(R.c.status == status)
        .order_by(L.c.run_id.desc())
        .limit(1)
    ).first()
    return _run_info(row) if row else None


def open_linkage(conn: Connection) -> RunInfo:
    run = last_linkage(conn, status="running")
    if run is None:
        raise RuntimeError("no linkage run is open: run plan_partitions first")
    return run


def _supersede_open_runs(engine: Engine) -> None:
    """Runs left open by an interrupted DAG run are failed before a new one starts."""
    L, R = store.LRUN, PipelineRun.__table__
    with engine.connect() as conn:
        stale = conn.execute(sa.select(R.c.run_id).where(R.c.step == "link", R.c.status == "running")).scalars().all()
        open_ids = set(conn.execute(sa.select(L.c.run_id)).scalars()) & set(stale)
    for run_id in open_ids:
        _CACHE.pop(run_id, None)
        fail_run(engine, run_id, "superseded by a newer linkage run before it finished")


# =========================================================================== the work of a run
@dataclass
class Work:
    settings: LinkageSettings
    records: pd.DataFrame  # stg_person rows of the run (index = record key, sorted)
    prepared: pd.DataFrame  # prepared for the comparators (positions = rows of `records`)
    keys: np.ndarray
    changed: np.ndarray  # bool per record: compared this run
    i: np.ndarray  # candidate pairs to compare this run (positions, i < j)
    j: np.ndarray
    blocking: dict = field(default_factory=dict)
    levels: np.ndarray | None = None


def _previous_state(conn: Connection, prev: RunInfo | None) -> tuple[set, pd.Index]:
    seen = set(prev.metrics.get("staging_runs", [])) if prev else set()
    xw = store.read_crosswalk(conn).index if prev else pd.Index([])
    return seen, xw


def build_work(
    conn: Connection, settings: LinkageSettings, mode: str, staging_runs: list[int] | None, prev: RunInfo | None
) -> Work:
    """Records of the run (restricted to `staging_runs` when given), changed flags, candidate pairs."""
    records = with_birth_bounds(store.read_persons(conn, settings), settings, conn)
    if staging_runs is not None:
        records = records[records["run_id"].isin(staging_runs)]
    keys = records.index.to_numpy(dtype=object)
    if mode == "full":
        changed = np.ones(len(records), dtype=bool)
    else:
        seen, xw = _previous_state(conn, prev)
        changed = ~records["run_id"].isin(seen).to_numpy() | ~records.index.isin(xw)
    prepared = prepare_records(records, settings)
    i, j, stats = candidate_pairs(prepared, settings)
    blocking = stats.as_dict()
    if mode != "full":
        keep = changed[i] | changed[j]
        i, j = i[keep], j[keep]
    blocking["compared_pairs"] = int(i.size)
    return Work(settings, records, prepared, keys, changed, i, j, blocking)


def partition_of(keys: np.ndarray, i: np.ndarray, n_partitions: int) -> np.ndarray:
    """Bucket of each pair: crc32 of its first record's key, modulo the partition count."""
    h = np.fromiter((zlib.crc32(k.encode()) for k in keys), dtype=np.int64, count=len(keys))
    return (h[i] % n_partitions).astype(np.int64)


def partition_name(bucket: int, n: int) -> str:
    return f"p{bucket}of{n}"


def parse_partition(name: str) -> tuple[int, int]:
    try:
        b, n = name[1:].split("of")
        b, n = int(b), int(n)
    except ValueError:
        raise ValueError(f"bad partition name {name!r} (expected pBofN)") from None
    if not (name.startswith("p") and 0 <= b < n):
        raise ValueError(f"bad partition name {name!r}")
    return b, n


# =========================================================================== model
def fit_model(work: Work) -> FittedModel:
    """Unsupervised Fellegi–Sunter model (matching/training.py: EM over candidates or EM sessions)."""
    settings, prepared = work.settings, work.prepared
    comparators = build_comparators(settings)
    metas = comparison_metas(settings, comparators)
    if work.levels is None:
        work.levels = compute_levels(prepared, work.i, work.j, comparators)
    em = settings.em
    ri, rj = random_pairs(len(prepared), em.u_sample_pairs, em.seed)
    u_random = level_frequencies(compute_levels(prepared, ri, rj, comparators), metas, em.pseudo_count)
    return train_model(prepared, settings, comparators, metas, work.levels, u_random, compute_levels, (work.i, work.j))


def score(work: Work, model: FittedModel, i: np.ndarray, j: np.ndarray, levels: np.ndarray | None = None):
    """(levels, tf adjustments, match weights, probabilities) of pairs i, j."""
    if levels is None:
        levels = compute_levels(work.prepared, i, j, build_comparators(work.settings))
    tf = tf_adjustments(model, work.prepared, levels, i, j)
    weight = model.match_weight(levels, tf, model.pair_prior_weights(work.prepared, i, j))
    return levels, tf, weight, model.probability(weight)


# =========================================================================== step 1: plan
def plan_partitions(
    cfg,
    engine: Engine,
    *,
    mode: str = "incremental",
    refit: bool = False,
    partitions: int = DEFAULT_PARTITIONS,
    trigger: str = "airflow",
    settings: LinkageSettings | None = None,
) -> list[str]:
    """Open a linkage run and list the partitions of pairs to compare (at least one)."""
    _supersede_open_runs(engine)
    run_id = start_run(engine, "link", trigger=trigger)
    try:
        return _plan(engine, settings or linkage_settings(cfg), run_id, mode, refit, partitions)
    except BaseException as exc:
        _CACHE.pop(run_id, None)
        fail_run(engine, run_id, f"{type(exc).__name__}: {exc}")
        raise


def _plan(engine: Engine, settings: LinkageSettings, run_id: int, mode: str, refit: bool, partitions: int) -> list[str]:
    if mode not in ("incremental", "full"):
        raise ValueError(f"mode must be incremental or full, not {mode!r}")
    t0 = time.perf_counter()
    fingerprint = settings_fingerprint(settings)
    with engine.connect() as conn:
        prev = last_linkage(conn)
        reasons = []
        if prev is None:
            reasons.append("first run")
        elif prev.metrics.get("settings_fingerprint") != fingerprint:
            reasons.append("settings changed")
        elif prev.model.untrained:
            reasons.append("previous model untrained for " + ", ".join(prev.model.untrained))
        if refit:
            reasons.append("refit asked")
        fit = bool(reasons)
        effective = "full" if fit or mode == "full" else "incremental"
        work = build_work(conn, settings, effective, None, prev)
        staging_runs = sorted(int(r) for r in pd.unique(work.records["run_id"]))
    t_block = time.perf_counter() - t0
    t = time.perf_counter()
    model = fit_model(work) if fit else prev.model
    t_fit = time.perf_counter() - t
    buckets = partition_of(work.keys, work.i, partitions)
    names = [partition_name(b, partitions) for b in np.unique(buckets).tolist()] or [partition_name(0, partitions)]
    n_deleted = 0
    if prev is not None:
        with engine.connect() as conn:
            n_deleted = int((~store.read_crosswalk(conn).index.isin(work.records.index)).sum())
    metrics = {
        "settings_fingerprint": fingerprint,
        "staging_runs": staging_runs,
        "previous_run": prev.run_id if prev else None,
        "requested_mode": mode,
        "model_fitted": fit,
        "fit_reasons": reasons,
        "model_from_run": None if fit else prev.metrics.get("model_from_run", prev.run_id),
        "partitions": partitions,
        "partition_names": names,
        "records": int(len(work.keys)),
        "changed_records": int(work.changed.sum()),
        "deleted_records": n_deleted,
        "blocking": work.blocking,
        "seconds": {"plan_blocking": round(t_block, 3), "fit": round(t_fit, 3)},
    }
    if fit:
        metrics["model_from_run"] = run_id
    with engine.begin() as conn:
        conn.execute(
            store.LRUN.insert().values(
                run_id=run_id,
                mode=effective,
                settings=settings.model_dump(mode="json"),
                model=model.to_dict(),
                metrics=metrics,
            )
        )
    work.levels = work.levels if fit else None
    _CACHE.clear()
    _CACHE[run_id] = work
    log.info(
        "linkage run %s (%s): %s records, %s changed, %s pairs in %s partitions",
        run_id,
        effective,
        len(work.keys),
        int(work.changed.sum()),
        work.i.size,
        len(names),
    )
    return names


# =========================================================================== step 2: partitions
def link_partition(cfg, engine: Engine, partition: str, *, settings: LinkageSettings | None = None) -> dict:
    """Compare and score the candidate pairs of one partition of the open run; store them in match_pair."""
    t0 = time.perf_counter()
    bucket, n = parse_partition(partition)
    with engine.connect() as conn:
        run = open_linkage(conn)
        work = _CACHE.get(run.run_id)
        if work is None:
            s = settings or linkage_settings(cfg)
            if settings_fingerprint(s) != run.metrics.get("settings_fingerprint"):
                raise RuntimeError("the linkage settings changed since the run was planned")
            prev = None
            if run.mode != "full" and run.metrics.get("previous_run"):
                prev = _run_by_id(conn, run.metrics["previous_run"])
            work = build_work(conn, s, run.mode, run.metrics["staging_runs"], prev)
    if n != run.metrics.get("partitions"):
        raise ValueError(
            f"partition {partition} does not belong to run {run.run_id} ({run.metrics.get('partitions')} partitions)"
        )
    sel = np.flatnonzero(partition_of(work.keys, work.i, n) == bucket)
    i, j = work.i[sel], work.j[sel]
    levels = work.levels[sel] if work.levels is not None and work.levels.shape[0] == work.i.size else None
    levels, tf, weight, prob = score(work, run.model, i, j, levels)
    th = work.settings.thresholds
    s = prob if th.scale == "probability" else weight
    keep = np.flatnonzero(s >= th.review)
    rows = pair_rows(
        run.run_id,
        work.keys,
        run.model,
        i[keep],
        j[keep],
        levels[keep],
        None if tf is None else tf[keep],
        weight[keep],
        prob[keep],
        s[keep] >= th.auto_link,
    )
    with engine.begin() as conn:
        if (
            rows
            and conn.execute(
                sa.select(sa.literal(1)).where(
                    store.PAIR.c.run_id == run.run_id,
                    *[store.PAIR.c[k] == rows[0][k] for k in ("left_system", "left_id", "right_system", "right_id")],
                )
            ).first()
        ):
            _delete_pairs(conn, run.run_id, rows)  # a retried partition
        store.insert_rows(conn, store.PAIR, rows)
    return {
        "run_id": run.run_id,
        "partition": partition,
        "compared_pairs": int(i.size),
        "stored_pairs": len(rows),
        "auto_link": int((s[keep] >= th.auto_link).sum()),
        "seconds": round(time.perf_counter() - t0, 3),
    }


def _run_by_id(conn: Connection, run_id: int) -> RunInfo | None:
    L = store.LRUN
    row = conn.execute(
        sa.select(L.c.run_id, L.c.mode, L.c.settings, L.c.model, L.c.metrics).where(L.c.run_id == run_id)
    ).first()
    return _run_info(row) if row else None


def _delete_pairs(conn: Connection, run_id: int, rows: list[dict]) -> None:
    P = store.PAIR
    stmt = P.delete().where(
        P.c.run_id == run_id,
        P.c.left_system == sa.bindparam("ls"),
        P.c.left_id == sa.bindparam("li"),
        P.c.right_system == sa.bindparam("rs"),
        P.c.right_id == sa.bindparam("ri"),
    )
    conn.execute(
        stmt, [{"ls": r["left_system"], "li": r["left_id"], "rs": r["right_system"], "ri": r["right_id"]} for r in rows]
    )


def pair_rows(run_id: int, keys: np.ndarray, model: FittedModel, i, j, levels, tf, weight, prob, auto) -> list[dict]:
    """match_pair rows; `levels` is {comparison: level label} plus {"tf": {comparison: adjustment}} when any."""
    labels = [np.asarray(c.labels, dtype=object) for c in model.comparisons]
    names = [c.name for c in model.comparisons]
    lab_cols = [labels[k][levels[:, k]] for k in range(len(names))]
    tf_cols = [] if tf is None else [(names[k], tf[:, k]) for k in range(len(names)) if np.any(tf[:, k] != 0)]
    left = [store.split_key(k) for k in keys[i]]
    right = [store.split_key(k) for k in keys[j]]
    rows = []
    for n in range(len(i)):
        lv: dict[str, Any] = {names[k]: lab_cols[k][n] for k in range(len(names))}
        adj = {c: round(float(col[n]), 4) for c, col in tf_cols if col[n] != 0}
        if adj:
            lv["tf"] = adj
        rows.append(
            {
                "run_id": run_id,
                "left_system": left[n][0],
                "left_id": left[n][1],
                "right_system": right[n][0],
                "right_id": right[n][1],
                "match_weight": float(weight[n]),
                "probability": float(prob[n]),
                "decision": "auto_link" if auto[n] else "review",
                "levels": lv,
            }
        )
    return rows


# =========================================================================== step 3: finalize
def finalize(cfg, engine: Engine, *, settings: LinkageSettings | None = None) -> dict:
    """Cluster the open run's pairs, assign stable ids, write the identity layer and close the run."""
    with engine.connect() as conn:
        run = open_linkage(conn)
    try:
        summary = _finalize(engine, run)
    except BaseException as exc:
        _CACHE.pop(run.run_id, None)
        fail_run(engine, run.run_id, f"{type(exc).__name__}: {exc}")
        raise
    finish_run(engine, run.run_id, summary)
    return summary


def _carry_forward(conn: Connection, run: RunInfo, changed_keys: list[str]) -> int:
    """Copy the previous run's pairs between records that did not change into this run."""
    prev = run.metrics.get("previous_run")
    if run.mode == "full" or not prev:
        return 0
    P = store.PAIR
    tmp = sa.Table(
        "tmp_link_changed",
        sa.MetaData(),
        sa.Column("system", sa.String(20)),
        sa.Column("sid", sa.String(64)),
        prefixes=["TEMPORARY"],
    )
    tmp.drop(conn, checkfirst=True)
    tmp.create(conn)
    if changed_keys:
        store.insert_rows(conn, tmp, [dict(zip(("system", "sid"), store.split_key(k))) for k in changed_keys])
    m = P.alias("m")

    def touched(side):
        return sa.exists().where(tmp.c.system == m.c[f"{side}_system"], tmp.c.sid == m.c[f"{side}_id"])

    cols = ["left_system", "left_id", "right_system", "right_id", "match_weight", "probability", "decision", "levels"]
    sel = sa.select(sa.literal(run.run_id).label("run_id"), *[m.c[c] for c in cols]).where(
        m.c.run_id == prev, ~touched("left"), ~touched("right")
    )
    count = sa.select(sa.func.count()).select_from(P).where(P.c.run_id == run.run_id)
    before = conn.execute(count).scalar_one()
    conn.execute(P.insert().from_select(["run_id", *cols], sel))  # rowcount is -1 on some drivers
    tmp.drop(conn)
    return int(conn.execute(count).scalar_one() - before)


def _finalize(engine: Engine, run: RunInfo) -> dict:
    t0 = time.perf_counter()
    settings = LinkageSettings.model_validate(run.settings)
    th, con = settings.thresholds, settings.constraints
    now = utcnow()
    with engine.begin() as conn:
        # ---- the records of this run: staged before the plan, plus known records restaged since
        cols = [
            "source_system",
            "source_person_id",
            "run_id",
            con.cf_column,
            con.cf_status_column,
            con.cf_consistent_column,
            *con.double_registration_columns,
        ]
        recs = store.read_persons(conn, settings, columns=[c for c in dict.fromkeys(cols) if c])
        xw = store.read_crosswalk(conn)
        in_plan = recs["run_id"].isin(run.metrics["staging_runs"]).to_numpy()
        recs = recs[in_plan | recs.index.isin(xw.index)]
        keys = recs.index.to_numpy(dtype=object)
        key_index = pd.Index(keys)
        seen = set()
        if run.metrics.get("previous_run"):
            p = _run_by_id(conn, run.metrics["previous_run"])
            seen = set(p.metrics.get("staging_runs", [])) if p else set()
        changed = (~recs["run_id"].isin(seen).to_numpy() & in_plan) | ~recs.index.isin(xw.index)
        deleted = xw.index[~xw.index.isin(key_index)]
        carried = _carry_forward(conn, run, list(keys[changed]) + list(deleted))

        # ---- pairs and constraints -> positions
        pairs = store.read_pairs(conn, run.run_id)
        pi = key_index.get_indexer(pairs["left_key"])
        pj = key_index.get_indexer(pairs["right_key"])
        ok = (pi >= 0) & (pj >= 0)
        pairs, pi, pj = pairs[ok].reset_index(drop=True), pi[ok], pj[ok]
        cons = store.active_constraints(conn)
        ci = key_index.get_indexer(cons["left_key"])
        cj = key_index.get_indexer(cons["right_key"])
        live = (ci >= 0) & (cj >= 0)
        must = (cons["kind"].to_numpy() == "must_link") & live
        cannot = (cons["kind"].to_numpy() == "cannot_link") & live
        scores = pairs["probability"].to_numpy() if th.scale == "probability" else pairs["match_weight"].to_numpy()

        # ---- cluster
        t = time.perf_counter()
        cres, ambiguous, twice = constrained_clusters(
            recs,
            settings,
            pi,
            pj,
            pairs["match_weight"].to_numpy(),
            scores,
            must_link=(ci[must], cj[must]),
            cannot_link=(ci[cannot], cj[cannot]),
        )
        t_cluster = time.perf_counter() - t

        # ---- final decisions of the stored pairs
        decision = np.where(cres.decisions == AUTO_LINK, "auto_link", "review").astype(object)
        decided = _constraint_index(cons[live])
        pair_ids = list(zip(pairs["left_key"], pairs["right_key"]))
        for n, pk in enumerate(pair_ids):
            kind = decided.get(pk)
            if kind:
                decision[n] = kind
        upd = np.flatnonzero(decision != pairs["decision"].to_numpy(dtype=object))
        if upd.size:
            P = store.PAIR
            conn.execute(
                P.update()
                .where(
                    P.c.run_id == run.run_id,
                    P.c.left_system == sa.bindparam("ls"),
                    P.c.left_id == sa.bindparam("li"),
                    P.c.right_system == sa.bindparam("rs"),
                    P.c.right_id == sa.bindparam("ri"),
                )
                .values(decision=sa.bindparam("d")),
                [
                    {
                        "ls": pairs.at[n, "left_system"],
                        "li": pairs.at[n, "left_id"],
                        "rs": pairs.at[n, "right_system"],
                        "ri": pairs.at[n, "right_id"],
                        "d": decision[n],
                    }
                    for n in upd.tolist()
                ],
            )

        # ---- review queue
        skipped = {(int(a), int(b)): r for a, b, r in zip(cres.skipped["i"], cres.skipped["j"], cres.skipped["reason"])}
        skipped.update(
            {(int(pi[n]), int(pj[n])): "ambiguous (a close link to another person)" for n in np.flatnonzero(ambiguous)}
        )
        n_review = _queue_reviews(conn, run, pairs, pi, pj, cres.decisions, decision, skipped)

        # ---- stable ids
        t = time.perf_counter()
        bens = store.read_beneficiaries(conn)
        known = {
            b: Known(s, m, int(r or 0))
            for b, s, m, r in zip(bens["beneficiary_id"], bens["status"], bens["merged_into"], bens["created_run_id"])
        }
        assignment = assign_ids(keys, cres.labels, xw["beneficiary_id"], known)
        prob = _record_probability(len(keys), pi, pj, pairs["probability"].to_numpy(), decision, cres.labels)
        _write_beneficiaries(conn, run.run_id, now, assignment, bens)
        xw_stats = _write_crosswalk(
            conn, run.run_id, now, keys, assignment.crosswalk.reindex(keys).to_numpy(), prob, xw
        )
        changes = assignment.changes()
        if changes:
            store.insert_rows(conn, store.CHANGE, [dict(c, run_id=run.run_id, changed_at=now) for c in changes])
        t_ids = time.perf_counter() - t

        metrics = dict(run.metrics)
        metrics.update(
            {
                "carried_pairs": carried,
                "scored_pairs": int(len(pairs)),
                "auto_links": int((decision == "auto_link").sum()),
                "review_pairs": int((decision == "review").sum()),
                "skipped_links": int(len(cres.skipped)),
                "ambiguous_links": int(ambiguous.sum()),
                "skipped_reasons": cres.skipped["reason"].value_counts().to_dict() if len(cres.skipped) else {},
                "constraints_applied": {"must_link": int(must.sum()), "cannot_link": int(cannot.sum())},
                "double_registrations": twice,
                "review_items_opened": n_review,
                "records": int(len(keys)),
                "clusters": int(cres.n_clusters),
                "identity": assignment.summary(),
                "crosswalk": xw_stats,
                "merges": _merge_records(assignment, xw["beneficiary_id"], keys),
                "splits": {b: ids for b, ids in assignment.split.items()},
            }
        )
        metrics["seconds"] = {
            **metrics.get("seconds", {}),
            "cluster": round(t_cluster, 3),
            "ids": round(t_ids, 3),
            "finalize": round(time.perf_counter() - t0, 3),
        }
        conn.execute(store.LRUN.update().where(store.LRUN.c.run_id == run.run_id).values(metrics=metrics))
        _prune_pairs(conn, run.run_id)
    _CACHE.pop(run.run_id, None)
    return {
        "run_id": run.run_id,
        "mode": run.mode,
        "model_fitted": run.metrics.get("model_fitted"),
        "records": int(len(keys)),
        "changed_records": run.metrics.get("changed_records"),
        "deleted_records": int(len(deleted)),
        "compared_pairs": run.metrics.get("blocking", {}).get("compared_pairs"),
        "carried_pairs": carried,
        "auto_links": metrics["auto_links"],
        "review_pairs": metrics["review_pairs"],
        "review_items_opened": n_review,
        "beneficiaries": len(assignment.members),
        **assignment.summary(),
    }


def _merge_records(a, previous: pd.Series, keys) -> dict:
    """Per absorbed id: the survivor and the records each held before the merge (for undo-merge)."""
    if not a.merged:
        return {}
    prev = previous[previous.index.isin(pd.Index(keys))]
    groups = {b: sorted(g.index) for b, g in prev.groupby(prev)} if len(prev) else {}
    return {
        b: {"into": s, "records": groups.get(b, []), "survivor_records": groups.get(s, [])} for b, s in a.merged.items()
    }


def _constraint_index(cons: pd.DataFrame) -> dict[tuple[str, str], str]:
    out = {}
    for a, b, kind in zip(cons["left_key"], cons["right_key"], cons["kind"]):
        out[store.ordered_pair(a, b)] = kind
    return out


def _record_probability(n, pi, pj, prob, decision, labels) -> np.ndarray:
    """Per record: the best probability among its links kept inside its cluster (nan for a singleton)."""
    out = np.full(n, np.nan)
    kept = np.isin(decision, ["auto_link", "must_link"]) & (labels[pi] == labels[pj])
    p = np.where(decision == "must_link", 1.0, prob)[kept]
    np.fmax.at(out, pi[kept], p)
    np.fmax.at(out, pj[kept], p)
    return out


def _queue_reviews(conn, run: RunInfo, pairs, pi, pj, decisions, final, skipped) -> int:
    """Open a review item for each review-band pair (and each refused automatic link) not queued before."""
    todo = np.flatnonzero(((decisions == REVIEW) | (decisions == SKIPPED)) & (final == "review"))
    if not todo.size:
        return 0
    R = store.REVIEW
    existing = {
        (store.record_key(a, b), store.record_key(c, d))
        for a, b, c, d in conn.execute(sa.select(R.c.left_system, R.c.left_id, R.c.right_system, R.c.right_id)).all()
    }
    todo = [n for n in todo.tolist() if (pairs.at[n, "left_key"], pairs.at[n, "right_key"]) not in existing]
    if not todo:
        return 0
    levels = _review_levels(conn, run.run_id)
    model = run.model
    rows = []
    for n in todo:
        pk = (pairs.at[n, "left_key"], pairs.at[n, "right_key"])
        reason = skipped.get((int(pi[n]), int(pj[n])))
        rows.append(
            {
                **store.pair_columns(*pk),
                "match_weight": float(pairs.at[n, "match_weight"]),
                "probability": float(pairs.at[n, "probability"]),
                "status": "open",
                "created_run_id": run.run_id,
                "evidence": evidence(
                    model,
                    levels.get(pk, {}),
                    float(pairs.at[n, "match_weight"]),
                    float(pairs.at[n, "probability"]),
                    f"automatic link refused: {reason}" if reason else "review band",
                ),
            }
        )
    store.insert_rows(conn, R, rows)
    return len(rows)


def _review_levels(conn, run_id: int) -> dict:
    """Levels of the run's pairs whose (final) decision is review, by (left key, right key)."""
    P = store.PAIR
    rows = conn.execute(
        sa.select(P.c.left_system, P.c.left_id, P.c.right_system, P.c.right_id, P.c.levels).where(
            P.c.run_id == run_id, P.c.decision == "review"
        )
    )
    return {(store.record_key(a, b), store.record_key(c, d)): lv for a, b, c, d, lv in rows}


def evidence(model: FittedModel, levels: dict, match_weight: float, probability: float, reason: str) -> dict:
    """Per comparison: level label, weight (incl. TF adjustment); the prior; total weight and probability."""
    tf = (levels or {}).get("tf", {})
    rows = []
    for c in model.comparisons:
        label = levels.get(c.name)
        w = float(c.weights[c.labels.index(label)]) if label in c.labels else 0.0
        adj = float(tf.get(c.name, 0.0))
        rows.append({"comparison": c.name, "level": label, "weight": round(w + adj, 4), "tf_adjustment": adj})
    return {
        "reason": reason,
        "prior_weight": round(model.prior_weight, 4),
        "comparisons": rows,
        "match_weight": round(match_weight, 4),
        "probability": probability,
    }


def _write_beneficiaries(conn, run_id: int, now, a, bens: pd.DataFrame) -> None:
    B = store.BEN
    counts = {b: len(r) for b, r in a.members.items()}
    new = [
        dict(
            beneficiary_id=b,
            status="active",
            merged_into=None,
            record_count=counts[b],
            created_run_id=run_id,
            updated_run_id=run_id,
            created_at=now,
            updated_at=now,
        )
        for b in a.created
    ]
    store.insert_rows(conn, B, new)
    cur = {
        b: (s, m, c)
        for b, s, m, c in zip(bens["beneficiary_id"], bens["status"], bens["merged_into"], bens["record_count"])
    }
    created = set(a.created)
    want = {b: ("active", None, n) for b, n in counts.items() if b not in created}
    want.update({b: ("merged", s, 0) for b, s in a.merged.items()})
    want.update({b: ("retired", None, 0) for b in a.retired})
    upd = [{"b": b, "s": s, "m": m, "c": c} for b, (s, m, c) in want.items() if cur.get(b) != (s, m, c)]
    if upd:
        conn.execute(
            B.update()
            .where(B.c.beneficiary_id == sa.bindparam("b"))
            .values(
                status=sa.bindparam("s"),
                merged_into=sa.bindparam("m"),
                record_count=sa.bindparam("c"),
                updated_run_id=run_id,
                updated_at=now,
            ),
            upd,
        )


def _write_crosswalk(conn, run_id: int, now, keys, bids, prob, xw: pd.DataFrame) -> dict:
    X = store.XW
    old_b = xw["beneficiary_id"].reindex(keys).to_numpy(dtype=object)
    old_p = xw["match_probability"].reindex(keys).to_numpy(dtype=float)
    is_new = ~pd.Index(keys).isin(xw.index)
    moved = ~is_new & (old_b != bids)
    reprob = ~is_new & ~moved & ~((np.isnan(old_p) & np.isnan(prob)) | (np.abs(old_p - prob) < 1e-9))
    gone = xw.index[~xw.index.isin(pd.Index(keys))]
    if len(gone):
        conn.execute(
            X.delete().where(X.c.source_system == sa.bindparam("s"), X.c.source_person_id == sa.bindparam("i")),
            [dict(zip("si", store.split_key(k))) for k in gone],
        )

    def p(v):
        return None if np.isnan(v) else float(v)

    rows = [
        dict(
            zip(("source_system", "source_person_id"), store.split_key(keys[n])),
            beneficiary_id=bids[n],
            match_probability=p(prob[n]),
            linked_run_id=run_id,
            linked_at=now,
        )
        for n in np.flatnonzero(is_new)
    ]
    store.insert_rows(conn, X, rows)
    upd = np.flatnonzero(moved | reprob)
    if upd.size:
        stmt = X.update().where(X.c.source_system == sa.bindparam("s"), X.c.source_person_id == sa.bindparam("i"))
        moved_rows = [dict(zip("si", store.split_key(keys[n])), b=bids[n], p=p(prob[n])) for n in upd if moved[n]]
        if moved_rows:
            conn.execute(
                stmt.values(
                    beneficiary_id=sa.bindparam("b"),
                    match_probability=sa.bindparam("p"),
                    linked_run_id=run_id,
                    linked_at=now,
                ),
                moved_rows,
            )
        prob_rows = [dict(zip("si", store.split_key(keys[n])), p=p(prob[n])) for n in upd if not moved[n]]
        if prob_rows:
            conn.execute(stmt.values(match_probability=sa.bindparam("p")), prob_rows)
    return {
        "inserted": int(is_new.sum()),
        "moved": int(moved.sum()),
        "deleted": int(len(gone)),
        "probability_updated": int(reprob.sum()),
    }


def _prune_pairs(conn, run_id: int) -> None:
    L, P = store.LRUN, store.PAIR
    keep = conn.execute(sa.select(L.c.run_id).order_by(L.c.run_id.desc()).limit(KEEP_PAIR_RUNS)).scalars().all()
    if keep:
        conn.execute(P.delete().where(P.c.run_id < min(keep)))


# =========================================================================== one process
def link(
    cfg,
    engine: Engine,
    mode: str = "incremental",
    *,
    refit: bool = False,
    trigger: str = "cli",
    settings: LinkageSettings | None = None,
) -> dict:
    """A whole linkage run in this process (recorded as step "link"): plan, one partition, finalize."""
    settings = settings or linkage_settings(cfg)
    _supersede_open_runs(engine)
    t0 = time.perf_counter()
    with recorded_run(engine, "link", trigger=trigger) as summary:
        run_id = summary["run_id"]
        try:
            t = time.perf_counter()
            names = _plan(engine, settings, run_id, mode, refit, 1)
            t_plan = time.perf_counter() - t
            t = time.perf_counter()
            parts = [link_partition(None, engine, name, settings=settings) for name in names]
            t_score = time.perf_counter() - t
            with engine.connect() as conn:
                run = open_linkage(conn)
            t = time.perf_counter()
            result = _finalize(engine, run)
            t_final = time.perf_counter() - t
        finally:
            _CACHE.pop(run_id, None)
        summary.update(result)
        summary["stored_pairs"] = sum(p["stored_pairs"] for p in parts)
        summary["seconds"] = {
            "plan": round(t_plan, 2),
            "score": round(t_score, 2),
            "finalize": round(t_final, 2),
            "total": round(time.perf_counter() - t0, 2),
        }
    return summary
