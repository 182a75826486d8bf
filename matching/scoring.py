"""Fellegi–Sunter scoring with multi-level m/u: EM without labels, or supervised from decisions.

Level matrix (n_pairs x n_comparisons, int8) -> match weights (log2 Bayes factors) and match
probabilities. The EM runs over the unique level patterns with their counts (a few thousand rows
however many million pairs), u is initialised from random record pairs, lambda (the share of
candidate pairs that match) from `em.prior`, and iterations stop when no parameter moves more than
`em.tolerance`. Neutral levels (missing, untrusted CF) have m = u: they add nothing.

Term-frequency adjustment (as Splink does): on the `exact` level of a comparison with
`tf_adjustment`, the weight gains  w * log2(u_exact / max(tf_left, tf_right, min_frequency))
where tf is the value's share among the records' non-null values and u_exact is the chance that two
random records agree exactly (estimated from the random pairs): two MARIO ROSSI agree less than two
rare names. TF tables come from the data being scored and are never stored in the model.

`FittedModel` is plain data, JSON-serialisable (stored with each run), and explains any pair.
`matching.rl_classifier.FSClassifier` wraps the same as a recordlinkage classifier (kept apart so that
reading stored models never imports recordlinkage and scikit-learn).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd


def group_key(a: Any, b: Any) -> str:
    """Key of the unordered pair of group values (e.g. two source systems): 'anagrafe|sat'."""
    a, b = sorted((str(a), str(b)))
    return f"{a}|{b}"


LN2 = math.log(2.0)
DISAGREEMENT_LEVELS = {"different_valid"}


@dataclass
class ComparisonParams:
    name: str
    labels: list[str]
    neutral: list[int]
    m: list[float | None]
    u: list[float | None]
    weights: list[float]  # log2(m/u) per level (0 for neutral levels)
    u_random: list[float | None] | None = None
    tf: dict[str, Any] | None = None  # {"column", "also", "weight", "min_frequency", "exact_level", "fuzzy_levels"}
    given: dict[str, Any] | None = None  # {"comparison", "level", "u", "weights"}: weights used when that
    # comparison is at that level (em.household)


@dataclass
class FittedModel:
    comparisons: list[ComparisonParams]
    prior: float  # lambda: prior match probability of a candidate pair
    method: str = "em"  # em | counts | logistic
    iterations: int = 0
    converged: bool = True
    n_pairs: int = 0
    settings_name: str = ""
    history: list[float] = field(default_factory=list)
    untrained: list[str] = field(default_factory=list)  # comparisons training could not estimate (weight 0)
    group_column: str | None = None  # column of the per-group priors (em.prior_by)
    group_priors: dict[str, float] = field(default_factory=dict)  # group_key(a, b) -> lambda of those pairs

    # ------------------------------------------------------------------ weights
    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1.0 - self.prior))

    def pair_prior_weights(self, records: pd.DataFrame, i: np.ndarray, j: np.ndarray) -> np.ndarray | None:
        """Prior weight of each pair from `group_priors` (the global prior for groups without one); None when
        the model has no group priors."""
        if not self.group_priors or self.group_column not in records.columns:
            return None
        codes, uniques = pd.factorize(records[self.group_column].astype(object))
        table = np.full((len(uniques) + 1, len(uniques) + 1), self.prior_weight)  # last row: null group
        for a, x in enumerate(uniques):
            for b, y in enumerate(uniques):
                lam = self.group_priors.get(group_key(x, y))
                if lam is not None:
                    table[a, b] = math.log2(lam / (1.0 - lam))
        return table[np.asarray(codes)[i], np.asarray(codes)[j]]

    def weight_tables(self) -> list[np.ndarray]:
        return [np.asarray(c.weights, dtype=np.float64) for c in self.comparisons]

    def partial_weights(self, levels: np.ndarray) -> np.ndarray:
        """(n, K) weights of each comparison's level (the conditional ones where their condition holds)."""
        levels = np.asarray(levels)
        out = np.empty(levels.shape, dtype=np.float32)
        names = [c.name for c in self.comparisons]
        for k, (c, w) in enumerate(zip(self.comparisons, self.weight_tables())):
            out[:, k] = w[levels[:, k]]
            if c.given:
                alt = np.asarray(c.given["weights"], dtype=np.float64)[levels[:, k]]
                out[:, k] = np.where(levels[:, names.index(c.given["comparison"])] == c.given["level"], alt, out[:, k])
        return out

    def match_weight(
        self, levels: np.ndarray, tf_adjustments: np.ndarray | None = None, prior_weights: np.ndarray | None = None
    ) -> np.ndarray:
        """Total match weight per pair: prior weight (per pair when given) + sum of level weights (+ TF)."""
        levels = np.asarray(levels)
        if prior_weights is not None:
            total = np.asarray(prior_weights, dtype=np.float64).copy()
        else:
            total = np.full(levels.shape[0], self.prior_weight, dtype=np.float64)
        total += self.partial_weights(levels).sum(axis=1, dtype=np.float64)
        if tf_adjustments is not None:
            total += tf_adjustments.sum(axis=1) if tf_adjustments.ndim == 2 else tf_adjustments
        return total

    @staticmethod
    def probability(weight: np.ndarray | float) -> np.ndarray | float:
        return 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))

    # ------------------------------------------------------------------ term frequencies
    def tf_adjustments(
        self, levels: np.ndarray, tf_left: dict[str, np.ndarray], tf_right: dict[str, np.ndarray]
    ) -> np.ndarray:
        """(n, K) TF weight adjustments (0 where not applicable). tf_* map comparison name -> per-pair tf."""
        levels = np.asarray(levels)
        out = np.zeros(levels.shape, dtype=np.float32)
        for k, c in enumerate(self.comparisons):
            if not c.tf or c.name not in tf_left:
                continue
            lvl = c.tf["exact_level"]
            u_exact = (c.u_random or c.u)[lvl]
            if not u_exact:
                continue
            hit = np.isin(levels[:, k], [lvl, *c.tf.get("fuzzy_levels", ())])
            if not hit.any():
                continue
            tf = np.maximum(np.maximum(tf_left[c.name][hit], tf_right[c.name][hit]), c.tf["min_frequency"])
            out[hit, k] = c.tf["weight"] * np.log2(u_exact / tf)
        self._joint_adjustments(levels, tf_left, tf_right, out)
        return out

    def _joint_adjustments(self, levels, tf_left, tf_right, out) -> None:
        """Where two comparisons with a `joint` TF both agree exactly: one adjustment by the frequency of the
        two values together among other people's records (engine.other_bearers; at least the product of
        their own frequencies), on the first comparison; 0 on the other."""
        names = [c.name for c in self.comparisons]
        for k, c in enumerate(self.comparisons):
            joint = (c.tf or {}).get("joint")
            key = f"{c.name}:joint"
            if not joint or key not in tf_left or joint["comparison"] not in tf_left:
                continue
            kj = names.index(joint["comparison"])
            other = self.comparisons[kj]
            own_tf, other_tf = c.tf or {}, other.tf or {}
            lk, lj = own_tf["exact_level"], other_tf["exact_level"]
            u = (c.u_random or c.u)[lk], (other.u_random or other.u)[lj]
            both = (levels[:, k] == lk) & (levels[:, kj] == lj)
            if not (u[0] and u[1] and both.any()):
                continue
            floor = own_tf["min_frequency"]
            own = np.maximum(np.maximum(tf_left[c.name][both], tf_right[c.name][both]), floor) * np.maximum(
                np.maximum(tf_left[other.name][both], tf_right[other.name][both]), floor
            )
            together = np.fmax(np.maximum(tf_left[key][both], tf_right[key][both]), own)
            out[both, k] = own_tf["weight"] * np.log2(u[0] * u[1] / together)
            out[both, kj] = 0.0

    # ------------------------------------------------------------------ explanation
    def explain(
        self,
        levels: Sequence[int],
        tf_adjustment: Sequence[float] | None = None,
        prior_weight: float | None = None,
        population_adjustment: float | None = None,
    ) -> dict:
        """Per comparison: level, label, m, u, weight (incl. TF); the population adjustment (matching/population.py)
        and the number of other bearers it stands for; total match weight and probability."""
        rows = []
        prior_weight = self.prior_weight if prior_weight is None else float(prior_weight)
        population = float(population_adjustment or 0.0)
        total = prior_weight + population
        partial = self.partial_weights(np.asarray(levels, dtype=np.int64)[None, :])[0]
        names = [c.name for c in self.comparisons]
        for k, c in enumerate(self.comparisons):
            lv = int(levels[k])
            w = float(partial[k])
            conditional = bool(
                c.given and lv not in c.neutral and int(levels[names.index(c.given["comparison"])]) == c.given["level"]
            )
            adj = float(tf_adjustment[k]) if tf_adjustment is not None else 0.0
            rows.append(
                {
                    "comparison": c.name,
                    "level": lv,
                    "label": c.labels[lv],
                    "household": conditional,
                    "m": c.m[lv],
                    "u": (c.given or {})["u"][lv] if conditional else c.u[lv],
                    "weight": w + adj,
                    "tf_adjustment": adj,
                    "neutral": lv in c.neutral,
                }
            )
            total += w + adj
        return {
            "prior_weight": prior_weight,
            "population_adjustment": population,
            "other_bearers": round(2.0**-population - 1.0) if population else 0,
            "comparisons": rows,
            "match_weight": total,
            "match_probability": float(self.probability(total)),
        }

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)

    @classmethod
    def from_dict(cls, d: dict) -> FittedModel:
        d = dict(d)
        d["comparisons"] = [ComparisonParams(**c) for c in d["comparisons"]]
        return cls(**d)

    @classmethod
    def from_json(cls, s: str) -> FittedModel:
        return cls.from_dict(json.loads(s))


