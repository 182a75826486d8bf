"""Date comparators: birth dates, and a birth date against the bounds another record's events imply.

A birth date is the strongest evidence after the codice fiscale and the most often mistyped: day and month
swapped, one component off, a 1 January placeholder for an unknown date. `DateComparator` gives each of
those a level. `BirthWindowComparator` compares a record's birth date with the window the other record's
events imply when that record has none (matching.implied_birth: a minor at an after-school service, an
adult volunteer). Dates are parsed without validating the calendar (`date_parts`), so typed-in
corruptions such as month 13 still compare.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from matching.comparators.base import LevelComparator, LevelContext, as_array, bool_masks, encode_shared


# =========================================================================== date values
@lru_cache(maxsize=1 << 18)  # a pure function of one value, asked again for every pair batch
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
    a = as_array(x)
    if not isinstance(a, pd.Categorical) and np.issubdtype(getattr(a, "dtype", np.dtype(object)), np.datetime64):
        d = a.astype("datetime64[D]")
        nat = np.isnat(d)
        y = d.astype("datetime64[Y]").astype(np.int64) + 1970
        m = (d.astype("datetime64[M]") - d.astype("datetime64[Y]")).astype(np.int64) + 1
        day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
        out = [np.where(nat, -1, v).astype(np.int32) for v in (y, m, day)]
        return out[0], out[1], out[2]
    (codes,), uniques, vocab = encode_shared(a, with_vocab=True)
    parsed = _parsed_vocabulary(vocab) if vocab is not None else None
    if parsed is None:
        parsed = _parse_all(uniques)
    codes = np.where(codes < 0, len(uniques), codes)
    p = parsed[codes]
    return p[:, 0], p[:, 1], p[:, 2]


def _parse_all(uniques: Any) -> np.ndarray:
    """(len + 1, 3) int32 parts of every value, a last (-1, -1, -1) row for the missing code."""
    out = np.full((len(uniques) + 1, 3), -1, dtype=np.int32)
    if len(uniques):
        out[:-1] = np.fromiter(
            (x for u in uniques for x in _parse_date(u)), dtype=np.int32, count=3 * len(uniques)
        ).reshape(-1, 3)
    return out


_VOCABULARIES: dict[int, tuple[Any, np.ndarray]] = {}
"""Parsed parts per categorical vocabulary (by identity): a prepared frame's date columns share one vocabulary
and every pair batch gathers from it, so its values are parsed once, not once per batch and column."""
_MAX_VOCABULARIES = 8


def _parsed_vocabulary(vocab: Any) -> np.ndarray:
    hit = _VOCABULARIES.get(id(vocab))
    if hit is not None and hit[0] is vocab:
        return hit[1]
    parsed = _parse_all(np.asarray(vocab, dtype=object))
    while len(_VOCABULARIES) >= _MAX_VOCABULARIES:
        _VOCABULARIES.pop(next(iter(_VOCABULARIES)))
    _VOCABULARIES[id(vocab)] = (vocab, parsed)
    return parsed


def date_numbers(x: Any) -> np.ndarray:
    """YYYYMMDD int64 per value (-1 = missing): dates compared as numbers."""
    y, m, d = date_parts(x)
    return np.where(y >= 0, y.astype(np.int64) * 10000 + m * 100 + d, -1)


# =========================================================================== birth dates
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

    def _context(self, left, right) -> LevelContext:
        ctx = LevelContext(n=len(left["value"]))
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

    def _context(self, left, right) -> LevelContext:
        ctx = LevelContext(n=len(left["value"]))
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
