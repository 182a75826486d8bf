"""Indexes on stg_person for the read API's search by surname and birth date.

Revision ID: 0007_search_indexes
Revises: 0006_profile
"""

from alembic import op

revision = "0007_search_indexes"
down_revision = "0006_profile"
branch_labels = None
depends_on = None

INDEXES = {"ix_stg_person_last_name_norm": ["last_name_norm"], "ix_stg_person_birth_date": ["birth_date"]}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(op.f(name), "stg_person", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(op.f(name), table_name="stg_person")
