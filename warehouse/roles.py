"""The warehouse's PostgreSQL roles and their rights (``fase db roles``): who may read and write what.

- **owner**: the user of ``warehouse.url``; owns every object, runs migrations and the pipeline. Not created
  here (the database's administrator creates it with the database; it should not be a superuser).
- **api** (``database_roles.api``): what the read API and the console it serves need and nothing more —
  SELECT on the tables they read (``stg_stay``'s structure name and address and the quarantined payloads
  excluded, column by column; staging's ``iban_hash`` is readable because the console's explanation of a pair
  compares the two keyed hashes, and no API or console code serves it), EXECUTE on ``fase_stay_places`` (its
  only door to the places of hidden stays: no right on ``restricted_stay_address``), a steward's decisions
  (review items, link constraints, the linkage lock they take), INSERT on ``api_audit`` and nothing else on
  it: no SELECT, UPDATE, DELETE or TRUNCATE (the chain trigger, SECURITY DEFINER, gives each row its id and
  hash).
- **analyst** (``database_roles.analyst``): USAGE on schema ``fase_marts`` and SELECT on its pseudonymised
  views, nothing in the owner's schema; its search_path is ``fase_marts``, so the README's queries run as
  written.

``ensure_roles`` creates missing roles and (re)sets their passwords from the environment — sent as SCRAM
verifiers computed here, so no password crosses the wire or reaches a server log — and ``grant`` revokes
everything the roles hold, then grants exactly the lists below: running both again changes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from configuration import DatabaseRole, DatabaseRoles, require_env

MARTS_SCHEMA = "fase_marts"
API_READS = (
    "alembic_version",
    "api_client",
    "beneficiary",
    "beneficiary_crosswalk",
    "beneficiary_change",
    "stg_person",
    "stg_stay",
    "stg_residence",
    "stg_placement",
    "stg_volunteer_service",
    "stg_payment",
    "stg_payment_status",
    "golden_record",
    "golden_provenance",
    "fact_stay",
    "fact_residence",
    "fact_placement",
    "fact_volunteer_service",
    "fact_payment",
    "fact_payment_status",
    "household",
    "household_member",
    "pending_version",
    "quarantine",
)
"""Tables the read API selects from (api/repository.py, api/staging.py, api/clients.py, readiness; the pending
versions of a record: warehouse/profile/pending.py)."""
CONSOLE_READS = (
    "review_item",
    "link_constraint",
    "linkage_run",
    "match_pair",
    "pipeline_run",
    "sync_state",
    "step_lock",
    "quality_result",
    "publish_state",
    "beneficiary_profile",
    "mart_target_group",
    "mart_housing_flow",
    "mart_household_autonomy",
    "mart_benefit_type",
)
"""What the console (served by the same process, api/console/) reads beyond the read API: the review queue and the
linkage it explains, the runs and quality it reports on, the marts it charts."""
CONSOLE_WRITES = {
    "review_item": "INSERT, UPDATE",
    "link_constraint": "INSERT, UPDATE",
    "step_lock": "INSERT, UPDATE, DELETE",
    "pipeline_run": "UPDATE",
}
"""A steward's decisions (matching/review.py): the review item and its constraint, under the linkage lock (which
marks a dead holder's run abandoned)."""
API_HIDDEN_COLUMNS = {  # iban_hash is readable: the console's explanation of a pair compares the two keyed hashes
    "stg_stay": ("struttura", "indirizzo"),
    "quarantine": ("payload",),  # when a newer version waits and by which rules, never what it says
}
"""Columns of API_READS tables the API role may not read."""
API_FUNCTIONS = ("fase_stay_places(varchar, boolean)",)
API_INSERTS = ("api_audit",)


class RolesError(ValueError):
    """A configured role that cannot be used as it is (its name and why in the message)."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _exists(conn: Connection, name: str) -> bool:
    return conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first() is not None


def _powers(conn: Connection, name: str) -> list[str]:
    """The role's attributes beyond logging in (none is wanted for the API or analyst role)."""
    row = conn.execute(
        sa.text(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = :n"
        ),
        {"n": name},
    ).one()
    return [p for p, on in zip(("SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS"), row) if on]


def _verifier(conn: Connection, role: DatabaseRole) -> str:
    """The role's password as a SCRAM-SHA-256 verifier (libpq computes it client-side)."""
    password = require_env(role.password_env)
    driver = conn.connection.driver_connection
    if driver is None:
        raise RolesError("no database connection to compute the password verifier with")
    pgconn = driver.pgconn  # psycopg 3: libpq's PQencryptPasswordConn
    return pgconn.encrypt_password(password.encode(), role.name.encode(), b"scram-sha-256").decode()


