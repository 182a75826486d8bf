"""Raw layer: raw_<system>_<stream> versioned tables and the sync_seen scratch table.

Frozen DDL: the tables as the models described them when this revision was written (commit 979f387),
written out literally; a later model change reaches a database only through a later revision.

Revision ID: 0002_raw_layer
Revises: 0001_operational
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_raw_layer"
down_revision = "0001_operational"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

RAW_TABLES = (
    "raw_sat_ospiti",
    "raw_sat_accoglienze",
    "raw_anagrafe_residenti",
    "raw_polis_participants",
    "raw_polis_placements",
    "raw_volontariato_anagrafiche",
    "raw_volontariato_servizi",
    "raw_contabilita_soggetti",
    "raw_contabilita_erogazioni",
)
"""One versioned table per source stream, all of the same shape."""


def _create_raw_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("raw_id", BIGID, nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("change", sa.String(10), nullable=False),
        sa.Column("payload", JSON_DOC, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_cursor", sa.String(64)),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("extracted_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("raw_id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("source_id", "version", name=op.f(f"uq_{name}_source_id_version")),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_run.run_id"], name=op.f(f"fk_{name}_run_id_pipeline_run")),
    )
    op.create_index(op.f(f"ix_{name}_current"), name, ["source_id", "is_current"])
    op.create_index(op.f(f"ix_{name}_run"), name, ["run_id"])


def upgrade() -> None:
    for name in RAW_TABLES:
        _create_raw_table(name)
    op.create_table(
        "sync_seen",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(20), nullable=False),
        sa.Column("stream", sa.String(40), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "system", "stream", "source_id", name=op.f("pk_sync_seen")),
        comment="scratch: ids seen by a reconciling sync (anagrafe snapshot, volontariato id sets), "
        "emptied in the same transaction",
    )


def downgrade() -> None:
    op.drop_table("sync_seen")
    for name in RAW_TABLES:
        op.drop_table(name)
