"""Record preparation: derived columns computed once, then columns encoded for fast pair work.

`derive_columns` adds the settings' derived columns (phonetic keys, birth year, CF prefixes, typed
CF, order-free name keys...). `prepare_records` does that and turns every column the comparisons
read into a pandas Categorical whose vocabulary is shared by the columns compared with each other
(first/last/middle/alternative names share one), so that the comparators work on integer codes.
Boolean roles become nullable booleans. Nothing here is per pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from matching.comparators import (
    COMPARATORS,
    as_array,
    cf_prefixes,
    date_parts,
    encode_shared,
    per_code,
    per_unique,
    phonetic_key,
    typed_cf11,
    variant_key,
)
from matching.comparators.base import with_missing
from matching.implied_birth import with_birth_bounds
from matching.settings import DerivedColumn, LinkageSettings

BOOL_ROLES = {"is_default", "consistent"}


def _from_uniques(col, func) -> np.ndarray:
    (codes,), uniques = encode_shared(col)
    return per_code(codes, uniques, func)


def _text(v):
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return None
    s = str(v).strip()
    return s or None


def _texts(col) -> np.ndarray:
    """`_text` of every value of a column, computed once per distinct value."""
    codes, uniques = pd.factorize(np.asarray(as_array(col), dtype=object), use_na_sentinel=True)
    return with_missing(per_unique(np.asarray(uniques, dtype=object), _text))[np.where(codes < 0, len(uniques), codes)]


def _date_text(cols: list, spec: DerivedColumn, n: int) -> np.ndarray:
    """`year`: the year as text; `date`: YYYYMMDD text (any accepted date representation)."""
    y, m, d = date_parts(cols[0])
    out = np.full(len(y), None, dtype=object)
    ok = y >= 0
    if spec.transform == "year":
        out[ok] = y[ok].astype(str)
    elif ok.any():  # each distinct date spelled once
        parts = np.stack([y[ok], m[ok], d[ok]], axis=1).astype(np.int64)
        if ((parts[:, 1:] >= 0) & (parts[:, 1:] < 100)).all():  # month and day as two digits: one number each
            uniq, inv = np.unique(parts @ np.array([10_000, 100, 1]), return_inverse=True)
            uniq = np.stack([uniq // 10_000, uniq // 100 % 100, uniq % 100], axis=1)
        else:
            uniq, inv = np.unique(parts, axis=0, return_inverse=True)
        text = np.array([f"{a:04d}{b:02d}{c:02d}" for a, b, c in uniq.tolist()], dtype=object)
        out[ok] = text[inv.ravel()]
    return out


def _length(spec: DerivedColumn) -> int:
    if spec.length is None:  # the settings validator requires it for prefix and suffix
        raise ValueError(f"derived column of {spec.columns}: transform {spec.transform!r} needs `length`")
    return spec.length


def _prefix(cols: list, spec: DerivedColumn, n: int) -> np.ndarray:
    k = _length(spec)
    return _from_uniques(cols[0], lambda v: s[:k] if (s := _text(v)) and len(s) >= k else None)


def _suffix(cols: list, spec: DerivedColumn, n: int) -> np.ndarray:
    k = _length(spec)
    return _from_uniques(cols[0], lambda v: s[-k:] if (s := _text(v)) and len(s) >= k else None)


def _digits(cols: list, spec: DerivedColumn, n: int) -> np.ndarray:
    return _from_uniques(
        cols[0], lambda v: ("".join(ch for ch in s if ch.isdigit()) or None) if (s := _text(v)) else None
    )


def _cf_prefix(cols: list, spec: DerivedColumn, n: int) -> np.ndarray:
    (codes,), uniques = encode_shared(cols[0])
    return with_missing(cf_prefixes(uniques, spec.length or 11))[np.where(codes < 0, len(uniques), codes)]


def _joined_pair(cols: list, spec: DerivedColumn, n: int) -> np.ndarray:
    """`concat` / `sorted_concat` of two columns, vectorised."""
    a, b = (pd.Series(_texts(c), dtype=object) for c in cols)
    ok = a.notna() & b.notna()
    out = np.full(n, None, dtype=object)
    av, bv = a[ok].astype(str), b[ok].astype(str)
    if spec.transform == "concat":
        out[ok.to_numpy()] = (av + "|" + bv).to_numpy()
    else:
        lo = np.where(av <= bv, av, bv)
        hi = np.where(av <= bv, bv, av)
        out[ok.to_numpy()] = (pd.Series(lo, dtype=object) + "|" + pd.Series(hi, dtype=object)).to_numpy()
    return out


def _joined_rows(cols: list, spec: DerivedColumn, n: int) -> np.ndarray:
    """`concat` / `sorted_concat` of any number of columns, row by row."""
    arrs = [np.asarray(as_array(c), dtype=object) for c in cols]
    out = np.full(n, None, dtype=object)
    for i in range(n):
        vals = [_text(a[i]) for a in arrs]
        if spec.transform == "concat":
            out[i] = None if any(v is None for v in vals) else "|".join(vals)
        else:
            vals = sorted(v for v in vals if v is not None)
            out[i] = "|".join(vals) if len(vals) >= 2 else None
    return out


def _joined(cols: list, spec: DerivedColumn, n: int) -> np.ndarray:
    """`concat`: the values joined with '|', null if any is null; `sorted_concat`: the non-null values sorted
    and joined, null unless two are present."""
    return _joined_pair(cols, spec, n) if len(cols) == 2 else _joined_rows(cols, spec, n)


_TRANSFORMS: dict[str, Callable[[list, DerivedColumn, int], np.ndarray]] = {
    "phonetic": lambda cols, spec, n: _from_uniques(cols[0], phonetic_key),
    "variant": lambda cols, spec, n: _from_uniques(cols[0], variant_key),
    "year": _date_text,
    "date": _date_text,
    "prefix": _prefix,
    "suffix": _suffix,
    "digits": _digits,
    "cf_prefix": _cf_prefix,
    "typed_cf11": lambda cols, spec, n: typed_cf11(*cols),
    "sorted_concat": _joined,
    "concat": _joined,
}
"""Derived-column transform (settings `DerivedTransform`) -> function of (input columns, spec, row count)."""


def compute_derived(df: pd.DataFrame, spec: DerivedColumn) -> np.ndarray:
    """One derived column (object array, None where not derivable)."""
    cols = [df[c] for c in spec.columns]
    transform = _TRANSFORMS.get(spec.transform)
    if transform is None:
        raise ValueError(f"unknown transform {spec.transform!r}")
    return transform(cols, spec, len(df))


def derive_columns(df: pd.DataFrame, settings: LinkageSettings) -> pd.DataFrame:
    """A copy of `df` with the settings' derived columns added (existing columns of that name kept)."""
    out = df.copy(deep=False)
    todo = {name: spec for name, spec in settings.derived.items() if name not in out.columns}
    while todo:  # a derived column may read other derived columns, whatever their order (JSONB sorts keys)
        ready = [n for n, spec in todo.items() if all(c in out.columns for c in spec.columns)]
        if not ready:
            name, spec = next(iter(todo.items()))
            missing = [c for c in spec.columns if c not in out.columns]
            raise KeyError(f"derived column {name!r} needs missing input columns {missing}")
        for name in ready:
            out[name] = compute_derived(out, todo.pop(name))
    return out


