"""Blocking passes (vectorised pair generation, alternatives, caps, link mode) and settings validation."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import recordlinkage

from matching.blocking import KeyBlockIndex, MultiPassIndex, blocking_report, candidate_pairs
from matching.prepare import prepare_records
from matching.settings import SettingsError, load_settings, parse_settings


def brute_force(df, cols, df_b=None):
    if df_b is None:
        out = set()
        for a, b in itertools.combinations(range(len(df)), 2):
            va, vb = df.iloc[a][cols], df.iloc[b][cols]
            if va.notna().all() and (va.values == vb.values).all():
                out.add((df.index[a], df.index[b]))
        return out
    return {
        (x, y)
        for x in df.index
        for y in df_b.index
        if df.loc[x, cols].notna().all() and (df.loc[x, cols].values == df_b.loc[y, cols].values).all()
    }


def random_frame(n, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"a": rng.choice(["X", "Y", "Z", None], n), "b": rng.integers(0, 4, n).astype(str)},
        index=[f"r{k}" for k in range(n)],
    )


def test_key_block_matches_brute_force_dedupe_and_link():
    df = random_frame(60, 1)
    got = KeyBlockIndex(["a", "b"], max_block_pairs=10**6).index(df)
    assert {tuple(p) for p in got} == brute_force(df, ["a", "b"])
    dfb = random_frame(40, 2)
    dfb.index = [f"s{k}" for k in range(40)]
    got = KeyBlockIndex(["a", "b"], max_block_pairs=10**6).index(df, dfb)
    assert {tuple(p) for p in got} == brute_force(df, ["a", "b"], dfb)


def test_alternative_keys_and_block_cap():
    df = pd.DataFrame(
        {"k1": ["A", "B", "C", "Q", "Q", "Q", "Q"], "k2": [None, "A", "A", None, None, None, None]},
        index=list("abcdefg"),
    )
    idx = KeyBlockIndex([["k1", "k2"]], max_block_pairs=5)
    pairs = {tuple(sorted(p)) for p in idx.index(df)}
    # a-b via a.k1 == b.k2, a-c likewise, b-c via k2; the Q block (6 pairs > 5) is dropped
    assert pairs == {("a", "b"), ("a", "c"), ("b", "c")}
    assert idx.stats.dropped_blocks == 1 and idx.stats.dropped_pairs == 6


def test_recordlinkage_index_api_and_report():
    df = random_frame(50, 3)
    indexer = recordlinkage.Index()
    indexer.add(KeyBlockIndex(["a"], name="a"))
    indexer.add(KeyBlockIndex(["b"], name="b"))
    pairs = indexer.index(df)
    truth = pd.MultiIndex.from_tuples([(df.index[1], df.index[0])])
    rep = blocking_report(pairs, truth, len(df))
    assert rep["candidate_pairs"] == len({tuple(sorted(p)) for p in pairs})
    expect_found = int(
        df.iloc[0]["b"] == df.iloc[1]["b"] or (df.iloc[0]["a"] == df.iloc[1]["a"] and df.iloc[0]["a"] is not None)
    )
    assert rep["true_pairs_found"] == expect_found
    assert 0 < rep["reduction_ratio"] < 1


def test_multi_pass_union_on_stg_person(stg_small):
    settings = load_settings("stg_person")
    rec = prepare_records(stg_small, settings)
    i, j, stats = candidate_pairs(rec, settings)
    assert (i < j).all() and len(np.unique(i * len(rec) + j)) == len(i)
    assert stats.total_pairs == len(i) == sum(p.new_pairs for p in stats.passes)
    truth = stg_small["true_id"].to_numpy()
    true_pairs = {(a, b) for a, b in itertools.combinations(range(len(rec)), 2) if truth[a] == truth[b]}
    found = true_pairs & set(zip(i.tolist(), j.tolist()))
    assert len(found) / len(true_pairs) > 0.97
    mi = MultiPassIndex(settings).index(stg_small)
    assert len(mi) == len(i)


@pytest.fixture(scope="module")
def stg_small():
    from tests.test_matching_helpers import generate_population

    return generate_population(150, seed=5)


def test_bundled_settings_load():
    for name in ("stg_person", "febrl"):
        s = load_settings(name)
        assert s.comparisons and s.blocking.passes


def _base():
    return {
        "name": "x",
        "blocking": {"passes": [{"name": "p", "keys": ["a"]}]},
        "comparisons": [{"name": "a", "kind": "string", "columns": {"value": "a"}}],
        "thresholds": {"auto_link": 0.9, "review": 0.5},
    }


def test_settings_errors_name_the_field():
    d = _base()
    d["blocking"]["passes"][0]["colour"] = "red"
    with pytest.raises(SettingsError, match=r"blocking\.passes\.0\.colour"):
        parse_settings(d)
    d = _base()
    d["comparisons"][0]["levels"] = ["exact", "telepathy"]
    with pytest.raises(SettingsError, match=r"comparisons\.0.*unknown level 'telepathy'"):
        parse_settings(d)
    d = _base()
    d["thresholds"] = {"auto_link": 0.5, "review": 0.9}
    with pytest.raises(SettingsError, match=r"thresholds.*review must be <= auto_link"):
        parse_settings(d)
    d = _base()
    d["em"] = {"max_iterations": 0}
    with pytest.raises(SettingsError, match=r"em\.max_iterations"):
        parse_settings(d)
    d = _base()
    d["comparisons"][0]["kind"] = "psychic"
    with pytest.raises(SettingsError, match=r"comparisons\.0.*unknown comparator kind"):
        parse_settings(d)


def test_settings_errors_of_the_evidence_options():
    d = _base()
    d["comparisons"][0]["tf_adjustment"] = {"joint": {"comparison": "nope", "column": "a", "distinct_by": "a"}}
    with pytest.raises(SettingsError, match=r"a\.tf_adjustment\.joint: 'nope' must be another comparison"):
        parse_settings(d)
    d = _base()
    d["em"] = {"household": {"given": "a", "differ": "b", "comparisons": ["a"]}}
    with pytest.raises(SettingsError, match=r"em\.household: unknown comparisons \['b'\]"):
        parse_settings(d)
    s = load_settings("stg_person")
    assert {"name_pair", "birth_date", "last_name_norm", "first_name_norm"} <= set(s.required_columns()) | set(
        s.derived
    )
    assert s.em.prior_by == "source_system" and s.em.household.comparisons == ["phone", "address"]
