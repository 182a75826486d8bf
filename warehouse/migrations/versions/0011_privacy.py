"""Privacy: protected-address flags, a hash-chained audit log with a TRUNCATE guard, the analysts'
pseudonymised schema and the API's one door to confidential stay places.

Both dialects:
- `address_protected` (boolean, default false) on golden_record, golden_history, fact_residence, fact_stay:
  set by every publish (warehouse/profile/protection.py);
- `prev_hash`, `row_hash` on api_audit (the chain, warehouse/audit_chain.py); existing rows are chained here;
- table `analyst_pseudonym` (kind, id -> keyed pseudonym), filled by publish on PostgreSQL.

PostgreSQL only:
- api_audit: a BEFORE TRUNCATE statement trigger refuses TRUNCATE; a SECURITY DEFINER BEFORE INSERT trigger
  chains each row under an advisory transaction lock and gives it its id (the column default is dropped: ids
  follow the chain), so that a role with only INSERT can write it;
- function `fase_stay_places(beneficiary_id, published)` (SECURITY DEFINER, EXECUTE revoked from PUBLIC):
  structure name and address of a beneficiary's stays — from restricted_stay_address for a published one, from
  stg_stay for one not yet published — the only way the API role reads them;
- schema fase_marts: the views of 0006 (which exposed names and codici fiscali) are replaced by pseudonymised
  views: ids through analyst_pseudonym, birth year only, no names, codes, phones, e-mails, street addresses,
  structure names or source ids; the registry municipality of protected addresses withheld.

Revision ID: 0011_privacy
Revises: 0010_staging_pending_versions
"""

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0011_privacy"
down_revision = "0010_staging_pending_versions"
branch_labels = None
depends_on = None

FLAGGED = ("golden_record", "golden_history", "fact_residence", "fact_stay")
MARTS = "fase_marts"
OLD_VIEWS = (  # migration 0006: one view per analyst-safe table
    "beneficiary_source",
    "golden_record",
    "golden_provenance",
    "golden_history",
    "fact_stay",
    "fact_residence",
    "fact_placement",
    "fact_volunteer_service",
    "fact_payment",
    "fact_payment_status",
    "household",
    "household_member",
    "beneficiary_profile",
    "mart_target_group",
    "mart_housing_flow",
    "mart_stay_length",
    "mart_household_autonomy",
    "mart_system_coverage",
    "mart_benefit_type",
    "mart_benefit_beneficiary",
    "publish_state",
)


def _ps(alias: str, kind: str, column: str, outer: bool = True) -> str:
    join = "LEFT JOIN" if outer else "JOIN"
    return f"{join} analyst_pseudonym {alias} ON {alias}.kind = '{kind}' AND {alias}.id = {column}"


