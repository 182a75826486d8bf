"""Training the Fellegi–Sunter model without labels.

`train_model` picks the method of `settings.em.training`:

candidates  one multi-level EM over every candidate pair (scoring.fit_em): m, u and lambda describe
            candidate pairs. Quick, but blocking makes the non-matches among candidates agree on the
            blocked fields, which breaks the EM's independence assumption (names look weak).
sessions    as Splink does: u from uniformly random record pairs (held fixed); m from EM sessions,
            each on the pairs agreeing on its own keys (e.g. the same birth date), with the
            comparisons those keys force to agree left out of the session (their m comes from another
            session; a comparison estimated by several sessions gets the mean); then lambda, the
            probability that two random records match, by EM over all candidate pairs with m and u held
            and scaled from candidate pairs to all pairs. Weights are log2(m/u) against random pairs,
            capped at the weight of the comparison's `exact` level (swapped names are no stronger
            evidence than equal names). A comparison that no session could estimate (too few pairs,
            e.g. a first linkage over one small system) gets m = u, i.e. weight 0, no evidence either
            way; the model lists it in `untrained` and the next linkage run refits.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from matching.blocking import block_pass
from matching.scoring import FittedModel, comparison_params, fit_em, group_key, level_frequencies
from matching.settings import BlockingPass, LinkageSettings

log = logging.getLogger(__name__)

MIN_GROUP_PAIRS = 100
"""Fewest candidate pairs for a group (pair of systems) to get a prior of its own."""


def train_model(
    prepared,
    settings: LinkageSettings,
    comparators,
    metas,
    levels: np.ndarray,
    u_random,
    compute_levels,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> FittedModel:
    """`levels` are those of the candidate pairs `pairs` (positions i, j; needed for `em.prior_by`)."""
    em = settings.em
    if em.training == "candidates":
        return fit_em(
            levels,
            metas,
            u_random,
            prior=em.prior,
            max_iterations=em.max_iterations,
            tolerance=em.tolerance,
            fix_u=em.fix_u,
            fix_prior=em.fix_prior,
            pseudo_count=em.pseudo_count,
            settings_name=settings.name,
        )
    return fit_sessions(prepared, settings, comparators, metas, levels, u_random, compute_levels, pairs)


def fit_sessions(prepared, settings, comparators, metas, levels, u_random, compute_levels, pairs=None) -> FittedModel:
    em = settings.em
    names = [m.name for m in metas]
    m_sum = [np.zeros(m.n_levels) for m in metas]
    m_cnt = np.zeros(len(metas))
    history, iterations, converged = [], 0, True
    for s in em.sessions:
        i, j, _ = block_pass(prepared, BlockingPass(name=s.name, keys=s.keys), s.max_block_pairs)
        if i.size < 10:
            continue
        excl = [names.index(c) for c in s.exclude]
        used = [k for k in range(len(comparators)) if k not in excl]
        # an excluded comparison is not computed: level 0 (missing: neutral, no evidence either way)
        lv = np.zeros((i.size, len(comparators)), dtype=np.int8)
        lv[:, used] = compute_levels(prepared, i, j, [comparators[k] for k in used])
        fit = fit_em(
            lv,
            metas,
            u_random,
            prior=em.prior,
            max_iterations=em.max_iterations,
            tolerance=em.tolerance,
            fix_u=True,
            pseudo_count=em.pseudo_count,
            settings_name=settings.name,
        )
        iterations += fit.iterations
        converged &= fit.converged
        history.append({"session": s.name, "pairs": int(i.size), "lambda": fit.prior, "iterations": fit.iterations})
        for k, c in enumerate(fit.comparisons):
            if k in excl:
                continue
            m_sum[k] += np.nan_to_num(_floats(c.m))
            m_cnt[k] += 1
    untrained = [n for n, c in zip(names, m_cnt) if c == 0]
    if untrained:
        log.warning(
            "training sessions found too few pairs to estimate m for %s: no evidence from them "
            "until a later run refits",
            ", ".join(untrained),
        )
    m = []
    for k, meta in enumerate(metas):
        mk = m_sum[k] / m_cnt[k] if m_cnt[k] else np.array(u_random[k], dtype=float)  # untrained: m = u
        mk[meta.neutral] = np.nan
        m.append(mk)
    params = comparison_params(metas, m, u_random, u_random)
    for c in params:  # an untrained comparison is no evidence, its term frequencies neither
        if c.name in untrained:
            c.tf = None
    for c in params:  # no level is stronger evidence than exact agreement (e.g. swapped names)
        if "exact" in c.labels:
            top = c.weights[c.labels.index("exact")]
            c.weights = [min(w, top) if k not in c.neutral else w for k, w in enumerate(c.weights)]
    if em.household is not None:
        _household_weights(prepared, settings, comparators, metas, params, compute_levels, untrained)
    model = FittedModel(
        params,
        prior=0.5,
        method="em_sessions",
        iterations=iterations,
        converged=converged,
        n_pairs=int(levels.shape[0]),
        settings_name=settings.name,
        untrained=untrained,
    )
    lam_cand = _lambda(model, levels, em.prior, em.max_iterations, em.tolerance)
    n = len(prepared)
    total = n * (n - 1) / 2
    model.prior = float(min(max(lam_cand * levels.shape[0] / total, 1e-12), 0.5)) if total else 0.5
    model.history = [lam_cand] + [h["lambda"] for h in history]
    if em.prior_by and pairs is not None:
        model.group_column = em.prior_by
        model.group_priors = _group_priors(model, prepared[em.prior_by], levels, pairs[0], pairs[1], em)
    return model


def _household_weights(
    prepared, settings: LinkageSettings, comparators, metas, params, compute_levels, untrained: list[str]
) -> None:
    """u and weights of the household comparisons among pairs agreeing on `given` but not on `differ`."""
    h, em = settings.em.household, settings.em
    if h is None:
        return
    names = [m.name for m in metas]
    given = next(c for c in settings.comparisons if c.name == h.given)
    i, j, _ = block_pass(prepared, BlockingPass(name="household", keys=[given.columns["value"]]), h.max_block_pairs)
    if i.size > em.u_sample_pairs:
        pick = np.random.default_rng(em.seed).choice(i.size, em.u_sample_pairs, replace=False)
        i, j = i[pick], j[pick]
    lv = compute_levels(prepared, i, j, comparators)
    kd = names.index(h.differ)
    lv = lv[lv[:, kd] != metas[kd].labels.index("exact")]
    if lv.shape[0] < 100:
        log.warning(
            "em.household: only %d pairs agree on %s: household comparisons keep their weights", lv.shape[0], h.given
        )
        return
    u_given = level_frequencies(lv, metas, em.pseudo_count)
    level = metas[names.index(h.given)].labels.index("exact")
    for k in (names.index(n) for n in h.comparisons if n not in untrained):
        c = params[k]
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.log2(_floats(c.m) / u_given[k])
        w = np.where(np.isfinite(w), w, 0.0)
        w[list(c.neutral)] = 0.0
        c.given = {
            "comparison": h.given,
            "level": level,
            "u": [None if not np.isfinite(x) else float(x) for x in u_given[k]],
            "weights": [float(x) for x in w],
        }


def _floats(values) -> np.ndarray:
    return np.array([np.nan if x is None else x for x in values], dtype=float)


def _group_priors(model: FittedModel, groups, levels: np.ndarray, i: np.ndarray, j: np.ndarray, em) -> dict:
    """Lambda of each pair of group values: EM over that group's candidate pairs (m, u held), scaled to all
    of its record pairs, at most one match per record of the smaller side. Groups with too few candidate
    pairs keep the global prior."""
    codes, uniques = pd.factorize(groups.astype(object))
    sizes = np.bincount(codes[codes >= 0], minlength=len(uniques)).astype(float)
    a, b = np.minimum(codes[i], codes[j]), np.maximum(codes[i], codes[j])
    out = {}
    for x in range(len(uniques)):
        for y in range(x, len(uniques)):
            sel = (a == x) & (b == y)
            if sel.sum() < MIN_GROUP_PAIRS:
                continue
            lam = _lambda(model, levels[sel], em.prior, em.max_iterations, em.tolerance)
            total = sizes[x] * (sizes[x] - 1) / 2 if x == y else sizes[x] * sizes[y]
            # no more matches than records on the smaller side: each record is one person, seldom recorded
            # twice in one system (EM over homonym-rich candidates overshoots this at a million records)
            matches = min(lam * sel.sum(), min(sizes[x], sizes[y]))
            out[group_key(uniques[x], uniques[y])] = float(min(max(matches / total, 1e-12), 0.5))
    return out


def _lambda(model: FittedModel, levels: np.ndarray, start: float, iterations: int, tol: float) -> float:
    """EM for the share of candidate pairs that match, with m and u held (weights without the prior)."""
    w = model.match_weight(levels) - model.prior_weight  # log2 Bayes factor per pair
    bf = np.exp2(np.clip(w, -200, 200))
    lam = start
    for _ in range(iterations):
        post = lam * bf / (lam * bf + (1 - lam))
        new = float(post.mean()) if post.size else lam
        if abs(new - lam) < tol:
            lam = new
            break
        lam = new
    return min(max(lam, 1e-9), 1 - 1e-9)
