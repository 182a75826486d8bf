"""The merged record of a beneficiary not yet published, assembled from the staging layer.

The crosswalk is newer than the last publish for such a beneficiary, so its record is built from its
staged source records the way the profile would show it: facts renamed as in the profile tables and
an interim golden record, each field from the most trusted system that has it (anagrafe first), then
the most recent record; phone, e-mail and address from the most recent record that has them.

Protection is decided at publish time (warehouse/profile/protection.py) and such a record has not been
through one: every address in it is marked protected (fail closed), so that readers without the grant see
none until the next publish, and stays' structures and addresses are read (through ``stay_places``) only for
callers holding the grant.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.places import stay_places
from warehouse.models import IDENTITY_TABLES, STAGING_TABLES

S = STAGING_TABLES
person, crosswalk = S["stg_person"], IDENTITY_TABLES["beneficiary_crosswalk"]
TRUST = {"anagrafe": 0, "contabilita": 1, "sat": 2, "polis": 3, "volontariato": 4}
IDENTITY_FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "sex": "sex",
    "birthplace": "birthplace_norm",
    "birth_country": "birth_country",
    "citizenship": "citizenship",
}
ADDRESS = ("toponym", "street", "number", "postcode", "municipality")
PERSON_COLUMNS = [c for c in person.c if c.name not in ("iban_hash", "run_id")]
EVENTS = {  # record key -> (staging table, system, {profile name: staging column}, order)
    "residences": (
        "stg_residence",
        "anagrafe",
        {
            "source_person_id": "source_person_id",
            "valid_from": "valid_from",
            "valid_to": "valid_to",
            "toponym": "address_toponym",
            "street": "address_street",
            "number": "address_number",
            "interno": "address_interno",
            "postcode": "address_postcode",
            "municipality": "address_municipality",
            "household_key": "household_key",
            "household_role": "household_role",
            "posizione": "posizione",
        },
        ("valid_from",),
    ),
    "stays": (
        "stg_stay",
        "sat",
        {
            "stay_id": "stay_id",
            "source_person_id": "source_person_id",
            "structure_type": "tipo",
            "entry_date": "data_ingresso",
            "exit_date": "data_uscita",
            "exit_reason": "motivo_uscita",
            "confidential": "confidential",
        },
        ("data_ingresso", "stay_id"),
    ),
    "placements": (
        "stg_placement",
        "polis",
        {
            c: c
            for c in (
                "placement_id",
                "source_person_id",
                "programme",
                "provider",
                "start_date",
                "end_date",
                "status",
                "hours_completed",
            )
        },
        ("start_date", "placement_id"),
    ),
    "services": (
        "stg_volunteer_service",
        "volontariato",
        {
            "service_id": "service_id",
            "source_person_id": "source_person_id",
            "association": "associazione",
            "role": "ruolo",
            "service_type": "tipo_servizio",
            "start_date": "data_inizio",
            "end_date": "data_fine",
        },
        ("data_inizio", "service_id"),
    ),
    "payments": (
        "stg_payment",
        "contabilita",
        {
            "payment_id": "id_erogazione",
            "source_person_id": "source_person_id",
            "benefit_type": "tipo_contributo",
            "amount": "importo",
            "determina_number": "numero_determina",
            "status": "stato",
        },
        ("data_determina", "id_erogazione"),
    ),
}
_EPOCH = datetime.min.replace(tzinfo=UTC)


def _recency(row: dict) -> datetime:
    return row["source_updated_at"] or _EPOCH


def golden(records: list[dict]) -> dict:
    """Interim survivorship over a beneficiary's staged person records; each value names its source."""
    by_trust = sorted(records, key=lambda r: (TRUST.get(r["source_system"], 9), -_recency(r).timestamp()))
    by_recency = sorted(records, key=_recency, reverse=True)

    def pick(rows, value) -> dict:
        for r in rows:
            v = value(r)
            if v not in (None, ""):
                return {
                    "value": v,
                    "source": {
                        "system": r["source_system"],
                        "source_person_id": r["source_person_id"],
                        "rule": "interim",
                        "decided_by": "staging",
                    },
                }
        return {"value": None, "source": None}

    out = {name: pick(by_trust, lambda r, c=col: r[c]) for name, col in IDENTITY_FIELDS.items()}
    out["birth_date"] = pick(by_trust, lambda r: None if r["birth_date_is_default"] else r["birth_date"])
    if out["birth_date"]["value"] is None:
        out["birth_date"] = pick(by_trust, lambda r: r["birth_date"])
    out["codice_fiscale"] = pick(
        by_trust,
        lambda r: (
            r["cf_base"]
            if r["cf_status"] in ("valid", "omocodic")
            else r["codice_fiscale"]
            if r["cf_status"] == "provisional"
            else None
        ),
    )
    for name in ("phone", "email"):
        out[name] = pick(by_recency, lambda r, c=name: r[c])
    out["address"] = pick(
        by_recency,
        lambda r: {k: r[f"address_{k}"] for k in ADDRESS} if any(r[f"address_{k}"] for k in ADDRESS) else None,
    )
    return out


