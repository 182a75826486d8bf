"""The last step of a linkage run: from the run's scored pairs to beneficiaries, in one transaction.

    run_records      the records of the run (staged before its plan, plus known records restaged since: the
                     plan's own frame when this process planned the run and staging has not changed since),
                     which changed, which left staging
    carry forward    (incremental) the previous run's pairs between records that did not change
    cluster          every pair of the run under the hard constraints and the review decisions
    decide pairs     each stored pair's final decision (auto_link, review, or a reviewer's must/cannot-link)
    open reviews     a review item for each review-band pair and each refused automatic link, once
    assign ids       stable ids (identity.py); beneficiary, crosswalk and change-feed rows written by difference
Returns the run's metrics and summary; the caller closes the run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from matching import store
from matching.clustering import AUTO_LINK, BRIDGE, REVIEW, SKIPPED, ClusterResult
from matching.engine import constrained_clusters
from matching.identity import Assignment, Known, assign_ids
from matching.implied_birth import BOUND_COLUMNS, with_birth_bounds
from matching.review import evidence_from, open_review_items
from matching.scoring import FittedModel
from matching.settings import LinkageSettings
from matching.store import LinkageRecord
from warehouse.types import utcnow

AMBIGUOUS = "ambiguous (a close link to another person)"
log = logging.getLogger(__name__)


@dataclass
class RunRecords:
    records: pd.DataFrame  # constraint columns of the run's records, index = record key (sorted)
    keys: np.ndarray
    index: pd.Index
    changed: np.ndarray  # bool per record
    deleted: pd.Index  # keys that left staging since the previous run
    crosswalk: pd.DataFrame  # the crosswalk before this run


def constraint_columns(settings: LinkageSettings) -> list[str]:
    """The stg_person columns finalising reads: key, staging run, the constraints' and the strong attributes'."""
    con = settings.constraints
    cols = [
        "source_system",
        "source_person_id",
        "run_id",
        con.cf_column,
        con.cf_status_column,
        con.cf_consistent_column,
        *con.double_registration_columns,
        *strong_columns(settings),
    ]
    return [c for c in dict.fromkeys(cols) if c]


def run_records(
    conn: Connection, run: LinkageRecord, settings: LinkageSettings, planned: pd.DataFrame | None = None
) -> RunRecords:
    """The run's records (`planned`: the plan's frame of stg_person, when staging has not changed since the plan,
    instead of reading it again), which changed, which left staging, and the crosswalk before the run."""
    cols = constraint_columns(settings)
    coherent = settings.constraints.coherence is not None
    if planned is not None:
        recs = planned[cols + [c for c in BOUND_COLUMNS if coherent and c in planned.columns]]
    else:
        recs = store.read_persons(conn, settings, columns=cols, compact=True)
        if coherent:
            recs = with_birth_bounds(recs, settings, conn)
    xw = store.read_crosswalk(conn)
    in_plan = recs["run_id"].isin(run.metrics["staging_runs"]).to_numpy()
    recs = recs[in_plan | recs.index.isin(xw.index)]
    seen: set = set()
    if run.metrics.get("previous_run"):
        previous = store.linkage_by_id(conn, run.metrics["previous_run"])
        seen = set(previous.metrics.get("staging_runs", [])) if previous else set()
    in_plan = recs["run_id"].isin(run.metrics["staging_runs"]).to_numpy()
    changed = (~recs["run_id"].isin(seen).to_numpy() & in_plan) | ~recs.index.isin(xw.index)
    index = pd.Index(recs.index.to_numpy(dtype=object))
    return RunRecords(recs, index.to_numpy(dtype=object), index, changed, xw.index[~xw.index.isin(index)], xw)


def strong_columns(settings: LinkageSettings) -> list[str]:
    """The stg_person columns of the strong attributes (`constraints.coherence`; the implied birth window is
    read from the events, not from stg_person)."""
    coh = settings.constraints.coherence
    if coh is None:
        return []
    cols = (
        coh.birth_date,
        coh.birth_date_is_default,
        coh.code_birth_date,
        coh.code_status,
        coh.code_consistent,
        coh.sex,
    )
    return [c for c in cols if c]


def positions(index: pd.Index, left: pd.Series, right: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of (left, right) record keys in `index`, and which pairs have both records present."""
    pi, pj = index.get_indexer(left), index.get_indexer(right)
    return pi, pj, (pi >= 0) & (pj >= 0)


def final_decisions(cluster_decisions: np.ndarray, pairs: pd.DataFrame, constraints: pd.DataFrame) -> np.ndarray:
    """auto_link where the clustering kept the link, review otherwise; a reviewer's decision wins."""
    decision = np.where(cluster_decisions == AUTO_LINK, "auto_link", "review").astype(object)
    decided = {
        store.ordered_pair(a, b): k
        for a, b, k in zip(constraints["left_key"], constraints["right_key"], constraints["kind"])
    }
    for n, pair in enumerate(zip(pairs["left_key"], pairs["right_key"])):
        kind = decided.get(pair)
        if kind:
            decision[n] = kind
    return decision


