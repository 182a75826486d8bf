"""The blocking passes of `matching.blocking` as recordlinkage index algorithms.

`KeyBlockIndex` (one pass) and `MultiPassIndex` (the settings' passes, unioned) for `recordlinkage.Index`; in a
module of their own because importing recordlinkage imports scikit-learn (seconds), which a linkage run does
not need (`matching.blocking` re-exports them on demand).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from recordlinkage.base import BaseIndexAlgorithm

from matching.blocking import BlockingStats, PassStats, block_pass, candidate_pairs
from matching.settings import BlockingPass, LinkageSettings


class KeyBlockIndex(BaseIndexAlgorithm):
    """One blocking pass as a recordlinkage index algorithm (vectorised, capped blocks)."""

    name = "key_block"
    description = "block on equal keys (with alternatives), capped blocks"

    def __init__(self, keys: list, max_block_pairs: int = 50_000, name: str = "pass", **kwargs):
        super().__init__(**kwargs)
        self.bpass = BlockingPass(name=name, keys=keys, max_block_pairs=max_block_pairs)
        self.cap = max_block_pairs
        self.stats: PassStats | None = None

    def _dedup_index(self, df_a):
        i, j, self.stats = block_pass(df_a.reset_index(drop=True), self.bpass, self.cap)
        return pd.MultiIndex.from_arrays([df_a.index.values[i], df_a.index.values[j]])

    def _link_index(self, df_a, df_b):
        both = pd.concat([df_a.reset_index(drop=True), df_b.reset_index(drop=True)], ignore_index=True)
        side = np.r_[np.zeros(len(df_a), np.int8), np.ones(len(df_b), np.int8)]
        i, j, self.stats = block_pass(both, self.bpass, self.cap, side)
        return pd.MultiIndex.from_arrays([df_a.index.values[i], df_b.index.values[j - len(df_a)]])


class MultiPassIndex(BaseIndexAlgorithm):
    """All passes of the settings, unioned; derived key columns are computed when absent."""

    name = "multi_pass"
    description = "union of blocking passes"

    def __init__(self, settings: LinkageSettings, **kwargs):
        super().__init__(**kwargs)
        self.settings = settings
        self.stats: BlockingStats | None = None

    def _frame(self, df):
        from matching.prepare import derive_columns

        return derive_columns(df.reset_index(drop=True), self.settings)

    def _dedup_index(self, df_a):
        i, j, self.stats = candidate_pairs(self._frame(df_a), self.settings)
        return pd.MultiIndex.from_arrays([df_a.index.values[i], df_a.index.values[j]])

    def _link_index(self, df_a, df_b):
        both = pd.concat([self._frame(df_a), self._frame(df_b)], ignore_index=True)
        side = np.r_[np.zeros(len(df_a), np.int8), np.ones(len(df_b), np.int8)]
        i, j, self.stats = candidate_pairs(both, self.settings, side)
        return pd.MultiIndex.from_arrays([df_a.index.values[i], df_b.index.values[j - len(df_a)]])
