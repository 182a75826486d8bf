"""Vectorised candidate generation against a plain reference implementation, and per-pass contributions."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pandas as pd

from matching.blocking import candidate_pairs, pass_contributions
from matching.comparators import cf_prefix, cf_prefixes
from matching.settings import BlockingPass, load_settings


def _present(v) -> bool:
    return v is not None and not (isinstance(v, float) and np.isnan(v))


def reference_pairs(df: pd.DataFrame, bp: BlockingPass, cap: int) -> set[tuple[int, int]]:
    """One pass, record by record: a record's keys are every combination of its non-null alternatives; a block
    pairs its records unless its pair count exceeds the cap; with `only_if_missing`, the records lacking the
    column pair with each other and with the block's other records, each group under the cap on its own."""
    rows = df.to_dict("records")
    blocks: dict[tuple, set[int]] = defaultdict(set)
    for r, row in enumerate(rows):
        options: list[tuple] = [()]
        for key in bp.keys:
            alts = key if isinstance(key, list) else [key]
            values = {row[a] for a in alts if _present(row[a])}
            options = [o + (v,) for o in options for v in values]
        for o in options:
            blocks[o].add(r)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        m = sorted(members)
        if bp.only_if_missing:
            miss = [r for r in m if not _present(rows[r][bp.only_if_missing])]
            have = [r for r in m if r not in miss]
            if len(miss) * (len(miss) - 1) // 2 <= cap:
                pairs |= set(itertools.combinations(miss, 2))
            if len(miss) * len(have) <= cap:
                pairs |= {(min(a, b), max(a, b)) for a in miss for b in have}
        elif len(m) * (len(m) - 1) // 2 <= cap:
            pairs |= set(itertools.combinations(m, 2))
    return pairs


def random_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def col(values, p_null):
        out = rng.choice(np.array(values, dtype=object), n)
        out[rng.random(n) < p_null] = None
        return out

    names = ["ROSSI", "BIANCHI", "ALI", "MOHAMED", "MARIA", "ANNA", "CHEN", "LUCA"]
    return pd.DataFrame(
        {
            "first": col(names, 0.05),
            "last": col(names, 0.05),
            "alt_first": col(names, 0.7),
            "year": col(["1950", "1960", "1970"], 0.2),
            "phone": col([f"05{k}" for k in range(6)], 0.5),
        }
    )


PASSES = [
    BlockingPass(name="names_year", keys=[["first", "alt_first"], "year"]),
    BlockingPass(name="any_name", keys=[["first", "last", "alt_first"]], max_block_pairs=60),
    BlockingPass(name="names_undated", keys=["first", "last"], only_if_missing="year", max_block_pairs=8),
    BlockingPass(name="phone", keys=["phone"], max_block_pairs=30),
]


def test_candidate_pairs_equal_the_reference_union():
    settings = load_settings("stg_person")
    for seed in (1, 2, 3):
        df = random_frame(160, seed)
        i, j, stats = candidate_pairs(df, settings, passes=PASSES)
        got = set(zip(i.tolist(), j.tolist()))
        cap = settings.blocking.max_block_pairs
        per_pass = [reference_pairs(df, bp, bp.max_block_pairs or cap) for bp in PASSES]
        assert got == set().union(*per_pass)
        assert (i < j).all() and stats.total_pairs == len(got)
        seen: set = set()
        for st, ref in zip(stats.passes, per_pass):
            assert st.pairs == len(ref)
            assert st.new_pairs == len(ref - seen)
            seen |= ref
        assert any(st.dropped_blocks for st in stats.passes)  # the caps were exercised


def test_pass_contributions_count_true_pairs_found_by_one_pass_only():
    settings = load_settings("stg_person")
    df = random_frame(120, 4)
    truth = np.random.default_rng(4).integers(-1, 30, len(df))
    rows = pass_contributions(df, settings, truth, passes=PASSES)
    cap = settings.blocking.max_block_pairs
    per_pass = [reference_pairs(df, bp, bp.max_block_pairs or cap) for bp in PASSES]
    true = [{(a, b) for a, b in ref if truth[a] == truth[b] and truth[a] >= 0} for ref in per_pass]
    for k, row in enumerate(rows):
        others = set().union(*(t for m, t in enumerate(true) if m != k))
        assert row["name"] == PASSES[k].name and row["pairs"] == len(per_pass[k])
        assert row["true_found"] == len(true[k])
        assert row["true_unique"] == len(true[k] - others)


def test_cf_prefixes_equal_cf_prefix_value_by_value():
    rng = np.random.default_rng(11)
    letters = list("ABCDEFGHLMNPQRSTUVZ0123456789 ")
    values = ["".join(rng.choice(letters, rng.integers(0, 18)).tolist()) for _ in range(3000)]
    values += [None, 3.0, float("nan"), "  rssmra80a01h501u ", "RSSMRA8LA01H5M1U", "RSSMRA80A01H501U"]
    arr = np.array(values, dtype=object)
    for length in (6, 11, 16):
        assert cf_prefixes(arr, length).tolist() == [cf_prefix(v, length) for v in values]
    assert cf_prefixes(arr[-2:-1], 16)[0] == "RSSMRA80A01H511U"  # omocodia undone at the digit positions only
