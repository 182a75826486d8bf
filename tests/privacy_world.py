"""A small warehouse written straight into staging and identity, with every way a protected address can
travel, then published (all but one beneficiary, linked afterwards: served from staging).

    MOTHER     riservato SAT guest (nucleo N-1) and registry resident (family F1) at VIA DEI NERI 12 int 3,
               before that at VIA TORTA 5; a stay at the structure "Casa Volano Aurora", Via Fiesolana 8
    DAUGHTER   not flagged; family F1 at the same flat, nucleo N-1, a stay at the same structure (and one,
               earlier and without her mother, at the "Albergo Popolare Centro")
    GUEST      unrelated, not flagged; a stay (ongoing) at the same structure; lives at VIA GUELFA 40 (polis)
    NEIGHBOUR  another family, same building: VIA DEI NERI 12 int 5
    PREVIOUS   another family now living at the mother's old address, VIA TORTA 5
    CONTROL    another family at VIA GUELFA 3, a stay at the "Albergo Popolare Centro": nothing protected
    LATE       linked after the publish (family F5 at VIA GUELFA 9, a stay at the Albergo): from staging
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from schemas.standardise.codice_fiscale import check_char
from tests.stage_data import fresh_warehouse
from warehouse.models import IDENTITY_TABLES, STAGING_TABLES
from warehouse.publish import publish
from warehouse.runs import finish_run, start_run

KEY = "privacy-test-pseudonym-key"
AT = datetime(2026, 10, 1, 9, tzinfo=UTC)
SHELTER = ("Casa Volano Aurora", "Via Fiesolana 8, 50122 Firenze")
ALBERGO = ("Albergo Popolare Centro", "Via della Chiesa 2, 50125 Firenze")
PROTECTED_TEXT = ("DEI NERI", "TORTA", "Fiesolana", "Casa Volano Aurora", "50122")
"""Text of protected addresses: never in what a reader without the grant gets."""
IDS = {
    "mother": "BMOTHER01",
    "daughter": "BDAUGHT02",
    "guest": "BGUEST003",
    "neighbour": "BNEIGHB04",
    "previous": "BPREVIO05",
    "control": "BCONTRO06",
    "late": "BLATE0007",
}


def cf(prefix15: str) -> str:
    return prefix15 + check_char(prefix15)


def _person(system: str, sid: str, first: str, last: str, born: date, sex: str, **extra) -> dict:
    row = {
        "source_system": system,
        "source_person_id": sid,
        "first_name": first,
        "last_name": last,
        "first_name_norm": first.upper(),
        "middle_names_norm": None,
        "last_name_norm": last.upper(),
        "alt_first_name_norm": None,
        "alt_last_name_norm": None,
        "name_split_ambiguous": False,
        "sex": sex,
        "birth_date": born,
        "birth_date_is_default": False,
        "birthplace_norm": "FIRENZE",
        "birthplace_code": "D612",
        "birth_country": "IT",
        "citizenship": "IT",
        "codice_fiscale": None,
        "cf_base": None,
        "cf_status": "missing",
        "cf_sex": None,
        "cf_birth_date": None,
        "cf_birthplace_code": None,
        "cf_consistent": None,
        "phone": None,
        "email": None,
        "address_toponym": None,
        "address_street": None,
        "address_number": None,
        "address_postcode": None,
        "address_municipality": None,
        "iban_hash": None,
        "household_key": None,
        "household_role": None,
        "riservato": False,
        "source_updated_at": AT,
    }
    row.update(extra)
    if row["codice_fiscale"]:
        row.update(cf_base=row["codice_fiscale"], cf_status="valid", cf_consistent=True)
    return row


def _resident(
    sid: str, first: str, last: str, born: date, sex: str, family: str, role: str, street: str, number: str, **extra
) -> dict:
    return _person(
        "anagrafe",
        sid,
        first,
        last,
        born,
        sex,
        address_toponym="VIA",
        address_street=street,
        address_number=number,
        address_postcode="50122" if street == "DEI NERI" else "50123",
        address_municipality="FIRENZE",
        household_key=f"anagrafe:{family}",
        household_role=role,
        **extra,
    )


def _residence(
    sid: str, start: date, end: date | None, street: str, number: str, interno: str | None, family: str, role: str
) -> dict:
    return {
        "source_person_id": sid,
        "valid_from": start,
        "valid_to": end,
        "address_toponym": "VIA",
        "address_street": street,
        "address_number": number,
        "address_interno": interno,
        "address_postcode": "50122" if street == "DEI NERI" else "50123",
        "address_municipality": "FIRENZE",
        "household_key": f"anagrafe:{family}",
        "household_role": role,
        "posizione": "RESIDENTE",
        "data_variazione": start,
    }


def _stay(stay_id: str, sid: str, place: tuple[str, str], confidential: bool, start: date, end: date | None) -> dict:
    return {
        "stay_id": stay_id,
        "source_person_id": sid,
        "struttura": place[0],
        "tipo": "appartamento_volano" if place == SHELTER else "albergo_popolare",
        "indirizzo": place[1],
        "data_ingresso": start,
        "data_uscita": end,
        "motivo_uscita": "trasferimento" if end else None,
        "confidential": confidential,
        "source_updated_at": AT,
    }


PEOPLE = {  # beneficiary -> its staged person records
    "mother": [
        _person(
            "sat",
            "101",
            "Amina",
            "Belkacem",
            date(1990, 3, 4),
            "F",
            household_key="sat:N-1",
            riservato=True,
            phone="+393331234567",
        ),
        _resident("A1", "AMINA", "BELKACEM", date(1990, 3, 4), "F", "F1", "IS", "DEI NERI", "12"),
    ],
    "daughter": [
        _person("sat", "102", "Lina", "Belkacem", date(2015, 6, 1), "F", household_key="sat:N-1"),
        _resident(
            "A2",
            "LINA",
            "BELKACEM",
            date(2015, 6, 1),
            "F",
            "F1",
            "FG",
            "DEI NERI",
            "12",
            codice_fiscale=cf("BLKLNI15H41D612"),
        ),
    ],
    "guest": [
        _person("sat", "103", "Rosa", "Ferri", date(1970, 1, 2), "F", household_key="sat:N-9"),
        _person(
            "polis",
            "p-103",
            "Rosa",
            "Ferri",
            date(1970, 1, 2),
            "F",
            address_toponym="VIA",
            address_street="GUELFA",
            address_number="40",
            email="rosa.ferri@example.org",
        ),
    ],
    "neighbour": [_resident("A3", "PAOLO", "NERI", date(1960, 5, 5), "M", "F2", "IS", "DEI NERI", "12")],
    "previous": [_resident("A4", "GINO", "SARTI", date(1955, 7, 7), "M", "F3", "IS", "TORTA", "5")],
    "control": [
        _resident("A5", "CARLA", "BINI", date(1980, 8, 8), "F", "F4", "IS", "GUELFA", "3"),
        _person("sat", "105", "Carla", "Bini", date(1980, 8, 8), "F", household_key="sat:N-5"),
    ],
    "late": [
        _resident("A6", "ELENA", "MORI", date(1985, 9, 9), "F", "F5", "IS", "GUELFA", "9"),
        _person("sat", "106", "Elena", "Mori", date(1985, 9, 9), "F", household_key="sat:N-6"),
    ],
}
RESIDENCES = [
    _residence("A1", date(2015, 1, 1), date(2020, 1, 1), "TORTA", "5", None, "F1", "IS"),
    _residence("A1", date(2020, 1, 1), None, "DEI NERI", "12", "3", "F1", "IS"),
    _residence("A2", date(2020, 1, 1), None, "DEI NERI", "12", "3", "F1", "FG"),
    _residence("A3", date(2010, 1, 1), None, "DEI NERI", "12", "5", "F2", "IS"),
    _residence("A4", date(2021, 1, 1), None, "TORTA", "5", None, "F3", "IS"),
    _residence("A5", date(2012, 1, 1), None, "GUELFA", "3", None, "F4", "IS"),
    _residence("A6", date(2018, 1, 1), None, "GUELFA", "9", None, "F5", "IS"),
]
STAYS = [
    _stay("S1", "101", SHELTER, True, date(2026, 5, 1), None),
    _stay("S2", "102", SHELTER, False, date(2026, 5, 1), None),
    _stay("S4", "102", ALBERGO, False, date(2024, 1, 1), date(2024, 2, 1)),
    _stay("S3", "103", SHELTER, False, date(2026, 6, 1), None),
    _stay("S5", "105", ALBERGO, False, date(2025, 1, 1), date(2025, 3, 1)),
    _stay("S6", "106", ALBERGO, False, date(2026, 2, 1), None),
]


def _link(engine: sa.Engine, people: list[str]) -> None:
    b, x, ch = (IDENTITY_TABLES[t] for t in ("beneficiary", "beneficiary_crosswalk", "beneficiary_change"))
    run_id = start_run(engine, "link", trigger="test")
    with engine.begin() as conn:
        stamp = dict(created_run_id=run_id, updated_run_id=run_id, created_at=AT, updated_at=AT)
        conn.execute(
            b.insert(),
            [dict(beneficiary_id=IDS[p], status="active", record_count=len(PEOPLE[p]), **stamp) for p in people],
        )
        conn.execute(
            x.insert(),
            [
                dict(
                    source_system=r["source_system"],
                    source_person_id=r["source_person_id"],
                    beneficiary_id=IDS[p],
                    match_probability=1.0,
                    linked_run_id=run_id,
                    linked_at=AT,
                )
                for p in people
                for r in PEOPLE[p]
            ],
        )
        conn.execute(
            ch.insert(),
            [dict(beneficiary_id=IDS[p], kind="created", run_id=run_id, changed_at=AT) for p in people],
        )
    finish_run(engine, run_id)


def build_privacy_world(url: str, pseudonym_key: str = KEY) -> sa.Engine:
    """Stage, link and publish the world at `url` (emptied first); LATE is linked after the publish."""
    engine = fresh_warehouse(url)
    run_id = start_run(engine, "stage", trigger="test")
    s = STAGING_TABLES
    with engine.begin() as conn:
        conn.execute(s["stg_person"].insert(), [dict(r, run_id=run_id) for rows in PEOPLE.values() for r in rows])
        conn.execute(s["stg_residence"].insert(), [dict(r, run_id=run_id) for r in RESIDENCES])
        conn.execute(s["stg_stay"].insert(), [dict(r, run_id=run_id) for r in STAYS])
    finish_run(engine, run_id)
    _link(engine, [p for p in PEOPLE if p != "late"])
    publish(None, engine, today=date(2026, 10, 15), pseudonym_key=pseudonym_key)
    _link(engine, ["late"])
    return engine
