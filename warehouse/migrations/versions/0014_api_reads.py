"""The read API's reads: a page read as one audit row naming its beneficiaries, and the search's index on the birth
date the codice fiscale encodes.

Both dialects:
- `stg_person.cf_birth_date` indexed (the search narrows by `birth_date IN (...) OR cf_birth_date IN (...)`:
  without it PostgreSQL scanned the table);
- `api_audit.beneficiary_ids` (text, a JSON array): the beneficiaries of a read of several (a change feed page,
  search hits), hashed with the row when set — rows without it hash as before, so the chain written before
  this revision verifies unchanged;
- table `api_audit_beneficiary` (audit_id, beneficiary_id): one row per beneficiary of such a list, written by a
  trigger on api_audit (so the API's role needs no right on it and every writer fills it), append-only: how
  `fase audit --beneficiary` finds a page read by an index (no foreign key: `fase audit verify` checks it
  against the lists, and api_audit's own TRUNCATE guard stays the one that answers).

PostgreSQL: the chain's row hash function covers `beneficiary_ids`; an AFTER INSERT trigger (SECURITY DEFINER)
fills api_audit_beneficiary; UPDATE, DELETE and TRUNCATE of it are refused like api_audit's.

Revision ID: 0014_api_reads
Revises: 0011_privacy
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_api_reads"
down_revision = "0011_privacy"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ROW_HASH = """CREATE OR REPLACE FUNCTION api_audit_row_hash(a api_audit, prev text) RETURNS text LANGUAGE sql STABLE AS $$
       SELECT encode(sha256(convert_to(concat_ws('|',
           api_audit_field(a.audit_id::text),
           api_audit_field(to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')),
           api_audit_field(a.client_id), api_audit_field(a.role), api_audit_field(a.purpose),
           api_audit_field(a.user_id), api_audit_field(a.location), api_audit_field(a.method),
           api_audit_field(a.path), api_audit_field(a.beneficiary_id), api_audit_field(a.outcome::text),
           api_audit_field(a.detail), {extra}prev), 'UTF8')), 'hex') $$"""
"""The chain's row hash (0011_privacy), formatted with the fields this revision adds (none to downgrade)."""
POSTGRES = [
    ROW_HASH.format(extra="length(a.beneficiary_ids)::text || ':' || a.beneficiary_ids, "),  # NULL: skipped
    """CREATE FUNCTION api_audit_index() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
       SET search_path = public, pg_temp AS $$
       BEGIN
         INSERT INTO api_audit_beneficiary (audit_id, beneficiary_id)
           SELECT NEW.audit_id, b FROM json_array_elements_text(NEW.beneficiary_ids::json) AS b;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER api_audit_indexed AFTER INSERT ON api_audit
       FOR EACH ROW WHEN (NEW.beneficiary_ids IS NOT NULL) EXECUTE FUNCTION api_audit_index()""",
    """CREATE TRIGGER api_audit_beneficiary_no_change BEFORE UPDATE OR DELETE ON api_audit_beneficiary
       FOR EACH ROW EXECUTE FUNCTION api_audit_append_only()""",
    """CREATE TRIGGER api_audit_beneficiary_no_truncate BEFORE TRUNCATE ON api_audit_beneficiary
       FOR EACH STATEMENT EXECUTE FUNCTION api_audit_append_only()""",
    "REVOKE ALL ON TABLE api_audit_beneficiary FROM PUBLIC",
]
SQLITE = [
    """CREATE TRIGGER api_audit_indexed AFTER INSERT ON api_audit WHEN NEW.beneficiary_ids IS NOT NULL
       BEGIN INSERT INTO api_audit_beneficiary (audit_id, beneficiary_id)
             SELECT NEW.audit_id, value FROM json_each(NEW.beneficiary_ids); END""",
    """CREATE TRIGGER api_audit_beneficiary_no_update BEFORE UPDATE ON api_audit_beneficiary
       BEGIN SELECT RAISE(ABORT, 'api_audit is append-only'); END""",
    """CREATE TRIGGER api_audit_beneficiary_no_delete BEFORE DELETE ON api_audit_beneficiary
       BEGIN SELECT RAISE(ABORT, 'api_audit is append-only'); END""",
]


def upgrade() -> None:
    op.create_index(op.f("ix_stg_person_cf_birth_date"), "stg_person", ["cf_birth_date"])
    # plain ALTER TABLE (SQLite too): a batch copy of the table would lose api_audit's triggers
    op.add_column("api_audit", sa.Column("beneficiary_ids", sa.Text))
    op.create_table(
        "api_audit_beneficiary",
        sa.Column("audit_id", BIGID, nullable=False, autoincrement=False),
        sa.Column("beneficiary_id", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("audit_id", "beneficiary_id", name=op.f("pk_api_audit_beneficiary")),
    )
    op.create_index(op.f("ix_api_audit_beneficiary_beneficiary_id"), "api_audit_beneficiary", ["beneficiary_id"])
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS api_audit_indexed ON api_audit")
        op.execute("DROP FUNCTION IF EXISTS api_audit_index()")
        op.execute(ROW_HASH.format(extra=""))
    else:
        for trigger in ("api_audit_indexed", "api_audit_beneficiary_no_update", "api_audit_beneficiary_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_table("api_audit_beneficiary")
    op.execute("ALTER TABLE api_audit DROP COLUMN beneficiary_ids")
    op.drop_index(op.f("ix_stg_person_cf_birth_date"), table_name="stg_person")
