"""Why two records are (not) the same beneficiary: the numbers behind a Splink-style waterfall.

`Explainer(engine)` loads the current model (the last successful linkage run's), the settings it was
fitted with and every stg_person record (term frequencies are shares among all records), once;
`explain(a, b)` works for any two records, candidate pair or not:

    prior weight + population adjustment + each comparison's weight (level label, m, u, TF adjustment)
    = match weight
    -> probability -> decision (auto_link / review / non_link by the thresholds), whether blocking
    pairs them and in which pass, their current beneficiary ids and any review decision between them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from matching import store
from matching.blocking import pass_keys
from matching.engine import build_comparators, compute_levels, tf_adjustments
from matching.implied_birth import with_birth_bounds
from matching.population import population_adjustments
from matching.prepare import prepare_records
from matching.settings import LinkageSettings


class ExplainError(LookupError):
    """A record or the model is missing; the message says which."""


class Explainer:
    def __init__(self, engine: Engine, run_id: int | None = None):
        self.engine = engine
        with engine.connect() as conn:
            run = store.last_linkage(conn) if run_id is None else store.linkage_by_id(conn, run_id)
            if run is None:
                raise ExplainError("no linkage run yet: run `fase link` first")
            self.run = run
            self.settings = LinkageSettings.model_validate(run.settings)
            self.records = with_birth_bounds(store.read_persons(conn, self.settings), self.settings, conn)
            xw = store.read_crosswalk(conn)
            self.beneficiary = xw["beneficiary_id"]
            self.constraints = store.active_constraints(conn)
        self.model = run.model
        self.prepared = prepare_records(self.records, self.settings)
        self.comparators = build_comparators(self.settings)
        self.pos = pd.Series(np.arange(len(self.records)), index=self.records.index)
        self._plain: pd.DataFrame | None = None

    def _position(self, key: str) -> int:
        store.split_key(key)
        if key not in self.pos.index:
            raise ExplainError(f"no staged record {key} (stg_person)")
        return int(self.pos[key])

    def _rows(self, a: int, b: int) -> pd.DataFrame:
        """Two prepared records as a frame of their own, without `prepared.attrs` (the term-frequency tables cached
        there for every record), which pandas would deep-copy on each column read of a slice."""
        if self._plain is None:
            self._plain = self.prepared.copy(deep=False)  # shares the columns
            self._plain.attrs = {}
        return self._plain.iloc[[a, b]].reset_index(drop=True)

    def blocking_passes(self, a: int, b: int) -> list[str]:
        """Blocking passes in which the two records share a key."""
        two = self._rows(a, b)
        hit = []
        for bp in self.settings.blocking.passes:
            rec, code = pass_keys(two, bp.keys)
            if set(code[rec == 0].tolist()) & set(code[rec == 1].tolist()):
                hit.append(bp.name)
        return hit

    def explain(self, key_a: str, key_b: str) -> dict:
        a, b = self._position(key_a), self._position(key_b)
        if a == b:
            raise ExplainError("give two different records")
        i, j = np.array([min(a, b)]), np.array([max(a, b)])
        # levels from the two records alone (small vocabularies: fast); TF from every record
        two = prepare_records(self.records.iloc[[int(i[0]), int(j[0])]], self.settings)
        lv = compute_levels(two, np.array([0]), np.array([1]), self.comparators)
        tf = tf_adjustments(self.model, self.prepared, lv, i, j)
        prior = self.model.pair_prior_weights(self._rows(int(i[0]), int(j[0])), np.array([0]), np.array([1]))
        pop = population_adjustments(self.model, self.settings, self.prepared, lv, i, j)
        out = self.model.explain(
            lv[0],
            tf[0] if tf is not None else None,
            None if prior is None else prior[0],
            None if pop is None else float(pop[0]),
        )
        th = self.settings.thresholds
        s = out["match_probability"] if th.scale == "probability" else out["match_weight"]
        out["decision"] = "auto_link" if s >= th.auto_link else "review" if s >= th.review else "non_link"
        out["thresholds"] = {"scale": th.scale, "auto_link": th.auto_link, "review": th.review}
        out["blocking_passes"] = self.blocking_passes(int(i[0]), int(j[0]))
        out["candidate"] = bool(out["blocking_passes"])
        ka, kb = self.records.index[i[0]], self.records.index[j[0]]
        out["left"], out["right"] = ka, kb
        for row, comp in zip(out["comparisons"], self.comparators):
            row["values"] = [self._values(ka, comp), self._values(kb, comp)]
        out["beneficiary"] = [self.beneficiary.get(ka), self.beneficiary.get(kb)]
        out["same_beneficiary"] = out["beneficiary"][0] is not None and out["beneficiary"][0] == out["beneficiary"][1]
        pair = store.ordered_pair(ka, kb)
        c = self.constraints
        hit = c[(c["left_key"].map(str) + "|" + c["right_key"].map(str)).isin(["|".join(pair), "|".join(pair[::-1])])]
        out["constraints"] = [
            {"kind": k, "created_by": by, "review_id": None if pd.isna(r) else int(r)}
            for k, by, r in zip(hit["kind"], hit["created_by"], hit["review_id"])
        ]
        out["model_run_id"] = self.run.run_id
        return out

    def _values(self, key: str, comp) -> str:
        rec = self.records.loc[key]
        vals = []
        for role in comp.role_order:
            col = comp.columns[role]
            v = rec.get(col)
            if v is None or (isinstance(v, float) and v != v):
                continue
            vals.append(str(v))
        return " / ".join(vals) if vals else "—"


def level_agreement(row: dict) -> str:
    """How a comparison's level reads to a reviewer: `missing` (a value on one side or none), `neutral` (a level
    that says nothing, e.g. an untrusted code), `agree` (the exact level), `near` (another level with positive
    weight: a typo, a swap, a variant) or `disagree` (a level with a negative or null weight)."""
    if row["neutral"]:
        return "missing" if row["label"] == "missing" else "neutral"
    level_weight = row["weight"] - row["tf_adjustment"]
    if level_weight > 0:
        return "agree" if row["label"] == "exact" else "near"
    return "disagree"


def explain_records(engine: Engine, key_a: str, key_b: str) -> dict:
    return Explainer(engine).explain(key_a, key_b)


def format_explanation(e: dict) -> list[str]:
    """The waterfall as text: one line per comparison, running total, probability and decision."""
    lines = [
        f"{e['left']}  vs  {e['right']}   (model of linkage run {e['model_run_id']})",
        f"  {'comparison':<16}{'level':<18}{'weight':>8}{'tf adj':>8}{'total':>9}   values",
        f"  {'prior':<16}{'':<18}{e['prior_weight']:>8.2f}{'':>8}{e['prior_weight']:>9.2f}",
    ]
    total = e["prior_weight"]
    if e.get("population_adjustment"):
        total += e["population_adjustment"]
        lines.append(
            f"  {'population':<16}{'':<18}{e['population_adjustment']:>8.2f}{'':>8}{total:>9.2f}   "
            f"about {e['other_bearers']} other people bear the name (and birth year)"
        )
    for r in e["comparisons"]:
        total += r["weight"]
        vals = "  |  ".join(r.get("values", []))
        m = "" if r["m"] is None else f"m={r['m']:.3g} u={r['u']:.3g}  " if r["u"] is not None else ""
        label = r["label"] + (" (household)" if r.get("household") else "")
        lines.append(
            f"  {r['comparison']:<16}{label:<18}{r['weight']:>8.2f}{r['tf_adjustment']:>8.2f}{total:>9.2f}   {m}{vals}"
        )
    th = e["thresholds"]
    lines.append(
        f"  match weight {e['match_weight']:.2f} -> probability {e['match_probability']:.6f}; "
        f"decision {e['decision']} (auto_link >= {th['auto_link']}, review >= {th['review']}, {th['scale']})"
    )
    lines.append(
        "  blocking: "
        + (", ".join(e["blocking_passes"]) if e["candidate"] else "not a candidate pair (no blocking pass pairs them)")
    )
    b = e["beneficiary"]
    lines.append(
        f"  beneficiaries: {b[0] or '—'} / {b[1] or '—'}" + ("  (same beneficiary)" if e["same_beneficiary"] else "")
    )
    for c in e["constraints"]:
        lines.append(
            f"  review decision: {c['kind']} by {c['created_by']}"
            + (f" (review {c['review_id']})" if c["review_id"] else "")
        )
    return lines
