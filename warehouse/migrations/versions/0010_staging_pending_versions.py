"""A bad new version keeps the last valid one: staging rows say which quarantined version supersedes them,
and the profile lists the source records whose newer version waits in quarantine.

- `superseded_by` (the quarantine entry's id) and `superseded_by_rules` (the failed rules, without values)
  on the staging tables with one row per source record;
- `pending_version`: per active beneficiary, its source records whose newest version is in quarantine;
- `beneficiary_profile.pending_versions`: how many.

Revision ID: 0010_staging_pending_versions
Revises: 0009_quarantine_files
"""

import sqlalchemy as sa
from alembic import op

from warehouse.types import JSONDoc, UTCDateTime

revision = "0010_staging_pending_versions"
down_revision = "0009_quarantine_files"
branch_labels = None
depends_on = None

SUPERSEDED_TABLES = ("stg_person", "stg_stay", "stg_placement", "stg_volunteer_service", "stg_payment")


def upgrade() -> None:
    for table in SUPERSEDED_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("superseded_by", sa.BigInteger))
            batch.add_column(sa.Column("superseded_by_rules", JSONDoc))
    op.create_table(
        "pending_version",
        sa.Column("source_system", sa.String(20), nullable=False),
        sa.Column("stream", sa.String(40), nullable=False),
        sa.Column("source_record_id", sa.String(64), nullable=False),
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.Column("source_person_id", sa.String(64), nullable=False),
        sa.Column("quarantine_id", sa.BigInteger, nullable=False),
        sa.Column("rules", JSONDoc, nullable=False),
        sa.Column("quarantined_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("source_system", "stream", "source_record_id", name="pk_pending_version"),
    )
    op.create_index("ix_pending_version_beneficiary_id", "pending_version", ["beneficiary_id"])
    with op.batch_alter_table("beneficiary_profile") as batch:
        batch.add_column(sa.Column("pending_versions", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # the analysts' view of 0006 selects every column: rebuilt without this one
        op.execute("DROP VIEW IF EXISTS fase_marts.beneficiary_profile")
    with op.batch_alter_table("beneficiary_profile") as batch:
        batch.drop_column("pending_versions")
    if postgres:
        op.execute("CREATE VIEW fase_marts.beneficiary_profile AS SELECT * FROM beneficiary_profile")
    op.drop_index("ix_pending_version_beneficiary_id", table_name="pending_version")
    op.drop_table("pending_version")
    for table in reversed(SUPERSEDED_TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("superseded_by_rules")
            batch.drop_column("superseded_by")
