"""Name comparators: generic strings and person names with the typing accidents of the source systems.

`StringComparator` grades any text (exact, Jaro-Winkler, edit distance, phonetic key, transliteration
variant, prefix); `NameComparator` adds what goes wrong with person names: first and last name swapped,
a second given name dropped or promoted, a compound name split differently, the alternative reading of an
ambiguous one-field name. Names are the most frequent evidence and the most often mistyped, so each
accident has a level of its own and the model weighs it by how often true matches show it.
`phonetic_key` and `variant_key` also feed derived blocking columns (matching.prepare).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, ClassVar

import jellyfish
import numpy as np
import pandas as pd
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from matching.comparators.base import LevelComparator, LevelContext, as_array, per_unique, recode, with_missing

_METAPHONE_CLEAN = re.compile(r"[^A-Z]")
VALUE_CACHE = 1 << 18
"""Per-value keys remembered (pure functions of one name, asked again for every pair batch and frame)."""


@lru_cache(maxsize=VALUE_CACHE)
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


@lru_cache(maxsize=VALUE_CACHE)
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


# =========================================================================== strings and names
class StringComparator(LevelComparator):
    """Generic string: exact, Jaro-Winkler >= t, edit (OSA) distance <= t, phonetic, variant key, prefix."""

    kind = "string"
    tests = {
        "exact": "none",
        "jw": "required",
        "edit": "required",
        "phonetic": "none",
        "variant": "none",
        "prefix": "required",
    }
    defaults: ClassVar[tuple[Any, ...]] = ("exact", {"jw": 0.92}, {"jw": 0.85})
    description = "string levels"

    def _string_roles(self) -> list[str]:
        return list(self.role_order)

    def _context(self, left, right) -> LevelContext:
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
        al = pd.notna(np.asarray(as_array(left["alt"]), dtype=object))
        ar = pd.notna(np.asarray(as_array(right["alt"]), dtype=object))
        idx = np.flatnonzero(al | ar)
        if idx.size == 0:
            return out
        best = out[idx]
        sub = lambda d, role: d[role].iloc[idx] if isinstance(d[role], pd.Series) else as_array(d[role])[idx]  # noqa: E731
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
        given names) agrees with the other record's other part, and the other way round (the second cross
        comparison only where the first agrees: among random pairs, almost never)."""
        if "l_swap" not in ctx.data:
            return np.zeros(idx.size, bool)
        t = self._threshold(lv) or self.tests["swapped"]
        res = self._cross(ctx, 0, idx, t)
        w = np.flatnonzero(res)
        if w.size:
            res[w] = self._cross(ctx, 1, idx[w], t)
        return res

    _CROSS = (("value", "middle", "swap", "swap_middle"), ("swap", "swap_middle", "value", "middle"))
    """The two cross comparisons of whole names: left (role, rest) against right (role, rest)."""

    def _cross(self, ctx, k: int, idx: np.ndarray, t: float) -> np.ndarray:
        """Cross comparison `k` agrees over the pairs `idx`: JW >= t or the same transliteration key. Scores
        are kept per pair for the call (the swapped levels of several thresholds ask for the same pairs)."""
        key = f"cross{k}"
        if key not in ctx.cache:
            ctx.cache[key] = (np.full(ctx.n, np.nan, dtype=np.float32), np.zeros(ctx.n, dtype=bool))
        jw, same = ctx.cache[key]
        todo = idx[np.isnan(jw[idx])]
        if todo.size:
            lr, lrest, rr, rrest = self._CROSS[k]
            jw[todo], same[todo] = self._agree(
                ctx, self._whole(ctx, "l", lr, lrest, todo), self._whole(ctx, "r", rr, rrest, todo)
            )
        return (jw[idx] >= t) | same[idx]

    def _whole(self, ctx, side: str, role: str, rest: str, idx) -> np.ndarray:
        """The whole names of one side over the pairs `idx` — role + rest joined, spaces removed — as integer
        keys of the (role, rest) value codes (-1 where the role is missing; `_agree` spells them)."""
        a = ctx.data[f"{side}_{role}"][idx].astype(np.int64)
        b = ctx.data[f"{side}_{rest}"][idx].astype(np.int64) if f"{side}_{rest}" in ctx.data else np.full(idx.size, -1)
        return np.where(a >= 0, a * (len(ctx.data["uniques"]) + 1) + (b + 1), -1)

    def _agree(self, ctx, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(JW score, same transliteration key) of whole names (`_whole` keys); -1 and False where one is
        missing."""
        jw = np.full(a.size, -1.0, dtype=np.float32)
        same = np.zeros(a.size, dtype=bool)
        w = np.flatnonzero((a >= 0) & (b >= 0))
        if w.size == 0:
            return jw, same
        nospace, width = self._nospace(ctx), len(ctx.data["uniques"]) + 1
        inv, keys = pd.factorize(np.concatenate([a[w], b[w]]))
        words = nospace[keys // width] + nospace[keys % width - 1]  # rest -1 + 1 = 0 -> the last slot: ""
        var = recode(with_missing(per_unique(words, variant_key)))
        x, y = inv[: w.size], inv[w.size :]
        jw[w] = cpdist(words[x], words[y], scorer=JaroWinkler.normalized_similarity, workers=self.workers)
        same[w] = (var[x] == var[y]) & (var[x] >= 0)
        return jw, same

    def _nospace(self, ctx) -> np.ndarray:
        """Each unique value without its spaces, and a last "" for a missing rest, once per vocabulary."""
        return self._per_vocabulary(
            ctx, "nospace", lambda u: np.array([str(v).replace(" ", "") for v in u] + [""], dtype=object)
        )

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
