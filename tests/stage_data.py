"""Test data for the stage step: one good payload per raw stream, and writing raw versions directly."""

from __future__ import annotations

import sqlalchemy as sa

from connectors.raw_writer import RawWriter, Record
from warehouse import db
from warehouse.models import metadata
from warehouse.runs import start_run

GOOD: dict[tuple[str, str], dict] = {
    ("sat", "ospiti"): {
        "id_ospite": 7141,
        "cognome": "Rossi",
        "nome": "Maria Grazia",
        "sesso": "F",
        "data_nascita": "1984-02-11",
        "luogo_nascita": "Firenze",
        "codice_fiscale": "RSSMGR84B51D612E",
        "cittadinanza": "Italia",
        "telefono": "333 1234567",
        "nucleo": "N-2231",
        "riservato": False,
        "updated_at": "2026-03-01T08:12:44+01:00",
        "deleted": False,
    },
    ("sat", "accoglienze"): {
        "id_accoglienza": 501,
        "id_ospite": 7141,
        "struttura": "Casa Volano 3",
        "tipo": "appartamento_volano",
        "indirizzo": "Via dei Neri 12, Firenze",
        "data_ingresso": "2026-02-01",
        "data_uscita": None,
        "motivo_uscita": None,
        "updated_at": "2026-03-01T08:12:44+01:00",
        "deleted": False,
    },
    ("anagrafe", "residenti"): {
        "ID_INDIVIDUO": "100234",
        "COGNOME": "ROSSI",
        "NOME": "MARIA GRAZIA",
        "SESSO": "F",
        "DATA_NASCITA": "11/02/1984",
        "COMUNE_NASCITA": "FIRENZE",
        "CODICE_FISCALE": "RSSMGR84B51D612E",
        "CITTADINANZA": "ITALIA",
        "ID_FAMIGLIA": "F-55120",
        "RELAZIONE_PARENTELA": "IS",
        "TOPONIMO": "VIA",
        "INDIRIZZO": "DEI NERI",
        "CIVICO": "12",
        "INTERNO": "3",
        "CAP": "50122",
        "DATA_ISCRIZIONE": "01/06/2019",
        "POSIZIONE": "RESIDENTE",
        "DATA_VARIAZIONE": "01/06/2019",
    },
    ("polis", "participants"): {
        "id": "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed",
        "first_name": "Maria",
        "last_name": "Rossi",
        "fiscal_code": "RSSMGR84B51D612E",
        "birth_date": "1984-02-11",
        "gender": "female",
        "birth_country": "IT",
        "phone": "+39 333 123 4567",
        "email": "Maria.Rossi@example.org",
        "address": "Via dei Neri 12, 50122 Firenze",
        "is_active": True,
        "modified": "2026-03-02T10:00:00+01:00",
    },
    ("polis", "placements"): {
        "id": 88,
        "participant": "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed",
        "programme": "tirocinio",
        "provider": "Coop Lavoro",
        "start_date": "2026-01-10",
        "end_date": "2026-04-10",
        "status": "completed",
        "hours_completed": 320,
        "modified": "2026-04-11T09:00:00+02:00",
    },
    ("volontariato", "anagrafiche"): {
        "id": 31,
        "nominativo": "ROSSI MARIA GRAZIA",
        "data_nascita": "1984-02-11",
        "codice_fiscale": None,
        "telefono": "3331234567",
        "email": None,
        "comune_residenza": "Firenze (FI)",
        "ultima_modifica": "2026-03-01 10:00:00",
    },
    ("volontariato", "servizi"): {
        "id": 900,
        "anagrafica_id": 31,
        "associazione": "Caritas Firenze",
        "ruolo": "beneficiario",
        "tipo_servizio": "mensa",
        "data_inizio": "2026-01-05",
        "data_fine": None,
        "ultima_modifica": "2026-03-01 10:00:00",
    },
    ("contabilita", "soggetti"): {
        "id_soggetto": 12,
        "codice_fiscale": "RSSMGR84B51D612E",
        "cognome": "ROSSI",
        "nome": "MARIA GRAZIA",
        "data_nascita": "1984-02-11",
        "sesso": "F",
        "iban_hash": "a" * 64,
        "indirizzo": "V.le Morgagni 33, 50134 Firenze",
        "dt_agg": "2026-03-01 09:00:00",
    },
    ("contabilita", "erogazioni"): {
        "id_erogazione": 4001,
        "id_soggetto": 12,
        "tipo_contributo": "contributo_affitto",
        "importo": "350.00",
        "numero_determina": "DD/2026/01234",
        "data_determina": "2026-02-01",
        "data_pagamento": None,
        "stato": "determinato",
        "dt_agg": "2026-02-01T10:00:00+00:00",
    },
}
KEYS = {
    ("sat", "ospiti"): "id_ospite",
    ("sat", "accoglienze"): "id_accoglienza",
    ("anagrafe", "residenti"): "ID_INDIVIDUO",
    ("polis", "participants"): "id",
    ("polis", "placements"): "id",
    ("volontariato", "anagrafiche"): "id",
    ("volontariato", "servizi"): "id",
    ("contabilita", "soggetti"): "id_soggetto",
    ("contabilita", "erogazioni"): "id_erogazione",
}


def good(system: str, stream: str, **changes) -> dict:
    """The stream's good payload with `changes`; a change to `...` (Ellipsis) removes the key."""
    payload = dict(GOOD[(system, stream)], **changes)
    return {k: v for k, v in payload.items() if v is not ...}


AUDIT_TABLES = {"api_audit": "api_audit_no_truncate", "api_audit_beneficiary": "api_audit_beneficiary_no_truncate"}
"""The append-only audit tables and their TRUNCATE guards."""


def fresh_warehouse(url: str) -> sa.Engine:
    """An upgraded warehouse with every table emptied (the PostgreSQL database is shared by a test session)."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name in AUDIT_TABLES:  # append-only: their triggers refuse DELETE and TRUNCATE
                if table.name == "api_audit" and engine.dialect.name == "postgresql":  # the owner may lift the guard
                    for name, trigger in AUDIT_TABLES.items():  # (the chain restarts)
                        conn.execute(sa.text(f"ALTER TABLE {name} DISABLE TRIGGER {trigger}"))
                    conn.execute(sa.text(f"TRUNCATE {', '.join(AUDIT_TABLES)}"))
                    for name, trigger in AUDIT_TABLES.items():
                        conn.execute(sa.text(f"ALTER TABLE {name} ENABLE TRIGGER {trigger}"))
                continue
            conn.execute(table.delete())
    return engine


def write_raw(
    engine: sa.Engine,
    system: str,
    stream: str,
    payloads: list[dict],
    *,
    tombstones: list[dict] = (),
    complete: bool = False,
) -> int:
    """Write payloads as a sync would (versions by content hash); `complete`: others are deleted. Returns the run."""
    run_id = start_run(engine, "sync", system, trigger="test")
    key = KEYS[(system, stream)]
    with engine.begin() as conn:
        writer = RawWriter(conn, system, stream, run_id)
        writer.apply(
            [Record(str(p[key]), p) for p in payloads] + [Record(str(p[key]), p, tombstone=True) for p in tombstones]
        )
        if complete:
            writer.mark_seen(str(p[key]) for p in payloads)
            writer.delete_unseen()
    return run_id
