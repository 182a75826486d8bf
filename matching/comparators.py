"""Comparators: recordlinkage `BaseCompareFeature`s that return comparison LEVELS (int8), vectorised.

Every comparator maps a record pair to one small integer level:

    0                      missing  (a value absent on either side: neutral weight)
    1 .. k                 extra neutral levels of the kind (codice fiscale: `untrusted`)
    next ..                the configured agreement/disagreement levels, in precedence order
                           (the first test a pair passes wins)
    last                   else (disagreement)

`comparator.labels[level]` names a level, `comparator.neutral_codes` lists the neutral ones.

They work inside `recordlinkage.Compare` (`compare.add(NameComparator(...))`), where they receive
pandas Series, and in the engine's fast path, which hands them pandas Categoricals sharing one
vocabulary so that equality is a comparison of integer codes. String similarity uses
`rapidfuzz.process.cpdist` (vectorised, GIL released, `workers` threads); per-value work
(phonetic keys, variant keys, CF name codes, date parsing) is done once per unique value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import jellyfish
import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.process import cpdist
from recordlinkage.base import BaseCompareFeature

from matching.settings import LevelSpec

MISSING = 0


# =========================================================================== value helpers
def _as_array(x: Any) -> Any:
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
    arrays = [_as_array(c) for c in columns]
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
    if codes is None:
        todo = range(len(uniques))
    else:
        todo = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(uniques)))
    for i in todo:
        res[i] = func(uniques[i])
    return res


def recode(values: np.ndarray) -> np.ndarray:
    """Object array (per unique) -> int codes (-1 for None) so that equal values share a code."""
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int32)


def bool_masks(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """(is_true, is_false) for a nullable boolean column (None/NaN/NA are neither)."""
    a = _as_array(x)
    if isinstance(a, pd.Categorical):
        a = np.asarray(a, dtype=object)
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
    a = _as_array(x)
    if isinstance(a, pd.Categorical):
        hit = [i for i, c in enumerate(a.categories) if c in set(values)]
        return np.isin(np.asarray(a.codes), hit)
    return np.isin(np.asarray(a, dtype=object), list(values))


_METAPHONE_CLEAN = re.compile(r"[^A-Z]")


def phonetic_key(value: Any) -> str | None:
    """Metaphone of the letters of a name (None for empty)."""
    if not isinstance(value, str):
        return None
    s = _METAPHONE_CLEAN.sub("", fold(value))
    return jellyfish.metaphone(s) or None if s else None


def fold(value: str) -> str:
    """Upper-case ASCII (accents removed)."""
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().upper()


_VARIANT_RULES = [
    (re.compile(r"[^A-Z]"), ""),
    (re.compile(r"PH"), "F"),
    (re.compile(r"H"), ""),
    (re.compile(r"[CQK]"), "K"),
    (re.compile(r"[YJ]"), "I"),
    (re.compile(r"W"), "V"),
    (re.compile(r"Z"), "S"),
    (re.compile(r"OU|OO|O"), "U"),
    (re.compile(r"EE|E"), "I"),
    (re.compile(r"(.)\1+"), r"\1"),
]


def variant_key(value: Any) -> str | None:
    """Transliteration/variant key: PH->F, H dropped, C/Q/K->K, Y/J->I, W->V, Z->S, O/OU->U, E->I,
    doubled letters collapsed. MOHAMED, MOHAMMED, MOHAMMET -> MUAMID; YOUSSEF, YUSEF, JOUSSEF -> IUSIF.
    """
    if not isinstance(value, str):
        return None
    s = fold(value)
    for rx, rep in _VARIANT_RULES:
        s = rx.sub(rep, s)
    return s or None


# --------------------------------------------------------------------------- dates
def _parse_date(v: Any) -> tuple[int, int, int]:
    """(year, month, day) of a date-like value without validating the calendar; (-1,-1,-1) if absent.

    Accepts date/datetime/Timestamp, 'YYYY-MM-DD', 'YYYYMMDD', 'DD/MM/YYYY'. Impossible components
    (month 13) are kept: comparisons still work on typed-in corruptions.
    """
    if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
        return (-1, -1, -1)
    if hasattr(v, "year") and hasattr(v, "month") and hasattr(v, "day"):
        try:
            return (int(v.year), int(v.month), int(v.day))
        except (TypeError, ValueError):
            return (-1, -1, -1)
    s = str(v).strip()
    if not s:
        return (-1, -1, -1)
    parts = re.split(r"[-/. ]", s)
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        if len(parts[0]) == 4:
            return (int(parts[0]), int(parts[1]), int(parts[2]))
        if len(parts[2]) == 4:
            return (int(parts[2]), int(parts[1]), int(parts[0]))
    digits = re.sub(r"\D", "", s.split("T")[0].split(" ")[0])
    if len(digits) == 8:
        return (int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    return (-1, -1, -1)


def date_parts(x: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised (year, month, day) int32 arrays (-1 = missing) for a date-like column."""
    a = _as_array(x)
    if not isinstance(a, pd.Categorical) and np.issubdtype(getattr(a, "dtype", np.dtype(object)), np.datetime64):
        d = a.astype("datetime64[D]")
        nat = np.isnat(d)
        y = d.astype("datetime64[Y]").astype(np.int64) + 1970
        m = (d.astype("datetime64[M]") - d.astype("datetime64[Y]")).astype(np.int64) + 1
        day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
        out = [np.where(nat, -1, v).astype(np.int32) for v in (y, m, day)]
        return out[0], out[1], out[2]
    (codes,), uniques = encode_shared(a)
    parsed = np.array([_parse_date(u) for u in uniques] + [(-1, -1, -1)], dtype=np.int32).reshape(-1, 3)
    codes = np.where(codes < 0, len(uniques), codes)
    p = parsed[codes]
    return p[:, 0], p[:, 1], p[:, 2]