# =========================================================================== level metadata
@dataclass
class LevelMeta:
    """What the estimators need to know about one comparison's levels."""

    name: str
    labels: list[str]
    neutral: list[int]
    tf: dict[str, Any] | None = None

    @property
    def n_levels(self) -> int:
        return len(self.labels)

    @classmethod
    def from_comparator(cls, comp, tf_spec=None) -> LevelMeta:
        tf = None
        if tf_spec is not None:
            tf = {
                "column": tf_spec.column or comp.columns.get("value"),
                "also": list(tf_spec.also),
                "weight": tf_spec.weight,
                "min_frequency": tf_spec.min_frequency,
                "exact_level": comp.labels.index("exact"),
                "fuzzy_levels": [comp.labels.index(label) for label in tf_spec.fuzzy],
                "joint": tf_spec.joint.model_dump() if tf_spec.joint else None,
            }
        return cls(comp.label, list(comp.labels), list(comp.neutral_codes), tf)


def level_frequencies(
    levels: np.ndarray, metas: Sequence[LevelMeta], pseudo_count: float = 0.5, weights: np.ndarray | None = None
) -> list[np.ndarray]:
    """Per comparison, smoothed level distribution over the non-neutral levels (neutral -> nan)."""
    out = []
    for k, meta in enumerate(metas):
        cnt = np.bincount(levels[:, k], weights=weights, minlength=meta.n_levels).astype(np.float64)
        p = _normalise(cnt, meta, pseudo_count)
        out.append(p)
    return out


