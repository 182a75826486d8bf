"""Apply a standardiser once per distinct value of a column (or of a tuple of columns), not once per row.

Source columns repeat a lot (municipalities, citizenships, dates, whole households' addresses), so
mapping the uniques and taking the results by code keeps a million rows in seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd


def _codes(values: pd.Series) -> tuple[np.ndarray, list]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.where(codes < 0, len(uniques), codes), list(uniques)


def per_unique(values: pd.Series, func: Callable, *, null=None) -> pd.Series:
    """func(value) for each distinct non-null value; `null` where the value is null."""
    codes, uniques = _codes(values)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = [func(u) for u in uniques]
    table[-1] = null
    return pd.Series(table[codes], index=values.index, dtype=object)


def per_unique_fields(values: pd.Series, func: Callable, fields: Sequence[str]) -> pd.DataFrame:
    """Columns `fields` of func(value) (a tuple in that order, or an object with those attributes),
    computed once per distinct value; null values get func(None)."""
    codes, uniques = _codes(values)
    has_null = bool((codes == len(uniques)).any())
    results = [func(u) for u in uniques] + [func(None) if has_null else (None,) * len(fields)]
    columns = {}
    for i, name in enumerate(fields):
        table = np.empty(len(results), dtype=object)
        table[:] = [r[i] if isinstance(r, tuple) else getattr(r, name) for r in results]
        columns[name] = table[codes]
    return pd.DataFrame(columns, index=values.index)


def row_keys(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """One hashable key per row from several columns, for per_unique over combinations."""
    return pd.Series(list(zip(*(frame[c] for c in columns))), index=frame.index, dtype=object)


def nullable(values: pd.Series) -> pd.Series:
    """An object column with every missing value (NaN, NaT, NA) as None."""
    values = values.astype(object)
    return values.where(values.notna(), None)