def date_numbers(x: Any) -> np.ndarray:
    """YYYYMMDD int64 per value (-1 = missing): dates compared as numbers."""
    y, m, d = date_parts(x)
    return np.where(y >= 0, y.astype(np.int64) * 10000 + m * 100 + d, -1)


# --------------------------------------------------------------------------- codice fiscale
_OMOCODIA = str.maketrans("LMNPQRSTUV", "0123456789")
_CF_DIGIT_POS = (6, 7, 9, 10, 12, 13, 14)
_CF_MONTHS = "ABCDEHLMPRST"


def cf_prefix(code: Any, length: int = 11) -> str | None:
    """First `length` chars of a CF with omocodia undone at the digit positions (None if too short)."""
    if not isinstance(code, str):
        return None
    c = code.strip().upper()
    if len(c) < max(length, 11) or not c[:6].isalpha():
        return None
    chars = list(c[:length])
    for p in _CF_DIGIT_POS:
        if p < length:
            chars[p] = chars[p].translate(_OMOCODIA)
    return "".join(chars)


def _cf_surname(s: Any) -> str | None:
    from codicefiscale import codicefiscale as _cf

    if not isinstance(s, str) or not s.strip():
        return None
    try:
        return _cf.encode_lastname(s)
    except Exception:
        return None


def _cf_firstname(s: Any) -> str | None:
    from codicefiscale import codicefiscale as _cf

    if not isinstance(s, str) or not s.strip():
        return None
    try:
        return _cf.encode_firstname(s)
    except Exception:
        return None


def typed_cf11(last: Any, first: Any, birth_date: Any, sex: Any) -> np.ndarray:
    """The 11 CF characters that a record's own typed surname, name, birth date and sex encode.

    Object array, None where any input is missing. Per-unique encoding, so cheap on big frames.
    """
    (lc,), lu = encode_shared(last)
    (fc,), fu = encode_shared(first)
    ls = np.append(per_unique(lu, _cf_surname, lc), None)[np.where(lc < 0, len(lu), lc)]
    fs = np.append(per_unique(fu, _cf_firstname, fc), None)[np.where(fc < 0, len(fu), fc)]
    y, m, d = date_parts(birth_date)
    sx = np.asarray(_as_array(sex), dtype=object)
    out = np.full(len(ls), None, dtype=object)
    ok = (y >= 0) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31)
    ok &= pd.notna(ls) & pd.notna(fs)
    sx_u = pd.Series(sx, dtype=object).str.upper().str[:1]
    is_f = (sx_u == "F").to_numpy(bool)
    ok &= is_f | (sx_u == "M").to_numpy(bool)
    if ok.any():
        two = np.array([f"{k:02d}" for k in range(100)], dtype=object)
        months = np.array(list(_CF_MONTHS), dtype=object)
        day = d[ok] + np.where(is_f[ok], 40, 0)
        out[ok] = ls[ok] + fs[ok] + two[y[ok] % 100] + months[m[ok] - 1] + two[day]
    return out


# =========================================================================== base class
@dataclass
class _Ctx:
    n: int
    data: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)


