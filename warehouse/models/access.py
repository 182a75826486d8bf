"""Access control and audit of the read API and the console: clients with hashed keys and a role (`steward`, the
console's reviewers, since migration 0012), and the append-only audit log."""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.models.base import Base
from warehouse.types import JSONDoc, UTCDateTime

ROLES = ("case_worker", "analyst", "integration", "steward")


def access_tables_columns() -> dict[str, list]:
    """Columns and constraints of the access tables (migrations write their DDL out literally)."""
    return {
        "api_client": [
            sa.Column("client_id", sa.String(40), primary_key=True),
            sa.Column("name", sa.String(200), nullable=False),
            sa.Column("role", sa.String(20), nullable=False),
            sa.Column("purpose", sa.String(200), nullable=False),
            sa.Column("key_prefix", sa.String(16), nullable=False, unique=True),
            sa.Column("key_hash", sa.String(128), nullable=False),
            sa.Column("grants", JSONDoc, nullable=False),
            sa.Column("scope", JSONDoc),
            sa.Column("rate_limit_per_minute", sa.Integer, nullable=False),
            sa.Column("created_at", UTCDateTime, nullable=False),
            sa.Column("revoked_at", UTCDateTime),
            sa.CheckConstraint(
                "role IN ('case_worker', 'analyst', 'integration', 'steward')", name="ck_api_client_role"
            ),
        ],
        "api_audit_beneficiary": [
            # one row per beneficiary of an audit row's beneficiary_ids, written by a trigger of api_audit (never
            # by a client): how `fase audit --beneficiary` finds a page read by any index; append-only too. No
            # foreign key (api_audit's TRUNCATE guard must stay the one that answers): `fase audit verify` checks it
            sa.Column(
                "audit_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
            ),
            sa.Column("beneficiary_id", sa.String(24), primary_key=True),
            sa.Index("ix_api_audit_beneficiary_beneficiary_id", "beneficiary_id"),
        ],
        "api_audit": [
            # ids come from the audit chain (migration 0011): on PostgreSQL its trigger assigns them in chain order
            # (no column default), on SQLite the INTEGER PRIMARY KEY is the rowid
            sa.Column(
                "audit_id",
                sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                primary_key=True,
                autoincrement=False,
                server_default=sa.FetchedValue(),
            ),
            sa.Column("at", UTCDateTime, nullable=False),
            sa.Column("client_id", sa.String(40)),
            sa.Column("role", sa.String(20)),
            sa.Column("purpose", sa.String(200)),
            sa.Column("user_id", sa.String(100)),
            sa.Column("location", sa.String(200)),
            sa.Column("method", sa.String(10), nullable=False),
            sa.Column("path", sa.String(500), nullable=False),
            sa.Column("beneficiary_id", sa.String(24)),
            sa.Column("outcome", sa.Integer, nullable=False),
            sa.Column("detail", sa.Text),
            # a read of several beneficiaries (a page of the change feed, of search hits): their ids as a JSON
            # array, hashed with the row; api_audit_beneficiary indexes them (0014_api_reads)
            sa.Column("beneficiary_ids", sa.Text),
            sa.Index("ix_api_audit_beneficiary_id", "beneficiary_id"),
            sa.Index("ix_api_audit_client_at", "client_id", "at"),
        ],
    }


ACCESS_TABLES: dict[str, sa.Table] = {
    name: sa.Table(name, Base.metadata, *cols) for name, cols in access_tables_columns().items()
}