ANALYST_VIEWS = {
    "beneficiary_profile": f"""
        SELECT b.pseudonym AS beneficiary_id, p.sex, CAST(EXTRACT(YEAR FROM p.birth_date) AS integer) AS birth_year,
               p.is_minor, p.citizenship, p.resident_in_florence, h.pseudonym AS household_id, p.household_size,
               p.household_minors, p.in_accommodation, p.current_structure_type, p.current_stay_since, p.stays,
               p.total_days_hosted, p.exits_to_autonomy, p.placements_active, p.placements_hired,
               p.placements_completed, p.placements_dropped_out, p.services_as_beneficiary, p.services_as_volunteer,
               p.paid_12m_total, p.paid_12m_contributo_affitto, p.paid_12m_morosita_incolpevole,
               p.paid_12m_contributo_economico, p.paid_12m_buono_spesa, p.paid_12m_deposito_cauzionale,
               p.paid_12m_utenze, p.eviction_risk, p.single_parent_with_minors, p.is_protected, p.systems,
               p.systems_count, p.target_group_1, p.target_group_2, p.target_group_3, p.target_groups
        FROM beneficiary_profile p
        {_ps("b", "beneficiary", "p.beneficiary_id", outer=False)}
        {_ps("h", "household", "p.household_id")}""",
    "household": f"""
        SELECT h.pseudonym AS household_id, x.source, x.size, x.adults, x.minors, x.single_parent_with_minors,
               s.pseudonym AS single_parent_id, x.resident_in_florence, x.housing_need, x.eviction_risk,
               x.ever_hosted, x.reached_autonomy
        FROM household x
        {_ps("h", "household", "x.household_id", outer=False)}
        {_ps("s", "beneficiary", "x.single_parent_id")}""",
    "household_member": f"""
        SELECT b.pseudonym AS beneficiary_id, h.pseudonym AS household_id, m.role, m.is_minor, m.via
        FROM household_member m
        {_ps("b", "beneficiary", "m.beneficiary_id", outer=False)}
        {_ps("h", "household", "m.household_id", outer=False)}""",
    "fact_stay": f"""
        SELECT e.pseudonym AS stay_id, b.pseudonym AS beneficiary_id, f.structure_type, f.entry_date, f.exit_date,
               f.exit_reason, f.days_hosted, f.to_autonomy, f.confidential
        FROM fact_stay f
        {_ps("e", "stay", "f.stay_id", outer=False)}
        {_ps("b", "beneficiary", "f.beneficiary_id", outer=False)}""",
    "fact_residence": f"""
        SELECT e.pseudonym AS record_id, b.pseudonym AS beneficiary_id, f.valid_from, f.valid_to,
               CASE WHEN f.address_protected THEN NULL ELSE f.municipality END AS municipality,
               h.pseudonym AS household_key, f.household_role, f.posizione
        FROM fact_residence f
        {_ps("e", "registry_record", "f.source_person_id", outer=False)}
        {_ps("b", "beneficiary", "f.beneficiary_id", outer=False)}
        {_ps("h", "household", "f.household_key")}""",
    "fact_placement": f"""
        SELECT e.pseudonym AS placement_id, b.pseudonym AS beneficiary_id, f.programme, f.provider, f.start_date,
               f.end_date, f.status, f.hours_completed
        FROM fact_placement f
        {_ps("e", "placement", "f.placement_id", outer=False)}
        {_ps("b", "beneficiary", "f.beneficiary_id", outer=False)}""",
    "fact_volunteer_service": f"""
        SELECT e.pseudonym AS service_id, b.pseudonym AS beneficiary_id, f.association, f.role, f.service_type,
               f.start_date, f.end_date
        FROM fact_volunteer_service f
        {_ps("e", "service", "f.service_id", outer=False)}
        {_ps("b", "beneficiary", "f.beneficiary_id", outer=False)}""",
    "fact_payment": f"""
        SELECT e.pseudonym AS payment_id, b.pseudonym AS beneficiary_id, f.benefit_type, f.amount, f.status,
               f.determinato_on, f.liquidato_on, f.pagato_on, f.revocato_on
        FROM fact_payment f
        {_ps("e", "payment", "f.payment_id", outer=False)}
        {_ps("b", "beneficiary", "f.beneficiary_id", outer=False)}""",
    "fact_payment_status": f"""
        SELECT e.pseudonym AS payment_id, f.status, b.pseudonym AS beneficiary_id, f.reached_on, f.reached_at,
               f.evidence
        FROM fact_payment_status f
        {_ps("e", "payment", "f.payment_id", outer=False)}
        {_ps("b", "beneficiary", "f.beneficiary_id", outer=False)}""",
    "mart_benefit_beneficiary": f"""
        SELECT b.pseudonym AS beneficiary_id, f.benefit_type, f.payments, f.total_paid, f.paid_12m, f.last_paid_on
        FROM mart_benefit_beneficiary f
        {_ps("b", "beneficiary", "f.beneficiary_id", outer=False)}""",
    "mart_target_group": "SELECT target_group, label, people, households FROM mart_target_group",
    "mart_housing_flow": "SELECT month, flow, exit_reason, stays, people, households FROM mart_housing_flow",
    "mart_stay_length": """SELECT structure_type, closed_stays, avg_days_closed, ongoing_stays, avg_days_ongoing
        FROM mart_stay_length""",
    "mart_household_autonomy": """SELECT cohort, households_hosted, households_exited, households_autonomy,
        share_autonomy FROM mart_household_autonomy""",
    "mart_system_coverage": "SELECT systems, systems_count, people FROM mart_system_coverage",
    "mart_benefit_type": """SELECT benefit_type, period, payments, beneficiaries, total_paid, avg_per_beneficiary
        FROM mart_benefit_type""",
    "publish_state": "SELECT name, as_of, published_at FROM publish_state",
}

