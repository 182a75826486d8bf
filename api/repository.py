"""What the API reads from the warehouse, in one place; routes and redaction see plain dicts.

The merged record of a published beneficiary comes from the profile tables (migration 0006):
``golden_record`` with ``golden_provenance`` (value, source record, rule), the facts (stays,
residences, placements, services, payments with ``fact_payment_status``), ``household_member``
and ``household``. Confidential stays' structure and address are read from
``restricted_stay_address`` only for callers holding the grant. A beneficiary linked since the last
publish is assembled from the staging layer instead (``staging.py``), marked ``published: false``.
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

from api import staging
from warehouse.models import IDENTITY_TABLES, PROFILE_TABLES, STAGING_TABLES
from warehouse.profile.pending import pending_versions

beneficiary = IDENTITY_TABLES["beneficiary"]
crosswalk = IDENTITY_TABLES["beneficiary_crosswalk"]
change = IDENTITY_TABLES["beneficiary_change"]
person = STAGING_TABLES["stg_person"]
P = PROFILE_TABLES
GOLDEN_FIELDS = (
    "first_name",
    "last_name",
    "sex",
    "birth_date",
    "birthplace",
    "birth_country",
    "citizenship",
    "codice_fiscale",
    "phone",
    "email",
)
RESIDENCE = ("toponym", "street", "number", "postcode", "municipality")
FACTS = {  # record key -> (fact table, columns served, order)
    "residences": (
        "fact_residence",
        (
            "source_person_id",
            "valid_from",
            "valid_to",
            "toponym",
            "street",
            "number",
            "interno",
            "postcode",
            "municipality",
            "household_key",
            "household_role",
            "posizione",
        ),
        ("valid_from",),
    ),
    "stays": (
        "fact_stay",
        (
            "stay_id",
            "source_person_id",
            "structure_name",
            "structure_type",
            "address",
            "entry_date",
            "exit_date",
            "exit_reason",
            "confidential",
        ),
        ("entry_date", "stay_id"),
    ),
    "placements": (
        "fact_placement",
        (
            "placement_id",
            "source_person_id",
            "programme",
            "provider",
            "start_date",
            "end_date",
            "status",
            "hours_completed",
        ),
        ("start_date", "placement_id"),
    ),
    "services": (
        "fact_volunteer_service",
        ("service_id", "source_person_id", "association", "role", "service_type", "start_date", "end_date"),
        ("start_date", "service_id"),
    ),
    "payments": (
        "fact_payment",
        ("payment_id", "source_person_id", "benefit_type", "amount", "determina_number", "status"),
        ("determinato_on", "payment_id"),
    ),
}
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
    """Source person records that could match a search, narrowed in SQL: by birth date when one is
    given (also the day/month swap and the CF's date), else by the first letters of the surname."""
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
    return [dict(r._mapping) for r in conn.execute(q.limit(limit))]


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


def _facts(conn: Connection, beneficiary_id: str, key: str) -> list[dict]:
    name, cols, order = FACTS[key]
    t = P[name]
    rows = conn.execute(
        sa.select(*(t.c[c] for c in cols))
        .where(t.c.beneficiary_id == beneficiary_id)
        .order_by(*(t.c[o] for o in order))
    )
    return [dict(r._mapping) for r in rows]


def _golden(rows: list) -> dict:
    """The golden record from its row joined with its provenance rows (one per attribute)."""
    row = rows[0]
    prov = {r.attribute: r for r in rows if r.attribute is not None}

    def sourced(attribute: str, value) -> dict:
        p = prov.get(attribute)
        if value is None or p is None:
            return {"value": value, "source": None}
        return {
            "value": value,
            "source": {
                "system": p.source_system,
                "source_person_id": p.source_person_id,
                "rule": p.rule,
                "decided_by": p.decided_by,
                "date": p.source_date,
            },
        }

    out = {f: sourced(f, getattr(row, f)) for f in GOLDEN_FIELDS}
    address = {k: getattr(row, f"residence_{k}") for k in RESIDENCE}
    out["address"] = sourced("residence_street", address if any(address.values()) else None)
    return out


def _golden_rows(conn: Connection, beneficiary_id: str) -> list:
    g, p = P["golden_record"], P["golden_provenance"]
    return conn.execute(
        sa.select(g, p.c.attribute, p.c.source_system, p.c.source_person_id, p.c.source_date, p.c.rule, p.c.decided_by)
        .outerjoin(p, p.c.beneficiary_id == g.c.beneficiary_id)
        .where(g.c.beneficiary_id == beneficiary_id)
    ).all()


def _household(conn: Connection, beneficiary_id: str) -> list[dict]:
    m, h = P["household_member"], P["household"]
    me, other = m.alias("me"), m.alias("other")
    rows = conn.execute(
        sa.select(
            h.c.household_id,
            me.c.role.label("own_role"),
            h.c.source,
            h.c.size,
            h.c.adults,
            h.c.minors,
            other.c.beneficiary_id,
            other.c.role,
        )
        .select_from(
            me.join(h, h.c.household_id == me.c.household_id).outerjoin(
                other, sa.and_(other.c.household_id == me.c.household_id, other.c.beneficiary_id != beneficiary_id)
            )
        )
        .where(me.c.beneficiary_id == beneficiary_id)
        .order_by(other.c.beneficiary_id)
    ).all()
    if not rows:
        return []
    own = rows[0]
    return [
        {
            "household_key": own.household_id,
            "source_system": own.source,
            "role": own.own_role,
            "size": own.size,
            "adults": own.adults,
            "minors": own.minors,
            "members": [{"beneficiary_id": r.beneficiary_id, "role": r.role} for r in rows if r.beneficiary_id],
        }
    ]


def _payments(conn: Connection, beneficiary_id: str) -> list[dict]:
    """Payments with their status history (one query: payments joined with their statuses)."""
    _, cols, _ = FACTS["payments"]
    f, s = P["fact_payment"], P["fact_payment_status"]
    rows = conn.execute(
        sa.select(
            *(f.c[c] for c in cols), s.c.status.label("history_status"), s.c.reached_on, s.c.reached_at, s.c.evidence
        )
        .outerjoin(s, s.c.payment_id == f.c.payment_id)
        .where(f.c.beneficiary_id == beneficiary_id)
        .order_by(f.c.determinato_on, f.c.payment_id, s.c.reached_on, s.c.status)
    ).all()
    out: dict[str, dict] = {}
    for r in rows:
        p = out.setdefault(r.payment_id, {**{c: getattr(r, c) for c in cols}, "status_history": []})
        if r.history_status is not None:
            p["status_history"].append(
                {
                    "status": r.history_status,
                    "reached_on": r.reached_on,
                    "reached_at": r.reached_at,
                    "evidence": r.evidence,
                }
            )
    return list(out.values())


def _restricted(conn: Connection, beneficiary_id: str, stays: list[dict]) -> None:
    """Fill confidential stays' structure and address (callers with the grant only)."""
    t = P["restricted_stay_address"]
    found = {r.stay_id: r for r in conn.execute(sa.select(t).where(t.c.beneficiary_id == beneficiary_id))}
    for st in stays:
        if st["stay_id"] in found:
            st["structure_name"], st["address"] = found[st["stay_id"]].structure_name, found[st["stay_id"]].address


def pending_of(conn: Connection, beneficiary_id: str, links: list[dict], published: bool) -> list[dict]:
    """Pending versions of the beneficiary's source records: published ones, or from staging."""
    if published:
        t = P["pending_version"]
        return [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(t)
                .where(t.c.beneficiary_id == beneficiary_id)
                .order_by(t.c.source_system, t.c.stream, t.c.source_record_id)
            )
        ]
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


def merged_record(conn: Connection, beneficiary_id: str, *, confidential: bool) -> dict:
    """The record of an active beneficiary; confidential stay addresses only when `confidential`.
    Unredacted otherwise: redaction.py decides what a caller sees."""
    links = sources(conn, beneficiary_id)
    golden = _golden_rows(conn, beneficiary_id)
    if not golden:
        record = staging.merged_record(conn, beneficiary_id, links, confidential=confidential)
    else:
        record = {
            "beneficiary_id": beneficiary_id,
            "published": True,
            "protected": bool(golden[0].is_protected),
            "person": _golden(golden),
            "households": _household(conn, beneficiary_id),
        }
        record.update({key: _facts(conn, beneficiary_id, key) for key in FACTS if key != "payments"})
        record["payments"] = _payments(conn, beneficiary_id)
        if confidential and any(s["confidential"] for s in record["stays"]):
            _restricted(conn, beneficiary_id, record["stays"])
    record["status"] = "active"
    _attach_pending(links, pending_of(conn, beneficiary_id, links, record["published"]))
    record["sources"] = links
    return record
