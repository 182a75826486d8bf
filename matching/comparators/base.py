"""The level machinery every comparator shares, and the value helpers they (and blocking, prepare) use.

`LevelComparator` turns a record pair into one small integer level (see the package docstring): a
subclass declares its column roles and level tests (`_test_<name>`), builds a `LevelContext` of integer
codes once per call, and the base class applies the tests in precedence order to the pairs no earlier
test (or neutral rule) decided. Strings are compared through one shared vocabulary (`encode_shared`) so
that equality is a comparison of integer codes, and per-value work runs once per unique value
(`per_unique`). Kept apart from the families so that each family module holds only what it compares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.process import cpdist

from matching.settings import LevelSpec

MISSING = 0
"""Level of a pair where a value is absent on either side: neutral weight."""


# =========================================================================== value helpers
def as_array(x: Any) -> Any:
    """Series/array -> Categorical (kept) or 1-d numpy array."""
    if isinstance(x, pd.Series):
        if isinstance(x.dtype, pd.CategoricalDtype):
            return x.array
        return x.to_numpy()
    if isinstance(x, pd.Categorical):
        return x
    return np.asarray(x)


def encode_shared(*columns: Any, with_vocab: bool = False):
    """Integer codes of several columns in one shared vocabulary (-1 = missing, '' counts as missing).

    Categoricals with identical categories are used as they are (no hashing); anything else is
    factorised together once.
    """
    arrays = [as_array(c) for c in columns]
    if arrays and all(isinstance(a, pd.Categorical) for a in arrays):
        cats = arrays[0].categories
        if all(a.categories is cats or a.categories.equals(cats) for a in arrays[1:]):
            out = [np.asarray(a.codes, dtype=np.int32) for a in arrays]
            if with_vocab:
                return out, np.asarray(cats, dtype=object), cats
            return out, np.asarray(cats, dtype=object)
    lengths = [len(a) for a in arrays]
    flat = np.concatenate([np.asarray(a, dtype=object) for a in arrays]) if arrays else np.empty(0, object)
    codes, uniques = pd.factorize(flat, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    codes = codes.astype(np.int32)
    empty = np.flatnonzero([(isinstance(u, str) and u.strip() == "") for u in uniques])
    if empty.size:
        codes[np.isin(codes, empty)] = -1
    out, start = [], 0
    for n in lengths:
        out.append(codes[start : start + n])
        start += n
    if with_vocab:
        return out, uniques, None
    return out, uniques


def per_unique(uniques: np.ndarray, func: Callable[[Any], Any], codes: np.ndarray | None = None) -> np.ndarray:
    """Apply `func` once per unique value (optionally only those referenced by `codes`)."""
    res = np.empty(len(uniques), dtype=object)
    todo: Iterable[int]
    if codes is None:
        todo = range(len(uniques))
    else:
        todo = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(uniques)))
    for i in todo:
        res[i] = func(uniques[i])
    return res


def with_missing(values: np.ndarray) -> np.ndarray:
    """`values` plus a trailing None: the slot that a missing value's code (-1 mapped to len) indexes."""
    return np.concatenate([values, np.array([None], dtype=object)])


def per_code(codes: np.ndarray, uniques: np.ndarray, func: Callable[[Any], Any]) -> np.ndarray:
    """`func` applied once per unique value that `codes` references, spread back over `codes` (None at -1)."""
    return with_missing(per_unique(uniques, func, codes))[np.where(codes < 0, len(uniques), codes)]


def recode(values: np.ndarray) -> np.ndarray:
    """Object array (per unique) -> int codes (-1 for None) so that equal values share a code."""
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int32)


