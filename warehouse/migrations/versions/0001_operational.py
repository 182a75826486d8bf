"""Operational tables: pipeline_run and sync_state.

Revision ID: 0001_operational
Revises:
"""

import sqlalchemy as sa
from alembic import op

from warehouse.types import JSONDoc, UTCDateTime

revision = "0001_operational"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_run",
        sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("system", sa.String(20)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("trigger", sa.String(40), nullable=False),
        sa.Column("orchestrator_run", sa.String(250)),
        sa.Column("task", sa.String(250)),
        sa.Column("error", sa.Text),
        sa.Column("summary", JSONDoc),
        sa.CheckConstraint("status IN ('running', 'success', 'failed')", name="ck_pipeline_run_status"),
    )
    op.create_index("ix_pipeline_run_step_started", "pipeline_run", ["step", "started_at"])
    op.create_table(
        "sync_state",
        sa.Column("system", sa.String(20), primary_key=True),
        sa.Column("stream", sa.String(40), primary_key=True),
        sa.Column("cursor_value", sa.String(100)),
        sa.Column("state", JSONDoc),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("pipeline_run.run_id", name="fk_sync_state_run_id_pipeline_run")),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
    op.drop_index("ix_pipeline_run_step_started", table_name="pipeline_run")
    op.drop_table("pipeline_run")
