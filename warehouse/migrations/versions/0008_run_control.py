"""Run control: step_lock; pipeline_run gains host, pid, heartbeat, lease and `abandoned`; linkage_work.

Revision ID: 0008_run_control
Revises: 0007_search_indexes
"""

import sqlalchemy as sa
from alembic import op

from warehouse.types import UTCDateTime

revision = "0008_run_control"
down_revision = "0007_search_indexes"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('running', 'success', 'failed')"
NEW_STATUSES = "status IN ('running', 'success', 'failed', 'abandoned')"


def _defer_foreign_keys() -> None:
    """SQLite rebuilds pipeline_run to change its check; the rows that refer to it are checked at commit."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA defer_foreign_keys = ON")


def upgrade() -> None:
    _defer_foreign_keys()
    with op.batch_alter_table("pipeline_run") as batch:
        batch.add_column(sa.Column("host", sa.String(255)))
        batch.add_column(sa.Column("pid", sa.Integer))
        batch.add_column(sa.Column("heartbeat_at", UTCDateTime))
        batch.add_column(sa.Column("lease_seconds", sa.Integer))
        batch.drop_constraint("ck_pipeline_run_status", type_="check")
        batch.create_check_constraint("ck_pipeline_run_status", sa.text(NEW_STATUSES))
    op.create_table(
        "step_lock",
        sa.Column("scope", sa.String(60), primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("pipeline_run.run_id", name="fk_step_lock_run_id_pipeline_run")),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer),
        sa.Column("process_started", sa.Float),
        sa.Column("acquired_at", UTCDateTime, nullable=False),
        sa.Column("heartbeat_at", UTCDateTime, nullable=False),
        sa.Column("lease_seconds", sa.Integer, nullable=False),
    )
    op.create_table(
        "linkage_work",
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("linkage_run.run_id", name="fk_linkage_work_run_id_linkage_run"),
            primary_key=True,
        ),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("linkage_work")
    op.drop_table("step_lock")
    _defer_foreign_keys()
    op.execute("UPDATE pipeline_run SET status = 'failed' WHERE status = 'abandoned'")
    with op.batch_alter_table("pipeline_run") as batch:
        batch.drop_constraint("ck_pipeline_run_status", type_="check")
        batch.create_check_constraint("ck_pipeline_run_status", sa.text(OLD_STATUSES))
        for column in ("lease_seconds", "heartbeat_at", "pid", "host"):
            batch.drop_column(column)
