"""Staging layer (stg_person and event tables), quarantine and quality_result.

Frozen DDL: the tables as the models described them when this revision was written (commit 27ecff0),
written out literally; a later model change reaches a database only through a later revision.

Revision ID: 0003_staging
Revises: 0002_raw_layer
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_staging"
down_revision = "0002_raw_layer"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(12, 2)

TABLES = (
    "stg_person",
    "stg_stay",
    "stg_residence",
    "stg_placement",
    "stg_volunteer_service",
    "stg_payment",
    "stg_payment_status",
    "quarantine",
    "quality_result",
)


def upgrade() -> None:
    op.create_table(
        "stg_person",
        sa.Column("source_system", sa.String(20), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("first_name", sa.String(200)),
        sa.Column("last_name", sa.String(200)),
        sa.Column("first_name_norm", sa.String(200)),
        sa.Column("middle_names_norm", sa.String(200)),
        sa.Column("last_name_norm", sa.String(200)),
        sa.Column("alt_first_name_norm", sa.String(200)),
        sa.Column("alt_last_name_norm", sa.String(200)),
        sa.Column("name_split_ambiguous", sa.Boolean(), nullable=False),
        sa.Column("sex", sa.String(1)),
        sa.Column("birth_date", sa.Date()),
        sa.Column("birth_date_is_default", sa.Boolean(), nullable=False),
        sa.Column("birthplace_norm", sa.String(200)),
        sa.Column("birthplace_code", sa.String(4)),
        sa.Column("birth_country", sa.String(2)),
        sa.Column("citizenship", sa.String(2)),
        sa.Column("codice_fiscale", sa.String(40)),
        sa.Column("cf_base", sa.String(16)),
        sa.Column("cf_status", sa.String(12), nullable=False),
        sa.Column("cf_sex", sa.String(1)),
        sa.Column("cf_birth_date", sa.Date()),
        sa.Column("cf_birthplace_code", sa.String(4)),
        sa.Column("cf_consistent", sa.Boolean()),
        sa.Column("phone", sa.String(20)),
        sa.Column("email", sa.Text()),
        sa.Column("address_toponym", sa.String(40)),
        sa.Column("address_street", sa.String(200)),
        sa.Column("address_number", sa.String(40)),
        sa.Column("address_postcode", sa.String(5)),
        sa.Column("address_municipality", sa.String(200)),
        sa.Column("iban_hash", sa.String(64)),
        sa.Column("household_key", sa.String(80)),
        sa.Column("household_role", sa.String(2)),
        sa.Column("riservato", sa.Boolean(), nullable=False),
        sa.Column("source_updated_at", TIMESTAMP),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "source_person_id", name=op.f("pk_stg_person")),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_run.run_id"], name=op.f("fk_stg_person_run_id_pipeline_run")),
    )
    op.create_index(op.f("ix_stg_person_cf_base"), "stg_person", ["cf_base"])
    op.create_table(
        "stg_stay",
        sa.Column("stay_id", sa.String(64), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("struttura", sa.Text()),
        sa.Column("tipo", sa.String(40), nullable=False),
        sa.Column("indirizzo", sa.Text()),
        sa.Column("data_ingresso", sa.Date(), nullable=False),
        sa.Column("data_uscita", sa.Date()),
        sa.Column("motivo_uscita", sa.String(40)),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("source_updated_at", TIMESTAMP),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("stay_id", name=op.f("pk_stg_stay")),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_run.run_id"], name=op.f("fk_stg_stay_run_id_pipeline_run")),
    )
    op.create_index(op.f("ix_stg_stay_source_person_id"), "stg_stay", ["source_person_id"])
    op.create_table(
        "stg_residence",
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date()),
        sa.Column("address_toponym", sa.String(40)),
        sa.Column("address_street", sa.String(200)),
        sa.Column("address_number", sa.String(40)),
        sa.Column("address_interno", sa.String(40)),
        sa.Column("address_postcode", sa.String(5)),
        sa.Column("address_municipality", sa.String(200)),
        sa.Column("household_key", sa.String(80)),
        sa.Column("household_role", sa.String(2)),
        sa.Column("posizione", sa.String(40), nullable=False),
        sa.Column("data_variazione", sa.Date()),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source_person_id", "valid_from", name=op.f("pk_stg_residence")),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_run.run_id"], name=op.f("fk_stg_residence_run_id_pipeline_run")),
    )
    op.create_table(
        "stg_placement",
        sa.Column("placement_id", sa.String(64), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("programme", sa.String(40), nullable=False),
        sa.Column("provider", sa.Text()),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date()),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("hours_completed", sa.Integer()),
        sa.Column("source_updated_at", TIMESTAMP),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("placement_id", name=op.f("pk_stg_placement")),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_run.run_id"], name=op.f("fk_stg_placement_run_id_pipeline_run")),
    )
    op.create_index(op.f("ix_stg_placement_source_person_id"), "stg_placement", ["source_person_id"])
    op.create_table(
        "stg_volunteer_service",
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("associazione", sa.Text()),
        sa.Column("ruolo", sa.String(40), nullable=False),
        sa.Column("tipo_servizio", sa.String(40), nullable=False),
        sa.Column("data_inizio", sa.Date(), nullable=False),
        sa.Column("data_fine", sa.Date()),
        sa.Column("source_updated_at", TIMESTAMP),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_stg_volunteer_service")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["pipeline_run.run_id"], name=op.f("fk_stg_volunteer_service_run_id_pipeline_run")
        ),
    )
    op.create_index(op.f("ix_stg_volunteer_service_source_person_id"), "stg_volunteer_service", ["source_person_id"])
    op.create_table(
        "stg_payment",
        sa.Column("id_erogazione", sa.String(64), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("tipo_contributo", sa.String(40), nullable=False),
        sa.Column("importo", MONEY, nullable=False),
        sa.Column("numero_determina", sa.String(40)),
        sa.Column("data_determina", sa.Date(), nullable=False),
        sa.Column("data_pagamento", sa.Date()),
        sa.Column("stato", sa.String(20), nullable=False),
        sa.Column("source_updated_at", TIMESTAMP),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id_erogazione", name=op.f("pk_stg_payment")),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_run.run_id"], name=op.f("fk_stg_payment_run_id_pipeline_run")),
    )
    op.create_index(op.f("ix_stg_payment_source_person_id"), "stg_payment", ["source_person_id"])
    op.create_table(
        "stg_payment_status",
        sa.Column("id_erogazione", sa.String(64), nullable=False),
        sa.Column("stato", sa.String(20), nullable=False),
        sa.Column("reached_at", TIMESTAMP, nullable=False),
        sa.Column("data_pagamento", sa.Date()),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id_erogazione", "stato", name=op.f("pk_stg_payment_status")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["pipeline_run.run_id"], name=op.f("fk_stg_payment_status_run_id_pipeline_run")
        ),
    )
    op.create_table(
        "quarantine",
        sa.Column("quarantine_id", BIGID, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(20), nullable=False),
        sa.Column("stream", sa.String(40), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("raw_id", sa.BigInteger(), nullable=False),
        sa.Column("rules", JSON_DOC, nullable=False),
        sa.Column("payload", JSON_DOC, nullable=False),
        sa.Column("quarantined_at", TIMESTAMP, nullable=False),
        sa.Column("released_run_id", sa.Integer()),
        sa.PrimaryKeyConstraint("quarantine_id", name=op.f("pk_quarantine")),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_run.run_id"], name=op.f("fk_quarantine_run_id_pipeline_run")),
        sa.ForeignKeyConstraint(
            ["released_run_id"], ["pipeline_run.run_id"], name=op.f("fk_quarantine_released_run_id_pipeline_run")
        ),
    )
    op.create_index(op.f("ix_quarantine_open"), "quarantine", ["system", "released_run_id"])
    op.create_index(op.f("ix_quarantine_record"), "quarantine", ["system", "stream", "source_id"])
    op.create_table(
        "quality_result",
        sa.Column("result_id", BIGID, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("suite", sa.String(80), nullable=False),
        sa.Column("expectation", sa.String(120), nullable=False),
        sa.Column("column", sa.String(200)),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("observed", JSON_DOC),
        sa.Column("checked_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("result_id", name=op.f("pk_quality_result")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["pipeline_run.run_id"], name=op.f("fk_quality_result_run_id_pipeline_run")
        ),
    )
    op.create_index(op.f("ix_quality_result_run"), "quality_result", ["run_id", "suite"])


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