def _households(conn: Connection, records: list[dict], beneficiary_id: str) -> list[dict]:
    keys = sorted({r["household_key"] for r in records if r["household_key"]})
    if not keys:
        return []
    rows = conn.execute(
        sa.select(person.c.household_key, person.c.household_role, crosswalk.c.beneficiary_id)
        .join(
            crosswalk,
            sa.and_(
                crosswalk.c.source_system == person.c.source_system,
                crosswalk.c.source_person_id == person.c.source_person_id,
            ),
        )
        .where(person.c.household_key.in_(keys))
    ).all()
    own = {r["household_key"]: r["household_role"] for r in records if r["household_key"]}
    out = []
    for key in keys:
        members = {
            r.beneficiary_id: r.household_role
            for r in rows
            if r.household_key == key and r.beneficiary_id != beneficiary_id
        }
        out.append(
            {
                "household_key": key,
                "source_system": key.split(":", 1)[0],
                "role": own[key],
                "size": len(members) + 1,
                "adults": None,
                "minors": None,
                "members": [{"beneficiary_id": b, "role": role} for b, role in sorted(members.items())],
            }
        )
    return out


def _events(conn: Connection, key: str, ids: dict[str, list[str]]) -> list[dict]:
    table, system, columns, order = EVENTS[key]
    if not ids.get(system):
        return []
    t = S[table]
    rows = conn.execute(
        sa.select(*(t.c[c].label(name) for name, c in columns.items()))
        .where(t.c.source_person_id.in_(ids[system]))
        .order_by(*(t.c[o] for o in order))
    )
    return [dict(r._mapping) for r in rows]


def _history(conn: Connection, payments: list[dict]) -> None:
    st = S["stg_payment_status"]
    history: dict[str, list[dict]] = {}
    if payments:
        for r in conn.execute(
            sa.select(st).where(st.c.id_erogazione.in_([p["payment_id"] for p in payments])).order_by(st.c.reached_at)
        ):
            history.setdefault(r.id_erogazione, []).append(
                {
                    "status": r.stato,
                    "reached_on": r.reached_at.date(),
                    "reached_at": r.reached_at,
                    "evidence": "observed",
                }
            )
    for p in payments:
        p["status_history"] = history.get(p["payment_id"], [])


def merged_record(conn: Connection, beneficiary_id: str, links: list[dict], *, confidential: bool) -> dict:
    """The record from staging, in the profile's shape (``published: false``)."""
    keys = [(s["source_system"], s["source_person_id"]) for s in links]
    records = (
        [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(*PERSON_COLUMNS).where(sa.tuple_(person.c.source_system, person.c.source_person_id).in_(keys))
            )
        ]
        if keys
        else []
    )
    ids: dict[str, list[str]] = {}
    for system, sid in keys:
        ids.setdefault(system, []).append(sid)
    record = {
        "beneficiary_id": beneficiary_id,
        "published": False,
        "person": golden(records),
        "households": _households(conn, records, beneficiary_id),
    }
    events = {key: _events(conn, key, ids) for key in EVENTS}
    record.update(events)
    _history(conn, events["payments"])
    record["protected"] = any(r["riservato"] for r in records) or any(s["confidential"] for s in events["stays"])
    record["address_protected"] = True
    for res in events["residences"]:
        res["address_protected"] = True
    for st in events["stays"]:
        st.update(structure_name=None, address=None, address_protected=True)
    if confidential:
        stay_places(conn, beneficiary_id, events["stays"], published=False)
    return record
