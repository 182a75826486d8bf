"""Cluster coherence: the strong attributes that no cluster may hold two conflicting values of.

Per record (`StrongAttributes.from_records`, columns named by settings `constraints.coherence`):
  * a full birth date: present and not a 1 January placeholder (a placeholder or a year-only date is weak),
    else the date its trusted codice fiscale encodes;
  * the sex (M or F; anything else is unknown and conflicts with nothing);
  * the birth window its events imply (`implied_birth`: born after = a minor at a service, born before =
    an adult at one).
Two full dates conflict when they differ by more than a clerk's slip: a day/month swap or one component
different are slips, dates months or decades apart are not. Opposite sexes conflict. Windows conflict when
no birth date fits them all (a child's and an adult's service ages), and a full date conflicts with a window
it misses by more than a year.

Clustering keeps a `Summary` per cluster root and merges them on union (`Summary.merge`), so a union is checked
against every record of both clusters at the cost of their few distinct values (`conflict`), whichever records
carry them and however they were linked. `maybe_conflicting` finds, vectorised, the components that hold two
values at all: only those need the checked union-find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.comparators import bool_masks, date_numbers, isin_values
from matching.settings import Coherence

WINDOW_SLACK = 10_000
"""How far (in YYYYMMDD units: one year) a full birth date may miss an implied window before it conflicts: the
window's dates are the services', whose ages are the rules' round figures."""

SEX_CODES = {"M": 1, "F": 2}


@dataclass
class StrongAttributes:
    """Per record position: `date` YYYYMMDD of a full birth date (-1: none or a placeholder), `sex` (1 M, 2 F,
    0 unknown), `after` / `before` YYYYMMDD of the implied window (-1: no bound)."""

    date: np.ndarray
    sex: np.ndarray
    after: np.ndarray
    before: np.ndarray

    @classmethod
    def from_records(cls, records: pd.DataFrame, spec: Coherence) -> StrongAttributes:
        """The attributes of `records` (raw or prepared); a column the frame lacks gives no attribute."""
        n = len(records)
        none = np.full(n, -1, dtype=np.int64)

        def dates(col: str | None) -> np.ndarray:
            return date_numbers(records[col]) if col and col in records.columns else none

        date = dates(spec.birth_date)
        if spec.birth_date_is_default and spec.birth_date_is_default in records.columns:
            date = np.where(bool_masks(records[spec.birth_date_is_default])[0], -1, date)
        date = np.where(date % 10_000 == 101, -1, date)  # 1 January: a placeholder whatever the flag says
        date = np.where(date >= 0, date, _code_dates(records, spec))
        sex = np.zeros(n, dtype=np.int8)
        if spec.sex and spec.sex in records.columns:
            codes, values = pd.factorize(records[spec.sex].astype(object), use_na_sentinel=True)
            per_value = [SEX_CODES.get(str(v).strip().upper(), 0) for v in values]
            sex = np.array(per_value + [0], dtype=np.int8)[codes]  # a missing value's code -1: the last, unknown
        return cls(date, sex, dates(spec.born_after), dates(spec.born_before))

    def summary(self, r: int) -> Summary:
        """The summary of the cluster made of record `r` alone."""
        d = int(self.date[r])
        return Summary((d,) if d >= 0 else (), int(self.sex[r]), int(self.after[r]), int(self.before[r]))

    def has_any(self) -> np.ndarray:
        """Per record: whether it carries any strong attribute."""
        return (self.date >= 0) | (self.sex > 0) | (self.after >= 0) | (self.before >= 0)


def _code_dates(records: pd.DataFrame, spec: Coherence) -> np.ndarray:
    """Per record: YYYYMMDD of the birth date its trusted code encodes (-1: no trusted code, or no such column)."""
    n = len(records)
    if not (spec.code_birth_date and spec.code_status) or not {spec.code_birth_date, spec.code_status} <= set(
        records.columns
    ):
        return np.full(n, -1, dtype=np.int64)
    trusted = isin_values(records[spec.code_status], ("valid", "omocodic"))
    if spec.code_consistent and spec.code_consistent in records.columns:
        trusted &= ~bool_masks(records[spec.code_consistent])[1]
    return np.where(trusted, date_numbers(records[spec.code_birth_date]), -1)


