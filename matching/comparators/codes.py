"""Codice fiscale comparator: the Italian tax code, the one identifier most records carry.

Two records with the same trusted code are almost surely one person, two different trusted valid codes
almost surely two; but codes are mistyped, written with omocodia substitutions, provisional, or copied from
a relative. `CodiceFiscaleComparator` grades exact, omocodic and one-off agreement, a code that the other
record's own typed names, birth date and sex encode (`typed_cf11`), and strong disagreement, and refuses
CF evidence when a record's code contradicts its own data (household rule: `untrusted`, neutral).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

from matching.comparators.base import (
    MISSING,
    LevelComparator,
    LevelContext,
    as_array,
    bool_masks,
    encode_shared,
    isin_values,
    per_code,
)
from matching.comparators.dates import date_parts

# =========================================================================== code values
_OMOCODIA = str.maketrans("LMNPQRSTUV", "0123456789")
_CF_DIGIT_POS = (6, 7, 9, 10, 12, 13, 14)
_CF_MONTHS = "ABCDEHLMPRST"


@lru_cache(maxsize=1 << 18)  # a pure function of one value, asked again per frame and pair batch
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


_OMOCODIA_BYTES = np.arange(256, dtype=np.uint8)
_OMOCODIA_BYTES[np.frombuffer(b"LMNPQRSTUV", dtype=np.uint8)] = np.frombuffer(b"0123456789", dtype=np.uint8)


def cf_prefixes(values: Any, length: int = 11) -> np.ndarray:
    """`cf_prefix` of every value (object array, None where it gives None): the ASCII codes as one byte matrix
    (letters checked and omocodia undone column by column), any other value through `cf_prefix` itself."""
    vals = np.asarray(as_array(values), dtype=object)
    out = np.full(len(vals), None, dtype=object)
    need = max(length, 11)
    fast, heads = [], []
    for n, v in enumerate(vals.tolist()):
        if not isinstance(v, str):
            continue
        c = v.strip().upper()
        if len(c) < need:
            continue
        if c.isascii() and "\x00" not in c:
            fast.append(n)
            heads.append(c[:length])
        else:
            out[n] = cf_prefix(v, length)
    if fast:
        b = np.array(heads, dtype=f"S{length}").view(np.uint8).reshape(len(heads), length).copy()
        letters = ((b[:, :6] >= ord("A")) & (b[:, :6] <= ord("Z"))).all(axis=1)
        for p in _CF_DIGIT_POS:
            if p < length:
                b[:, p] = _OMOCODIA_BYTES[b[:, p]]
        text = b.view(f"S{length}").ravel()
        pos = np.asarray(fast)
        out[pos[letters]] = [t.decode("ascii") for t in text[letters].tolist()]
    return out


_PLAIN_NAME = re.compile(r"[A-Za-z' -]+")
_CF_VOWELS = frozenset("AEIOU")


def _cf_name_code(s: Any, first: bool) -> str | None:
    """The 3 CF characters of a surname (`first`: of given names), as the codicefiscale library encodes them:
    a plain ASCII name (letters, spaces, apostrophes, hyphens: its slug is its letters) here, consonants then
    vowels then X (given names with 4 or more consonants drop the second), any other through the library."""
    if not isinstance(s, str) or not s.strip():
        return None
    if not _PLAIN_NAME.fullmatch(s):
        return _cf_name_code_slugified(s, first)
    letters = [c for c in s.upper() if c.isalpha()]
    cons = [c for c in letters if c not in _CF_VOWELS]
    if first and len(cons) > 3:
        del cons[1]
    vowels = [c for c in letters if c in _CF_VOWELS]
    return "".join((cons[:3] + vowels[:3] + ["X"] * 3)[:3])


def _cf_name_code_slugified(s: str, first: bool) -> str | None:
    from codicefiscale import codicefiscale as _cf

    try:
        return _cf.encode_firstname(s) if first else _cf.encode_lastname(s)
    except Exception:
        return None


def typed_cf11(last: Any, first: Any, birth_date: Any, sex: Any) -> np.ndarray:
    """The 11 CF characters that a record's own typed surname, name, birth date and sex encode.

    Object array, None where any input is missing. Per-unique encoding, so cheap on big frames.
    """
    (lc,), lu = encode_shared(last)
    (fc,), fu = encode_shared(first)
    ls = per_code(lc, lu, lambda v: _cf_name_code(v, first=False))
    fs = per_code(fc, fu, lambda v: _cf_name_code(v, first=True))
    y, m, d = date_parts(birth_date)
    sx = np.asarray(as_array(sex), dtype=object)
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

    def _context(self, left, right) -> LevelContext:
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
            if "lengths" not in ctx.cache:  # per unique code, once
                ctx.cache["lengths"] = np.fromiter(map(len, u), dtype=np.int32, count=len(u))
            ca, cb = self._code(ctx, "l", w), self._code(ctx, "r", w)
            dist = cpdist(u[ca], u[cb], scorer=OSA.distance, workers=self.workers, dtype=np.int32)
            lens = np.minimum(ctx.cache["lengths"][ca], ctx.cache["lengths"][cb])
            res[both] = (dist <= self._threshold(lv)) & (lens >= 11)
        return res

    def _test_decoded(self, lv, idx, ctx):
        d = ctx.data
        kc = self._per_unique_codes(ctx, "cf11", cf_prefix, cf_prefixes)  # base[:11] and typed share a key
        lb, rb, lt, rt = d["l_base"][idx], d["r_base"][idx], d["l_typed"][idx], d["r_typed"][idx]
        lu, ru = d["l_usable"][idx], d["r_usable"][idx]
        m1 = lu & ~ru & (rt >= 0) & (kc[lb] == kc[rt]) & (kc[lb] >= 0)
        m2 = ru & ~lu & (lt >= 0) & (kc[rb] == kc[lt]) & (kc[rb] >= 0)
        return m1 | m2

    def _test_different_valid(self, lv, idx, ctx):
        d = ctx.data
        return d["l_usable"][idx] & d["r_usable"][idx] & (d["l_base"][idx] != d["r_base"][idx])