def _normalise(cnt: np.ndarray, meta: LevelMeta, alpha: float) -> np.ndarray:
    mask = np.ones(meta.n_levels, bool)
    mask[meta.neutral] = False
    c = np.where(mask, cnt + alpha, 0.0)
    tot = c.sum()
    p = c / tot if tot > 0 else np.where(mask, 1.0 / mask.sum(), 0.0)
    p[~mask] = np.nan
    return p


def _initial_m(meta: LevelMeta) -> np.ndarray:
    """Agreement levels in precedence order get geometrically less mass; else/disagreements little."""
    m = np.zeros(meta.n_levels)
    r = 0
    for c, lab in enumerate(meta.labels):
        if c in meta.neutral:
            continue
        if lab == "else" or lab in DISAGREEMENT_LEVELS:
            m[c] = 0.02
        else:
            m[c] = 0.9 * (0.5**r)
            r += 1
    return _normalise(m, meta, 0.0)


def _finite_list(values) -> list[float | None]:
    return [None if not np.isfinite(x) else float(x) for x in values]


def comparison_params(metas: Sequence[LevelMeta], m, u, u_random, weights_override=None) -> list[ComparisonParams]:
    """Per comparison, its fitted parameters as stored in a `FittedModel`: m and u per level (None where not
    finite, as on neutral levels), weights log2(m/u) (0 where undefined and on neutral levels) unless
    `weights_override` gives them, u_random (agreement chances among random pairs, which term-frequency
    adjustments read) and the term-frequency spec of its `LevelMeta`."""
    out = []
    for k, meta in enumerate(metas):
        if weights_override is not None:
            w = weights_override[k]
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                w = np.log2(m[k] / u[k])
            w = np.where(np.isfinite(w), w, 0.0)
        w[meta.neutral] = 0.0
        out.append(
            ComparisonParams(
                name=meta.name,
                labels=meta.labels,
                neutral=meta.neutral,
                m=_finite_list(m[k]) if m is not None else [None] * meta.n_levels,
                u=_finite_list(u[k]) if u is not None else [None] * meta.n_levels,
                weights=[float(x) for x in w],
                u_random=_finite_list(u_random[k]) if u_random is not None else None,
                tf=meta.tf,
            )
        )
    return out


