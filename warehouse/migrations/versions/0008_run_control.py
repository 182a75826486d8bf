"""Run control: step_lock; pipeline_run gains host, pid, heartbeat, lease and `abandoned`; linkage_work.

Frozen DDL (literal types, `op.f()` names; see warehouse/README.md, Migrations). On SQLite the check of
pipeline_run changes by rebuilding the table (batch mode; env.py runs it with foreign keys off and checks
them before committing).

Revision ID: 0008_run_control
Revises: 0007_search_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_run_control"
down_revision = "0007_search_indexes"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
STATUS_CHECK = "ck_pipeline_run_ck_pipeline_run_status"  # op.f() at call time: `op` exists only then
OLD_STATUSES = "status IN ('running', 'success', 'failed')"
NEW_STATUSES = "status IN ('running', 'success', 'failed', 'abandoned')"
RUN_COLUMNS = ("host", "pid", "heartbeat_at", "lease_seconds")


def upgrade() -> None:
    with op.batch_alter_table("pipeline_run") as batch:
        batch.add_column(sa.Column("host", sa.String(255)))
        batch.add_column(sa.Column("pid", sa.Integer()))
        batch.add_column(sa.Column("heartbeat_at", TIMESTAMP))
        batch.add_column(sa.Column("lease_seconds", sa.Integer()))
        batch.drop_constraint(op.f(STATUS_CHECK), type_="check")
        batch.create_check_constraint(op.f(STATUS_CHECK), sa.text(NEW_STATUSES))
    op.create_table(
        "step_lock",
        sa.Column("scope", sa.String(60), nullable=False),
        sa.Column("run_id", sa.Integer()),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer()),
        sa.Column("process_started", sa.Float()),
        sa.Column("acquired_at", TIMESTAMP, nullable=False),
        sa.Column("heartbeat_at", TIMESTAMP, nullable=False),
        sa.Column("lease_seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_step_lock")),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_run.run_id"], name=op.f("fk_step_lock_run_id_pipeline_run")),
    )
    op.create_table(
        "linkage_work",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_linkage_work")),
        sa.ForeignKeyConstraint(["run_id"], ["linkage_run.run_id"], name=op.f("fk_linkage_work_run_id_linkage_run")),
    )


def downgrade() -> None:
    op.drop_table("linkage_work")
    op.drop_table("step_lock")
    op.execute("UPDATE pipeline_run SET status = 'failed' WHERE status = 'abandoned'")
    with op.batch_alter_table("pipeline_run") as batch:
        batch.drop_constraint(op.f(STATUS_CHECK), type_="check")
        batch.create_check_constraint(op.f(STATUS_CHECK), sa.text(OLD_STATUSES))
        for column in reversed(RUN_COLUMNS):
            batch.drop_column(column)
