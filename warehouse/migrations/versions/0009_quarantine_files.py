"""Quarantine entries for whole source files and single source rows refused by a connector.

`kind` tells a contract failure of a raw version (`record`, every existing entry) from a file
refused whole (`file`: file_name, line, sha256; no record, no raw version) and a source row refused
on its own (`row`: a duplicate id with different content; no raw version).

Revision ID: 0009_quarantine_files
Revises: 0008_run_control
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_quarantine_files"
down_revision = "0008_run_control"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.alter_column("source_id", existing_type=sa.String(64), nullable=True)
        batch.alter_column("raw_id", existing_type=sa.BigInteger, nullable=True)
        batch.add_column(sa.Column("kind", sa.String(10), nullable=False, server_default="record"))
        batch.add_column(sa.Column("file_name", sa.String(255)))
        batch.add_column(sa.Column("line", sa.Integer))
        batch.add_column(sa.Column("sha256", sa.String(64)))
        batch.create_check_constraint(op.f("ck_quarantine_kind"), "kind IN ('record', 'file', 'row')")


def downgrade() -> None:
    op.execute("DELETE FROM quarantine WHERE kind <> 'record'")
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_constraint(op.f("ck_quarantine_kind"), type_="check")
        batch.drop_column("sha256")
        batch.drop_column("line")
        batch.drop_column("file_name")
        batch.drop_column("kind")
        batch.alter_column("raw_id", existing_type=sa.BigInteger, nullable=False)
        batch.alter_column("source_id", existing_type=sa.String(64), nullable=False)