def vocabulary_groups(settings: LinkageSettings) -> list[list[str]]:
    """Columns that must share one categorical vocabulary (compared with each other)."""
    parent: dict[str, str] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for comp in settings.comparisons:
        cols = [c for r, c in comp.columns.items() if r not in BOOL_ROLES]
        for c in cols:
            find(c)
        for a, b in zip(cols, cols[1:]):
            parent[find(a)] = find(b)
        if comp.tf_adjustment and comp.tf_adjustment.column:
            find(comp.tf_adjustment.column)
    groups: dict[str, list[str]] = {}
    for c in parent:
        groups.setdefault(find(c), []).append(c)
    return list(groups.values())


def _clean_object(a: pd.Series) -> pd.Series:
    if isinstance(a.dtype, pd.CategoricalDtype):
        a = a.astype(object)
    return a


def _not_blank(v) -> bool:
    return not (isinstance(v, str) and not v.strip())


def prepare_records(df: pd.DataFrame, settings: LinkageSettings) -> pd.DataFrame:
    """Derived columns + shared-vocabulary categoricals for every compared column.

    The result has a fresh RangeIndex (positions); `.attrs['source_index']` keeps the input index.
    """
    df = with_birth_bounds(df, settings)
    missing = sorted(c for c in settings.required_columns() if c not in df.columns)
    if missing:
        raise KeyError(f"settings {settings.name!r} read columns absent from the frame: {missing}")
    src_index = df.index
    work = derive_columns(df.reset_index(drop=True), settings)
    bool_cols = {c for comp in settings.comparisons for r, c in comp.columns.items() if r in BOOL_ROLES}
    for c in bool_cols:
        a = work[c]
        if not isinstance(a.dtype, pd.BooleanDtype):
            s = a.astype(object).map(
                lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else bool(v)
            )
            work[c] = s.astype("boolean")
    for group in vocabulary_groups(settings):
        group = [c for c in group if c not in bool_cols]
        if not group:
            continue
        series = [_clean_object(work[c]) for c in group]
        if any(np.issubdtype(s.dtype, np.datetime64) for s in series):
            series = [s.dt.strftime("%Y-%m-%d") if np.issubdtype(s.dtype, np.datetime64) else s for s in series]
        flat = pd.concat(series, ignore_index=True)
        uniques = pd.unique(flat.dropna())
        uniques = uniques[
            np.fromiter((_not_blank(u) for u in uniques), dtype=bool, count=len(uniques))
        ]  # blanks -> NaN
        dtype = pd.CategoricalDtype(categories=pd.Index(uniques, dtype=object))
        for c, s in zip(group, series):
            work[c] = pd.Categorical(s, dtype=dtype)
    work.attrs["source_index"] = src_index
    return work


def used_comparator_columns(settings: LinkageSettings) -> Iterable[str]:
    seen = []
    for comp in settings.comparisons:
        for c in comp.columns.values():
            if c not in seen:
                seen.append(c)
    return seen


__all__ = ["compute_derived", "derive_columns", "prepare_records", "vocabulary_groups", "COMPARATORS"]
