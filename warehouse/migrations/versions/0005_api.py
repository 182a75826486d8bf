"""Read API access: api_client (hashed keys, role, purpose, grants) and the append-only api_audit log.

Revision ID: 0005_api
Revises: 0004_identity
"""

from alembic import op

from warehouse.models.access import access_tables_columns

revision = "0005_api"
down_revision = "0004_identity"
branch_labels = None
depends_on = None

APPEND_ONLY = {
    "postgresql": [
        """CREATE FUNCTION api_audit_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'api_audit is append-only'; END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER api_audit_no_change BEFORE UPDATE OR DELETE ON api_audit
           FOR EACH ROW EXECUTE FUNCTION api_audit_append_only()""",
    ],
    "sqlite": [
        """CREATE TRIGGER api_audit_no_update BEFORE UPDATE ON api_audit
           BEGIN SELECT RAISE(ABORT, 'api_audit is append-only'); END""",
        """CREATE TRIGGER api_audit_no_delete BEFORE DELETE ON api_audit
           BEGIN SELECT RAISE(ABORT, 'api_audit is append-only'); END""",
    ],
}
DROP = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS api_audit_no_change ON api_audit",
        "DROP FUNCTION IF EXISTS api_audit_append_only()",
    ],
    "sqlite": ["DROP TRIGGER IF EXISTS api_audit_no_update", "DROP TRIGGER IF EXISTS api_audit_no_delete"],
}


def upgrade() -> None:
    for name, columns in access_tables_columns().items():
        op.create_table(name, *columns)
    for statement in APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    for name in reversed(list(access_tables_columns())):
        op.drop_table(name)
