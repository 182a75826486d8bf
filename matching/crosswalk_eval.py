"""Score the current crosswalk against a ground truth: record key -> true person id.

`evaluate_crosswalk(engine, truth)` -> dict: pairwise precision/recall/F1, B-cubed, cluster
counts (true persons vs beneficiaries), per-system breakdown, blocking pair completeness and
reduction ratio (the candidate pairs of the current settings over the staged records) with each blocking
pass's unique contribution to pair completeness, and the worst
false merges and missed links, each with the explanation of its strongest pair.
`format_report(result)` -> printable lines (`fase linkage eval`, `make demo`).
Only records both in the crosswalk and in the truth are scored.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from matching import store
from matching.blocking import candidate_pairs, pass_contributions
from matching.evaluate import evaluate_clusters

WORST = 5


def evaluate_crosswalk(engine: Engine, truth: Mapping[str, int], worst: int = WORST, explain: bool = True) -> dict:
    """Score the crosswalk against `truth` (record key "system:id" -> true person id; the sandbox's
    `sandbox.truth.record_truth(folder)`)."""
    from matching.explain import Explainer

    with engine.connect() as conn:
        xw = store.read_crosswalk(conn)
    keys = xw.index.to_numpy(dtype=object)
    labels = np.array([truth.get(k, -1) for k in keys], dtype=np.int64)
    known = labels >= 0
    keys, labels = keys[known], labels[known]
    pred = xw["beneficiary_id"].to_numpy(dtype=object)[known]
    system = np.array([k.split(":", 1)[0] for k in keys], dtype=object)
    ev = evaluate_clusters(pred, labels, system=system, ids=keys, k=worst)
    out = {
        "records": int(len(keys)),
        "records_without_truth": int((~known).sum()),
        "pairwise": {k: float(v) for k, v in ev["pairwise"].items()},
        "bcubed": {k: float(v) for k, v in ev["bcubed"].items()},
        "counts": {
            "records": ev["counts"]["records"],
            "true_persons": ev["counts"]["true_entities"],
            "beneficiaries": ev["counts"]["predicted_clusters"],
            "true_singletons": ev["counts"]["true_singletons"],
            "singleton_beneficiaries": ev["counts"]["predicted_singletons"],
            "largest_beneficiary": ev["counts"]["largest_predicted_cluster"],
            "impure_beneficiaries": ev["counts"]["impure_clusters"],
            "impure_share": ev["counts"]["impure_share"],
        },
        "per_system": {
            s: {k: (float(v) if k != "records" else int(v)) for k, v in row.items()}
            for s, row in ev["per_system"].iterrows()
        },
    }

    explainer = Explainer(engine) if explain and len(keys) else None
    if explainer is not None:
        out["blocking"] = _blocking(explainer, truth_of={k: t for k, t in zip(keys, labels)})
    out["worst_false_merges"] = _worst(ev["worst_false_merges"], "false_pairs", labels, keys, explainer, merge=True)
    out["worst_missed_links"] = _worst(
        ev["worst_missed_links"], "missed_pairs", labels, keys, explainer, merge=False, pred=pred
    )
    return out


def _blocking(ex, truth_of: dict) -> dict:
    """Pair completeness and reduction ratio of the settings' blocking over the staged records."""
    i, j, stats = candidate_pairs(ex.prepared, ex.settings)
    keys = ex.records.index.to_numpy(dtype=object)
    t = np.array([truth_of.get(k, -1) for k in keys], dtype=np.int64)
    ok = t >= 0
    # true pairs, counted by combinatorics; found = candidate pairs with the same true person
    counts = np.bincount(t[ok]) if ok.any() else np.zeros(0)
    true_pairs = int((counts * (counts - 1) // 2).sum())
    found = int(((t[i] == t[j]) & (t[i] >= 0)).sum())
    n = len(keys)
    return {
        "candidate_pairs": int(i.size),
        "max_pairs": n * (n - 1) // 2,
        "true_pairs": true_pairs,
        "true_pairs_found": found,
        "pair_completeness": found / true_pairs if true_pairs else 1.0,
        "reduction_ratio": stats.reduction_ratio,
        "dropped_blocks": {p.name: p.dropped_blocks for p in stats.passes if p.dropped_blocks},
        # per pass: its pairs, the true pairs it finds and those no other pass finds (what dropping it costs)
        "passes": pass_contributions(ex.prepared, ex.settings, t),
    }


def _worst(frame: pd.DataFrame, what: str, truth, keys, ex, merge: bool, pred=None) -> list[dict]:
    out = []
    tmap = dict(zip(keys, truth))
    pmap = dict(zip(keys, pred)) if pred is not None else {}
    for _, row in frame.iterrows():
        recs = list(row["records"])
        item = {"records": recs, what: int(row[what]), "size": int(row["size"])}
        if merge:
            item["true_persons"] = int(row["entities"])
        else:
            item["beneficiaries"] = int(row["clusters"])
        if ex is not None:
            best = None
            for a_i, a in enumerate(recs):
                for b in recs[a_i + 1 :]:
                    differ = (tmap[a] != tmap[b]) if merge else (pmap[a] != pmap[b])
                    if not differ:
                        continue
                    e = ex.explain(a, b)
                    if best is None or e["match_weight"] > best["match_weight"]:
                        best = e
            if best is not None:
                from matching.explain import format_explanation

                item["explanation"] = format_explanation(best)
        out.append(item)
    return out


def format_report(r: dict) -> list[str]:
    pw, bc, c = r["pairwise"], r["bcubed"], r["counts"]
    lines = [
        "Linkage against the ground truth",
        f"  records scored        {r['records']:,}"
        + (f"  ({r['records_without_truth']} without truth)" if r["records_without_truth"] else ""),
        f"  pairwise              precision {pw['precision']:.4f}  recall {pw['recall']:.4f}  F1 {pw['f1']:.4f}"
        f"   ({int(pw['true_positive_pairs']):,} of {int(pw['predicted_pairs']):,} linked pairs true; "
        f"{int(pw['true_pairs']):,} true pairs)",
        f"  B-cubed               precision {bc['precision']:.4f}  recall {bc['recall']:.4f}  F1 {bc['f1']:.4f}",
        f"  clusters              {c['beneficiaries']:,} beneficiaries for {c['true_persons']:,} true persons "
        f"(singletons {c['singleton_beneficiaries']:,} vs {c['true_singletons']:,}; largest {c['largest_beneficiary']})",
        f"  impure beneficiaries  {c['impure_beneficiaries']:,} hold more than one true person "
        f"({c['impure_share']:.4%} of the beneficiaries)",
    ]
    if "blocking" in r:
        b = r["blocking"]
        lines.append(
            f"  blocking              pair completeness {b['pair_completeness']:.4f} "
            f"({b['true_pairs_found']:,}/{b['true_pairs']:,}), reduction ratio {b['reduction_ratio']:.6f} "
            f"({b['candidate_pairs']:,} candidate pairs)"
        )
    lines.append(f"  {'system':<14}{'records':>9}{'precision':>11}{'recall':>9}{'F1':>8}")
    for s, row in r["per_system"].items():
        lines.append(f"  {s:<14}{row['records']:>9,}{row['precision']:>11.4f}{row['recall']:>9.4f}{row['f1']:>8.4f}")
    for title, key, what in (
        ("worst false merges", "worst_false_merges", "false_pairs"),
        ("worst missed links", "worst_missed_links", "missed_pairs"),
    ):
        items = r.get(key) or []
        lines.append(f"  {title}: {'none' if not items else ''}")
        for it in items:
            lines.append(f"    {what.replace('_', ' ')} {it[what]}: {', '.join(it['records'])}")
            lines += ["      " + x for x in it.get("explanation", [])]
    return lines
