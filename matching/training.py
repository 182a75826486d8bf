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
            evidence than equal names).
"""
from __future__ import annotations


import numpy as np

from matching.blocking import block_pass
from matching.scoring import FittedModel, _finish, fit_em
from matching.settings import BlockingPass, LinkageSettings


def train_model(prepared, settings: LinkageSettings, comparators, metas, levels: np.ndarray, u_random,
                compute_levels) -> FittedModel:
    em = settings.em
    if em.training == "candidates":
        return fit_em(levels, metas, u_random, prior=em.prior, max_iterations=em.max_iterations,
                      tolerance=em.tolerance, fix_u=em.fix_u, fix_prior=em.fix_prior, pseudo_count=em.pseudo_count,
                      settings_name=settings.name)
    return fit_sessions(prepared, settings, comparators, metas, levels, u_random, compute_levels)


def fit_sessions(prepared, settings, comparators, metas, levels, u_random, compute_levels) -> FittedModel:
    em = settings.em
    names = [m.name for m in metas]
    m_sum = [np.zeros(m.n_levels) for m in metas]
    m_cnt = np.zeros(len(metas))
    history, iterations, converged = [], 0, True
    for s in em.sessions:
        i, j, _ = block_pass(prepared, BlockingPass(name=s.name, keys=s.keys), s.max_block_pairs)
        if i.size < 10:
            continue
        lv = compute_levels(prepared, i, j, comparators).copy()
        excl = [names.index(c) for c in s.exclude]
        for k in excl:
            lv[:, k] = 0          # missing: neutral, no evidence either way
        fit = fit_em(lv, metas, u_random, prior=em.prior, max_iterations=em.max_iterations, tolerance=em.tolerance,
                     fix_u=True, pseudo_count=em.pseudo_count, settings_name=settings.name)
        iterations += fit.iterations
        converged &= fit.converged
        history.append({"session": s.name, "pairs": int(i.size), "lambda": fit.prior, "iterations": fit.iterations})
        for k, c in enumerate(fit.comparisons):
            if k in excl:
                continue
            m_sum[k] += np.nan_to_num(np.array([np.nan if x is None else x for x in c.m], dtype=float))
            m_cnt[k] += 1
    if (m_cnt == 0).any():
        raise ValueError("training sessions found too few pairs to estimate m for: "
                         + ", ".join(n for n, c in zip(names, m_cnt) if c == 0))
    m = []
    for k, meta in enumerate(metas):
        mk = m_sum[k] / m_cnt[k]
        mk[meta.neutral] = np.nan
        m.append(mk)
    params = _finish(metas, m, u_random, u_random)
    for c in params:                     # no level is stronger evidence than exact agreement (e.g. swapped names)
        if "exact" in c.labels:
            top = c.weights[c.labels.index("exact")]
            c.weights = [min(w, top) if k not in c.neutral else w for k, w in enumerate(c.weights)]
    model = FittedModel(params, prior=0.5, method="em_sessions", iterations=iterations, converged=converged,
                        n_pairs=int(levels.shape[0]), settings_name=settings.name)
    lam_cand = _lambda(model, levels, em.prior, em.max_iterations, em.tolerance)
    n = len(prepared)
    total = n * (n - 1) / 2
    model.prior = float(min(max(lam_cand * levels.shape[0] / total, 1e-12), 0.5)) if total else 0.5
    model.history = [lam_cand] + [h["lambda"] for h in history]
    return model


def _lambda(model: FittedModel, levels: np.ndarray, start: float, iterations: int, tol: float) -> float:
    """EM for the share of candidate pairs that match, with m and u held (weights without the prior)."""
    w = model.match_weight(levels) - model.prior_weight          # log2 Bayes factor per pair
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
