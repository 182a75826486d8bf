"""Staging layer: one canonical row per source person record (`stg_person`) and the events of each system.

Every row comes from the current raw version of a record that passed its contract (history tables:
from the passing versions); the run that staged it is in `run_id`. Dates are calendar dates, times
UTC, money exact. Records that fail their contract are in `quarantine`, never here — but when the
current version of a record fails and an earlier one passed, the rows of that last valid version stay,
flagged: `superseded_by` holds the open quarantine entry of the newer version and
`superseded_by_rules` the rules it failed, without its values ("DATA_NASCITA: date_format(...)").
The flag is cleared when a valid version arrives; the rows go when the source deletes the record.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.models.base import Base
from warehouse.types import JSONDoc, Money, UTCDateTime


def _run_id(table: str) -> sa.Column:
    return sa.Column(
        "run_id",
        sa.Integer,
        sa.ForeignKey("pipeline_run.run_id", name=f"fk_{table}_run_id_pipeline_run"),
        nullable=False,
    )


def staging_tables_columns() -> dict[str, list]:
    """Columns and constraints of every staging table (migrations write their DDL out literally)."""
    name, code, text = sa.String(200), sa.String(40), sa.Text
    return {
        "stg_person": [
            sa.Column("source_system", sa.String(20), nullable=False),
            sa.Column("source_person_id", sa.String(64), nullable=False),
            sa.Column("first_name", name),
            sa.Column("last_name", name),
            sa.Column("first_name_norm", name),
            sa.Column("middle_names_norm", name),
            sa.Column("last_name_norm", name),
            sa.Column("alt_first_name_norm", name),
            sa.Column("alt_last_name_norm", name),
            sa.Column("name_split_ambiguous", sa.Boolean, nullable=False),
            sa.Column("sex", sa.String(1)),
            sa.Column("birth_date", sa.Date),
            sa.Column("birth_date_is_default", sa.Boolean, nullable=False),
            sa.Column("birthplace_norm", name),
            sa.Column("birthplace_code", sa.String(4)),
            sa.Column("birth_country", sa.String(2)),
            sa.Column("citizenship", sa.String(2)),
            sa.Column("codice_fiscale", code),
            sa.Column("cf_base", sa.String(16)),
            sa.Column("cf_status", sa.String(12), nullable=False),
            sa.Column("cf_sex", sa.String(1)),
            sa.Column("cf_birth_date", sa.Date),
            sa.Column("cf_birthplace_code", sa.String(4)),
            sa.Column("cf_consistent", sa.Boolean),
            sa.Column("phone", sa.String(20)),
            sa.Column("email", text),
            sa.Column("address_toponym", code),
            sa.Column("address_street", name),
            sa.Column("address_number", code),
            sa.Column("address_postcode", sa.String(5)),
            sa.Column("address_municipality", name),
            sa.Column("iban_hash", sa.String(64)),
            sa.Column("household_key", sa.String(80)),
            sa.Column("household_role", sa.String(2)),
            sa.Column("riservato", sa.Boolean, nullable=False),
            sa.Column("source_updated_at", UTCDateTime),
            _run_id("stg_person"),
            sa.PrimaryKeyConstraint("source_system", "source_person_id", name="pk_stg_person"),
            sa.Index("ix_stg_person_cf_base", "cf_base"),
        ],
        "stg_stay": [
            sa.Column("stay_id", sa.String(64), primary_key=True),
            sa.Column("source_person_id", sa.String(64), nullable=False),
            sa.Column("struttura", text),
            sa.Column("tipo", code, nullable=False),
            sa.Column("indirizzo", text),
            sa.Column("data_ingresso", sa.Date, nullable=False),
            sa.Column("data_uscita", sa.Date),
            sa.Column("motivo_uscita", code),
            sa.Column("confidential", sa.Boolean, nullable=False),
            sa.Column("source_updated_at", UTCDateTime),
            _run_id("stg_stay"),
            sa.Index("ix_stg_stay_source_person_id", "source_person_id"),
        ],
        "stg_residence": [
            sa.Column("source_person_id", sa.String(64), primary_key=True),
            sa.Column("valid_from", sa.Date, primary_key=True),
            sa.Column("valid_to", sa.Date),
            sa.Column("address_toponym", code),
            sa.Column("address_street", name),
            sa.Column("address_number", code),
            sa.Column("address_interno", code),
            sa.Column("address_postcode", sa.String(5)),
            sa.Column("address_municipality", name),
            sa.Column("household_key", sa.String(80)),
            sa.Column("household_role", sa.String(2)),
            sa.Column("posizione", code, nullable=False),
            sa.Column("data_variazione", sa.Date),
            _run_id("stg_residence"),
        ],
        "stg_placement": [
            sa.Column("placement_id", sa.String(64), primary_key=True),
            sa.Column("source_person_id", sa.String(64), nullable=False),
            sa.Column("programme", code, nullable=False),
            sa.Column("provider", text),
            sa.Column("start_date", sa.Date, nullable=False),
            sa.Column("end_date", sa.Date),
            sa.Column("status", code, nullable=False),
            sa.Column("hours_completed", sa.Integer),
            sa.Column("source_updated_at", UTCDateTime),
            _run_id("stg_placement"),
            sa.Index("ix_stg_placement_source_person_id", "source_person_id"),
        ],
        "stg_volunteer_service": [
            sa.Column("service_id", sa.String(64), primary_key=True),
            sa.Column("source_person_id", sa.String(64), nullable=False),
            sa.Column("associazione", text),
            sa.Column("ruolo", code, nullable=False),
            sa.Column("tipo_servizio", code, nullable=False),
            sa.Column("data_inizio", sa.Date, nullable=False),
            sa.Column("data_fine", sa.Date),
            sa.Column("source_updated_at", UTCDateTime),
            _run_id("stg_volunteer_service"),
            sa.Index("ix_stg_volunteer_service_source_person_id", "source_person_id"),
        ],
        "stg_payment": [
            sa.Column("id_erogazione", sa.String(64), primary_key=True),
            sa.Column("source_person_id", sa.String(64), nullable=False),
            sa.Column("tipo_contributo", code, nullable=False),
            sa.Column("importo", Money, nullable=False),
            sa.Column("numero_determina", code),
            sa.Column("data_determina", sa.Date, nullable=False),
            sa.Column("data_pagamento", sa.Date),
            sa.Column("stato", sa.String(20), nullable=False),
            sa.Column("source_updated_at", UTCDateTime),
            _run_id("stg_payment"),
            sa.Index("ix_stg_payment_source_person_id", "source_person_id"),
        ],
        "stg_payment_status": [
            sa.Column("id_erogazione", sa.String(64), primary_key=True),
            sa.Column("stato", sa.String(20), primary_key=True),
            sa.Column("reached_at", UTCDateTime, nullable=False),
            sa.Column("data_pagamento", sa.Date),
            _run_id("stg_payment_status"),
        ],
    }


STAGING_TABLES: dict[str, sa.Table] = {
    name: sa.Table(name, Base.metadata, *items) for name, items in staging_tables_columns().items()
}

SUPERSEDED_TABLES = ("stg_person", "stg_stay", "stg_placement", "stg_volunteer_service", "stg_payment")
"""Tables with one row per source record: a row kept from the last valid version says so (0010)."""


def superseded_columns() -> list[sa.Column]:
    """The flag of a row kept from a record's last valid version (fresh objects each call)."""
    return [sa.Column("superseded_by", sa.BigInteger), sa.Column("superseded_by_rules", JSONDoc)]


for _table in SUPERSEDED_TABLES:
    for _column in superseded_columns():
        STAGING_TABLES[_table].append_column(_column)

SEARCH_INDEXES = {
    "ix_stg_person_last_name_norm": ("last_name_norm",),
    "ix_stg_person_birth_date": ("birth_date",),
    "ix_stg_person_cf_birth_date": ("cf_birth_date",),
}
"""Indexes for the read API's search by name and birth date (migrations 0007_search_indexes; the birth date the
codice fiscale encodes, searched with the birth date: 0014_api_reads)."""
for _name, _cols in SEARCH_INDEXES.items():
    sa.Index(_name, *(STAGING_TABLES["stg_person"].c[c] for c in _cols))