GENESIS = "0" * 64
CHAINED = (
    "audit_id",
    "at",
    "client_id",
    "role",
    "purpose",
    "user_id",
    "location",
    "method",
    "path",
    "beneficiary_id",
    "outcome",
    "detail",
)
AUDIT_CHAIN_LOCK = 7_046_330_501  # advisory lock key of the audit chain

POSTGRES_AUDIT = [
    """CREATE FUNCTION api_audit_field(t text) RETURNS text LANGUAGE sql IMMUTABLE AS
       $$ SELECT CASE WHEN t IS NULL THEN '-' ELSE length(t)::text || ':' || t END $$""",
    """CREATE FUNCTION api_audit_row_hash(a api_audit, prev text) RETURNS text LANGUAGE sql STABLE AS $$
       SELECT encode(sha256(convert_to(concat_ws('|',
           api_audit_field(a.audit_id::text),
           api_audit_field(to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')),
           api_audit_field(a.client_id), api_audit_field(a.role), api_audit_field(a.purpose),
           api_audit_field(a.user_id), api_audit_field(a.location), api_audit_field(a.method),
           api_audit_field(a.path), api_audit_field(a.beneficiary_id), api_audit_field(a.outcome::text),
           api_audit_field(a.detail), prev), 'UTF8')), 'hex') $$""",
    f"""CREATE FUNCTION api_audit_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
       SET search_path = public, pg_temp AS $$
       DECLARE prev text;
       BEGIN
         IF current_setting('transaction_isolation') <> 'read committed' THEN
           RAISE EXCEPTION 'api_audit rows are chained in READ COMMITTED transactions only';
         END IF;
         PERFORM pg_advisory_xact_lock({AUDIT_CHAIN_LOCK});
         NEW.audit_id := nextval(pg_get_serial_sequence('public.api_audit', 'audit_id'));
         SELECT row_hash INTO prev FROM api_audit ORDER BY audit_id DESC LIMIT 1;
         NEW.prev_hash := coalesce(prev, repeat('0', 64));
         NEW.row_hash := api_audit_row_hash(NEW, NEW.prev_hash);
         RETURN NEW;
       END $$""",
    """DO $$ DECLARE r api_audit; prev text := repeat('0', 64); h text;
       BEGIN
         FOR r IN SELECT * FROM api_audit ORDER BY audit_id LOOP
           h := api_audit_row_hash(r, prev);
           UPDATE api_audit SET prev_hash = prev, row_hash = h WHERE audit_id = r.audit_id;
           prev := h;
         END LOOP;
       END $$""",
    "ALTER TABLE api_audit ALTER COLUMN audit_id DROP DEFAULT",
    """CREATE TRIGGER api_audit_chained BEFORE INSERT ON api_audit
       FOR EACH ROW EXECUTE FUNCTION api_audit_chain()""",
    """CREATE TRIGGER api_audit_no_truncate BEFORE TRUNCATE ON api_audit
       FOR EACH STATEMENT EXECUTE FUNCTION api_audit_append_only()""",
]
POSTGRES_STAY_PLACES = [
    """CREATE FUNCTION fase_stay_places(p_beneficiary_id varchar, p_published boolean)
       RETURNS TABLE (stay_id varchar, structure_name text, address text)
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
         SELECT r.stay_id, r.structure_name, r.address FROM restricted_stay_address r
          WHERE p_published AND r.beneficiary_id = p_beneficiary_id
         UNION ALL
         SELECT s.stay_id, s.struttura, s.indirizzo FROM stg_stay s
           JOIN beneficiary_crosswalk x ON x.source_system = 'sat' AND x.source_person_id = s.source_person_id
          WHERE NOT p_published AND x.beneficiary_id = p_beneficiary_id $$""",
    "REVOKE ALL ON FUNCTION fase_stay_places(varchar, boolean) FROM PUBLIC",
]


