"""Unified beneficiary profile: golden record, provenance, history, facts, households, profile, marts.

On PostgreSQL also a role-free layout for grants: schema `fase_marts` holds one view per analyst-safe
table (everything but `restricted_stay_address`), so an operator can

    GRANT USAGE ON SCHEMA fase_marts TO analyst_role;
    GRANT SELECT ON ALL TABLES IN SCHEMA fase_marts TO analyst_role;

without any right on the base tables (views run with their owner's rights), and the restricted table
has every privilege revoked from PUBLIC. No role is created here.

Revision ID: 0006_profile
Revises: 0005_api
"""

from alembic import op

from warehouse.models.profile import ANALYST_TABLES, RESTRICTED_TABLES, profile_tables_columns

revision = "0006_profile"
down_revision = "0005_api"
branch_labels = None
depends_on = None

MARTS_SCHEMA = "fase_marts"


def upgrade() -> None:
    for name, columns in profile_tables_columns().items():
        op.create_table(name, *columns)
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
    for name in reversed(list(profile_tables_columns())):
        op.drop_table(name)