def bool_masks(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """(is_true, is_false) for a nullable boolean column (None/NaN/NA are neither)."""
    a = x.array if isinstance(x, pd.Series) and isinstance(x.dtype, pd.BooleanDtype) else x
    if not isinstance(a, pd.arrays.BooleanArray):  # as_array would turn a BooleanArray into objects
        a = as_array(a)
    if isinstance(a, pd.Categorical):  # once per category; a missing value (code -1) is neither
        t, f = bool_masks(np.asarray(a.categories, dtype=object))
        codes = np.asarray(a.codes)
        return np.append(t, False)[codes], np.append(f, False)[codes]
    if isinstance(a, np.ndarray) and a.dtype == bool:
        return a.copy(), ~a
    if not isinstance(a, pd.arrays.BooleanArray):
        s = pd.Series(a, dtype=object)
        s = s.map(
            lambda v: (
                {"true": True, "1": True, "false": False, "0": False}.get(v.strip().lower())
                if isinstance(v, str)
                else v
            )
        )
        a = s.astype("boolean").array
    return a.to_numpy(dtype=bool, na_value=False), (~a).to_numpy(dtype=bool, na_value=False)


def isin_values(x: Any, values) -> np.ndarray:
    """Membership test that stays on integer codes for categoricals."""
    a = as_array(x)
    if isinstance(a, pd.Categorical):  # the categories' hash table is built once per vocabulary, then reused
        hit = a.categories.get_indexer(list(values))
        return np.isin(np.asarray(a.codes), hit[hit >= 0])
    return np.isin(np.asarray(a, dtype=object), list(values))


# =========================================================================== base class
class CompareFeature:
    """What `recordlinkage.Compare` asks of a compare feature (recordlinkage's `BaseCompareFeature`: the labels
    of the columns, `label`, `_compute` on the two sides' Series, and `compute(pairs, x, x_link)` on its own)
    without importing recordlinkage, which imports scikit-learn (seconds) that a linkage run does not need;
    `compute` is recordlinkage's own, imported when called."""

    name: str | None = None
    description: str | None = None

    def __init__(self, labels_left, labels_right, args=(), kwargs=None, label=None):
        self.labels_left = labels_left
        self.labels_right = labels_right
        self.args = args
        self.kwargs = kwargs or {}
        self.label = label

    def _repr(self) -> str:
        return f"<{self.__class__.__name__} {self.label!r}>"

    def __repr__(self) -> str:
        return self._repr()

    def __str__(self) -> str:
        return repr(self)

    def _compute_vectorized(self, *args):
        raise NotImplementedError

    def _compute(self, left_on, right_on):
        return self._compute_vectorized(*tuple(left_on + right_on))

    def compute(self, pairs, x, x_link=None):
        """The feature of the record pairs `pairs` (MultiIndex) of `x` (and `x_link`), as recordlinkage does."""
        from recordlinkage.base import BaseCompareFeature

        return BaseCompareFeature.compute(self, pairs, x, x_link)  # the same interface, unbound


@dataclass
class LevelContext:
    """What one `compute_levels` call works on: `n` pairs, the per-role codes or parts of both sides
    (`data`: `l_<role>`, `r_<role>`, `missing`, ...) and scores computed once and reused by several level
    tests (`cache`)."""

    n: int
    data: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)


