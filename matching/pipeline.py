"""Linkage runs on the warehouse: stg_person -> scored pairs -> clusters -> stable beneficiary ids.

A `LinkageRun` is one run: its id, mode, settings and model, and the work it caches (matching/work.py: the
run's records prepared for the comparators, and its candidate pairs). It holds the "link" lock
(warehouse/locks.py) from plan to finalise, so two runs never interleave; every step works on the run's
own id. Its steps are the tasks of the Airflow DAG, and `link` runs them in one process:

    LinkageRun.plan(engine, ...)     open the run (pipeline_run step "link" + linkage_run with mode, settings
                                     and model), find the new/changed records, block, fit or reuse the model,
                                     bucket the pairs into partitions by a hash of their first record's key;
                                     `store_work=True` stores the work for other processes (linkage_work)
    LinkageRun.load(engine, run_id)  the same run in another process (the work is loaded when needed)
    run.score_partition("p0of4")     compare + score that bucket's pairs; those at or above the review
                                     threshold go to match_pair under the run
    run.finalize()                   matching/finalize.py: carry forward, cluster under the constraints and
                                     review decisions, stable ids, the identity layer; close the run

Modes. `incremental` (default): only pairs touching a record that is new or changed since the last run (its
staging run was not seen by that run, or it is not in the crosswalk) are compared — against every record in
their blocks — and scored with the previous run's model; records gone from staging leave the crosswalk.
`full`: every candidate pair is compared again (model reused unless `refit`). The first run, `refit=True`,
changed settings or a previous model with untrained comparisons (matching/training.py) fit the model (EM,
unsupervised) and imply `full`. Records staged after a run was planned wait for the next run.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from matching import store
from matching.engine import build_comparators, comparison_metas, compute_levels, random_pairs, tf_adjustments
from matching.finalize import finalize_run
from matching.population import population_adjustments
from matching.scoring import FittedModel, level_frequencies
from matching.settings import LinkageSettings, load_settings
from matching.store import LinkageRecord
from matching.training import train_model
from matching.work import Work, changed_records, load_work, plan_work, run_records, save_work, staging_signature
from progress import track
from warehouse import locks
from warehouse.runs import begin_run, fail_run, finish_run, lock_scope

log = logging.getLogger(__name__)

SETTINGS_NAME = "stg_person"
DEFAULT_PARTITIONS = 4
KEEP_PAIR_RUNS = 3
"""match_pair keeps the pairs of the last few linkage runs (each run holds its complete pair set)."""
SCOPE = lock_scope("link")


@lru_cache(maxsize=1)
def bundled_settings() -> LinkageSettings:
    """The hub's linkage settings (matching/settings/stg_person.yaml)."""
    return load_settings(SETTINGS_NAME)