def _sqlite_row_hash(row: dict, prev: str) -> str:
    """The chain's hash as of this revision (warehouse/audit_chain.py keeps the live copy)."""
    parts = []
    for field in CHAINED:
        value = row[field]
        if isinstance(value, datetime):
            value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        text = None if value is None else str(value)
        parts.append("-" if text is None else f"{len(text)}:{text}")
    parts.append(prev)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _chain_sqlite() -> None:
    bind = op.get_bind()
    op.execute("DROP TRIGGER IF EXISTS api_audit_no_update")
    rows = bind.execute(sa.text(f"SELECT {', '.join(CHAINED)} FROM api_audit ORDER BY audit_id")).mappings().all()
    prev = GENESIS
    for row in rows:
        row = dict(row)
        if row["at"] is not None:  # stored as naive UTC text
            row["at"] = datetime.fromisoformat(str(row["at"])).replace(tzinfo=UTC)
        digest = _sqlite_row_hash(row, prev)
        bind.execute(
            sa.text("UPDATE api_audit SET prev_hash = :p, row_hash = :h WHERE audit_id = :i"),
            {"p": prev, "h": digest, "i": row["audit_id"]},
        )
        prev = digest
    op.execute(
        """CREATE TRIGGER api_audit_no_update BEFORE UPDATE ON api_audit
           BEGIN SELECT RAISE(ABORT, 'api_audit is append-only'); END"""
    )


def upgrade() -> None:
    for table in FLAGGED:
        op.add_column(table, sa.Column("address_protected", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("api_audit", sa.Column("prev_hash", sa.String(64)))
    op.add_column("api_audit", sa.Column("row_hash", sa.String(64)))
    op.create_table(
        "analyst_pseudonym",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("pseudonym", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id", name="pk_analyst_pseudonym"),
    )
    if op.get_bind().dialect.name != "postgresql":
        _chain_sqlite()
        return
    op.execute("ALTER TABLE api_audit DISABLE TRIGGER api_audit_no_change")
    for statement in POSTGRES_AUDIT:
        op.execute(statement)
    op.execute("ALTER TABLE api_audit ENABLE TRIGGER api_audit_no_change")
    for statement in POSTGRES_STAY_PLACES:
        op.execute(statement)
    op.execute("REVOKE ALL ON TABLE analyst_pseudonym FROM PUBLIC")
    for name in OLD_VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {MARTS}.{name}")
    for name, query in ANALYST_VIEWS.items():
        op.execute(f"CREATE VIEW {MARTS}.{name} AS {query}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ANALYST_VIEWS:
            op.execute(f"DROP VIEW IF EXISTS {MARTS}.{name}")
        op.execute("DROP FUNCTION IF EXISTS fase_stay_places(varchar, boolean)")
        op.execute("DROP TRIGGER IF EXISTS api_audit_no_truncate ON api_audit")
        op.execute("DROP TRIGGER IF EXISTS api_audit_chained ON api_audit")
        # the sequence by name (a default calling pg_get_serial_sequence would not be the serial default again)
        seq = op.get_bind().execute(sa.text("SELECT pg_get_serial_sequence('api_audit', 'audit_id')")).scalar()
        op.execute(f"ALTER TABLE api_audit ALTER COLUMN audit_id SET DEFAULT nextval('{seq}'::regclass)")
        op.execute("DROP FUNCTION IF EXISTS api_audit_chain()")
        op.execute("DROP FUNCTION IF EXISTS api_audit_row_hash(api_audit, text)")
        op.execute("DROP FUNCTION IF EXISTS api_audit_field(text)")
    op.drop_table("analyst_pseudonym")
    # plain ALTER TABLE (SQLite >= 3.35 too): a batch copy of the table would lose api_audit's triggers
    for column in ("row_hash", "prev_hash"):
        op.execute(f"ALTER TABLE api_audit DROP COLUMN {column}")
    for table in reversed(FLAGGED):
        op.execute(f"ALTER TABLE {table} DROP COLUMN address_protected")
    if op.get_bind().dialect.name == "postgresql":
        for name in OLD_VIEWS:
            op.execute(f"CREATE VIEW {MARTS}.{name} AS SELECT * FROM {name}")
