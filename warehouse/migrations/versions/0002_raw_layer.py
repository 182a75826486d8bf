"""Raw layer: raw_<system>_<stream> versioned tables and the sync_seen scratch table.

Revision ID: 0002_raw_layer
Revises: 0001_operational
"""

import sqlalchemy as sa
from alembic import op

from warehouse.models.raw import RAW_STREAMS, raw_columns, raw_constraints, raw_table_name

revision = "0002_raw_layer"
down_revision = "0001_operational"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for system, streams in RAW_STREAMS.items():
        for stream in streams:
            name = raw_table_name(system, stream)
            op.create_table(name, *raw_columns(name), *raw_constraints(name))
    op.create_table(
        "sync_seen",
        sa.Column("run_id", sa.Integer, primary_key=True),
        sa.Column("system", sa.String(20), primary_key=True),
        sa.Column("stream", sa.String(40), primary_key=True),
        sa.Column("source_id", sa.String(64), primary_key=True),
        comment="scratch: ids seen by a reconciling sync (anagrafe snapshot, volontariato id sets), "
        "emptied in the same transaction",
    )


def downgrade() -> None:
    op.drop_table("sync_seen")
    for system, streams in RAW_STREAMS.items():
        for stream in streams:
            op.drop_table(raw_table_name(system, stream))
