"""Read API access: api_client (hashed keys, role, purpose, grants) and the append-only api_audit log.

Frozen DDL: the tables as the models described them when this revision was written (commit debf015),
written out literally; a later model change reaches a database only through a later revision. The
check constraint keeps the doubled name the naming convention gave it when this revision first ran.

Revision ID: 0005_api
Revises: 0004_identity
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_api"
down_revision = "0004_identity"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

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
    op.create_table(
        "api_client",
        sa.Column("client_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("key_prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(128), nullable=False),
        sa.Column("grants", JSON_DOC, nullable=False),
        sa.Column("scope", JSON_DOC),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_api_client")),
        sa.CheckConstraint(
            "role IN ('case_worker', 'analyst', 'integration')", name=op.f("ck_api_client_ck_api_client_role")
        ),
        sa.UniqueConstraint("key_prefix", name=op.f("uq_api_client_key_prefix")),
    )
    op.create_table(
        "api_audit",
        sa.Column("audit_id", BIGID, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("client_id", sa.String(40)),
        sa.Column("role", sa.String(20)),
        sa.Column("purpose", sa.String(200)),
        sa.Column("user_id", sa.String(100)),
        sa.Column("location", sa.String(200)),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("beneficiary_id", sa.String(24)),
        sa.Column("outcome", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text()),
        sa.PrimaryKeyConstraint("audit_id", name=op.f("pk_api_audit")),
    )
    op.create_index(op.f("ix_api_audit_beneficiary_id"), "api_audit", ["beneficiary_id"])
    op.create_index(op.f("ix_api_audit_client_at"), "api_audit", ["client_id", "at"])
    for statement in APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    op.drop_table("api_audit")
    op.drop_table("api_client")
