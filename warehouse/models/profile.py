"""The unified beneficiary profile: golden record with provenance and type-2 history, facts, households, marts.

Filled by `warehouse.profile.publish` from the staging and identity layers. Nothing here holds an IBAN
(or its hash). The places of hidden stays (confidential, or at a protected address) live only in
`restricted_stay_address`; rows with a protected address carry `address_protected` (added by migration 0011,
see `privacy.py`). Analysts never read these tables: on PostgreSQL they get the pseudonymised views of schema
`fase_marts` (migration 0011). Column meanings: warehouse/README.md.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.models.base import Base
from warehouse.types import JSONDoc, Money, UTCDateTime

RESTRICTED_TABLES = ("restricted_stay_address",)
"""Tables only readers with the confidential grant may select."""


def _bid(nullable: bool = False, primary_key: bool = False) -> sa.Column:
    return sa.Column("beneficiary_id", sa.String(24), nullable=nullable, primary_key=primary_key)


def _golden_attributes() -> list[sa.Column]:
    name, code = sa.String(200), sa.String(40)
    return [
        sa.Column("first_name", name),
        sa.Column("last_name", name),
        sa.Column("sex", sa.String(1)),
        sa.Column("birth_date", sa.Date),
        sa.Column("birthplace", name),
        sa.Column("birth_country", sa.String(2)),
        sa.Column("citizenship", sa.String(2)),
        sa.Column("codice_fiscale", code),
        sa.Column("cf_status", sa.String(12)),
        sa.Column("phone", sa.String(20)),
        sa.Column("email", sa.Text),
        sa.Column("residence_toponym", code),
        sa.Column("residence_street", name),
        sa.Column("residence_number", code),
        sa.Column("residence_postcode", sa.String(5)),
        sa.Column("residence_municipality", name),
        sa.Column("household_key", sa.String(80)),
        sa.Column("household_role", sa.String(2)),
        sa.Column("is_protected", sa.Boolean, nullable=False),
        sa.Column("systems", sa.String(80), nullable=False),
        sa.Column("record_count", sa.Integer, nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
    ]


def profile_tables_columns() -> dict[str, list]:
    """Columns and constraints of every profile table (migrations write their DDL out literally)."""
    name, code, text = sa.String(200), sa.String(40), sa.Text
    return {
        "beneficiary_source": [
            sa.Column("source_system", sa.String(20), nullable=False),
            sa.Column("source_person_id", sa.String(64), nullable=False),
            _bid(),
            sa.PrimaryKeyConstraint("source_system", "source_person_id", name="pk_beneficiary_source"),
            sa.Index("ix_beneficiary_source_beneficiary_id", "beneficiary_id"),
        ],
        "golden_record": [
            _bid(primary_key=True),
            *_golden_attributes(),
            sa.Column("source_updated_at", UTCDateTime),
        ],
        "golden_provenance": [
            _bid(),
            sa.Column("attribute", sa.String(40), nullable=False),
            sa.Column("value", text),
            sa.Column("source_system", sa.String(20), nullable=False),
            sa.Column("source_person_id", sa.String(64), nullable=False),
            sa.Column("source_date", UTCDateTime),
            sa.Column("rule", sa.String(120), nullable=False),
            sa.Column("decided_by", sa.String(40), nullable=False),
            sa.Column("candidates", sa.Integer, nullable=False),
            sa.PrimaryKeyConstraint("beneficiary_id", "attribute", name="pk_golden_provenance"),
        ],
        "golden_history": [
            _bid(),
            sa.Column("valid_from", UTCDateTime, nullable=False),
            sa.Column("valid_to", UTCDateTime),
            sa.Column("is_current", sa.Boolean, nullable=False),
            *_golden_attributes(),
            sa.Column(
                "recorded_run_id",
                sa.Integer,
                sa.ForeignKey("pipeline_run.run_id", name="fk_golden_history_recorded_run_id_pipeline_run"),
                nullable=False,
            ),
            sa.PrimaryKeyConstraint("beneficiary_id", "valid_from", name="pk_golden_history"),
            sa.Index("ix_golden_history_is_current", "is_current"),
        ],
        "fact_stay": [
            sa.Column("stay_id", sa.String(64), primary_key=True),
            _bid(),
            sa.Column("source_person_id", sa.String(64), nullable=False),
            sa.Column("structure_name", text),
            sa.Column("structure_type", code, nullable=False),
            sa.Column("address", text),
            sa.Column("entry_date", sa.Date, nullable=False),
            sa.Column("exit_date", sa.Date),
            sa.Column("exit_reason", code),
            sa.Column("days_hosted", sa.Integer),
            sa.Column("to_autonomy", sa.Boolean, nullable=False),
            sa.Column("confidential", sa.Boolean, nullable=False),
            sa.Index("ix_fact_stay_beneficiary_id", "beneficiary_id"),
        ],
        "restricted_stay_address": [
            sa.Column("stay_id", sa.String(64), primary_key=True),
            _bid(),
            sa.Column("structure_name", text),
            sa.Column("address", text),
            sa.Index("ix_restricted_stay_address_beneficiary_id", "beneficiary_id"),
        ],
        "fact_residence": [
            sa.Column("source_person_id", sa.String(64), nullable=False),
            sa.Column("valid_from", sa.Date, nullable=False),
            _bid(),
            sa.Column("valid_to", sa.Date),
            sa.Column("toponym", code),
            sa.Column("street", name),
            sa.Column("number", code),
            sa.Column("interno", code),
            sa.Column("postcode", sa.String(5)),
            sa.Column("municipality", name),
            sa.Column("household_key", sa.String(80)),
            sa.Column("household_role", sa.String(2)),
            sa.Column("posizione", code, nullable=False),
            sa.PrimaryKeyConstraint("source_person_id", "valid_from", name="pk_fact_residence"),
            sa.Index("ix_fact_residence_beneficiary_id", "beneficiary_id"),
        ],
        "fact_placement": [
            sa.Column("placement_id", sa.String(64), primary_key=True),
            _bid(),
            sa.Column("source_person_id", sa.String(64), nullable=False),
            sa.Column("programme", code, nullable=False),
            sa.Column("provider", text),
            sa.Column("start_date", sa.Date, nullable=False),
            sa.Column("end_date", sa.Date),
            sa.Column("status", code, nullable=False),
            sa.Column("hours_completed", sa.Integer),
            sa.Index("ix_fact_placement_beneficiary_id", "beneficiary_id"),
        ],
        "fact_volunteer_service": [
            sa.Column("service_id", sa.String(64), primary_key=True),
            _bid(),
            sa.Column("source_person_id", sa.String(64), nullable=False),
            sa.Column("association", text),
            sa.Column("role", code, nullable=False),
            sa.Column("service_type", code, nullable=False),
            sa.Column("start_date", sa.Date, nullable=False),
            sa.Column("end_date", sa.Date),
            sa.Index("ix_fact_volunteer_service_beneficiary_id", "beneficiary_id"),
        ],
        "fact_payment": [
            sa.Column("payment_id", sa.String(64), primary_key=True),
            _bid(),
            sa.Column("source_person_id", sa.String(64), nullable=False),
            sa.Column("benefit_type", code, nullable=False),
            sa.Column("amount", Money, nullable=False),
            sa.Column("determina_number", code),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("determinato_on", sa.Date),
            sa.Column("liquidato_on", sa.Date),
            sa.Column("pagato_on", sa.Date),
            sa.Column("revocato_on", sa.Date),
            sa.Index("ix_fact_payment_beneficiary_id", "beneficiary_id"),
        ],
        "fact_payment_status": [
            sa.Column("payment_id", sa.String(64), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            _bid(),
            sa.Column("reached_on", sa.Date, nullable=False),
            sa.Column("reached_at", UTCDateTime),
            sa.Column("evidence", sa.String(20), nullable=False),
            sa.PrimaryKeyConstraint("payment_id", "status", name="pk_fact_payment_status"),
            sa.Index("ix_fact_payment_status_beneficiary_id", "beneficiary_id"),
        ],
        "household": [
            sa.Column("household_id", sa.String(100), primary_key=True),
            sa.Column("source", sa.String(20), nullable=False),
            sa.Column("size", sa.Integer, nullable=False),
            sa.Column("adults", sa.Integer, nullable=False),
            sa.Column("minors", sa.Integer, nullable=False),
            sa.Column("single_parent_with_minors", sa.Boolean, nullable=False),
            sa.Column("single_parent_id", sa.String(24)),
            sa.Column("resident_in_florence", sa.Boolean, nullable=False),
            sa.Column("housing_need", sa.Boolean, nullable=False),
            sa.Column("eviction_risk", sa.Boolean, nullable=False),
            sa.Column("ever_hosted", sa.Boolean, nullable=False),
            sa.Column("reached_autonomy", sa.Boolean, nullable=False),
        ],
        "household_member": [
            _bid(primary_key=True),
            sa.Column("household_id", sa.String(100), nullable=False),
            sa.Column("role", sa.String(2)),
            sa.Column("is_minor", sa.Boolean),
            sa.Column("via", sa.String(20), nullable=False),
            sa.Index("ix_household_member_household_id", "household_id"),
        ],
        "beneficiary_profile": [
            _bid(primary_key=True),
            sa.Column("first_name", name),
            sa.Column("last_name", name),
            sa.Column("sex", sa.String(1)),
            sa.Column("birth_date", sa.Date),
            sa.Column("age", sa.Integer),
            sa.Column("is_minor", sa.Boolean),
            sa.Column("codice_fiscale", code),
            sa.Column("citizenship", sa.String(2)),
            sa.Column("resident_in_florence", sa.Boolean, nullable=False),
            sa.Column("household_id", sa.String(100)),
            sa.Column("household_size", sa.Integer),
            sa.Column("household_minors", sa.Integer),
            sa.Column("in_accommodation", sa.Boolean, nullable=False),
            sa.Column("current_structure_type", code),
            sa.Column("current_structure_address", text),
            sa.Column("current_stay_since", sa.Date),
            sa.Column("stays", sa.Integer, nullable=False),
            sa.Column("total_days_hosted", sa.Integer, nullable=False),
            sa.Column("exits_to_autonomy", sa.Integer, nullable=False),
            sa.Column("placements_active", sa.Integer, nullable=False),
            sa.Column("placements_hired", sa.Integer, nullable=False),
            sa.Column("placements_completed", sa.Integer, nullable=False),
            sa.Column("placements_dropped_out", sa.Integer, nullable=False),
            sa.Column("services_as_beneficiary", sa.Integer, nullable=False),
            sa.Column("services_as_volunteer", sa.Integer, nullable=False),
            sa.Column("paid_12m_total", Money, nullable=False),
            sa.Column("paid_12m_contributo_affitto", Money, nullable=False),
            sa.Column("paid_12m_morosita_incolpevole", Money, nullable=False),
            sa.Column("paid_12m_contributo_economico", Money, nullable=False),
            sa.Column("paid_12m_buono_spesa", Money, nullable=False),
            sa.Column("paid_12m_deposito_cauzionale", Money, nullable=False),
            sa.Column("paid_12m_utenze", Money, nullable=False),
            sa.Column("eviction_risk", sa.Boolean, nullable=False),
            sa.Column("single_parent_with_minors", sa.Boolean, nullable=False),
            sa.Column("is_protected", sa.Boolean, nullable=False),
            sa.Column("systems", sa.String(80), nullable=False),
            sa.Column("systems_count", sa.Integer, nullable=False),
            sa.Column("target_group_1", sa.Boolean, nullable=False),
            sa.Column("target_group_2", sa.Boolean, nullable=False),
            sa.Column("target_group_3", sa.Boolean, nullable=False),
            sa.Column("target_groups", sa.String(10), nullable=False),
            sa.Index("ix_beneficiary_profile_household_id", "household_id"),
        ],
        "mart_target_group": [
            sa.Column("target_group", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("label", sa.String(200), nullable=False),
            sa.Column("people", sa.Integer, nullable=False),
            sa.Column("households", sa.Integer, nullable=False),
        ],
        "mart_housing_flow": [
            sa.Column("month", sa.String(7), nullable=False),
            sa.Column("flow", sa.String(5), nullable=False),
            sa.Column("exit_reason", code, nullable=False),
            sa.Column("stays", sa.Integer, nullable=False),
            sa.Column("people", sa.Integer, nullable=False),
            sa.Column("households", sa.Integer, nullable=False),
            sa.PrimaryKeyConstraint("month", "flow", "exit_reason", name="pk_mart_housing_flow"),
        ],
        "mart_stay_length": [
            sa.Column("structure_type", code, primary_key=True),
            sa.Column("closed_stays", sa.Integer, nullable=False),
            sa.Column("avg_days_closed", sa.Numeric(10, 1)),
            sa.Column("ongoing_stays", sa.Integer, nullable=False),
            sa.Column("avg_days_ongoing", sa.Numeric(10, 1)),
        ],
        "mart_household_autonomy": [
            sa.Column("cohort", sa.String(10), primary_key=True),
            sa.Column("households_hosted", sa.Integer, nullable=False),
            sa.Column("households_exited", sa.Integer, nullable=False),
            sa.Column("households_autonomy", sa.Integer, nullable=False),
            sa.Column("share_autonomy", sa.Numeric(6, 4)),
        ],
        "mart_system_coverage": [
            sa.Column("systems", sa.String(80), primary_key=True),
            sa.Column("systems_count", sa.Integer, nullable=False),
            sa.Column("people", sa.Integer, nullable=False),
        ],
        "mart_benefit_type": [
            sa.Column("benefit_type", code, nullable=False),
            sa.Column("period", sa.String(20), nullable=False),
            sa.Column("payments", sa.Integer, nullable=False),
            sa.Column("beneficiaries", sa.Integer, nullable=False),
            sa.Column("total_paid", sa.Numeric(14, 2, asdecimal=True), nullable=False),
            sa.Column("avg_per_beneficiary", sa.Numeric(14, 2, asdecimal=True), nullable=False),
            sa.PrimaryKeyConstraint("benefit_type", "period", name="pk_mart_benefit_type"),
        ],
        "mart_benefit_beneficiary": [
            _bid(),
            sa.Column("benefit_type", code, nullable=False),
            sa.Column("payments", sa.Integer, nullable=False),
            sa.Column("total_paid", sa.Numeric(14, 2, asdecimal=True), nullable=False),
            sa.Column("paid_12m", sa.Numeric(14, 2, asdecimal=True), nullable=False),
            sa.Column("last_paid_on", sa.Date),
            sa.PrimaryKeyConstraint("beneficiary_id", "benefit_type", name="pk_mart_benefit_beneficiary"),
        ],
        "publish_state": [
            sa.Column("name", sa.String(40), primary_key=True),
            sa.Column("as_of", sa.Date, nullable=False),
            sa.Column("watermark", sa.Integer, nullable=False),
            sa.Column(
                "run_id",
                sa.Integer,
                sa.ForeignKey("pipeline_run.run_id", name="fk_publish_state_run_id_pipeline_run"),
                nullable=False,
            ),
            sa.Column("published_at", UTCDateTime, nullable=False),
            sa.Column("summary", JSONDoc),
        ],
    }


PROFILE_TABLES: dict[str, sa.Table] = {
    name: sa.Table(name, Base.metadata, *cols) for name, cols in profile_tables_columns().items()
}
ANALYST_TABLES = tuple(n for n in PROFILE_TABLES if n not in RESTRICTED_TABLES)
"""Tables migration 0006 exposed as plain views in schema `fase_marts` (replaced by pseudonymised views in 0011)."""


def pending_version_columns() -> list:
    """`pending_version` (migration 0010): one row per source record of an active beneficiary whose newest
    version waits in quarantine, while the profile shows its last valid version. Holds the failed rules
    without their values, never the quarantined payload."""
    return [
        sa.Column("source_system", sa.String(20), nullable=False),
        sa.Column("stream", sa.String(40), nullable=False),
        sa.Column("source_record_id", sa.String(64), nullable=False),
        _bid(),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("quarantine_id", sa.BigInteger, nullable=False),
        sa.Column("rules", JSONDoc, nullable=False),
        sa.Column("quarantined_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("source_system", "stream", "source_record_id", name="pk_pending_version"),
        sa.Index("ix_pending_version_beneficiary_id", "beneficiary_id"),
    ]


# Added by migration 0010, so kept out of profile_tables_columns() (which 0006 reads) and of ANALYST_TABLES
# (0006 made the analysts' views; `pending_version` holds source record ids): the source records whose newer
# version waits in quarantine, and how many per beneficiary on its profile.
PROFILE_TABLES["pending_version"] = sa.Table("pending_version", Base.metadata, *pending_version_columns())
PROFILE_TABLES["beneficiary_profile"].append_column(
    sa.Column("pending_versions", sa.Integer, nullable=False, server_default="0")
)