# =========================================================================== EM
def _patterns(levels: np.ndarray, metas: Sequence[LevelMeta]) -> tuple[np.ndarray, np.ndarray]:
    """Unique level patterns and their counts."""
    n, k = levels.shape
    if n == 0:
        return levels[:0], np.zeros(0)
    code = np.zeros(n, dtype=np.int64)
    for j, meta in enumerate(metas):
        code = code * meta.n_levels + levels[:, j]
    codes, uniq = pd.factorize(code)
    counts = np.bincount(codes, minlength=len(uniq)).astype(np.float64)
    first = np.zeros(len(uniq), dtype=np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)
    return levels[first], counts


def fit_em(
    levels: np.ndarray,
    metas: Sequence[LevelMeta],
    u_init: list[np.ndarray],
    *,
    prior: float = 0.01,
    max_iterations: int = 200,
    tolerance: float = 1e-6,
    fix_u: bool = False,
    fix_prior: bool = False,
    pseudo_count: float = 0.5,
    m_init: list[np.ndarray] | None = None,
    settings_name: str = "",
) -> FittedModel:
    """Multi-level EM (unsupervised Fellegi–Sunter) on a level matrix."""
    levels = np.asarray(levels)
    pat, w = _patterns(levels, metas)
    n_total = float(w.sum())
    m = [mi.copy() for mi in (m_init or [_initial_m(meta) for meta in metas])]
    u = [ui.copy() for ui in u_init]
    lam = float(prior)
    converged = False
    history: list[float] = []
    it = 0
    alpha = pseudo_count
    for it in range(1, max_iterations + 1):  # noqa: B007 - `it` is the iteration count reported after the loop
        lm = np.full(len(pat), math.log(lam))
        lu = np.full(len(pat), math.log1p(-lam))
        for k in range(len(metas)):
            logm = np.log(np.nan_to_num(m[k], nan=1.0))
            logu = np.log(np.nan_to_num(u[k], nan=1.0))
            lm += logm[pat[:, k]]
            lu += logu[pat[:, k]]
        g = 1.0 / (1.0 + np.exp(np.clip(lu - lm, -700, 700)))
        loglik = float(np.sum(w * np.logaddexp(lm, lu)))
        history.append(loglik)
        gw, hw = w * g, w * (1.0 - g)
        new_lam = lam if fix_prior else float(np.clip(gw.sum() / n_total, 1e-9, 1 - 1e-9))
        delta = abs(new_lam - lam)
        new_m, new_u = [], []
        for k, meta in enumerate(metas):
            mk = _normalise(np.bincount(pat[:, k], weights=gw, minlength=meta.n_levels), meta, alpha)
            uk = u[k] if fix_u else _normalise(np.bincount(pat[:, k], weights=hw, minlength=meta.n_levels), meta, alpha)
            delta = max(delta, float(np.nanmax(np.abs(mk - m[k]))), float(np.nanmax(np.abs(uk - u[k]))))
            new_m.append(mk)
            new_u.append(uk)
        m, u, lam = new_m, new_u, new_lam
        if delta < tolerance:
            converged = True
            break
    return FittedModel(
        comparison_params(metas, m, u, u_init),
        prior=lam,
        method="em",
        iterations=it,
        converged=converged,
        n_pairs=int(n_total),
        settings_name=settings_name,
        history=history,
    )


