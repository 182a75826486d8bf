"""What the beneficiary 360° page shows: the merged record as the API serves it to this user (repository +
redaction: golden record with provenance, households, stays, residences, placements, services, payments, source
records with pending versions), the source records side by side, a timeline of the person's life in the systems,
household members, and the merge and split history (undoable by stewards through matching.review)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api import repository as repo
from api.console import charts
from api.console.records import hidden_from, in_scope, names, read_record, require_scope, source_records
from api.console.review_data import FIELDS, display
from api.console.session import ConsoleError, ConsoleUser
from api.redaction import Pseudonymiser
from warehouse.models import IDENTITY_TABLES, PROFILE_TABLES

GOLDEN_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "sex": "Sex",
    "birth_date": "Birth date",
    "birthplace": "Birthplace",
    "birth_country": "Birth country",
    "citizenship": "Citizenship",
    "codice_fiscale": "Codice fiscale",
    "phone": "Phone",
    "email": "E-mail",
    "address": "Residence",
}
STATE = PROFILE_TABLES["publish_state"]
CHANGE = IDENTITY_TABLES["beneficiary_change"]


class Moved(Exception):
    """The id was merged into another beneficiary: the page lives at `target`."""

    def __init__(self, target: str):
        super().__init__(target)
        self.target = target


def as_of(conn: Connection) -> date:
    """The profile's date (publish_state), else today: ongoing periods end there on the timeline."""
    found = conn.execute(sa.select(STATE.c.as_of)).scalar()
    return found or date.today()


def _address(value) -> str | None:
    if not isinstance(value, dict):
        return value
    street = " ".join(str(value[k]) for k in ("toponym", "street", "number") if value.get(k))
    place = " ".join(str(value[k]) for k in ("postcode", "municipality") if value.get(k))
    return ", ".join(x for x in (street, place) if x) or None


def golden_rows(record: dict) -> list[dict]:
    """Each golden value with its provenance: system, source record, date, rule and what decided it."""
    rows = []
    for attr, label in GOLDEN_LABELS.items():
        item = record["person"].get(attr) or {}
        value = _address(item.get("value")) if attr == "address" else item.get("value")
        if attr == "birth_date" and value is None and record["person"].get("birth_year"):
            value = record["person"]["birth_year"]
        withheld = value is None and f"person.{attr}" in record["redactions"]
        rows.append(
            {"label": label, "value": value, "source": item.get("source"), "attribute": attr, "withheld": withheld}
        )
    return rows


def _residence_label(res: dict) -> str:
    text = " ".join(str(res[k]) for k in ("toponym", "street", "number") if res.get(k))
    return (text or "address withheld") + (f", {res['municipality']}" if res.get("municipality") else "")


def timeline(record: dict, today: date) -> charts.Markup:
    """Stays, residences, placements and volunteering as bars, payments as points, on one time axis."""
    bars = []
    for st in record["stays"]:
        where = st["structure_name"] or ("protected structure" if st["confidential"] else st["structure_type"])
        bars.append(("Stays", f"{st['structure_type']}: {where}", st["entry_date"], st["exit_date"], "stay"))
    for res in record["residences"]:
        bars.append(
            (
                "Residences",
                f"{res['posizione']}: {_residence_label(res)}",
                res["valid_from"],
                res["valid_to"],
                "residence",
            )
        )
    for pl in record["placements"]:
        label = f"{pl['programme']} ({pl['status']})" + (f", {pl['provider']}" if pl.get("provider") else "")
        bars.append(("Placements", label, pl["start_date"], pl["end_date"], "placement"))
    for sv in record["services"]:
        label = f"{sv['service_type']} as {sv['role']}" + (f", {sv['association']}" if sv.get("association") else "")
        bars.append(("Volunteering", label, sv["start_date"], sv["end_date"], "volunteering"))
    events = []
    for p in record["payments"]:
        for h in p["status_history"]:
            if h["status"] in ("determinato", "pagato", "revocato"):
                events.append(
                    ("Payments", f"{p['benefit_type']} €{p['amount']} {h['status']}", h["reached_on"], h["status"])
                )
    return charts.as_json(charts.timeline(bars, events, today))


def history(conn: Connection, beneficiary_id: str) -> list[dict]:
    """The id's change feed: created, merged (into or from it), split (from or into it), retired; newest first."""
    own = conn.execute(
        sa.select(CHANGE).where(
            sa.or_(CHANGE.c.beneficiary_id == beneficiary_id, CHANGE.c.merged_into == beneficiary_id)
        )
    ).mappings()
    rows = {r["seq"]: dict(r) for r in own}
    for r in conn.execute(sa.select(CHANGE).where(CHANGE.c.kind == "split")).mappings():
        if beneficiary_id in (r["related_ids"] or []):
            rows[r["seq"]] = dict(r)
    return sorted(rows.values(), key=lambda r: -r["seq"])


def profile_page(engine: Engine, beneficiary_id: str, user: ConsoleUser, pseudonym: Pseudonymiser) -> dict:
    """Everything the 360° page shows, or Moved / ConsoleError (unknown, retired, outside the scope)."""
    with engine.connect() as conn:
        found = repo.resolve(conn, beneficiary_id)
        if found is None:
            raise ConsoleError(404, f"There is no beneficiary {beneficiary_id}.", "Not found")
        if found.status == "merged" and found.target:
            require_scope(conn, user, found.target)
            raise Moved(found.target)
        if found.status != "active":
            require_scope(conn, user, beneficiary_id)
            raise ConsoleError(410, f"Beneficiary {beneficiary_id} was {found.status} without a successor.", "Gone")
        record, protected = read_record(conn, beneficiary_id, user, pseudonym)
        require_scope(conn, user, beneficiary_id, {s["source_system"] for s in record["sources"]})
        keys = [f"{s['source_system']}:{s['source_person_id']}" for s in record["sources"]]
        records = source_records(conn, keys)
        member_ids = {m["beneficiary_id"] for h in record["households"] for m in h["members"]}
        visible = {m for m in member_ids if in_scope(conn, user, m)}
        member_names = names(conn, visible)
        changes = history(conn, beneficiary_id)
        today = as_of(conn)
    hidden = hidden_from(user, protected)
    sources = [
        {"key": k, "system": k.split(":", 1)[0], "present": k in records, "link": s}
        for k, s in zip(keys, record["sources"])
    ]
    rows = [
        {"label": f.label, "cells": [{"value": display(f, records.get(s["key"]), hidden)} for s in sources]}
        for f in FIELDS
    ]
    return {
        "record": record,
        "protected": protected,
        "golden": golden_rows(record),
        "sources": sources,
        "source_rows": rows,
        "timeline": timeline(record, today),
        "members": [
            {**m, "name": member_names.get(m["beneficiary_id"]), "visible": m["beneficiary_id"] in visible}
            for h in record["households"]
            for m in h["members"]
        ],
        "history": changes,
        "can_undo_merge": any(c["kind"] == "merged" for c in changes),
        "can_undo_split": any(c["kind"] == "split" for c in changes),
        "as_of": today,
        "audit_ids": [beneficiary_id, *sorted(member_names)],
    }
