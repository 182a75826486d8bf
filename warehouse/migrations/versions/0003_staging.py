"""Staging layer (stg_person and event tables), quarantine and quality_result.

Revision ID: 0003_staging
Revises: 0002_raw_layer
"""

import sqlalchemy as sa
from alembic import op

from warehouse.models.staging import staging_tables_columns
from warehouse.types import JSONDoc, UTCDateTime

revision = "0003_staging"
down_revision = "0002_raw_layer"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _run_fk(table: str, column: str = "run_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["pipeline_run.run_id"], name=f"fk_{table}_{column}_pipeline_run")


def upgrade() -> None:
    for name, items in staging_tables_columns().items():
        op.create_table(name, *items)
    op.create_table(
        "quarantine",
        sa.Column("quarantine_id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("system", sa.String(20), nullable=False),
        sa.Column("stream", sa.String(40), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("raw_id", sa.BigInteger, nullable=False),
        sa.Column("rules", JSONDoc, nullable=False),
        sa.Column("payload", JSONDoc, nullable=False),
        sa.Column("quarantined_at", UTCDateTime, nullable=False),
        sa.Column("released_run_id", sa.Integer),
        _run_fk("quarantine"),
        _run_fk("quarantine", "released_run_id"),
        sa.PrimaryKeyConstraint("quarantine_id", name="pk_quarantine"),
    )
    op.create_index("ix_quarantine_record", "quarantine", ["system", "stream", "source_id"])
    op.create_index("ix_quarantine_open", "quarantine", ["system", "released_run_id"])
    op.create_table(
        "quality_result",
        sa.Column("result_id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("suite", sa.String(80), nullable=False),
        sa.Column("expectation", sa.String(120), nullable=False),
        sa.Column("column", sa.String(200)),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("observed", JSONDoc),
        sa.Column("checked_at", UTCDateTime, nullable=False),
        _run_fk("quality_result"),
        sa.PrimaryKeyConstraint("result_id", name="pk_quality_result"),
    )
    op.create_index("ix_quality_result_run", "quality_result", ["run_id", "suite"])


def downgrade() -> None:
    op.drop_table("quality_result")
    op.drop_table("quarantine")
    for name in reversed(list(staging_tables_columns())):
        op.drop_table(name)