def ensure_roles(admin: Connection, roles: DatabaseRoles) -> list[str]:
    """Create the configured roles that are missing, set every configured role's password and options;
    returns what was done, one line per role. `admin` may create roles (CREATEROLE or superuser)."""
    done = []
    for role in (roles.api, roles.analyst):
        if role is None:
            continue
        created = not _exists(admin, role.name)
        if created:  # no attribute but LOGIN (the defaults are NO...)
            admin.execute(sa.text(f"CREATE ROLE {_q(role.name)} LOGIN"))
        elif powers := _powers(admin, role.name):
            raise RolesError(f"role {role.name} already exists with {', '.join(powers)}: not fit for this use")
        verifier = _verifier(admin, role)
        admin.exec_driver_sql(  # not sa.text: the verifier's colons are no bind parameters
            f"ALTER ROLE {_q(role.name)} WITH LOGIN PASSWORD '{verifier}'"
        )
        done.append(f"role {role.name}: {'created' if created else 'exists'}, password from {role.password_env}")
    if roles.analyst is not None:
        admin.execute(sa.text(f"ALTER ROLE {_q(roles.analyst.name)} SET search_path = {MARTS_SCHEMA}"))
    return done


def _revoke_all(conn: Connection, name: str) -> None:
    role = _q(name)
    for schema in ("public", MARTS_SCHEMA):
        for kind in ("TABLES", "SEQUENCES", "FUNCTIONS"):
            conn.execute(sa.text(f"REVOKE ALL ON ALL {kind} IN SCHEMA {schema} FROM {role}"))
    conn.execute(sa.text(f"REVOKE ALL ON SCHEMA {MARTS_SCHEMA} FROM {role}"))


def _columns(conn: Connection, table: str) -> list[str]:
    return list(
        conn.execute(
            sa.text(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = :t ORDER BY ordinal_position"
            ),
            {"t": table},
        ).scalars()
    )


def _serial_sequences(conn: Connection, table: str) -> list[str]:
    """The sequences behind a table's serial columns (an INSERT by another role needs USAGE on them)."""
    rows = conn.execute(
        sa.text(
            "SELECT pg_get_serial_sequence(:t, column_name) FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = :t"
        ),
        {"t": table},
    ).scalars()
    return [r for r in rows if r]


def grant(owner: Connection, roles: DatabaseRoles) -> list[str]:
    """Give each configured (and existing) role exactly its rights; returns one line per role. Run as the
    owner of the warehouse's objects, after every migration (`fase db upgrade` does it)."""
    done = []
    if roles.api is not None and _exists(owner, roles.api.name):
        role = _q(roles.api.name)
        _revoke_all(owner, roles.api.name)
        owner.execute(sa.text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        for table in API_READS:
            hidden = API_HIDDEN_COLUMNS.get(table)
            if hidden is None:
                owner.execute(sa.text(f"GRANT SELECT ON {_q(table)} TO {role}"))
            else:
                shown = ", ".join(_q(c) for c in _columns(owner, table) if c not in hidden)
                owner.execute(sa.text(f"GRANT SELECT ({shown}) ON {_q(table)} TO {role}"))
        for table in API_INSERTS:
            owner.execute(sa.text(f"GRANT INSERT ON {_q(table)} TO {role}"))
        for table in CONSOLE_READS:
            owner.execute(sa.text(f"GRANT SELECT ON {_q(table)} TO {role}"))
        for table, rights in CONSOLE_WRITES.items():
            owner.execute(sa.text(f"GRANT {rights} ON {_q(table)} TO {role}"))
            for sequence in _serial_sequences(owner, table):
                owner.execute(sa.text(f"GRANT USAGE ON SEQUENCE {sequence} TO {role}"))
        for function in API_FUNCTIONS:
            owner.execute(sa.text(f"GRANT EXECUTE ON FUNCTION {function} TO {role}"))
        done.append(
            f"role {roles.api.name}: read API and console rights ({len(API_READS) + len(CONSOLE_READS)} tables, "
            "insert into api_audit, review decisions)"
        )
    if roles.analyst is not None and _exists(owner, roles.analyst.name):
        role = _q(roles.analyst.name)
        _revoke_all(owner, roles.analyst.name)
        owner.execute(sa.text(f"GRANT USAGE ON SCHEMA {MARTS_SCHEMA} TO {role}"))
        owner.execute(sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {MARTS_SCHEMA} TO {role}"))
        done.append(f"role {roles.analyst.name}: SELECT on schema {MARTS_SCHEMA} only")
    return done