# =========================================================================== supervised
def fit_supervised(
    levels: np.ndarray,
    is_match: np.ndarray,
    metas: Sequence[LevelMeta],
    *,
    method: str = "counts",
    prior: float | None = None,
    pseudo_count: float = 0.5,
    u_random: list[np.ndarray] | None = None,
    settings_name: str = "",
    C: float = 10.0,
) -> FittedModel:
    """Train on labelled decisions (1 match, 0 non-match).

    counts: m and u counted from the labelled matches / non-matches (smoothed);
    logistic: L2 logistic regression on one-hot levels (neutral levels dropped); its coefficients
    become the level weights (natural log -> log2), its intercept the prior weight.
    """
    levels = np.asarray(levels)
    y = np.asarray(is_match).astype(bool)
    if y.all() or not y.any():
        raise ValueError("supervised training needs both matches and non-matches")
    if method == "counts":
        m = level_frequencies(levels[y], metas, pseudo_count)
        u = level_frequencies(levels[~y], metas, pseudo_count)
        lam = float(y.mean()) if prior is None else prior
        return FittedModel(
            comparison_params(metas, m, u, u_random),
            prior=lam,
            method="counts",
            n_pairs=len(y),
            settings_name=settings_name,
        )
    if method == "logistic":
        from sklearn.linear_model import LogisticRegression

        cols, owners = [], []
        for k, meta in enumerate(metas):
            for lv in range(meta.n_levels):
                if lv not in meta.neutral:
                    cols.append(levels[:, k] == lv)
                    owners.append((k, lv))
        X = np.stack(cols, axis=1).astype(np.float32)
        clf = LogisticRegression(C=C, max_iter=2000)
        clf.fit(X, y)
        weights = [np.zeros(meta.n_levels) for meta in metas]
        for (k, lv), coef in zip(owners, clf.coef_[0]):
            weights[k][lv] = coef / LN2
        intercept = float(clf.intercept_[0]) / LN2
        lam = 1.0 / (1.0 + 2.0 ** (-intercept))
        m = level_frequencies(levels[y], metas, pseudo_count)
        u = level_frequencies(levels[~y], metas, pseudo_count)
        return FittedModel(
            comparison_params(metas, m, u, u_random, weights_override=weights),
            prior=lam,
            method="logistic",
            n_pairs=len(y),
            settings_name=settings_name,
        )
    raise ValueError(f"unknown supervised method {method!r} (counts | logistic)")
