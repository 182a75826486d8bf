"""The engine rules added for the warehouse linkage: name-only blocking for records without a birth date,
ambiguous links to review, EM sessions (Splink-style) with level weights capped at exact agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.blocking import block_pass
from matching.clustering import ambiguous_links
from matching.engine import link_dataframe
from matching.settings import BlockingPass, load_settings
from tests.test_matching_helpers import generate_population


def test_only_if_missing_pairs_records_one_of_which_lacks_the_column():
    df = pd.DataFrame({"name": ["A", "A", "A", "A", "B"], "birth": ["1", None, "2", None, None]})
    i, j, st = block_pass(df, BlockingPass(name="p", keys=["name"], only_if_missing="birth"), 100)
    got = sorted(zip(i.tolist(), j.tolist()))
    assert got == [(0, 1), (0, 3), (1, 2), (1, 3), (2, 3)]  # never (0, 2): both have a birth date
    i, j, _ = block_pass(df, BlockingPass(name="p", keys=["name"]), 100)
    assert len(i) == 6


def test_ambiguous_links_go_to_review():
    # record 0 links to registry records 1 and 2 (exclusive) with close weights, and to 3 (not exclusive)
    i, j = np.array([0, 0, 0, 4]), np.array([1, 2, 3, 1])
    w = np.array([20.0, 18.0, 15.0, 30.0])
    excl = np.array([-1, 1, 2, -1, -1])
    amb = ambiguous_links(i, j, w, np.ones(4, bool), 4.0, excl)
    assert amb.tolist() == [True, True, False, False]
    assert not ambiguous_links(i, j, np.array([20.0, 10.0, 15.0, 30.0]), np.ones(4, bool), 4.0, excl).any()


def test_em_sessions_model():
    res = link_dataframe(generate_population(400, seed=4), load_settings("stg_person"))
    m = res.model
    assert m.method == "em_sessions" and m.converged and 0 < m.prior < 0.01  # a random pair's prior
    for c in m.comparisons:
        if "exact" in c.labels:
            top = c.weights[c.labels.index("exact")]
            assert max(c.weights) <= top + 1e-12, c.name
            if c.name != "iban":
                assert top > 0 and c.weights[c.labels.index("else")] < 0, c.name
    sw = next(c for c in m.comparisons if c.name == "first_name")
    assert sw.weights[sw.labels.index("swapped")] <= sw.weights[sw.labels.index("exact")]