def record_probability(n: int, pi, pj, prob, decision, labels) -> np.ndarray:
    """Per record: the best probability among its links kept inside its cluster (nan for a singleton)."""
    out = np.full(n, np.nan)
    kept = np.isin(decision, ["auto_link", "must_link"]) & (labels[pi] == labels[pj])
    p = np.where(decision == "must_link", 1.0, prob)[kept]
    np.fmax.at(out, pi[kept], p)
    np.fmax.at(out, pj[kept], p)
    return out


def merge_records(a: Assignment, previous: pd.Series, keys) -> dict:
    """Per absorbed id: the survivor and the records each held before the merge (for undo-merge)."""
    if not a.merged:
        return {}
    involved = {*a.merged, *a.merged.values()}
    prev = previous[previous.index.isin(pd.Index(keys)) & previous.isin(involved)]
    groups = {b: sorted(g.index) for b, g in prev.groupby(prev)} if len(prev) else {}
    return {
        b: {"into": s, "records": groups.get(b, []), "survivor_records": groups.get(s, [])} for b, s in a.merged.items()
    }


def refusal_reasons(cres: ClusterResult, keys: np.ndarray) -> dict[tuple[int, int], tuple[str, list[str]]]:
    """Per refused automatic link (positions i, j): why, and the candidates a reviewer chooses between: for the
    links of a bridge record (a record tied as strongly to two people who cannot be one), every record it was
    linked to; else none."""
    sk = cres.skipped
    bridge = set(cres.bridges.tolist())
    partners: dict[int, list[str]] = {}
    for a, b, r in zip(sk["i"].tolist(), sk["j"].tolist(), sk["reason"]):
        if r == BRIDGE:
            x, y = (a, b) if a in bridge else (b, a)
            partners.setdefault(x, []).append(str(keys[y]))
    out = {}
    for a, b, r in zip(sk["i"].tolist(), sk["j"].tolist(), sk["reason"]):
        if r == BRIDGE:
            x = a if a in bridge else b
            out[(a, b)] = (
                f"{r}: {keys[x]} is as close to {' and '.join(sorted(partners[x]))}, who cannot be one person",
                sorted(partners[x]),
            )
        else:
            out[(a, b)] = (r, [])
    return out


def review_rows(
    model: FittedModel, run_id: int, pairs: pd.DataFrame, todo: list[int], reasons: dict, pair_levels: dict
) -> list[dict]:
    """review_item rows for the pairs at rows `todo`, each with its explanation (the same figures as
    `fase explain`: the pair's prior, level weights and TF adjustments); `pair_levels` by (left, right) key;
    `reasons` by row: (why an automatic link was refused or None, the candidates to choose between)."""
    labels = {c.name: c.labels for c in model.comparisons}
    rows = []
    for n in todo:
        lv = pair_levels.get((pairs.at[n, "left_key"], pairs.at[n, "right_key"]), {})
        tf = lv.get("tf", {})
        levels = [
            labels[c.name].index(lv[c.name]) if lv.get(c.name) in labels[c.name] else 0 for c in model.comparisons
        ]
        explanation = model.explain(
            levels, [tf.get(c.name, 0.0) for c in model.comparisons], lv.get("prior"), lv.get("population")
        )
        reason, choices = reasons.get(n, (None, []))
        rows.append(
            {
                **store.pair_columns(pairs.at[n, "left_key"], pairs.at[n, "right_key"]),
                "match_weight": float(pairs.at[n, "match_weight"]),
                "probability": float(pairs.at[n, "probability"]),
                "status": "open",
                "created_run_id": run_id,
                "evidence": evidence_from(
                    explanation, f"automatic link refused: {reason}" if reason else "review band", choices
                ),
            }
        )
    return rows


