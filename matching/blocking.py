"""Blocking: candidate pairs from several key passes, unioned; vectorised, dedupe and link.

Each pass pairs the records that agree on all its keys. A key is a column (or a derived column,
see `settings.derived`) or a list of alternative columns: the record then carries one key per
non-null alternative (e.g. its primary name and the alternative reading), and two records pair when
any alternatives agree. Pairs are generated per block with numpy (no per-pair Python): records sorted
by key code, pairs enumerated within each run of equal codes. Each pair is one int64 `i * n + j`; the
passes are streamed one at a time (`iter_pass_pairs`) and unioned into one sorted array (a pass's new
pairs found by binary search, merged by a linear two-run sort), so that only one pass's pairs are held
besides the union. `pass_contributions` measures what each pass adds to pair completeness.

Cap on huge blocks (documented rule): a block whose pair count (s*(s-1)/2 in dedupe, s_left*s_right
in link mode) exceeds the pass's `max_block_pairs` (default `blocking.max_block_pairs`) is dropped
from that pass: a key value that common (a default birth date, a shared switchboard phone) does not
discriminate, and the other passes must catch its true pairs. Dropped blocks are counted in the
stats so that a too-tight cap is visible.

Internally pairs are positions (i, j) into one frame; in link mode the frame is the two inputs
stacked and `side` (0 left, 1 right) marks the origin; pairs are (left position, right position)
with i < j always holding for dedupe. `KeyBlockIndex` and `MultiPassIndex` expose the same as
`recordlinkage` index algorithms (`.index(df)` / `.index(df_a, df_b)` -> MultiIndex of labels; in
matching/rl_index.py, importable from here too, so that blocking alone does not import recordlinkage).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matching.comparators import as_array
from matching.settings import BlockingPass, LinkageSettings


@dataclass
class PassStats:
    name: str
    pairs: int = 0
    new_pairs: int = 0
    blocks: int = 0
    dropped_blocks: int = 0
    dropped_pairs: int = 0
    largest_block: int = 0


@dataclass
class BlockingStats:
    passes: list[PassStats] = field(default_factory=list)
    total_pairs: int = 0
    max_pairs: int = 0

    @property
    def reduction_ratio(self) -> float:
        return 1.0 - self.total_pairs / self.max_pairs if self.max_pairs else 0.0

    def as_dict(self) -> dict:
        return {
            "total_pairs": self.total_pairs,
            "max_pairs": self.max_pairs,
            "reduction_ratio": self.reduction_ratio,
            "passes": [vars(p) for p in self.passes],
        }


# --------------------------------------------------------------------------- key codes
def _codes_of(values) -> tuple[np.ndarray, int]:
    a = as_array(values)
    if isinstance(a, pd.Categorical):
        return np.asarray(a.codes, dtype=np.int64), len(a.categories)
    codes, uniq = pd.factorize(np.asarray(a, dtype=object), use_na_sentinel=True)
    return codes.astype(np.int64), len(uniq)


class KeyCodes:
    """Key codes of one frame's columns, each computed once: the passes of a blocking share their keys (birth
    year, phonetic surname...), and a column that is not a Categorical is factorised anew at every use."""

    def __init__(self, df: pd.DataFrame):
        self.df = df
        self._memo: dict = {}

    def column(self, name: str) -> tuple[np.ndarray, int]:
        """Codes of a column (-1 missing) and the number of distinct values."""
        if name not in self._memo:
            self._memo[name] = _codes_of(self.df[name])
        return self._memo[name]

    def shared(self, names: list[str]) -> np.ndarray:
        """Codes of alternative columns in one vocabulary: a (len(names), rows) matrix."""
        key = tuple(names)
        if key not in self._memo:
            vals = np.concatenate([np.asarray(as_array(self.df[a]), dtype=object) for a in names])
            cc, _ = pd.factorize(vals, use_na_sentinel=True)
            self._memo[key] = cc.reshape(len(names), len(self.df))
        return self._memo[key]


def pass_keys(df: pd.DataFrame, keys: list, codes: KeyCodes | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Long table (record position, key code) of one pass; a record may carry several keys. `codes`: the
    frame's key codes, shared by the passes of one blocking."""
    codes = codes or KeyCodes(df)
    n = len(df)
    rec = np.arange(n, dtype=np.int64)
    code = np.zeros(n, dtype=np.int64)
    for key in keys:
        alts = key if isinstance(key, list) else [key]
        if len(alts) == 1:
            c, _ = codes.column(alts[0])
            c = c[rec]
            ok = c >= 0
            rec, code, c = rec[ok], code[ok], c[ok]
            combined = code * (c.max() + 1 if c.size else 1) + c
        else:
            # alternatives share one vocabulary
            cc = codes.shared(alts)
            recs, combos = [], []
            for k in range(len(alts)):
                ck = cc[k][rec]
                ok = ck >= 0
                recs.append(rec[ok])
                combos.append(code[ok] * (cc.max(initial=-1) + 1) + ck[ok])
            rec, combined = np.concatenate(recs), np.concatenate(combos)
        code = pd.factorize(combined)[0].astype(np.int64) if combined.size else combined
    if len(rec):
        both = pd.factorize(code * n + rec)[1]
        rec, code = both % n, both // n
    return rec, code