class LevelComparator(BaseCompareFeature):
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
    def _context(self, left, right) -> _Ctx:
        raise NotImplementedError

    def _assign_neutral(self, ctx: _Ctx, out: np.ndarray, done: np.ndarray) -> None:
        miss = ctx.data["missing"]
        out[miss] = MISSING
        done[miss] = True

    def _pre_assign(self, ctx: _Ctx, out: np.ndarray, done: np.ndarray) -> None:
        return None

    def _post_assign(self, ctx: _Ctx, out: np.ndarray) -> None:
        return None

    # ------------------------------------------------------------------ shared string machinery
    def _strings(self, ctx: _Ctx, role_l: str, role_r: str, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = ctx.data["uniques"]
        cl = ctx.data[f"l_{role_l}"][idx]
        cr = ctx.data[f"r_{role_r}"][idx]
        return u[cl], u[cr]

    def _pairwise(self, ctx: _Ctx, name: str, role_l: str, role_r: str, idx: np.ndarray, scorer, dtype) -> np.ndarray:
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

    def _per_unique_codes(self, ctx: _Ctx, name: str, func) -> np.ndarray:
        """Codes of func(value) per unique value, with one extra slot for missing (-1 maps there)."""
        key = f"pu:{name}"
        if key not in ctx.cache:
            vocab = ctx.data.get("vocab")
            store = self.__dict__.setdefault("_pu_cache", {})
            hit = store.get(name)
            if vocab is not None and hit is not None and hit[0] is vocab:
                ctx.cache[key] = hit[1]
            else:
                u = ctx.data["uniques"]
                ctx.cache[key] = recode(np.append(per_unique(u, func), None))
                if vocab is not None:
                    store[name] = (vocab, ctx.cache[key])
        return ctx.cache[key]

    def _eq_via(self, ctx: _Ctx, name: str, func, role_l: str, role_r: str, idx: np.ndarray) -> np.ndarray:
        pc = self._per_unique_codes(ctx, name, func)
        cl = ctx.data[f"l_{role_l}"][idx]
        cr = ctx.data[f"r_{role_r}"][idx]
        a, b = pc[cl], pc[cr]  # -1 index -> the appended None slot
        return (a == b) & (a >= 0) & (cl >= 0) & (cr >= 0)

    def _string_context(self, left, right, roles) -> _Ctx:
        cols = [left[r] for r in roles] + [right[r] for r in roles]
        codes, uniques, vocab = encode_shared(*cols, with_vocab=True)
        k = len(roles)
        ctx = _Ctx(n=len(codes[0]))
        ctx.data["uniques"] = uniques
        ctx.data["vocab"] = vocab
        for i, r in enumerate(roles):
            ctx.data[f"l_{r}"] = codes[i]
            ctx.data[f"r_{r}"] = codes[k + i]
        return ctx


# =========================================================================== strings and names
class StringComparator(LevelComparator):
    """Generic string: exact, Jaro-Winkler >= t, edit (OSA) distance <= t, phonetic, variant key, prefix."""

    kind = "string"
    roles = ("value",)
    required_roles = ("value",)
    tests = {
        "exact": "none",
        "jw": "required",
        "edit": "required",
        "phonetic": "none",
        "variant": "none",
        "prefix": "required",
    }
    defaults = ("exact", {"jw": 0.92}, {"jw": 0.85})
    description = "string levels"

    def _string_roles(self) -> list[str]:
        return list(self.role_order)

    def _context(self, left, right) -> _Ctx:
        ctx = self._string_context(left, right, [r for r in self._string_roles()])
        ctx.data["missing"] = (ctx.data["l_value"] < 0) | (ctx.data["r_value"] < 0)
        return ctx

    def _test_exact(self, lv, idx, ctx):
        return ctx.data["l_value"][idx] == ctx.data["r_value"][idx]

    def _test_jw(self, lv, idx, ctx):
        return self._jw(ctx, "value", "value", idx) >= lv.threshold

    def _test_edit(self, lv, idx, ctx):
        return self._osa(ctx, "value", "value", idx) <= lv.threshold

    def _test_phonetic(self, lv, idx, ctx):
        return self._eq_via(ctx, "phonetic", phonetic_key, "value", "value", idx)

    def _test_variant(self, lv, idx, ctx):
        return self._eq_via(ctx, "variant", variant_key, "value", "value", idx)

    def _test_prefix(self, lv, idx, ctx):
        n = int(lv.threshold)
        return self._eq_via(
            ctx, f"prefix{n}", lambda v: v[:n] if isinstance(v, str) and len(v) >= n else None, "value", "value", idx
        )


class NameComparator(StringComparator):
    """Person-name part (first or last name) with the typing accidents of the source systems.

    Roles: value (this name part), swap (the other name part: detects first/last swapped),
    middle (further given names: detects a dropped or promoted second name), swap_middle (further
    given names when `swap` is the first name), alt (the alternative reading of an ambiguous one-field
    name: the best level over the readings is kept).
    Levels: exact, jw(t), edit(t), phonetic, variant (transliteration key), swapped(t: both cross
    comparisons of the whole names — given names joined, spaces ignored — agree by JW >= t or by
    transliteration key; default 0.92), subset (second name dropped / compound name partly typed).
    """

    kind = "name"
    roles = ("value", "swap", "middle", "swap_middle", "alt")
    required_roles = ("value",)
    tests = {**StringComparator.tests, "swapped": 0.92, "subset": "none"}
    defaults = ("exact", {"jw": 0.92}, {"jw": 0.85}, "phonetic", "variant", "swapped", "subset")
    description = "person-name levels"

    @classmethod
    def _check_roles_for_levels(cls, columns, specs):
        if any(lv.name == "swapped" for lv in specs) and "swap" not in columns:
            raise ValueError("level 'swapped' needs the 'swap' column role")

    def compute_levels(self, left, right):
        out = super().compute_levels(left, right)
        if "alt" not in self.role_order:
            return out
        al = pd.notna(np.asarray(_as_array(left["alt"]), dtype=object))
        ar = pd.notna(np.asarray(_as_array(right["alt"]), dtype=object))
        idx = np.flatnonzero(al | ar)
        if idx.size == 0:
            return out
        best = out[idx]
        sub = lambda d, role: d[role].iloc[idx] if isinstance(d[role], pd.Series) else _as_array(d[role])[idx]  # noqa: E731
        for use_l, use_r in (("alt", "value"), ("value", "alt"), ("alt", "alt")):
            l2 = {"value": sub(left, use_l)}
            r2 = {"value": sub(right, use_r)}
            for role in ("middle",):
                if role in self.role_order:
                    l2[role], r2[role] = sub(left, role), sub(right, role)
            cand = self._plain().compute_levels(l2, r2)
            better = self.rank(cand) < self.rank(best)
            best = np.where(better, cand, best)
        out[idx] = best
        return out

    def _plain(self) -> NameComparator:
        """Same levels, no swap/alt (used for alternative readings)."""
        specs = [lv for lv in self.level_specs]
        cols = {r: c for r, c in self.columns.items() if r in ("value", "middle")}
        c = NameComparator.__new__(NameComparator)
        c.columns = cols
        c.role_order = [r for r in self.roles if r in cols]
        c.level_specs = specs
        c.workers = self.workers
        c.labels, c.neutral_codes = self.labels, self.neutral_codes
        c.first_level_code, c.else_code, c.n_levels = self.first_level_code, self.else_code, self.n_levels
        c.label = self.label
        return c

    def _test_swapped(self, lv, idx, ctx):
        """ "AIT HOUN MOHAMED" typed as given names "AIT OUN", surname "MOHAMAD": this part (with its further
        given names) agrees with the other record's other part, and the other way round."""
        if "l_swap" not in ctx.data:
            return np.zeros(idx.size, bool)
        t = self._threshold(lv)
        this = self._whole(ctx, "value", "middle", idx)
        other = self._whole(ctx, "swap", "swap_middle", idx)
        return self._agree(ctx, this[0], other[1], t) & self._agree(ctx, other[0], this[1], t)

    def _whole(self, ctx, role: str, rest: str, idx) -> tuple[np.ndarray, np.ndarray]:
        """Left and right codes, over the pairs `idx`, of role + rest joined with spaces removed, into the
        whole-name vocabulary `ctx.cache['whole']` (-1 when the role is missing)."""
        u = ctx.data["uniques"]
        words = ctx.cache.setdefault("whole", {})
        out = []
        for side in ("l", "r"):
            a = ctx.data[f"{side}_{role}"][idx].astype(np.int64)
            b = (
                ctx.data[f"{side}_{rest}"][idx].astype(np.int64)
                if f"{side}_{rest}" in ctx.data
                else np.full(idx.size, -1)
            )
            combos, inv = np.unique(a * (len(u) + 1) + (b + 1), return_inverse=True)
            codes = np.array(
                [
                    -1 if x < 0 else words.setdefault((u[x] + (u[y - 1] if y > 0 else "")).replace(" ", ""), len(words))
                    for x, y in zip((combos // (len(u) + 1)).tolist(), (combos % (len(u) + 1)).tolist())
                ],
                dtype=np.int64,
            )
            out.append(codes[inv.ravel()])
        return out[0], out[1]

    def _agree(self, ctx, a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
        """Whole names agree: JW >= t or the same transliteration key."""
        ok = (a >= 0) & (b >= 0)
        res = np.zeros(a.size, dtype=bool)
        if ok.any():
            words = ctx.cache["whole"]
            if ctx.cache.get("whole_n") != len(words):
                vocab = np.empty(len(words), dtype=object)
                vocab[list(words.values())] = list(words.keys())
                ctx.cache["whole_vocab"], ctx.cache["whole_n"] = vocab, len(words)
                ctx.cache["whole_variant"] = recode(np.append(per_unique(vocab, variant_key), None))
            vocab, var = ctx.cache["whole_vocab"], ctx.cache["whole_variant"]
            x, y = a[ok], b[ok]
            jw = cpdist(vocab[x], vocab[y], scorer=JaroWinkler.normalized_similarity, workers=self.workers)
            res[ok] = (jw >= t) | ((var[x] == var[y]) & (var[x] >= 0))
        return res

    def _test_subset(self, lv, idx, ctx):
        u = ctx.data["uniques"]
        has_mid = "l_middle" in ctx.data
        cl, cr = ctx.data["l_value"][idx], ctx.data["r_value"][idx]
        ml = ctx.data["l_middle"][idx] if has_mid else np.full(idx.size, -1, np.int32)
        mr = ctx.data["r_middle"][idx] if has_mid else np.full(idx.size, -1, np.int32)
        spaced = self._per_unique_codes(
            ctx, "spaced", lambda v: True if isinstance(v, str) and " " in v.strip() else None
        )
        cand = (ml >= 0) | (mr >= 0) | (spaced[cl] >= 0) | (spaced[cr] >= 0)
        res = np.zeros(idx.size, dtype=bool)
        w = np.flatnonzero(cand)
        if w.size == 0:
            return res
        quad = np.stack([cl[w], ml[w], cr[w], mr[w]], axis=1).astype(np.int64)
        uq, inv = np.unique(quad, axis=0, return_inverse=True)
        ok = np.zeros(len(uq), dtype=bool)
        for k, (a, ma, b, mb) in enumerate(uq):
            ok[k] = _given_names_subset(u[a], u[ma] if ma >= 0 else None, u[b], u[mb] if mb >= 0 else None)
        res[w] = ok[inv.ravel()]
        return res


def _given_names_subset(a: str, ma: str | None, b: str, mb: str | None) -> bool:
    ta = a.split() + (ma.split() if ma else [])
    tb = b.split() + (mb.split() if mb else [])
    if not ta or not tb:
        return False
    if "".join(ta) == "".join(tb):  # MARIAGRAZIA vs MARIA GRAZIA
        return True
    sa, sb = set(ta), set(tb)
    if sa <= sb or sb <= sa:  # second name dropped, or part of a double surname
        return True
    return ta[0] in sb or tb[0] in sa  # the other record uses the second name as first


# =========================================================================== exact
class ExactComparator(LevelComparator):
    """Exact agreement of any value (sex, phone, email, iban_hash, state)."""

    kind = "exact"
    roles = ("value",)
    required_roles = ("value",)
    tests = {"exact": "none"}
    defaults = ("exact",)
    description = "exact levels"

    def _context(self, left, right) -> _Ctx:
        ctx = self._string_context(left, right, ["value"])
        ctx.data["missing"] = (ctx.data["l_value"] < 0) | (ctx.data["r_value"] < 0)
        return ctx

    def _test_exact(self, lv, idx, ctx):
        return ctx.data["l_value"][idx] == ctx.data["r_value"][idx]


# =========================================================================== dates
class DateComparator(LevelComparator):
    """Birth date: exact, day/month swapped, one component off, within n days, year within n,
    one side a 1 January placeholder with the same year (`default_year`), else, missing.

    Roles: value (date, datetime64 or text), is_default (optional boolean flag of placeholder
    dates). A pair where either date is a placeholder can only reach `default_year` or else.
    """

    kind = "date"
    roles = ("value", "is_default")
    required_roles = ("value",)
    tests = {
        "exact": "none",
        "dm_swapped": "none",
        "one_off": "none",
        "within_days": "required",
        "year_within": "required",
        "default_year": "none",
    }
    defaults = ("exact", "dm_swapped", "one_off", "default_year")

    def _context(self, left, right) -> _Ctx:
        ctx = _Ctx(n=len(left["value"]))
        for side, d in (("l", left), ("r", right)):
            y, m, dd = date_parts(d["value"])
            ctx.data[f"{side}_y"], ctx.data[f"{side}_m"], ctx.data[f"{side}_d"] = y, m, dd
            if "is_default" in d:
                ctx.data[f"{side}_def"] = bool_masks(d["is_default"])[0]
            else:
                ctx.data[f"{side}_def"] = np.zeros(ctx.n, bool)
        ctx.data["missing"] = (ctx.data["l_y"] < 0) | (ctx.data["r_y"] < 0)
        return ctx

    def _pre_assign(self, ctx, out, done):
        either = (ctx.data["l_def"] | ctx.data["r_def"]) & ~done
        if not either.any():
            return
        codes = {lv.name: c for c, lv in enumerate(self.level_specs, start=self.first_level_code)}
        same_year = ctx.data["l_y"] == ctx.data["r_y"]
        if "default_year" in codes:
            out[either & same_year] = codes["default_year"]
        out[either & ~same_year] = self.else_code
        if "default_year" not in codes:
            out[either] = self.else_code
        done |= either

    def _g(self, ctx, idx):
        d = ctx.data
        return (d["l_y"][idx], d["l_m"][idx], d["l_d"][idx], d["r_y"][idx], d["r_m"][idx], d["r_d"][idx])

    def _test_exact(self, lv, idx, ctx):
        ly, lm, ld, ry, rm, rd = self._g(ctx, idx)
        return (ly == ry) & (lm == rm) & (ld == rd)

    def _test_dm_swapped(self, lv, idx, ctx):
        ly, lm, ld, ry, rm, rd = self._g(ctx, idx)
        return (ly == ry) & (lm == rd) & (ld == rm) & (lm != ld)

    def _test_one_off(self, lv, idx, ctx):
        ly, lm, ld, ry, rm, rd = self._g(ctx, idx)
        diff = (ly != ry).astype(np.int8) + (lm != rm) + (ld != rd)
        return diff == 1

    def _test_within_days(self, lv, idx, ctx):
        ly, lm, ld, ry, rm, rd = self._g(ctx, idx)
        a = _days(ly, lm, ld)
        b = _days(ry, rm, rd)
        return np.abs(a - b) <= lv.threshold

    def _test_year_within(self, lv, idx, ctx):
        ly, _, _, ry, _, _ = self._g(ctx, idx)
        return np.abs(ly - ry) <= lv.threshold

    def _test_default_year(self, lv, idx, ctx):
        return np.zeros(idx.size, bool)  # decided in _pre_assign


def _days(y, m, d):
    """Approximate day number tolerant of impossible components."""
    return y.astype(np.int64) * 372 + (m.astype(np.int64) - 1) * 31 + d


# =========================================================================== codice fiscale
class CodiceFiscaleComparator(LevelComparator):
    """Codice fiscale evidence.

    Roles: code (as given), base (omocodia-normalised valid code), status (valid | omocodic |
    invalid | provisional | missing), consistent (the code agrees with the record's own typed
    data), typed (the 11 chars the record's own data encode; derived column `typed_cf11`).
    Levels: exact (same code), omocodic (same base, different spelling), one_off (edit distance
    <= t, default 1), decoded (one side has no usable code and its typed data encode the other
    side's code), different_valid (two different trusted valid codes: strong disagreement),
    else (codes differ otherwise), missing and untrusted (neutral).
    Household rule: if either record's code disagrees with its own typed data (consistent is
    False, e.g. a relative's code copied), the pair gets `untrusted`, never CF agreement.
    """

    kind = "codice_fiscale"
    roles = ("code", "base", "status", "consistent", "typed")
    required_roles = ("code", "base")
    tests = {"exact": "none", "omocodic": "none", "one_off": 1, "decoded": "none", "different_valid": "none"}
    defaults = ("exact", "omocodic", "one_off", "decoded", "different_valid")
    extra_neutral = ("untrusted",)

    @classmethod
    def _check_roles_for_levels(cls, columns, specs):
        if any(lv.name == "decoded" for lv in specs) and "typed" not in columns:
            raise ValueError("level 'decoded' needs the 'typed' column role (derived typed_cf11)")

    def _context(self, left, right) -> _Ctx:
        roles = [r for r in ("code", "base", "typed") if r in self.role_order]
        ctx = self._string_context(left, right, roles)
        d = ctx.data
        for side, src in (("l", left), ("r", right)):
            if "status" in src:
                usable = isin_values(src["status"], ("valid", "omocodic"))
            else:
                usable = np.ones(ctx.n, bool)
            d[f"{side}_usable"] = usable & (d[f"{side}_base"] >= 0)
            d[f"{side}_has"] = (d[f"{side}_code"] >= 0) | (d[f"{side}_base"] >= 0)
            d[f"{side}_bad"] = bool_masks(src["consistent"])[1] if "consistent" in src else np.zeros(ctx.n, bool)
        d["missing"] = ~d["l_has"] & ~d["r_has"]
        return ctx

    def _assign_neutral(self, ctx, out, done):
        d = ctx.data
        miss = d["missing"]
        out[miss] = MISSING
        done[miss] = True
        untrusted = ~miss & (d["l_bad"] | d["r_bad"])
        out[untrusted] = 1
        done[untrusted] = True

    def _post_assign(self, ctx, out):
        d = ctx.data
        one_sided = ~(d["l_has"] & d["r_has"])
        out[one_sided & (out == self.else_code)] = MISSING

    def _code(self, ctx, side, idx):
        d = ctx.data
        c = d[f"{side}_code"][idx]
        return np.where(c >= 0, c, d[f"{side}_base"][idx])

    def _test_exact(self, lv, idx, ctx):
        a, b = self._code(ctx, "l", idx), self._code(ctx, "r", idx)
        return (a == b) & (a >= 0)

    def _test_omocodic(self, lv, idx, ctx):
        a, b = ctx.data["l_base"][idx], ctx.data["r_base"][idx]
        return (a == b) & (a >= 0)

    def _test_one_off(self, lv, idx, ctx):
        d = ctx.data
        both = d["l_has"][idx] & d["r_has"][idx]
        res = np.zeros(idx.size, bool)
        w = idx[both]
        if w.size:
            u = d["uniques"]
            a, b = u[self._code(ctx, "l", w)], u[self._code(ctx, "r", w)]
            dist = cpdist(a, b, scorer=OSA.distance, workers=self.workers, dtype=np.int32)
            lens = np.fromiter((min(len(x), len(y)) for x, y in zip(a, b)), dtype=np.int32, count=w.size)
            res[both] = (dist <= self._threshold(lv)) & (lens >= 11)
        return res

    def _test_decoded(self, lv, idx, ctx):
        d = ctx.data
        kc = self._per_unique_codes(ctx, "cf11", lambda v: cf_prefix(v, 11))  # base[:11] and typed share a key
        lb, rb, lt, rt = d["l_base"][idx], d["r_base"][idx], d["l_typed"][idx], d["r_typed"][idx]
        lu, ru = d["l_usable"][idx], d["r_usable"][idx]
        m1 = lu & ~ru & (rt >= 0) & (kc[lb] == kc[rt]) & (kc[lb] >= 0)
        m2 = ru & ~lu & (lt >= 0) & (kc[rb] == kc[lt]) & (kc[rb] >= 0)
        return m1 | m2

    def _test_different_valid(self, lv, idx, ctx):
        d = ctx.data
        return d["l_usable"][idx] & d["r_usable"][idx] & (d["l_base"][idx] != d["r_base"][idx])


# =========================================================================== address, birthplace
class AddressComparator(LevelComparator):
    """Street address. Roles: street (required), number, postcode.

    Levels: exact (street and number equal), fuzzy (street JW >= t, default 0.9, and number equal),
    street (same street, number differs or absent), postcode (same CAP), else; missing if a street
    is absent.
    """

    kind = "address"
    roles = ("street", "number", "postcode")
    required_roles = ("street",)
    tests = {"exact": "none", "fuzzy": 0.9, "street": "none", "postcode": "none"}
    defaults = ("exact", "fuzzy", "street")

    def _context(self, left, right):
        ctx = self._string_context(left, right, list(self.role_order))
        ctx.data["missing"] = (ctx.data["l_street"] < 0) | (ctx.data["r_street"] < 0)
        return ctx

    def _num_eq(self, ctx, idx):
        d = ctx.data
        if "l_number" not in d:
            return np.ones(idx.size, bool)
        return (d["l_number"][idx] == d["r_number"][idx]) & (d["l_number"][idx] >= 0)

    def _test_exact(self, lv, idx, ctx):
        d = ctx.data
        return (d["l_street"][idx] == d["r_street"][idx]) & self._num_eq(ctx, idx)

    def _test_fuzzy(self, lv, idx, ctx):
        return (self._jw(ctx, "street", "street", idx) >= self._threshold(lv)) & self._num_eq(ctx, idx)

    def _test_street(self, lv, idx, ctx):
        d = ctx.data
        return d["l_street"][idx] == d["r_street"][idx]

    def _test_postcode(self, lv, idx, ctx):
        d = ctx.data
        if "l_postcode" not in d:
            return np.zeros(idx.size, bool)
        return (d["l_postcode"][idx] == d["r_postcode"][idx]) & (d["l_postcode"][idx] >= 0)


class BirthplaceComparator(LevelComparator):
    """Birthplace. Roles: code (Belfiore code), name (matching form), country (ISO alpha-2).

    Levels: exact (same code; or same name when a code is absent), fuzzy (name JW >= t, default
    0.9), country (same birth country, different place), else; missing when neither code nor name
    is known on one side.
    """

    kind = "birthplace"
    roles = ("code", "name", "country")
    required_roles = ()
    tests = {"exact": "none", "fuzzy": 0.9, "country": "none"}
    defaults = ("exact", "fuzzy", "country")

    @classmethod
    def validate_spec(cls, columns, levels):
        super().validate_spec(columns, levels)
        if "code" not in columns and "name" not in columns:
            raise ValueError("kind 'birthplace' needs a 'code' or a 'name' column role")

    def _context(self, left, right):
        ctx = self._string_context(left, right, list(self.role_order))
        d = ctx.data
        n = ctx.n
        neg = np.full(n, -1, np.int32)
        for side in ("l", "r"):
            for r in ("code", "name", "country"):
                d.setdefault(f"{side}_{r}", neg)
        d["missing"] = ((d["l_code"] < 0) & (d["l_name"] < 0)) | ((d["r_code"] < 0) & (d["r_name"] < 0))
        return ctx

    def _test_exact(self, lv, idx, ctx):
        d = ctx.data
        lc, rc, ln, rn = d["l_code"][idx], d["r_code"][idx], d["l_name"][idx], d["r_name"][idx]
        both_code = (lc >= 0) & (rc >= 0)
        return np.where(both_code, lc == rc, (ln == rn) & (ln >= 0))

    def _test_fuzzy(self, lv, idx, ctx):
        d = ctx.data
        ok = (d["l_name"][idx] >= 0) & (d["r_name"][idx] >= 0)
        res = np.zeros(idx.size, bool)
        if ok.any():
            res[ok] = self._jw(ctx, "name", "name", idx[ok]) >= self._threshold(lv)
        return res

    def _test_country(self, lv, idx, ctx):
        d = ctx.data
        return (d["l_country"][idx] == d["r_country"][idx]) & (d["l_country"][idx] >= 0)


# =========================================================================== implied birth bounds
class BirthWindowComparator(LevelComparator):
    """One record's birth date against the bounds the other record's events imply when it has no birth date
    (matching.implied_birth): `after` (born after: a minor at the event), `before` (born before: an adult).
    Levels: inside (within the bounds); else (outside); missing unless a date faces a bound."""

    kind = "birth_window"
    roles = ("value", "after", "before")
    required_roles = ("value",)
    tests = {"inside": "none"}
    defaults = ("inside",)
    description = "birth date within implied bounds"

    def _context(self, left, right) -> _Ctx:
        ctx = _Ctx(n=len(left["value"]))
        none = np.full(ctx.n, -1, dtype=np.int64)
        v, a, b = {}, {}, {}
        for side, d in (("l", left), ("r", right)):
            v[side] = date_numbers(d["value"])
            a[side] = date_numbers(d["after"]) if "after" in d else none
            b[side] = date_numbers(d["before"]) if "before" in d else none
        faces = {s: (v[s] >= 0) & (v[o] < 0) & ((a[o] >= 0) | (b[o] >= 0)) for s, o in (("l", "r"), ("r", "l"))}
        lf = faces["l"]
        ctx.data["date"] = np.where(lf, v["l"], v["r"])
        ctx.data["after"] = np.where(lf, a["r"], a["l"])
        ctx.data["before"] = np.where(lf, b["r"], b["l"])
        ctx.data["missing"] = ~(faces["l"] | faces["r"])
        return ctx

    def _test_inside(self, lv, idx, ctx):
        d, a, b = ctx.data["date"][idx], ctx.data["after"][idx], ctx.data["before"][idx]
        return ((a < 0) | (d > a)) & ((b < 0) | (d < b))


COMPARATORS: dict[str, type[LevelComparator]] = {
    c.kind: c
    for c in (
        StringComparator,
        NameComparator,
        ExactComparator,
        DateComparator,
        CodiceFiscaleComparator,
        AddressComparator,
        BirthplaceComparator,
        BirthWindowComparator,
    )
}


def build_comparator(spec, workers: int = 1) -> LevelComparator:
    """A comparator from a settings `Comparison`."""
    cls = COMPARATORS[spec.kind]
    return cls(dict(spec.columns), levels=spec.levels, label=spec.name, workers=workers)
