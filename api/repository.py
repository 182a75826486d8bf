"""What the API reads from the warehouse, in one place; routes and redaction see plain dicts.

The merged record of a published beneficiary comes from the profile tables (migration 0006), read in one
statement with its id's status and crosswalk rows by ``published.fetch`` (``read_record``): ``golden_record``
with ``golden_provenance`` (value, source record, rule), the facts (stays, residences, placements, services,
payments with ``fact_payment_status``), ``household_member`` and ``household``. Rows carry the publish's ``address_protected`` flag (warehouse/profile/protection.py)
for redaction.py to apply. The structure and address of hidden stays (confidential, or at a protected
address) are read only for callers holding the grant, through ``stay_places`` (on PostgreSQL the SECURITY
DEFINER function ``fase_stay_places``: the API's database role has no right on ``restricted_stay_address``
nor on ``stg_stay``'s place columns). A beneficiary linked since the last publish is assembled from the
staging layer instead (``staging.py``), marked ``published: false``.
Lookups read ``stg_person`` through the crosswalk (every spelling a system holds). Never selected:
``iban_hash`` (IBANs are never served). Each source record lists its newer versions waiting in quarantine
(``pending_version``, or the staging flags for an unpublished beneficiary): stream, record id, quarantine
entry, the failed rules without values and since when — never the quarantined payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api import published, staging
from api.places import stay_places
from warehouse.models import IDENTITY_TABLES, STAGING_TABLES
from warehouse.profile.pending import pending_versions

beneficiary = IDENTITY_TABLES["beneficiary"]
crosswalk = IDENTITY_TABLES["beneficiary_crosswalk"]
change = IDENTITY_TABLES["beneficiary_change"]
person = STAGING_TABLES["stg_person"]
MAX_MERGE_HOPS = 20


@dataclass(frozen=True)
class Resolution:
    """Where an id leads: its own row, and the active beneficiary at the end of its merge chain (if any)."""

    requested: str
    status: str
    target: str | None  # the active id a merged id now lives in; None for active or retired ids


def resolve(conn: Connection, beneficiary_id: str) -> Resolution | None:
    """Status of an id and, for a merged one, the active beneficiary it was merged into (chains followed)."""
    row = conn.execute(
        sa.select(beneficiary.c.status, beneficiary.c.merged_into).where(beneficiary.c.beneficiary_id == beneficiary_id)
    ).first()
    if row is None:
        return None
    if row.status != "merged" or not row.merged_into:
        return Resolution(beneficiary_id, row.status, None)
    current, seen = row.merged_into, {beneficiary_id}
    for _ in range(MAX_MERGE_HOPS):
        nxt = conn.execute(
            sa.select(beneficiary.c.status, beneficiary.c.merged_into).where(beneficiary.c.beneficiary_id == current)
        ).first()
        if nxt is None or nxt.status != "merged" or not nxt.merged_into or nxt.merged_into in seen:
            break
        seen.add(current)
        current = nxt.merged_into
    return Resolution(beneficiary_id, "merged", current)


def resolve_with_sources(conn: Connection, beneficiary_id: str) -> tuple[Resolution | None, list[dict]]:
    """``resolve`` and, for an active id, its crosswalk rows (``sources``) in the same statement."""
    rows = conn.execute(
        sa.select(
            beneficiary.c.status,
            beneficiary.c.merged_into,
            crosswalk.c.source_system,
            crosswalk.c.source_person_id,
            crosswalk.c.match_probability,
            crosswalk.c.linked_at,
        )
        .outerjoin(crosswalk, crosswalk.c.beneficiary_id == beneficiary.c.beneficiary_id)
        .where(beneficiary.c.beneficiary_id == beneficiary_id)
        .order_by(crosswalk.c.source_system, crosswalk.c.source_person_id)
    ).all()
    if not rows:
        return None, []
    if rows[0].status == "merged" and rows[0].merged_into:
        return resolve(conn, beneficiary_id), []
    links = [
        {k: getattr(r, k) for k in ("source_system", "source_person_id", "match_probability", "linked_at")}
        for r in rows
        if r.source_system is not None
    ]
    return Resolution(beneficiary_id, rows[0].status, None), links


def former_ids(conn: Connection, beneficiary_id: str) -> set[str]:
    """Ids merged into this one (directly), used for scope checks of clients scoped by id."""
    return set(
        conn.execute(
            sa.select(beneficiary.c.beneficiary_id).where(beneficiary.c.merged_into == beneficiary_id)
        ).scalars()
    )


def sources(conn: Connection, beneficiary_id: str) -> list[dict]:
    """The crosswalk rows of a beneficiary: its source records (system + the system's own id)."""
    rows = conn.execute(
        sa.select(
            crosswalk.c.source_system,
            crosswalk.c.source_person_id,
            crosswalk.c.match_probability,
            crosswalk.c.linked_at,
        )
        .where(crosswalk.c.beneficiary_id == beneficiary_id)
        .order_by(crosswalk.c.source_system, crosswalk.c.source_person_id)
    )
    return [dict(r._mapping) for r in rows]


def by_source(conn: Connection, system: str, source_person_id: str) -> dict | None:
    row = conn.execute(
        sa.select(crosswalk).where(
            crosswalk.c.source_system == system, crosswalk.c.source_person_id == source_person_id
        )
    ).first()
    return dict(row._mapping) if row else None


def by_codice_fiscale(conn: Connection, code: str, provisional: bool = False) -> list[dict]:
    """Beneficiaries with a source record carrying this code: a de-omocoded base (indexed ``cf_base``)
    or an 11-digit provisional code (``codice_fiscale``, rare, not indexed)."""
    q = (
        sa.select(crosswalk.c.beneficiary_id, person.c.source_system, person.c.source_person_id)
        .join(
            crosswalk,
            sa.and_(
                crosswalk.c.source_system == person.c.source_system,
                crosswalk.c.source_person_id == person.c.source_person_id,
            ),
        )
        .where(person.c.codice_fiscale == code if provisional else person.c.cf_base == code)
        .order_by(crosswalk.c.beneficiary_id, person.c.source_system, person.c.source_person_id)
    )
    found: dict[str, dict] = {}
    for r in conn.execute(q):
        found.setdefault(r.beneficiary_id, {"beneficiary_id": r.beneficiary_id, "matched": []})["matched"].append(
            {"source_system": r.source_system, "source_person_id": r.source_person_id}
        )
    return list(found.values())


def search_candidates(conn: Connection, surname_prefix: str, birth_dates: list[date], limit: int) -> list[dict]:
    """Source person records that could match a search (``candidates_query``)."""
    return [dict(r._mapping) for r in conn.execute(candidates_query(surname_prefix, birth_dates, limit))]


def candidates_query(surname_prefix: str, birth_dates: list[date], limit: int) -> sa.Select:
    """The search's candidates narrowed in SQL: by birth date when one is given (also the day/month swap and the
    CF's date; both columns indexed), else by the first letters of the surname."""
    cols = [
        crosswalk.c.beneficiary_id,
        person.c.source_system,
        person.c.first_name,
        person.c.last_name,
        person.c.first_name_norm,
        person.c.middle_names_norm,
        person.c.last_name_norm,
        person.c.alt_first_name_norm,
        person.c.alt_last_name_norm,
        person.c.birth_date,
        person.c.cf_birth_date,
    ]
    q = sa.select(*cols).join(
        crosswalk,
        sa.and_(
            crosswalk.c.source_system == person.c.source_system,
            crosswalk.c.source_person_id == person.c.source_person_id,
        ),
    )
    if birth_dates:
        q = q.where(sa.or_(person.c.birth_date.in_(birth_dates), person.c.cf_birth_date.in_(birth_dates)))
    else:
        q = q.where(
            sa.or_(
                person.c.last_name_norm.startswith(surname_prefix, autoescape=True),
                person.c.alt_last_name_norm.startswith(surname_prefix, autoescape=True),
            )
        )
    return q.limit(limit)


def changes(conn: Connection, after_seq: int, limit: int) -> list[dict]:
    rows = conn.execute(
        sa.select(
            change.c.seq,
            change.c.beneficiary_id,
            change.c.kind,
            change.c.merged_into,
            change.c.related_ids,
            change.c.changed_at,
        )
        .where(change.c.seq > after_seq)
        .order_by(change.c.seq)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def crosswalk_page(
    conn: Connection, systems: list[str] | None, after: tuple[str, str] | None, limit: int
) -> list[dict]:
    q = sa.select(
        crosswalk.c.source_system, crosswalk.c.source_person_id, crosswalk.c.beneficiary_id, crosswalk.c.linked_at
    )
    if systems is not None:
        q = q.where(crosswalk.c.source_system.in_(systems))
    if after is not None:
        q = q.where(sa.tuple_(crosswalk.c.source_system, crosswalk.c.source_person_id) > sa.tuple_(*after))
    q = q.order_by(crosswalk.c.source_system, crosswalk.c.source_person_id).limit(limit)
    return [dict(r._mapping) for r in conn.execute(q)]


def _golden(golden: dict, provenance: list[dict]) -> dict:
    """The golden record with the provenance of each value (the source record, the rule that chose it)."""
    prov = {p["attribute"]: p for p in provenance}

    def sourced(attribute: str, value) -> dict:
        p = prov.get(attribute)
        if value is None or p is None:
            return {"value": value, "source": None}
        source = {"system": p["source_system"], "source_person_id": p["source_person_id"], "date": p["source_date"]}
        return {"value": value, "source": {**source, "rule": p["rule"], "decided_by": p["decided_by"]}}

    out = {f: sourced(f, golden[f]) for f in published.GOLDEN_FIELDS}
    address = {k: golden[f"residence_{k}"] for k in published.RESIDENCE}
    out["address"] = sourced("residence_street", address if any(address.values()) else None)
    return out


def _household(found: dict) -> list[dict]:
    own = found["household"]
    if own is None:
        return []
    keys = ("size", "adults", "minors")
    return [
        {
            "household_key": own["household_id"],
            "source_system": own["source"],
            "role": own["role"],
            **{k: own[k] for k in keys},
            "members": found["members"],
        }
    ]


def _payments(found: dict) -> list[dict]:
    """Payments with their status history."""
    history: dict[str, list[dict]] = {}
    for s in found["statuses"]:
        history.setdefault(s["payment_id"], []).append(
            {k: s[k] for k in ("status", "reached_on", "reached_at", "evidence")}
        )
    return [{**p, "status_history": history.get(p["payment_id"], [])} for p in found["payments"]]


def pending_of(conn: Connection, beneficiary_id: str, links: list[dict]) -> list[dict]:
    """Pending versions of the source records of a beneficiary not yet published, from the staging flags."""
    xwalk = pd.DataFrame(
        [(s["source_system"], s["source_person_id"], beneficiary_id) for s in links],
        columns=["source_system", "source_person_id", "beneficiary_id"],
    )
    return pending_versions(conn, xwalk, whole=False).to_dict("records")


def _attach_pending(links: list[dict], pending: list[dict]) -> None:
    """Put each pending version on the source record it belongs to."""
    by_source: dict[tuple[str, str], list[dict]] = {}
    for p in pending:
        by_source.setdefault((p["source_system"], p["source_person_id"]), []).append(
            {k: p[k] for k in ("stream", "source_record_id", "quarantine_id", "rules")} | {"since": p["quarantined_at"]}
        )
    for link in links:
        link["pending_versions"] = by_source.get((link["source_system"], link["source_person_id"]), [])


def read_record(conn: Connection, beneficiary_id: str, *, confidential: bool) -> tuple[Resolution | None, dict | None]:
    """Where an id leads (``resolve``) and, for an active beneficiary, its record: confidential stay places only
    when `confidential`, unredacted otherwise (redaction.py decides what a caller sees). A published
    beneficiary costs one statement (api/published.py), more only for the grant's stay places; one linked
    since the last publish is assembled from staging."""
    found = published.fetch(conn, beneficiary_id)
    if found is None:
        return None, None
    status, merged_into = found["identity"]["status"], found["identity"]["merged_into"]
    if status == "merged" and merged_into:
        return resolve(conn, beneficiary_id), None
    if status != "active":
        return Resolution(beneficiary_id, status, None), None
    links, golden = found["links"], found["golden"]
    if golden is None:
        record = staging.merged_record(conn, beneficiary_id, links, confidential=confidential)
        pending = pending_of(conn, beneficiary_id, links)
    else:
        record = {
            "beneficiary_id": beneficiary_id,
            "published": True,
            "protected": bool(golden["is_protected"]),
            "address_protected": bool(golden["address_protected"]),
            "person": _golden(golden, found["provenance"]),
            "households": _household(found),
            **{key: found[key] for key in ("residences", "stays", "placements", "services")},
            "payments": _payments(found),
        }
        if confidential and any(s["confidential"] or s["address_protected"] for s in record["stays"]):
            stay_places(conn, beneficiary_id, record["stays"], published=True)
        pending = found["pending"]
    record["status"] = "active"
    _attach_pending(links, pending)
    record["sources"] = links
    return Resolution(beneficiary_id, "active", None), record