def _within_pairs(rec, code, cap, st: PassStats):
    order = np.lexsort((rec, code))
    rec_s, code_s = rec[order], code[order]
    if rec_s.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    starts = np.flatnonzero(np.r_[True, code_s[1:] != code_s[:-1]])
    sizes = np.diff(np.r_[starts, rec_s.size])
    npairs = sizes * (sizes - 1) // 2
    st.blocks = int((sizes >= 2).sum())
    st.largest_block = int(sizes.max())
    big = npairs > cap
    st.dropped_blocks = int(big.sum())
    st.dropped_pairs = int(npairs[big].sum())
    eff = np.where(big, 1, sizes)  # a dropped block behaves like singletons
    block_id = np.repeat(np.arange(starts.size), sizes)
    rank = np.arange(rec_s.size) - starts[block_id]
    cnt = np.maximum(eff[block_id] - 1 - rank, 0)
    cnt[big[block_id]] = 0
    total = int(cnt.sum())
    left = np.repeat(np.arange(rec_s.size), cnt)
    run_start = np.repeat(np.cumsum(cnt) - cnt, cnt)
    right = left + 1 + (np.arange(total) - run_start)
    a, b = rec_s[left], rec_s[right]
    return np.minimum(a, b), np.maximum(a, b)


def _cross_pairs(rec, code, side, cap, st: PassStats):
    """Pairs (left record, right record) with equal code, left from side 0, right from side 1."""
    s = side[rec]
    order = np.lexsort((rec, s, code))
    rec_s, code_s, side_s = rec[order], code[order], s[order]
    if rec_s.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    starts = np.flatnonzero(np.r_[True, code_s[1:] != code_s[:-1]])
    sizes = np.diff(np.r_[starts, rec_s.size])
    block_id = np.repeat(np.arange(starts.size), sizes)
    n_left = np.bincount(block_id, weights=(side_s == 0), minlength=starts.size).astype(np.int64)
    n_right = sizes - n_left
    npairs = n_left * n_right
    st.blocks = int((npairs > 0).sum())
    st.largest_block = int(sizes.max())
    big = npairs > cap
    st.dropped_blocks = int(big.sum())
    st.dropped_pairs = int(npairs[big].sum())
    is_left = side_s == 0
    cnt = np.where(is_left & ~big[block_id], n_right[block_id], 0)
    total = int(cnt.sum())
    left = np.repeat(np.arange(rec_s.size), cnt)
    run_start = np.repeat(np.cumsum(cnt) - cnt, cnt)
    right_start = np.repeat((starts + n_left)[block_id], cnt)
    right = right_start + (np.arange(total) - run_start)
    return rec_s[left], rec_s[right]