class LevelComparator(CompareFeature):
    """Base of all level comparators. Subclasses declare roles and level tests.

    Parameters
    ----------
    columns : dict role -> column name (or a single column name for the `value` role)
    levels : list of LevelSpec (or dicts/strings); default: the kind's default levels
    label : name of the comparison (feature column label)
    workers : threads for rapidfuzz cpdist
    """

    kind: ClassVar[str] = "base"
    roles: ClassVar[tuple[str, ...]] = ("value",)
    required_roles: ClassVar[tuple[str, ...]] = ("value",)
    # level test name -> threshold: "none" (no threshold), "required", or a default value
    tests: ClassVar[dict[str, Any]] = {"exact": "none"}
    defaults: ClassVar[tuple[Any, ...]] = ("exact",)
    extra_neutral: ClassVar[tuple[str, ...]] = ()
    description = "level comparator"

    # ------------------------------------------------------------------ spec handling
    @classmethod
    def _coerce_levels(cls, levels) -> list[LevelSpec]:
        out = []
        for lv in levels:
            if isinstance(lv, LevelSpec):
                out.append(lv)
            elif isinstance(lv, str):
                out.append(LevelSpec(name=lv))
            elif isinstance(lv, dict) and len(lv) == 1 and "name" not in lv:
                ((k, t),) = lv.items()
                out.append(LevelSpec(name=k, threshold=t))
            else:
                out.append(LevelSpec(**lv))
        return out

    @classmethod
    def default_levels(cls) -> list[LevelSpec]:
        return cls._coerce_levels(cls.defaults)

    @classmethod
    def validate_spec(cls, columns: dict[str, str], levels) -> None:
        unknown = set(columns) - set(cls.roles)
        if unknown:
            raise ValueError(f"kind {cls.kind!r}: unknown column roles {sorted(unknown)}; allowed {list(cls.roles)}")
        missing = [r for r in cls.required_roles if r not in columns]
        if missing:
            raise ValueError(f"kind {cls.kind!r}: missing column roles {missing}")
        specs = cls.default_levels() if levels is None else cls._coerce_levels(levels)
        if not specs:
            raise ValueError(f"kind {cls.kind!r}: at least one level is needed")
        seen = set()
        for lv in specs:
            if lv.name not in cls.tests:
                raise ValueError(f"kind {cls.kind!r}: unknown level {lv.name!r}; allowed {sorted(cls.tests)}")
            t = cls.tests[lv.name]
            if t == "none" and lv.threshold is not None:
                raise ValueError(f"level {lv.name!r} takes no threshold")
            if t == "required" and lv.threshold is None:
                raise ValueError(f"level {lv.name!r} needs a threshold")
            if lv.display in seen or lv.display in ("missing", "else", *cls.extra_neutral):
                raise ValueError(f"duplicate level label {lv.display!r}")
            seen.add(lv.display)
        cls._check_roles_for_levels(columns, specs)

    @classmethod
    def _check_roles_for_levels(cls, columns, specs) -> None:
        return None

    def __init__(self, columns: dict[str, str] | str, levels=None, label: str | None = None, workers: int = 1):
        if isinstance(columns, str):
            columns = {"value": columns}
        self.validate_spec(columns, levels)
        self.columns = dict(columns)
        self.role_order = [r for r in self.roles if r in columns]
        cols = [columns[r] for r in self.role_order]
        super().__init__(cols, cols, label=label)
        self.level_specs: list[LevelSpec] = self.default_levels() if levels is None else self._coerce_levels(levels)
        self.workers = workers
        self.labels: list[str] = ["missing", *self.extra_neutral, *[lv.display for lv in self.level_specs], "else"]
        self.neutral_codes: list[int] = list(range(1 + len(self.extra_neutral)))
        self.first_level_code = 1 + len(self.extra_neutral)
        self.else_code = len(self.labels) - 1
        self.n_levels = len(self.labels)

    def _threshold(self, lv: LevelSpec) -> float | None:
        if lv.threshold is not None:
            return lv.threshold
        t = self.tests[lv.name]
        return None if t in ("none", "required") else t

    def _repr(self):
        return f"<{self.__class__.__name__} {self.label!r} levels={self.labels}>"

    # ------------------------------------------------------------------ computing
    def _compute_vectorized(self, *args):
        k = len(self.role_order)
        left = dict(zip(self.role_order, args[:k]))
        right = dict(zip(self.role_order, args[k:]))
        return self.compute_levels(left, right)

    def compute_levels(self, left: dict[str, Any], right: dict[str, Any]) -> np.ndarray:
        """Level per pair (int8) from role->values dicts of the left and right records."""
        ctx = self._context(left, right)
        out = np.full(ctx.n, self.else_code, dtype=np.int8)
        done = np.zeros(ctx.n, dtype=bool)
        self._assign_neutral(ctx, out, done)
        self._pre_assign(ctx, out, done)
        for code, lv in enumerate(self.level_specs, start=self.first_level_code):
            idx = np.flatnonzero(~done)
            if idx.size == 0:
                break
            hit = getattr(self, f"_test_{lv.name}")(lv, idx, ctx)
            sel = idx[np.asarray(hit, dtype=bool)]
            out[sel] = code
            done[sel] = True
        self._post_assign(ctx, out)
        return out

    def rank(self, levels: np.ndarray) -> np.ndarray:
        """Strength order of levels: listed levels first (0..), then else, then neutral levels."""
        r = np.empty(self.n_levels, dtype=np.int16)
        for c in range(self.n_levels):
            if c in self.neutral_codes:
                r[c] = self.n_levels + c
            elif c == self.else_code:
                r[c] = self.n_levels - 1
            else:
                r[c] = c - self.first_level_code
        return r[levels]

    # hooks
    def _context(self, left, right) -> LevelContext:
        raise NotImplementedError

    def _assign_neutral(self, ctx: LevelContext, out: np.ndarray, done: np.ndarray) -> None:
        miss = ctx.data["missing"]
        out[miss] = MISSING
        done[miss] = True

    def _pre_assign(self, ctx: LevelContext, out: np.ndarray, done: np.ndarray) -> None:
        return None

    def _post_assign(self, ctx: LevelContext, out: np.ndarray) -> None:
        return None

    # ------------------------------------------------------------------ shared string machinery
    def _strings(self, ctx: LevelContext, role_l: str, role_r: str, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = ctx.data["uniques"]
        cl = ctx.data[f"l_{role_l}"][idx]
        cr = ctx.data[f"r_{role_r}"][idx]
        return u[cl], u[cr]

    def _pairwise(
        self, ctx: LevelContext, name: str, role_l: str, role_r: str, idx: np.ndarray, scorer, dtype
    ) -> np.ndarray:
        """Cached rapidfuzz score over the pairs `idx` (both values present)."""
        key = f"{name}:{role_l}:{role_r}"
        full = ctx.cache.get(key)
        if full is None:
            full = np.full(ctx.n, np.nan, dtype=np.float32)
            ctx.cache[key] = full
        res = full[idx]
        todo = idx[np.isnan(res)]
        if todo.size:
            cl = ctx.data[f"l_{role_l}"][todo]
            cr = ctx.data[f"r_{role_r}"][todo]
            ok = (cl >= 0) & (cr >= 0)
            vals = np.full(todo.size, -1.0, dtype=np.float32)
            if ok.any():
                u = ctx.data["uniques"]
                a, b = u[cl[ok]], u[cr[ok]]
                vals[ok] = cpdist(a, b, scorer=scorer, workers=self.workers, dtype=dtype).astype(np.float32)
            full[todo] = vals
            res = full[idx]
        return res

    def _jw(self, ctx, role_l, role_r, idx):
        return self._pairwise(ctx, "jw", role_l, role_r, idx, JaroWinkler.normalized_similarity, np.float32)

    def _osa(self, ctx, role_l, role_r, idx):
        d = self._pairwise(ctx, "osa", role_l, role_r, idx, OSA.distance, np.int32)
        return np.where(d < 0, np.inf, d)

    def _per_vocabulary(self, ctx: LevelContext, name: str, build) -> np.ndarray:
        """build(unique values) once per vocabulary: kept in the batch's context and, for the batches that gather
        from the same vocabulary (the prepared frame's), on the comparator."""
        key = f"pu:{name}"
        if key not in ctx.cache:
            vocab = ctx.data.get("vocab")
            store = self.__dict__.setdefault("_pu_cache", {})
            hit = store.get(name)
            if vocab is not None and hit is not None and hit[0] is vocab:
                ctx.cache[key] = hit[1]
            else:
                ctx.cache[key] = build(ctx.data["uniques"])
                if vocab is not None:
                    store[name] = (vocab, ctx.cache[key])
        return ctx.cache[key]

    def _per_unique_codes(self, ctx: LevelContext, name: str, func, many=None) -> np.ndarray:
        """Codes of func(value) per unique value, with one extra slot for missing (-1 maps there); `many`, when
        given, computes the same for an array of values at once (once per vocabulary either way)."""

        def build(u):
            values = many(u) if many is not None else per_unique(u, func)
            return recode(with_missing(np.asarray(values, dtype=object)))

        return self._per_vocabulary(ctx, name, build)

    def _eq_via(self, ctx: LevelContext, name: str, func, role_l: str, role_r: str, idx: np.ndarray) -> np.ndarray:
        pc = self._per_unique_codes(ctx, name, func)
        cl = ctx.data[f"l_{role_l}"][idx]
        cr = ctx.data[f"r_{role_r}"][idx]
        a, b = pc[cl], pc[cr]  # -1 index -> the appended None slot
        return (a == b) & (a >= 0) & (cl >= 0) & (cr >= 0)

    def _string_context(self, left, right, roles) -> LevelContext:
        cols = [left[r] for r in roles] + [right[r] for r in roles]
        codes, uniques, vocab = encode_shared(*cols, with_vocab=True)
        k = len(roles)
        ctx = LevelContext(n=len(codes[0]))
        ctx.data["uniques"] = uniques
        ctx.data["vocab"] = vocab
        for i, r in enumerate(roles):
            ctx.data[f"l_{r}"] = codes[i]
            ctx.data[f"r_{r}"] = codes[k + i]
        return ctx
