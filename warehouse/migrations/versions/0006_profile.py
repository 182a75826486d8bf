"""Unified beneficiary profile: golden record, provenance, history, facts, households, profile, marts.

On PostgreSQL also a role-free layout for grants: schema `fase_marts` holds one view per analyst-safe
table (everything but `restricted_stay_address`), so an operator can

    GRANT USAGE ON SCHEMA fase_marts TO analyst_role;
    GRANT SELECT ON ALL TABLES IN SCHEMA fase_marts TO analyst_role;

without any right on the base tables (views run with their owner's rights), and the restricted table
has every privilege revoked from PUBLIC. No role is created here.

Frozen DDL: the tables (and the list of analyst views) as the models described them when this revision
was written (commit 09d8129), written out literally; a later model change reaches a database only
through a later revision.

Revision ID: 0006_profile
Revises: 0005_api
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_profile"
down_revision = "0005_api"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MONEY = sa.Numeric(12, 2)

MARTS_SCHEMA = "fase_marts"
RESTRICTED_TABLES = ("restricted_stay_address",)
ANALYST_TABLES = (
    "beneficiary_source",
    "golden_record",
    "golden_provenance",
    "golden_history",
    "fact_stay",
    "fact_residence",
    "fact_placement",
    "fact_volunteer_service",
    "fact_payment",
    "fact_payment_status",
    "household",
    "household_member",
    "beneficiary_profile",
    "mart_target_group",
    "mart_housing_flow",
    "mart_stay_length",
    "mart_household_autonomy",
    "mart_system_coverage",
    "mart_benefit_type",
    "mart_benefit_beneficiary",
    "publish_state",
)
TABLES = (
    "beneficiary_source",
    "golden_record",
    "golden_provenance",
    "golden_history",
    "fact_stay",
    "restricted_stay_address",
    "fact_residence",
    "fact_placement",
    "fact_volunteer_service",
    "fact_payment",
    "fact_payment_status",
    "household",
    "household_member",
    "beneficiary_profile",
    "mart_target_group",
    "mart_housing_flow",
    "mart_stay_length",
    "mart_household_autonomy",
    "mart_system_coverage",
    "mart_benefit_type",
    "mart_benefit_beneficiary",
    "publish_state",
)


def upgrade() -> None:
    op.create_table(
        "beneficiary_source",
        sa.Column("source_system", sa.String(20), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "source_person_id", name=op.f("pk_beneficiary_source")),
    )
    op.create_index(op.f("ix_beneficiary_source_beneficiary_id"), "beneficiary_source", ["beneficiary_id"])
    op.create_table(
        "golden_record",
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("first_name", sa.String(200)),
        sa.Column("last_name", sa.String(200)),
        sa.Column("sex", sa.String(1)),
        sa.Column("birth_date", sa.Date()),
        sa.Column("birthplace", sa.String(200)),
        sa.Column("birth_country", sa.String(2)),
        sa.Column("citizenship", sa.String(2)),
        sa.Column("codice_fiscale", sa.String(40)),
        sa.Column("cf_status", sa.String(12)),
        sa.Column("phone", sa.String(20)),
        sa.Column("email", sa.Text()),
        sa.Column("residence_toponym", sa.String(40)),
        sa.Column("residence_street", sa.String(200)),
        sa.Column("residence_number", sa.String(40)),
        sa.Column("residence_postcode", sa.String(5)),
        sa.Column("residence_municipality", sa.String(200)),
        sa.Column("household_key", sa.String(80)),
        sa.Column("household_role", sa.String(2)),
        sa.Column("is_protected", sa.Boolean(), nullable=False),
        sa.Column("systems", sa.String(80), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.Column("source_updated_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("beneficiary_id", name=op.f("pk_golden_record")),
    )
    op.create_table(
        "golden_provenance",
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("attribute", sa.String(40), nullable=False),
        sa.Column("value", sa.Text()),
        sa.Column("source_system", sa.String(20), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("source_date", TIMESTAMP),
        sa.Column("rule", sa.String(120), nullable=False),
        sa.Column("decided_by", sa.String(40), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("beneficiary_id", "attribute", name=op.f("pk_golden_provenance")),
    )
    op.create_table(
        "golden_history",
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("valid_from", TIMESTAMP, nullable=False),
        sa.Column("valid_to", TIMESTAMP),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("first_name", sa.String(200)),
        sa.Column("last_name", sa.String(200)),
        sa.Column("sex", sa.String(1)),
        sa.Column("birth_date", sa.Date()),
        sa.Column("birthplace", sa.String(200)),
        sa.Column("birth_country", sa.String(2)),
        sa.Column("citizenship", sa.String(2)),
        sa.Column("codice_fiscale", sa.String(40)),
        sa.Column("cf_status", sa.String(12)),
        sa.Column("phone", sa.String(20)),
        sa.Column("email", sa.Text()),
        sa.Column("residence_toponym", sa.String(40)),
        sa.Column("residence_street", sa.String(200)),
        sa.Column("residence_number", sa.String(40)),
        sa.Column("residence_postcode", sa.String(5)),
        sa.Column("residence_municipality", sa.String(200)),
        sa.Column("household_key", sa.String(80)),
        sa.Column("household_role", sa.String(2)),
        sa.Column("is_protected", sa.Boolean(), nullable=False),
        sa.Column("systems", sa.String(80), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.Column("recorded_run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("beneficiary_id", "valid_from", name=op.f("pk_golden_history")),
        sa.ForeignKeyConstraint(
            ["recorded_run_id"], ["pipeline_run.run_id"], name=op.f("fk_golden_history_recorded_run_id_pipeline_run")
        ),
    )
    op.create_index(op.f("ix_golden_history_is_current"), "golden_history", ["is_current"])
    op.create_table(
        "fact_stay",
        sa.Column("stay_id", sa.String(64), nullable=False),
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("structure_name", sa.Text()),
        sa.Column("structure_type", sa.String(40), nullable=False),
        sa.Column("address", sa.Text()),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("exit_date", sa.Date()),
        sa.Column("exit_reason", sa.String(40)),
        sa.Column("days_hosted", sa.Integer()),
        sa.Column("to_autonomy", sa.Boolean(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("stay_id", name=op.f("pk_fact_stay")),
    )
    op.create_index(op.f("ix_fact_stay_beneficiary_id"), "fact_stay", ["beneficiary_id"])
    op.create_table(
        "restricted_stay_address",
        sa.Column("stay_id", sa.String(64), nullable=False),
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("structure_name", sa.Text()),
        sa.Column("address", sa.Text()),
        sa.PrimaryKeyConstraint("stay_id", name=op.f("pk_restricted_stay_address")),
    )
    op.create_index(op.f("ix_restricted_stay_address_beneficiary_id"), "restricted_stay_address", ["beneficiary_id"])
    op.create_table(
        "fact_residence",
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("valid_to", sa.Date()),
        sa.Column("toponym", sa.String(40)),
        sa.Column("street", sa.String(200)),
        sa.Column("number", sa.String(40)),
        sa.Column("interno", sa.String(40)),
        sa.Column("postcode", sa.String(5)),
        sa.Column("municipality", sa.String(200)),
        sa.Column("household_key", sa.String(80)),
        sa.Column("household_role", sa.String(2)),
        sa.Column("posizione", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("source_person_id", "valid_from", name=op.f("pk_fact_residence")),
    )
    op.create_index(op.f("ix_fact_residence_beneficiary_id"), "fact_residence", ["beneficiary_id"])
    op.create_table(
        "fact_placement",
        sa.Column("placement_id", sa.String(64), nullable=False),
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("programme", sa.String(40), nullable=False),
        sa.Column("provider", sa.Text()),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date()),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("hours_completed", sa.Integer()),
        sa.PrimaryKeyConstraint("placement_id", name=op.f("pk_fact_placement")),
    )
    op.create_index(op.f("ix_fact_placement_beneficiary_id"), "fact_placement", ["beneficiary_id"])
    op.create_table(
        "fact_volunteer_service",
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("association", sa.Text()),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("service_type", sa.String(40), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date()),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_fact_volunteer_service")),
    )
    op.create_index(op.f("ix_fact_volunteer_service_beneficiary_id"), "fact_volunteer_service", ["beneficiary_id"])
    op.create_table(
        "fact_payment",
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("benefit_type", sa.String(40), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("determina_number", sa.String(40)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("determinato_on", sa.Date()),
        sa.Column("liquidato_on", sa.Date()),
        sa.Column("pagato_on", sa.Date()),
        sa.Column("revocato_on", sa.Date()),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_fact_payment")),
    )
    op.create_index(op.f("ix_fact_payment_beneficiary_id"), "fact_payment", ["beneficiary_id"])
    op.create_table(
        "fact_payment_status",
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("reached_on", sa.Date(), nullable=False),
        sa.Column("reached_at", TIMESTAMP),
        sa.Column("evidence", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("payment_id", "status", name=op.f("pk_fact_payment_status")),
    )
    op.create_index(op.f("ix_fact_payment_status_beneficiary_id"), "fact_payment_status", ["beneficiary_id"])
    op.create_table(
        "household",
        sa.Column("household_id", sa.String(100), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("adults", sa.Integer(), nullable=False),
        sa.Column("minors", sa.Integer(), nullable=False),
        sa.Column("single_parent_with_minors", sa.Boolean(), nullable=False),
        sa.Column("single_parent_id", sa.String(24)),
        sa.Column("resident_in_florence", sa.Boolean(), nullable=False),
        sa.Column("housing_need", sa.Boolean(), nullable=False),
        sa.Column("eviction_risk", sa.Boolean(), nullable=False),
        sa.Column("ever_hosted", sa.Boolean(), nullable=False),
        sa.Column("reached_autonomy", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_household")),
    )
    op.create_table(
        "household_member",
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("household_id", sa.String(100), nullable=False),
        sa.Column("role", sa.String(2)),
        sa.Column("is_minor", sa.Boolean()),
        sa.Column("via", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("beneficiary_id", name=op.f("pk_household_member")),
    )
    op.create_index(op.f("ix_household_member_household_id"), "household_member", ["household_id"])
    op.create_table(
        "beneficiary_profile",
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("first_name", sa.String(200)),
        sa.Column("last_name", sa.String(200)),
        sa.Column("sex", sa.String(1)),
        sa.Column("birth_date", sa.Date()),
        sa.Column("age", sa.Integer()),
        sa.Column("is_minor", sa.Boolean()),
        sa.Column("codice_fiscale", sa.String(40)),
        sa.Column("citizenship", sa.String(2)),
        sa.Column("resident_in_florence", sa.Boolean(), nullable=False),
        sa.Column("household_id", sa.String(100)),
        sa.Column("household_size", sa.Integer()),
        sa.Column("household_minors", sa.Integer()),
        sa.Column("in_accommodation", sa.Boolean(), nullable=False),
        sa.Column("current_structure_type", sa.String(40)),
        sa.Column("current_structure_address", sa.Text()),
        sa.Column("current_stay_since", sa.Date()),
        sa.Column("stays", sa.Integer(), nullable=False),
        sa.Column("total_days_hosted", sa.Integer(), nullable=False),
        sa.Column("exits_to_autonomy", sa.Integer(), nullable=False),
        sa.Column("placements_active", sa.Integer(), nullable=False),
        sa.Column("placements_hired", sa.Integer(), nullable=False),
        sa.Column("placements_completed", sa.Integer(), nullable=False),
        sa.Column("placements_dropped_out", sa.Integer(), nullable=False),
        sa.Column("services_as_beneficiary", sa.Integer(), nullable=False),
        sa.Column("services_as_volunteer", sa.Integer(), nullable=False),
        sa.Column("paid_12m_total", MONEY, nullable=False),
        sa.Column("paid_12m_contributo_affitto", MONEY, nullable=False),
        sa.Column("paid_12m_morosita_incolpevole", MONEY, nullable=False),
        sa.Column("paid_12m_contributo_economico", MONEY, nullable=False),
        sa.Column("paid_12m_buono_spesa", MONEY, nullable=False),
        sa.Column("paid_12m_deposito_cauzionale", MONEY, nullable=False),
        sa.Column("paid_12m_utenze", MONEY, nullable=False),
        sa.Column("eviction_risk", sa.Boolean(), nullable=False),
        sa.Column("single_parent_with_minors", sa.Boolean(), nullable=False),
        sa.Column("is_protected", sa.Boolean(), nullable=False),
        sa.Column("systems", sa.String(80), nullable=False),
        sa.Column("systems_count", sa.Integer(), nullable=False),
        sa.Column("target_group_1", sa.Boolean(), nullable=False),
        sa.Column("target_group_2", sa.Boolean(), nullable=False),
        sa.Column("target_group_3", sa.Boolean(), nullable=False),
        sa.Column("target_groups", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("beneficiary_id", name=op.f("pk_beneficiary_profile")),
    )
    op.create_index(op.f("ix_beneficiary_profile_household_id"), "beneficiary_profile", ["household_id"])
    op.create_table(
        "mart_target_group",
        sa.Column("target_group", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("target_group", name=op.f("pk_mart_target_group")),
    )
    op.create_table(
        "mart_housing_flow",
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("flow", sa.String(5), nullable=False),
        sa.Column("exit_reason", sa.String(40), nullable=False),
        sa.Column("stays", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "flow", "exit_reason", name=op.f("pk_mart_housing_flow")),
    )
    op.create_table(
        "mart_stay_length",
        sa.Column("structure_type", sa.String(40), nullable=False),
        sa.Column("closed_stays", sa.Integer(), nullable=False),
        sa.Column("avg_days_closed", sa.Numeric(10, 1)),
        sa.Column("ongoing_stays", sa.Integer(), nullable=False),
        sa.Column("avg_days_ongoing", sa.Numeric(10, 1)),
        sa.PrimaryKeyConstraint("structure_type", name=op.f("pk_mart_stay_length")),
    )
    op.create_table(
        "mart_household_autonomy",
        sa.Column("cohort", sa.String(10), nullable=False),
        sa.Column("households_hosted", sa.Integer(), nullable=False),
        sa.Column("households_exited", sa.Integer(), nullable=False),
        sa.Column("households_autonomy", sa.Integer(), nullable=False),
        sa.Column("share_autonomy", sa.Numeric(6, 4)),
        sa.PrimaryKeyConstraint("cohort", name=op.f("pk_mart_household_autonomy")),
    )
    op.create_table(
        "mart_system_coverage",
        sa.Column("systems", sa.String(80), nullable=False),
        sa.Column("systems_count", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("systems", name=op.f("pk_mart_system_coverage")),
    )
    op.create_table(
        "mart_benefit_type",
        sa.Column("benefit_type", sa.String(40), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("beneficiaries", sa.Integer(), nullable=False),
        sa.Column("total_paid", sa.Numeric(14, 2), nullable=False),
        sa.Column("avg_per_beneficiary", sa.Numeric(14, 2), nullable=False),
        sa.PrimaryKeyConstraint("benefit_type", "period", name=op.f("pk_mart_benefit_type")),
    )
    op.create_table(
        "mart_benefit_beneficiary",
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("benefit_type", sa.String(40), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("total_paid", sa.Numeric(14, 2), nullable=False),
        sa.Column("paid_12m", sa.Numeric(14, 2), nullable=False),
        sa.Column("last_paid_on", sa.Date()),
        sa.PrimaryKeyConstraint("beneficiary_id", "benefit_type", name=op.f("pk_mart_benefit_beneficiary")),
    )
    op.create_table(
        "publish_state",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("watermark", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("published_at", TIMESTAMP, nullable=False),
        sa.Column("summary", JSON_DOC),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_publish_state")),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_run.run_id"], name=op.f("fk_publish_state_run_id_pipeline_run")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {MARTS_SCHEMA}")
        op.execute(f"REVOKE ALL ON SCHEMA {MARTS_SCHEMA} FROM PUBLIC")
        for name in ANALYST_TABLES:
            op.execute(f"CREATE VIEW {MARTS_SCHEMA}.{name} AS SELECT * FROM {name}")
        for name in RESTRICTED_TABLES:
            op.execute(f"REVOKE ALL ON TABLE {name} FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA IF EXISTS {MARTS_SCHEMA} CASCADE")
    for name in reversed(TABLES):
        op.drop_table(name)