def dates_compatible(a: int, b: int) -> bool:
    """Two full dates (YYYYMMDD) of one person: equal, day and month swapped, or one component different."""
    ya, ma, da = a // 10_000, a // 100 % 100, a % 100
    yb, mb, db = b // 10_000, b // 100 % 100, b % 100
    if ya == yb and ma == db and da == mb:
        return True
    return (ya != yb) + (ma != mb) + (da != db) <= 1


@dataclass(slots=True)
class Summary:
    """What a cluster holds of the strong attributes: its distinct full dates, its sex (0 unknown), the latest
    `after` and the earliest `before` bound of its records (-1: none)."""

    dates: tuple[int, ...]
    sex: int
    after: int
    before: int

    def merge(self, other: Summary) -> Summary:
        """The summary of the union of the two clusters."""
        before = min((b for b in (self.before, other.before) if b >= 0), default=-1)
        return Summary(
            tuple(sorted(set(self.dates) | set(other.dates))),
            self.sex or other.sex,
            max(self.after, other.after),
            before,
        )


def conflicts(a: Summary, b: Summary) -> list[str]:
    """Every reason why one person cannot hold the records of both clusters (empty: they may be one)."""
    out = []
    if a.sex and b.sex and a.sex != b.sex:
        out.append("sex_conflict")
    if any(not dates_compatible(x, y) for x in a.dates for y in b.dates if x != y):
        out.append("birth_date_conflict")
    after = max(a.after, b.after)
    before = min((v for v in (a.before, b.before) if v >= 0), default=-1)
    if (after >= 0 and before >= 0 and after >= before) or any(
        (after >= 0 and d <= after - WINDOW_SLACK) or (before >= 0 and d >= before + WINDOW_SLACK)
        for d in a.dates + b.dates
    ):
        out.append("age_conflict")
    return out


def conflict(a: Summary, b: Summary) -> str | None:
    """The first reason why one person cannot hold the records of both clusters (None: they may be one)."""
    found = conflicts(a, b)
    return found[0] if found else None


def waived(s: Summary, reasons: list[str]) -> Summary:
    """The summary of a cluster a reviewer joined despite `reasons`: the conflicting attributes are dropped
    (the reviewer's decision stands; they bind no further link of that cluster)."""
    return Summary(
        () if "birth_date_conflict" in reasons or "age_conflict" in reasons else s.dates,
        0 if "sex_conflict" in reasons else s.sex,
        -1 if "age_conflict" in reasons else s.after,
        -1 if "age_conflict" in reasons else s.before,
    )


def maybe_conflicting(comp: np.ndarray, ncomp: int, attrs: StrongAttributes) -> np.ndarray:
    """Per connected component: whether its records could conflict (two full dates other than a day/month swap,
    both sexes, windows that no date fits, or a date too far from a window). A superset of the components in
    which `conflict` would refuse a union."""
    out = np.zeros(ncomp, dtype=bool)
    has_date = attrs.date >= 0
    if has_date.any():
        d = attrs.date[has_date]
        md = d % 10_000
        lo, hi = np.minimum(md // 100, md % 100), np.maximum(md // 100, md % 100)
        unswapped = d // 10_000 * 10_000 + lo * 100 + hi
        dd = pd.DataFrame({"c": comp[has_date], "d": unswapped}).drop_duplicates()
        out |= np.bincount(dd["c"].to_numpy(), minlength=ncomp) > 1
    males = np.bincount(comp[attrs.sex == 1], minlength=ncomp) > 0
    females = np.bincount(comp[attrs.sex == 2], minlength=ncomp) > 0
    out |= males & females
    has_after, has_before = attrs.after >= 0, attrs.before >= 0
    if has_after.any() or has_before.any():
        big = np.iinfo(np.int64).max
        after = np.full(ncomp, -1, dtype=np.int64)
        np.maximum.at(after, comp[has_after], attrs.after[has_after])
        before = np.full(ncomp, big, dtype=np.int64)
        np.minimum.at(before, comp[has_before], attrs.before[has_before])
        first = np.full(ncomp, big, dtype=np.int64)
        np.minimum.at(first, comp[has_date], attrs.date[has_date])
        last = np.full(ncomp, -1, dtype=np.int64)
        np.maximum.at(last, comp[has_date], attrs.date[has_date])
        out |= (after >= 0) & (before < big) & (after >= before)
        out |= (after >= 0) & (first < big) & (first <= after - WINDOW_SLACK)
        out |= (before < big) & (last >= 0) & (last >= before + WINDOW_SLACK)
    return out
