"""Identity layer: beneficiary, beneficiary_crosswalk, beneficiary_change, match_pair, review_item,
link_constraint, linkage_run.

Revision ID: 0004_identity
Revises: 0003_staging
"""

from alembic import op

from warehouse.models.identity import identity_tables_columns

revision = "0004_identity"
down_revision = "0003_staging"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name, columns in identity_tables_columns().items():
        op.create_table(name, *columns)


def downgrade() -> None:
    for name in reversed(list(identity_tables_columns())):
        op.drop_table(name)
