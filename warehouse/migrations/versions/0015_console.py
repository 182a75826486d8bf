"""The steward's console: the role `steward` for api_client; indexes for a beneficiary's merge and split history.

- api_client's role check admits `steward` (reviews, undoes merges and splits, in the console);
- beneficiary_change gains indexes on `merged_into` (the merges into a beneficiary) and `kind` (the splits),
  read by the console's 360° page.

Frozen DDL (literal, `op.f()` names; see warehouse/README.md, Migrations). On SQLite the check changes by
rebuilding api_client (batch mode).

Revision ID: 0015_console
Revises: 0014_api_reads
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_console"
down_revision = "0014_api_reads"
branch_labels = None
depends_on = None

ROLE_CHECK = "ck_api_client_ck_api_client_role"  # the doubled name 0005 gave it; op.f() at call time
OLD_ROLES = "role IN ('case_worker', 'analyst', 'integration')"
NEW_ROLES = "role IN ('case_worker', 'analyst', 'integration', 'steward')"


def _role_check(expression: str) -> None:
    with op.batch_alter_table("api_client") as batch:
        batch.drop_constraint(op.f(ROLE_CHECK), type_="check")
        batch.create_check_constraint(op.f(ROLE_CHECK), sa.text(expression))


def upgrade() -> None:
    _role_check(NEW_ROLES)
    op.create_index(op.f("ix_beneficiary_change_merged_into"), "beneficiary_change", ["merged_into"])
    op.create_index(op.f("ix_beneficiary_change_kind"), "beneficiary_change", ["kind"])


def downgrade() -> None:
    op.drop_index(op.f("ix_beneficiary_change_kind"), table_name="beneficiary_change")
    op.drop_index(op.f("ix_beneficiary_change_merged_into"), table_name="beneficiary_change")
    # the old check admits no steward: keep the rows (the audit names them) as revoked case workers
    op.execute(
        "UPDATE api_client SET role = 'case_worker', revoked_at = COALESCE(revoked_at, CURRENT_TIMESTAMP) "
        "WHERE role = 'steward'"
    )
    _role_check(OLD_ROLES)