def finalize_run(conn: Connection, run: LinkageRecord, planned: pd.DataFrame | None = None) -> dict:
    """Cluster the run's pairs, assign stable ids and write the identity layer; returns the run summary
    (the run's metrics are updated in linkage_run). `planned`: as `run_records` takes it."""
    t0 = time.perf_counter()
    settings = LinkageSettings.model_validate(run.settings)
    th = settings.thresholds
    now = utcnow()
    rr = run_records(conn, run, settings, planned)
    carried = 0
    if run.mode != "full" and run.metrics.get("previous_run"):
        carried = store.carry_forward_pairs(
            conn, run.run_id, run.metrics["previous_run"], list(rr.keys[rr.changed]) + list(rr.deleted)
        )

    pairs = store.read_pairs(conn, run.run_id)
    pi, pj, ok = positions(rr.index, pairs["left_key"], pairs["right_key"])
    pairs, pi, pj = pairs[ok].reset_index(drop=True), pi[ok], pj[ok]
    cons = store.active_constraints(conn)
    ci, cj, live = positions(rr.index, cons["left_key"], cons["right_key"])
    must = (cons["kind"].to_numpy() == "must_link") & live
    cannot = (cons["kind"].to_numpy() == "cannot_link") & live
    scores = pairs["probability"].to_numpy() if th.scale == "probability" else pairs["match_weight"].to_numpy()

    t = time.perf_counter()
    cres, ambiguous, twice = constrained_clusters(
        rr.records,
        settings,
        pi,
        pj,
        pairs["match_weight"].to_numpy(),
        scores,
        must_link=(ci[must], cj[must]),
        cannot_link=(ci[cannot], cj[cannot]),
        previous=pd.factorize(rr.crosswalk["beneficiary_id"].reindex(rr.index))[0],
        changed=rr.changed,
    )
    t_cluster = time.perf_counter() - t

    decision = final_decisions(cres.decisions, pairs, cons[live])
    changed = np.flatnonzero(decision != pairs["decision"].to_numpy(dtype=object))
    store.set_pair_decisions(conn, run.run_id, pairs, {int(n): decision[n] for n in changed})

    by_positions = refusal_reasons(cres, rr.keys)
    by_positions.update({(int(pi[n]), int(pj[n])): (AMBIGUOUS, []) for n in np.flatnonzero(ambiguous)})
    candidates = np.flatnonzero(((cres.decisions == REVIEW) | (cres.decisions == SKIPPED)) & (decision == "review"))
    reasons: dict[int, tuple[str | None, list[str]]] = {
        int(n): by_positions.get((int(pi[n]), int(pj[n])), (None, [])) for n in candidates
    }
    n_review = open_review_items(
        conn,
        pairs,
        candidates.tolist(),
        lambda todo: review_rows(
            run.model, run.run_id, pairs, todo, reasons, store.review_pair_levels(conn, run.run_id)
        ),
    )
    human_conflicts = [
        {"left": rr.keys[a], "right": rr.keys[b], "reason": r}
        for a, b, r in zip(cres.human_conflicts["i"], cres.human_conflicts["j"], cres.human_conflicts["reason"])
    ]
    for c in human_conflicts:
        log.warning("a review decision joins records that conflict (%s): %s and %s", c["reason"], c["left"], c["right"])

    t = time.perf_counter()
    bens = store.read_beneficiaries(conn)
    runs = bens["created_run_id"].fillna(0).astype(np.int64).tolist()
    known = dict(
        zip(bens["beneficiary_id"].tolist(), map(Known, bens["status"].tolist(), bens["merged_into"].tolist(), runs))
    )
    assignment = assign_ids(rr.keys, cres.labels, rr.crosswalk["beneficiary_id"], known)
    prob = record_probability(len(rr.keys), pi, pj, pairs["probability"].to_numpy(), decision, cres.labels)
    store.write_beneficiaries(conn, run.run_id, now, assignment, bens)
    xw_stats = store.write_crosswalk(
        conn, run.run_id, now, rr.keys, assignment.crosswalk.reindex(rr.keys).to_numpy(), prob, rr.crosswalk
    )
    changes = assignment.changes()
    store.insert_rows(conn, store.CHANGE, [dict(c, run_id=run.run_id, changed_at=now) for c in changes])
    t_ids = time.perf_counter() - t

    metrics = {
        **run.metrics,
        "carried_pairs": carried,
        "scored_pairs": int(len(pairs)),
        "auto_links": int((decision == "auto_link").sum()),
        "review_pairs": int((decision == "review").sum()),
        "skipped_links": int(len(cres.skipped)),
        "ambiguous_links": int(ambiguous.sum()),
        "skipped_reasons": cres.skipped["reason"].value_counts().to_dict() if len(cres.skipped) else {},
        "constraints_applied": {"must_link": int(must.sum()), "cannot_link": int(cannot.sum())},
        "bridges": int(cres.bridges.size),
        "human_conflicts": human_conflicts,
        "double_registrations": twice,
        "review_items_opened": n_review,
        "records": int(len(rr.keys)),
        "clusters": int(cres.n_clusters),
        "identity": assignment.summary(),
        "crosswalk": xw_stats,
        "merges": merge_records(assignment, rr.crosswalk["beneficiary_id"], rr.keys),
        "splits": dict(assignment.split),
    }
    metrics["seconds"] = {
        **run.metrics.get("seconds", {}),
        "cluster": round(t_cluster, 3),
        "ids": round(t_ids, 3),
        "finalize": round(time.perf_counter() - t0, 3),
    }
    store.update_linkage_metrics(conn, run.run_id, metrics)
    return {
        "run_id": run.run_id,
        "mode": run.mode,
        "model_fitted": run.metrics.get("model_fitted"),
        "records": int(len(rr.keys)),
        "changed_records": run.metrics.get("changed_records"),
        "deleted_records": int(len(rr.deleted)),
        "compared_pairs": run.metrics.get("blocking", {}).get("compared_pairs"),
        "carried_pairs": carried,
        "auto_links": metrics["auto_links"],
        "review_pairs": metrics["review_pairs"],
        "review_items_opened": n_review,
        "beneficiaries": len(assignment.members),
        **assignment.summary(),
    }
