"""Operational tables: pipeline_run and sync_state.

Frozen DDL: written out literally (types, names) so that no later change to the models, to
`warehouse.types` or to the naming convention can change what this revision creates. Every name is
wrapped in `op.f()` because Alembic applies the target metadata's naming convention to migration
operations; the check constraint keeps the doubled name that convention gave it when this revision
first ran.

Revision ID: 0001_operational
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_operational"
down_revision = None
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "pipeline_run",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("system", sa.String(20)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP),
        sa.Column("trigger", sa.String(40), nullable=False),
        sa.Column("orchestrator_run", sa.String(250)),
        sa.Column("task", sa.String(250)),
        sa.Column("error", sa.Text()),
        sa.Column("summary", JSON_DOC),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_pipeline_run")),
        sa.CheckConstraint(
            "status IN ('running', 'success', 'failed')", name=op.f("ck_pipeline_run_ck_pipeline_run_status")
        ),
    )
    op.create_index(op.f("ix_pipeline_run_step_started"), "pipeline_run", ["step", "started_at"])
    op.create_table(
        "sync_state",
        sa.Column("system", sa.String(20), nullable=False),
        sa.Column("stream", sa.String(40), nullable=False),
        sa.Column("cursor_value", sa.String(100)),
        sa.Column("state", JSON_DOC),
        sa.Column("run_id", sa.Integer()),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("system", "stream", name=op.f("pk_sync_state")),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_run.run_id"], name=op.f("fk_sync_state_run_id_pipeline_run")),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
    op.drop_index(op.f("ix_pipeline_run_step_started"), table_name="pipeline_run")
    op.drop_table("pipeline_run")
