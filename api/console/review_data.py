"""What the review pages show, assembled from matching.review (the queue, an item and the items competing with
it), matching.explain (the waterfall: the same Explainer as `fase explain`) and the API's records and redaction.

An item's page lays its records side by side, field by field: the pair's two records, then every record of the
items that share one of them (an ambiguous item's other candidates). Each column but the first is coloured against
the record it is compared with: by the level the model gave that comparison (`level_agreement`: agree, near,
disagree, missing) where the model compares the field, by equality elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.console import charts
from api.console.records import XW, hidden_from, names, read_record, source_records
from api.console.session import ConsoleUser
from api.redaction import Pseudonymiser

if TYPE_CHECKING:
    from matching.review import QueueFilter

ADDRESS = ("address_toponym", "address_street", "address_number", "address_postcode", "address_municipality")


@dataclass(frozen=True)
class Field:
    """A row of the side-by-side table: label, the model's comparison of it (if any), the redaction name that
    withholds it, and how to show it."""

    label: str
    comparison: str | None
    hidden_as: str | None
    columns: tuple[str, ...]


FIELDS = (
    Field("First name", "first_name", "first_name", ("first_name",)),
    Field("Last name", "last_name", "last_name", ("last_name",)),
    Field("Sex", "sex", None, ("sex",)),
    Field("Birth date", "birth_date", "birth_date", ("birth_date", "birth_date_is_default")),
    Field("Birthplace", "birthplace", None, ("birthplace_norm", "birthplace_code")),
    Field("Birth country", None, None, ("birth_country",)),
    Field("Citizenship", None, None, ("citizenship",)),
    Field("Codice fiscale", "codice_fiscale", "codice_fiscale", ("codice_fiscale", "cf_status")),
    Field("Phone", "phone", "phone", ("phone",)),
    Field("E-mail", None, "email", ("email",)),
    Field("Address", "address", "address", ADDRESS),
    Field("IBAN", "iban", None, ("iban_hash",)),
    Field("Household", None, "household", ("household_key", "household_role")),
    Field("Protected (riservato)", None, None, ("riservato",)),
)


def display(field: Field, rec: dict | None, hidden: set[str]) -> str | None:
    """A field of a staged record as text; 'withheld' when the reader may not see it; None when empty."""
    if rec is None:
        return None
    first = rec.get(field.columns[0])
    if field.label == "Address":
        street = " ".join(str(rec[c]) for c in ADDRESS[:3] if rec.get(c))
        place = " ".join(str(rec[c]) for c in ADDRESS[3:] if rec.get(c))
        text = ", ".join(x for x in (street, place) if x) or None
    elif field.label == "IBAN":
        text = "on file (hashed)" if first else None  # never the hash itself
    elif field.label == "Protected (riservato)":
        text = "yes" if first else "no"
    elif first is None:
        text = None
    elif field.label == "Birth date":
        text = first.strftime("%d/%m/%Y") + (" (1 January placeholder)" if rec.get("birth_date_is_default") else "")
    elif len(field.columns) > 1 and rec.get(field.columns[1]) not in (None, "valid"):
        text = f"{first} ({rec[field.columns[1]]})"
    else:
        text = str(first)
    if text is None:
        return None
    if field.hidden_as in hidden:
        if field.hidden_as == "birth_date" and isinstance(first, date):
            return str(first.year)
        return "withheld"
    return text


def _equality(a, b) -> str:
    if a is None and b is None:
        return "empty"
    if a is None or b is None:
        return "missing"
    return "agree" if str(a).casefold() == str(b).casefold() else "disagree"


def _agreement(field: Field, explanation: dict | None, a: dict | None, b: dict | None) -> str:
    from matching.explain import level_agreement

    if field.comparison and explanation:
        row = next((r for r in explanation["comparisons"] if r["comparison"] == field.comparison), None)
        if row is not None:
            return level_agreement(row)
    values = [
        None if r is None else tuple(r.get(c) for c in field.columns if c != "birth_date_is_default") for r in (a, b)
    ]
    values = [None if v is None or all(x is None for x in v) else v for v in values]
    return _equality(*values)


def waterfall_rows(explanation: dict, user: ConsoleUser, hidden: set[str]) -> list[dict]:
    """The waterfall as table rows: each comparison's level, m, u, weight, TF adjustment and running total; the
    values compared only where the reader may see them (never an IBAN hash, none for analysts)."""
    from matching.explain import level_agreement

    total, rows = explanation["prior_weight"], []
    for r in explanation["comparisons"]:
        total += r["weight"]
        secret = user.pseudonymised or r["comparison"] == "iban" or r["comparison"] in hidden
        rows.append({**r, "total": total, "agreement": level_agreement(r), "values": None if secret else r["values"]})
    return rows


def _as_queued(evidence: dict | None, explainer) -> dict | None:
    """A competing item's stored evidence (its levels and weights when it was queued) in the shape
    `level_agreement` reads, the neutral levels taken from the model."""
    if not evidence or explainer is None:
        return None
    model = {c.name: c for c in explainer.model.comparisons}
    rows = []
    for c in evidence.get("comparisons", []):
        params = model.get(c["comparison"])
        neutral = (
            params is not None and c["level"] in params.labels and params.labels.index(c["level"]) in params.neutral
        )
        rows.append({**c, "label": c["level"], "neutral": neutral})
    return {"comparisons": rows}


def _explain(explainer, a: str, b: str) -> dict | None:
    from matching.explain import ExplainError

    try:
        return explainer.explain(a, b) if explainer is not None else None
    except ExplainError:
        return None


def item_page(engine: Engine, explainer, review_id: int, user: ConsoleUser, pseudonym: Pseudonymiser) -> dict:
    """Everything the review item page shows; `explainer` is the cached Explainer (None without a model)."""
    from matching import review

    it = review.show_item(engine, review_id)
    a, b = it["left"], it["right"]
    keys = [a, b, *(c["key"] for c in it["competitors"])]
    via, queued = {b: a}, {}
    for r in sorted(it["related"], key=lambda r: -r["probability"]):
        for k, other in ((r["left"], r["right"]), (r["right"], r["left"])):
            if k not in (a, b) and other in (a, b) and k not in via:
                via[k], queued[k] = other, r["evidence"]
    explanations = {b: _explain(explainer, a, b)}  # the pair itself: explained now, as `fase explain` would
    explanations |= {k: _as_queued(ev, explainer) for k, ev in queued.items()}  # competitors: their items' evidence
    beneficiary_of = {a: it["beneficiaries"][0], b: it["beneficiaries"][1]}
    beneficiary_of |= {c["key"]: c["beneficiary"] for c in it["competitors"]}
    with engine.connect() as conn:
        records = source_records(conn, keys)
        people: dict[str, dict] = {}
        for bid in sorted({x for x in beneficiary_of.values() if x}):
            shown, protected = read_record(conn, bid, user, pseudonym)
            people[bid] = {"record": shown, "protected": protected}
        members = {
            m["beneficiary_id"] for p in people.values() for h in p["record"]["households"] for m in h["members"]
        }
        member_names = {} if user.pseudonymised else names(conn, members)
    protected = any(p["protected"] for p in people.values()) or any(
        (r or {}).get("riservato") for r in records.values()
    )
    hidden = hidden_from(user, protected)
    columns = [
        {
            "key": k,
            "system": k.split(":", 1)[0],
            "label": k.split(":", 1)[0] if user.pseudonymised else k,
            "beneficiary": beneficiary_of.get(k),
            "vs": None if k == a else via.get(k),
            "present": k in records,
        }
        for k in keys
    ]
    rows = []
    for field in FIELDS:
        cells = []
        for col in columns:
            rec = records.get(col["key"])
            ref = records.get(col["vs"]) if col["vs"] else None
            agreement = "ref" if col["vs"] is None else _agreement(field, explanations.get(col["key"]), ref, rec)
            value = display(field, rec, hidden)
            if value == "withheld":  # the colour would tell how a withheld value compares: not shown either
                agreement = "withheld"
            cells.append({"value": value, "agreement": agreement})
        rows.append({"label": field.label, "cells": cells})
    main = explanations.get(b)
    stored = it["evidence"] or {}
    return {
        "item": it,
        "columns": columns,
        "rows": rows,
        "explanation": main,
        "waterfall": waterfall_rows(main, user, hidden) if main else None,
        "waterfall_figure": charts.as_json(charts.waterfall(main)) if main else None,
        "stored": stored,
        "people": people,
        "member_names": member_names,
        "protected": protected,
        "hidden": hidden,
        "audit_ids": sorted(people) + sorted(member_names),
    }


def queue_page(engine: Engine, flt: QueueFilter, page: int, size: int = 50) -> dict:
    """The filtered queue, its counts by status, and the audit ids (the beneficiaries of the listed records)."""
    from matching import review
    from matching.store import split_key

    rows = review.queue(engine, flt, limit=size + 1, offset=(page - 1) * size)
    more, rows = len(rows) > size, rows[:size]
    pairs = sorted({split_key(k) for r in rows for k in (r["left"], r["right"])})
    with engine.connect() as conn:
        bens = (
            set(
                conn.execute(
                    sa.select(XW.c.beneficiary_id).where(
                        sa.tuple_(XW.c.source_system, XW.c.source_person_id).in_(pairs)
                    )
                ).scalars()
            )
            if pairs
            else set()
        )
    return {
        "rows": rows,
        "more": more,
        "counts": review.status_counts(engine, flt),
        "pairs": review.system_pairs(engine),
        "audit_ids": sorted(bens),
    }
