"""Evaluation of clusterings against ground truth, by combinatorics (no pair enumeration).

pairwise precision/recall/F1: pairs in the same predicted cluster vs the same true entity,
counted as sums of C(n, 2) over clusters, entities and their intersections; B-cubed
precision/recall/F1 (per record, averaged); cluster counts; per-system breakdown (pairs that
involve at least one record of the system); the worst false merges and the worst missed links.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


def _c2(x):
    x = np.asarray(x, dtype=np.float64)
    return x * (x - 1) / 2.0


def _codes(a) -> np.ndarray:
    return pd.factorize(np.asarray(a), use_na_sentinel=False)[0].astype(np.int64)


@dataclass
class PairwiseScores:
    precision: float
    recall: float
    f1: float
    true_positive_pairs: float
    predicted_pairs: float
    true_pairs: float


def _prf(tp, pp, tt) -> PairwiseScores:
    p = tp / pp if pp else 1.0
    r = tp / tt if tt else 1.0
    f = 2 * p * r / (p + r) if (p + r) else 0.0
    return PairwiseScores(p, r, f, float(tp), float(pp), float(tt))


def pairwise_scores(pred, true) -> PairwiseScores:
    """Pairwise precision, recall, F1 of cluster labels `pred` against entity labels `true`."""
    p, t = _codes(pred), _codes(true)
    pp = _c2(np.bincount(p)).sum()
    tt = _c2(np.bincount(t)).sum()
    cell = pd.factorize(p * (t.max() + 1) + t)[0]
    tp = _c2(np.bincount(cell)).sum()
    return _prf(tp, pp, tt)


def bcubed_scores(pred, true) -> dict:
    p, t = _codes(pred), _codes(true)
    n = len(p)
    if n == 0:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    np_ = np.bincount(p)[p]
    nt = np.bincount(t)[t]
    cell = pd.factorize(p * (t.max() + 1) + t)[0]
    nc = np.bincount(cell)[cell]
    prec = float(np.mean(nc / np_))
    rec = float(np.mean(nc / nt))
    return {"precision": prec, "recall": rec, "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0}


def impure_clusters(pred, true) -> int:
    """Predicted clusters holding records of more than one true entity."""
    p, t = _codes(pred), _codes(true)
    if not len(p):
        return 0
    cells = pd.DataFrame({"p": p, "t": t}).drop_duplicates()
    return int((np.bincount(cells["p"].to_numpy()) > 1).sum())


def cluster_counts(pred, true) -> dict:
    """Records, predicted clusters and true entities (all, singletons), the largest predicted cluster and the
    impure predicted clusters (holding more than one true entity) with their share of the predicted clusters."""
    p, t = _codes(pred), _codes(true)
    sp, st = np.bincount(p), np.bincount(t)
    impure = impure_clusters(pred, true)
    return {
        "records": int(len(p)),
        "predicted_clusters": int(sp.size),
        "true_entities": int(st.size),
        "predicted_singletons": int((sp == 1).sum()),
        "true_singletons": int((st == 1).sum()),
        "largest_predicted_cluster": int(sp.max()) if sp.size else 0,
        "impure_clusters": impure,
        "impure_share": impure / sp.size if sp.size else 0.0,
    }


def _pairs_touching(group: np.ndarray, is_s: np.ndarray) -> float:
    """Pairs inside the groups that involve at least one `is_s` record: C(n,2) - C(n - n_s, 2)."""
    n = np.bincount(group)
    ns = np.bincount(group, weights=is_s.astype(np.float64), minlength=n.size)
    return float((_c2(n) - _c2(n - ns)).sum())


def per_system_scores(pred, true, system) -> pd.DataFrame:
    """Pairwise P/R/F1 restricted to pairs that involve a record of each system."""
    p, t = _codes(pred), _codes(true)
    cell = pd.factorize(p * (t.max() + 1) + t)[0]
    sysv = np.asarray(system)
    rows = []
    for s in pd.unique(sysv):
        is_s = sysv == s
        sc = _prf(_pairs_touching(cell, is_s), _pairs_touching(p, is_s), _pairs_touching(t, is_s))
        rows.append({"system": s, "records": int(is_s.sum()), **asdict(sc)})
    return pd.DataFrame(rows).set_index("system")


def worst_false_merges(pred, true, ids=None, k: int = 10) -> pd.DataFrame:
    """Predicted clusters holding several true entities, most false pairs first."""
    p, t = _codes(pred), _codes(true)
    ids = np.arange(len(p)) if ids is None else np.asarray(ids)
    df = pd.DataFrame({"p": p, "t": t, "id": ids, "true": np.asarray(true)})
    size = df.groupby("p").size()
    cells = df.groupby(["p", "t"]).size()
    good = (cells * (cells - 1) / 2).groupby(level=0).sum()
    false_pairs = (size * (size - 1) / 2 - good.reindex(size.index, fill_value=0)).sort_values(ascending=False)
    false_pairs = false_pairs[false_pairs > 0].head(k)
    rows = []
    for c, fp in false_pairs.items():
        sub = df[df["p"] == c]
        rows.append(
            {
                "cluster": int(c),
                "false_pairs": int(fp),
                "size": len(sub),
                "entities": int(sub["t"].nunique()),
                "records": list(sub["id"]),
            }
        )
    return pd.DataFrame(rows, columns=["cluster", "false_pairs", "size", "entities", "records"])


def worst_missed_links(pred, true, ids=None, k: int = 10) -> pd.DataFrame:
    """True entities split over several predicted clusters, most missed pairs first."""
    rows = worst_false_merges(true, pred, ids, k)
    return rows.rename(columns={"cluster": "entity", "false_pairs": "missed_pairs", "entities": "clusters"})


def evaluate_clusters(pred, true, system=None, ids=None, k: int = 10) -> dict:
    """All of the above in one dict (pairwise, bcubed, counts, per_system, worst lists)."""
    out = {
        "pairwise": asdict(pairwise_scores(pred, true)),
        "bcubed": bcubed_scores(pred, true),
        "counts": cluster_counts(pred, true),
        "worst_false_merges": worst_false_merges(pred, true, ids, k),
        "worst_missed_links": worst_missed_links(pred, true, ids, k),
    }
    if system is not None:
        out["per_system"] = per_system_scores(pred, true, system)
    return out
