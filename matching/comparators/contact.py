"""Contact and place comparators: values that say where a person lives or was born, or how to reach them.

`ExactComparator` grades plain agreement of a value (phone, e-mail, IBAN hash; also sex and state);
`AddressComparator` a street address (street, number, postcode); `BirthplaceComparator` a birthplace
(Belfiore code, place name, country). These are supporting evidence: shared within a household (a son at
his father's address and phone), so their weights stay modest and they never decide alone.
"""

from __future__ import annotations

import numpy as np

from matching.comparators.base import LevelComparator, LevelContext


# =========================================================================== exact
class ExactComparator(LevelComparator):
    """Exact agreement of any value (sex, phone, email, iban_hash, state)."""

    kind = "exact"
    roles = ("value",)
    required_roles = ("value",)
    tests = {"exact": "none"}
    defaults = ("exact",)
    description = "exact levels"

    def _context(self, left, right) -> LevelContext:
        ctx = self._string_context(left, right, ["value"])
        ctx.data["missing"] = (ctx.data["l_value"] < 0) | (ctx.data["r_value"] < 0)
        return ctx

    def _test_exact(self, lv, idx, ctx):
        return ctx.data["l_value"][idx] == ctx.data["r_value"][idx]


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