def block_pass(
    df: pd.DataFrame, bpass: BlockingPass, cap: int, side: np.ndarray | None = None, codes: KeyCodes | None = None
):
    """(i, j, stats) of one pass over a (prepared) frame; `side` switches to link mode; `codes` as `pass_keys`
    takes them."""
    st = PassStats(bpass.name)
    rec, code = pass_keys(df, bpass.keys, codes)
    cap = bpass.max_block_pairs or cap
    if bpass.only_if_missing and side is None:
        # records lacking the column pair with each other and with every other record of their block
        miss = pd.isna(np.asarray(as_array(df[bpass.only_if_missing]), dtype=object))
        m = miss[rec]
        i1, j1 = _within_pairs(rec[m], code[m], cap, st)
        st2 = PassStats(bpass.name)
        a, b = _cross_pairs(rec, code, np.where(miss, 0, 1).astype(np.int8), cap, st2)
        i, j = np.r_[i1, np.minimum(a, b)], np.r_[j1, np.maximum(a, b)]
        st.blocks += st2.blocks
        st.dropped_blocks += st2.dropped_blocks
        st.dropped_pairs += st2.dropped_pairs
        st.largest_block = max(st.largest_block, st2.largest_block)
    elif side is None:
        i, j = _within_pairs(rec, code, cap, st)
    else:
        i, j = _cross_pairs(rec, code, side, cap, st)
        if bpass.only_if_missing:
            miss = pd.isna(np.asarray(as_array(df[bpass.only_if_missing]), dtype=object))
            keep = miss[i] | miss[j]
            i, j = i[keep], j[keep]
    st.pairs = int(i.size)
    return i, j, st


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sort-based unique (numpy 2's hash-based np.unique is far slower on big int64 arrays)."""
    a = np.sort(a, kind="stable")
    return a[np.r_[True, a[1:] != a[:-1]]] if a.size else a


def _max_pairs(n: int, side: np.ndarray | None) -> int:
    if side is None:
        return n * (n - 1) // 2
    nl = int((side == 0).sum())
    return nl * (n - nl)


def iter_pass_pairs(
    df: pd.DataFrame,
    settings: LinkageSettings,
    side: np.ndarray | None = None,
    passes: list[BlockingPass] | None = None,
) -> Iterator[tuple[BlockingPass, np.ndarray, PassStats]]:
    """One pass at a time: the pass, its pairs as sorted unique int64 keys `i * len(df) + j` (i < j; in link
    mode i is the left record), and its stats. Only one pass's pairs are held at a time."""
    n = len(df)
    codes = KeyCodes(df)
    for bp in passes or settings.blocking.passes:
        i, j, st = block_pass(df, bp, settings.blocking.max_block_pairs, side, codes)
        keys = _sorted_unique(i * n + j)
        st.pairs = int(keys.size)  # a pair that two alternatives of a record find counts once
        yield bp, keys, st


def _not_in(keys: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """The keys (sorted unique) absent from `seen` (sorted unique)."""
    if not seen.size or not keys.size:
        return keys
    pos = np.minimum(np.searchsorted(seen, keys), seen.size - 1)
    return keys[seen[pos] != keys]


def candidate_pairs(
    df: pd.DataFrame,
    settings: LinkageSettings,
    side: np.ndarray | None = None,
    passes: list[BlockingPass] | None = None,
):
    """Union of all passes, streamed pass by pass: sorted unique (i, j) position arrays and `BlockingStats`
    (each pass's `new_pairs`: its pairs that no earlier pass found)."""
    n = len(df)
    stats = BlockingStats(max_pairs=_max_pairs(n, side))
    seen = np.empty(0, dtype=np.int64)
    for _, keys, st in iter_pass_pairs(df, settings, side, passes):
        new = _not_in(keys, seen)
        st.new_pairs = int(new.size)
        # two sorted runs: the stable sort (timsort) merges them in linear time
        seen = np.sort(np.concatenate([seen, new]), kind="stable")
        stats.passes.append(st)
    stats.total_pairs = int(seen.size)
    return seen // n, seen % n, stats


def pass_contributions(
    df: pd.DataFrame, settings: LinkageSettings, truth: np.ndarray, passes: list[BlockingPass] | None = None
) -> list[dict]:
    """Per pass (dedupe), what it adds to pair completeness: `true_found`, the true pairs it finds, and
    `true_unique`, those that no other pass finds (dropping the pass loses exactly these); with its `pairs`.
    `truth` holds the true entity of each record (-1 unknown)."""
    n = len(df)
    truth = np.asarray(truth, dtype=np.int64)
    found, rows = [], []
    for bp, keys, st in iter_pass_pairs(df, settings, None, passes):
        i, j = keys // n, keys % n
        true = keys[(truth[i] == truth[j]) & (truth[i] >= 0)]
        found.append(true)
        rows.append({"name": bp.name, "pairs": st.pairs, "true_found": int(true.size)})
    if not found:
        return rows
    every = np.sort(np.concatenate(found), kind="stable")
    once = every[np.r_[True, every[1:] != every[:-1]] & np.r_[every[1:] != every[:-1], True]]
    for row, true in zip(rows, found):
        row["true_unique"] = int(np.isin(true, once, assume_unique=True).sum())
    return rows


# --------------------------------------------------------------------------- recordlinkage API
def __getattr__(name: str):
    """`KeyBlockIndex` and `MultiPassIndex` live in matching/rl_index.py: importing recordlinkage imports
    scikit-learn (seconds), which a linkage run does not need."""
    if name in ("KeyBlockIndex", "MultiPassIndex"):
        from matching import rl_index

        return getattr(rl_index, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------- quality
def _pair_keys(pairs, dedupe: bool) -> pd.Index:
    if isinstance(pairs, pd.MultiIndex):
        a, b = pairs.get_level_values(0).to_numpy(), pairs.get_level_values(1).to_numpy()
    elif isinstance(pairs, pd.DataFrame):
        a, b = pairs.iloc[:, 0].to_numpy(), pairs.iloc[:, 1].to_numpy()
    else:
        a, b = (np.asarray(x) for x in pairs)
    a = a.astype(object) if a.dtype.kind not in "iu" else a
    b = b.astype(object) if b.dtype.kind not in "iu" else b
    if dedupe:
        swap = np.array([x > y for x, y in zip(a, b)], dtype=bool) if a.dtype == object else a > b
        a, b = np.where(swap, b, a), np.where(swap, a, b)
    return pd.MultiIndex.from_arrays([a, b])


def blocking_report(pairs, true_pairs, n) -> dict:
    """Pair completeness and reduction ratio.

    pairs, true_pairs : MultiIndex, 2-column DataFrame or (a, b) arrays, of labels or positions
    n : number of records (dedupe) or (n_left, n_right) (link)
    """
    dedupe = not isinstance(n, (tuple, list))
    max_pairs = n * (n - 1) // 2 if dedupe else int(n[0]) * int(n[1])
    cand = _pair_keys(pairs, dedupe).unique()
    truth = _pair_keys(true_pairs, dedupe).unique()
    found = len(truth.intersection(cand)) if len(truth) else 0
    return {
        "candidate_pairs": int(len(cand)),
        "true_pairs": int(len(truth)),
        "true_pairs_found": int(found),
        "pair_completeness": found / len(truth) if len(truth) else 1.0,
        "reduction_ratio": 1.0 - len(cand) / max_pairs if max_pairs else 0.0,
    }