def settings_fingerprint(settings: LinkageSettings) -> str:
    return hashlib.sha256(json.dumps(settings.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]


# =========================================================================== partitions
def partition_of(keys: np.ndarray, i: np.ndarray, n_partitions: int) -> np.ndarray:
    """Bucket of each pair: crc32 of its first record's key, modulo the partition count."""
    if n_partitions == 1:  # every pair in the one bucket: no key to hash
        return np.zeros(len(i), dtype=np.int64)
    h = np.fromiter((zlib.crc32(k.encode()) for k in keys), dtype=np.int64, count=len(keys))
    return (h[i] % n_partitions).astype(np.int64)


def partition_name(bucket: int, n: int) -> str:
    return f"p{bucket}of{n}"


def parse_partition(name: str) -> tuple[int, int]:
    try:
        b, n = (int(x) for x in name[1:].split("of"))
    except ValueError:
        raise ValueError(f"bad partition name {name!r} (expected pBofN)") from None
    if not (name.startswith("p") and 0 <= b < n):
        raise ValueError(f"bad partition name {name!r}")
    return b, n


# =========================================================================== model and scores
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
    """(levels, tf adjustments, pair prior weights, population adjustments, match weights, probabilities) of
    pairs i, j."""
    if levels is None:
        levels = compute_levels(work.prepared, i, j, build_comparators(work.settings))
    tf = tf_adjustments(model, work.prepared, levels, i, j)
    prior = model.pair_prior_weights(work.prepared, i, j)
    population = population_adjustments(model, work.settings, work.prepared, levels, i, j)
    weight = model.match_weight(levels, tf, prior)
    if population is not None:
        weight = weight + population
    return levels, tf, prior, population, weight, model.probability(weight)


def pair_rows(
    run_id: int, keys: np.ndarray, model: FittedModel, i, j, levels, tf, prior, weight, prob, auto, population=None
) -> list[dict]:
    """match_pair rows; `levels` is {comparison: level label}, plus {"tf": {comparison: adjustment}} when any,
    "prior" (the pair's prior weight) when the model prices system pairs apart and "population" (the pair's
    population adjustment, matching/population.py) when not 0."""
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
        if prior is not None:
            lv["prior"] = round(float(prior[n]), 6)
        if population is not None and population[n] != 0:
            lv["population"] = round(float(population[n]), 4)
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


# =========================================================================== the run
class LinkageRun:
    """One linkage run: id, mode, settings, model and metrics (its linkage_run row), and the work it caches.

    A run made by `plan` holds the link lock in this process; one made by `load` joins it from another
    process (the lock stays the run's between tasks: warehouse/locks.py, detach)."""

    def __init__(self, engine: Engine, record: LinkageRecord, work: Work | None = None, held: locks.Held | None = None):
        self.engine, self.record, self._work, self._held = engine, record, work, held
        self.settings = LinkageSettings.model_validate(record.settings)

    @property
    def run_id(self) -> int:
        return self.record.run_id

    @property
    def mode(self) -> str:
        return self.record.mode

    @property
    def model(self) -> FittedModel:
        return self.record.model

    @property
    def partitions(self) -> list[str]:
        return list(self.record.metrics["partition_names"])

    # ------------------------------------------------------------------------------------------ plan
    @classmethod
    def plan(
        cls,
        engine: Engine,
        *,
        mode: str = "incremental",
        refit: bool = False,
        partitions: int = DEFAULT_PARTITIONS,
        settings: LinkageSettings | None = None,
        trigger: str = "cli",
        wait: float = 0.0,
        store_work: bool = False,
    ) -> LinkageRun:
        """Open a run under the link lock (StepBusy after `wait` seconds while another runs) and plan it."""
        if mode not in ("incremental", "full"):
            raise ValueError(f"mode must be incremental or full, not {mode!r}")
        settings = settings or bundled_settings()
        run_id, held = begin_run(engine, "link", trigger=trigger, wait=wait)
        try:
            record, work = _plan(engine, settings, run_id, mode, refit, partitions)
            if store_work:
                with engine.begin() as conn:
                    save_work(conn, run_id, work)
        except BaseException as exc:
            held.stop_heartbeat()
            fail_run(engine, run_id, exc)
            held.release()
            raise
        return cls(engine, record, work, held)

    def detach(self) -> None:
        """Leave the run's lock to its next task in another process (the Airflow DAG's partitions)."""
        if self._held is not None:
            self._held.detach()
            self._held = None

    @classmethod
    def load(cls, engine: Engine, run_id: int) -> LinkageRun:
        """The run `run_id`, in any process; LookupError when it is not an open linkage run."""
        with engine.connect() as conn:
            record = store.linkage_by_id(conn, run_id)
            status = store.run_status(conn, run_id)
        if record is None:
            raise LookupError(f"no linkage run {run_id}")
        if status != "running":
            raise LookupError(f"linkage run {run_id} is {status}, not open")
        return cls(engine, record)

    def work(self) -> Work:
        """The run's records and candidate pairs: planned here, or loaded from what the plan stored."""
        if self._work is None:
            with self.engine.connect() as conn:
                self._work = load_work(conn, self.run_id, self.settings, self.record.metrics["staging_runs"])
        return self._work

    # ------------------------------------------------------------------------------------------ partitions
    def score_partition(self, partition: str) -> dict:
        """Compare and score the candidate pairs of one partition; store those above the review threshold."""
        t0 = time.perf_counter()
        bucket, n = parse_partition(partition)
        if n != self.record.metrics.get("partitions"):
            raise ValueError(
                f"partition {partition} does not belong to run {self.run_id} "
                f"({self.record.metrics.get('partitions')} partitions)"
            )
        joined = None if self._held is not None else locks.join(self.engine, SCOPE, self.run_id).start_heartbeat()
        try:
            work = self.work()
            sel = np.flatnonzero(partition_of(work.keys, work.i, n) == bucket)
            i, j = work.i[sel], work.j[sel]
            levels = work.levels[sel] if work.levels is not None and work.levels.shape[0] == work.i.size else None
            levels, tf, prior, population, weight, prob = score(work, self.model, i, j, levels)
            th = self.settings.thresholds
            s = prob if th.scale == "probability" else weight
            keep = np.flatnonzero(s >= th.review)
            rows = pair_rows(
                self.run_id,
                work.keys,
                self.model,
                i[keep],
                j[keep],
                levels[keep],
                None if tf is None else tf[keep],
                None if prior is None else prior[keep],
                weight[keep],
                prob[keep],
                s[keep] >= th.auto_link,
                None if population is None else population[keep],
            )
            with self.engine.begin() as conn:
                store.replace_pairs(conn, self.run_id, rows)
        finally:
            if joined is not None:
                joined.stop_heartbeat()
        return {
            "run_id": self.run_id,
            "partition": partition,
            "compared_pairs": int(i.size),
            "stored_pairs": len(rows),
            "auto_link": int((s[keep] >= th.auto_link).sum()),
            "seconds": round(time.perf_counter() - t0, 3),
        }

    # ------------------------------------------------------------------------------------------ finalize
    def finalize(self, wait: float = 0.0, extra: dict | None = None) -> dict:
        """Cluster the run's pairs into beneficiaries, write the identity layer and close the run (its summary,
        with `extra`, recorded in pipeline_run)."""
        held = (
            self._held
            or locks.acquire(
                self.engine, SCOPE, holder="link (finalize)", run_id=self.run_id, wait=wait
            ).start_heartbeat()
        )
        try:
            with self.engine.begin() as conn:
                summary = finalize_run(conn, self.record, self._planned_records(conn))
                store.prune_pairs(conn, KEEP_PAIR_RUNS)
        except BaseException as exc:
            held.stop_heartbeat()
            fail_run(self.engine, self.run_id, exc)
            held.release()
            raise
        summary.update(extra or {})
        held.stop_heartbeat()
        finish_run(self.engine, self.run_id, summary)
        held.release()
        self._held = None
        return summary

    def _planned_records(self, conn) -> pd.DataFrame | None:
        """The records this process's plan read, when staging has not changed since (finalising then reads
        stg_person no more); else None."""
        work = self._work
        if work is None or work.staged is None or staging_signature(conn, self.settings) != work.staged:
            return None
        return work.records

    def abort(self, exc: BaseException) -> None:
        """Record the run failed and free its lock (a step of this process failed)."""
        held = self._held or locks.Held(self.engine, SCOPE, self.run_id, locks.LEASE_SECONDS)
        held.stop_heartbeat()
        fail_run(self.engine, self.run_id, exc)
        held.release()
        self._held = None


def _plan(
    engine: Engine, settings: LinkageSettings, run_id: int, mode: str, refit: bool, partitions: int
) -> tuple[LinkageRecord, Work]:
    t0 = time.perf_counter()
    fingerprint = settings_fingerprint(settings)
    with engine.connect() as conn:
        prev = store.last_linkage(conn)
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
        staged = staging_signature(conn, settings)
        records = run_records(conn, settings)
        crosswalk = store.read_crosswalk(conn).index
        changed = None
        if effective == "incremental" and prev is not None:
            changed = changed_records(records, set(prev.metrics.get("staging_runs", [])), crosswalk)
        work = plan_work(conn, settings, changed, records)
        work.staged = staged
    t_block = time.perf_counter() - t0
    t = time.perf_counter()
    model = fit_model(work) if fit or prev is None else prev.model  # no previous run: `fit` is set
    t_fit = time.perf_counter() - t
    buckets = partition_of(work.keys, work.i, partitions)
    names = [partition_name(b, partitions) for b in np.unique(buckets).tolist()] or [partition_name(0, partitions)]
    metrics = {
        "settings_fingerprint": fingerprint,
        "staging_runs": sorted(int(r) for r in pd.unique(work.records["run_id"])),
        "previous_run": prev.run_id if prev else None,
        "requested_mode": mode,
        "model_fitted": fit,
        "fit_reasons": reasons,
        "model_from_run": run_id if fit or prev is None else prev.metrics.get("model_from_run", prev.run_id),
        "partitions": partitions,
        "partition_names": names,
        "records": int(len(work.keys)),
        "changed_records": int(work.changed.sum()),
        "deleted_records": int((~crosswalk.isin(work.records.index)).sum()) if prev is not None else 0,
        "blocking": work.blocking,
        "seconds": {"plan_blocking": round(t_block, 3), "fit": round(t_fit, 3)},
    }
    with engine.begin() as conn:
        record = store.insert_linkage(conn, run_id, effective, settings, model, metrics)
    if not fit:
        work.levels = None
    log.info(
        "linkage run %s (%s): %s records, %s changed, %s pairs in %s partitions",
        run_id,
        effective,
        len(work.keys),
        int(work.changed.sum()),
        work.i.size,
        len(names),
    )
    return record, work


# =========================================================================== one process
@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block, one collection after it. A linkage run builds
    millions of small containers (rows, keys, ids) that live until it ends, and the collector's repeated full
    passes over them cost 5-12 % of the link step's CPU at a million records; memory freed by reference counting
    is freed as ever, reference cycles wait for the collection at the end (peak RSS +2 % at 1M)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()


def link(
    engine: Engine,
    mode: str = "incremental",
    *,
    refit: bool = False,
    trigger: str = "cli",
    settings: LinkageSettings | None = None,
    wait: float = 0.0,
) -> dict:
    """A whole linkage run in this process (recorded as step "link"): plan, one partition, finalize. The
    summary's `seconds` and `cpu_seconds` (this process's CPU time) hold each phase's time."""
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    t, c = t0, c0

    def lap(phase: str) -> None:
        nonlocal t, c
        wall[phase], cpu[phase] = round(time.perf_counter() - t, 2), round(time.process_time() - c, 2)
        t, c = time.perf_counter(), time.process_time()

    with cyclic_gc_paused():
        with track("link: plan (blocking, model)"):
            run = LinkageRun.plan(
                engine, mode=mode, refit=refit, partitions=1, settings=settings, trigger=trigger, wait=wait
            )
        lap("plan")
        try:
            with track("link: score partitions", total=len(run.partitions), unit="partitions") as progress:
                parts = []
                for name in run.partitions:
                    parts.append(run.score_partition(name))
                    progress.advance(detail=f"{sum(p['compared_pairs'] for p in parts):,} pairs compared")
            lap("score")
        except BaseException as exc:
            run.abort(exc)
            raise
        with track("link: finalise (clusters, stable ids)"):
            summary = run.finalize(extra={"stored_pairs": sum(p["stored_pairs"] for p in parts)})
        lap("finalize")
    wall["total"], cpu["total"] = round(time.perf_counter() - t0, 2), round(time.process_time() - c0, 2)
    summary["seconds"], summary["cpu_seconds"] = wall, cpu
    return summary
