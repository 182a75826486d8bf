"""Fuzzy search of beneficiaries by name and birth date (rapidfuzz over a candidate set narrowed in SQL).

Names are compared in their matching form (upper case, accents and particles folded, as staging
stores them). A record scores 0-100: the surname weighs 0.5, the given name 0.3, the birth date 0.2
(exact 100, day/month swapped or only the CF's date 80), over the parts the query gives; a
first/last name swap is tried too (at 95%). A beneficiary takes its best record's score; hits
under MIN_SCORE are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

from schemas.standardise.names import normalise_name, normalise_surname

MIN_SCORE = 70.0
WEIGHTS = {"last": 0.5, "first": 0.3, "date": 0.2}


@dataclass(frozen=True)
class Query:
    last_name: str
    first_name: str | None
    birth_date: date | None

    @classmethod
    def parse(cls, last_name: str, first_name: str | None, birth_date: date | None) -> Query | None:
        """The query in matching form; None when the surname has no letters left."""
        last = normalise_surname(last_name)
        if not last:
            return None
        return cls(last, normalise_name(first_name) if first_name else None, birth_date)

    def birth_dates(self) -> list[date]:
        """The date and its day/month swap (a frequent clerk's error), when both are dates."""
        if self.birth_date is None:
            return []
        d = self.birth_date
        try:
            swapped = d.replace(month=d.day, day=d.month)
        except ValueError:
            return [d]
        return sorted({d, swapped})


def _best(query: str, *values: str | None) -> float:
    return max((fuzz.ratio(query, v) for v in values if v), default=0.0)


def _first_names(c: dict) -> tuple:
    full = " ".join(x for x in (c["first_name_norm"], c["middle_names_norm"]) if x) or None
    return c["first_name_norm"], full, c["alt_first_name_norm"]


def score(q: Query, c: dict) -> float:
    """Similarity of one candidate record to the query, 0-100."""
    parts = {
        "last": max(
            _best(q.last_name, c["last_name_norm"], c["alt_last_name_norm"]),
            fuzz.token_set_ratio(q.last_name, c["last_name_norm"] or ""),
        )
    }
    if q.first_name:
        parts["first"] = _best(q.first_name, *_first_names(c))
        swapped = (_best(q.last_name, *_first_names(c)) + _best(q.first_name, c["last_name_norm"])) / 2
        if swapped * 0.95 > (parts["last"] + parts["first"]) / 2:
            parts["last"] = parts["first"] = swapped * 0.95
    if q.birth_date:
        if q.birth_date == c["birth_date"]:
            parts["date"] = 100.0
        elif q.birth_date in (c["birth_date"], c["cf_birth_date"]) or c["birth_date"] in q.birth_dates():
            parts["date"] = 80.0
        else:
            parts["date"] = 0.0
    total = sum(WEIGHTS[k] for k in parts)
    return round(sum(WEIGHTS[k] * v for k, v in parts.items()) / total, 1)


def rank(q: Query, candidates: list[dict]) -> list[dict]:
    """One hit per beneficiary (its best record), best first, ties by id; under MIN_SCORE dropped."""
    best: dict[str, tuple[float, dict]] = {}
    for c in candidates:
        s = score(q, c)
        if s >= MIN_SCORE and (c["beneficiary_id"] not in best or s > best[c["beneficiary_id"]][0]):
            best[c["beneficiary_id"]] = (s, c)
    hits = [
        {
            "beneficiary_id": bid,
            "score": s,
            "first_name": c["first_name"],
            "last_name": c["last_name"],
            "birth_date": c["birth_date"],
        }
        for bid, (s, c) in best.items()
    ]
    return sorted(hits, key=lambda h: (-h["score"], h["beneficiary_id"]))
