"""A beneficiary id's record in one statement: its status, its crosswalk rows and the published part of its merged
record — golden record, provenance, facts, payments with their statuses, household and pending versions — each as
a JSON object or array built by the database (``row_to_json``/``json_agg`` of a subselect on PostgreSQL,
``json_object``/``json_group_array`` on SQLite) in scalar subqueries of one SELECT.

Why: read one table at a time, a record took nine statements, and their round trips and per-statement driver
and SQLAlchemy work were most of the API's CPU per record (bench/api_load.py). JSON loses types, so ``published``
puts back what the response needs exact: money as text (never a float) to a 2-decimal Decimal, times as aware UTC
datetimes, the birth date as a date; dates stay ISO text (the response model parses them). Rows are sorted here
as the tables' readers sorted them, NULLs last.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import IDENTITY_TABLES
from warehouse.models import PROFILE_TABLES as P
from warehouse.types import UTCDateTime

CENT = Decimal("0.01")
GOLDEN_FIELDS = (
    "first_name",
    "last_name",
    "sex",
    "birth_date",
    "birthplace",
    "birth_country",
    "citizenship",
    "codice_fiscale",
    "phone",
    "email",
)
"""The golden record's person fields, each served with its provenance."""
RESIDENCE = ("toponym", "street", "number", "postcode", "municipality")
"""The parts of the golden record's residence (columns residence_<part>)."""
GOLDEN = (
    *GOLDEN_FIELDS,
    *(f"residence_{part}" for part in RESIDENCE),
    "is_protected",
    "address_protected",
)
PROVENANCE = ("attribute", "source_system", "source_person_id", "source_date", "rule", "decided_by")
FACTS = {  # record key -> (table, columns, sort columns)
    "residences": (
        "fact_residence",
        (
            "source_person_id",
            "valid_from",
            "valid_to",
            "toponym",
            "street",
            "number",
            "interno",
            "postcode",
            "municipality",
            "household_key",
            "household_role",
            "posizione",
            "address_protected",
        ),
        ("valid_from",),
    ),
    "stays": (
        "fact_stay",
        (
            "stay_id",
            "source_person_id",
            "structure_name",
            "structure_type",
            "address",
            "entry_date",
            "exit_date",
            "exit_reason",
            "confidential",
            "address_protected",
        ),
        ("entry_date", "stay_id"),
    ),
    "placements": (
        "fact_placement",
        (
            "placement_id",
            "source_person_id",
            "programme",
            "provider",
            "start_date",
            "end_date",
            "status",
            "hours_completed",
        ),
        ("start_date", "placement_id"),
    ),
    "services": (
        "fact_volunteer_service",
        ("service_id", "source_person_id", "association", "role", "service_type", "start_date", "end_date"),
        ("start_date", "service_id"),
    ),
    "payments": (
        "fact_payment",
        ("payment_id", "source_person_id", "benefit_type", "amount", "determina_number", "status", "determinato_on"),
        ("determinato_on", "payment_id"),
    ),
    "statuses": (
        "fact_payment_status",
        ("payment_id", "status", "reached_on", "reached_at", "evidence"),
        ("reached_on", "status"),
    ),
    "pending": (
        "pending_version",
        ("source_system", "source_person_id", "stream", "source_record_id", "quarantine_id", "rules", "quarantined_at"),
        ("source_system", "stream", "source_record_id"),
    ),
}
_STATEMENTS: dict[str, sa.Select] = {}


def _value(column: sa.ColumnElement, postgres: bool) -> sa.ColumnElement:
    """A column as a JSON value: money as text (exact), a JSON document as JSON on SQLite too."""
    if isinstance(column.type, sa.Numeric) and not isinstance(column.type, sa.Float | sa.Integer):
        return sa.cast(column, sa.Text) if postgres else column
    if isinstance(column.type, sa.JSON) and not postgres:
        return sa.func.json(column)
    return column


def _object(columns, postgres: bool) -> sa.ColumnElement:
    pairs = [x for c in columns for x in (sa.literal_column(f"'{c.name}'"), _value(c, postgres))]
    return sa.func.json_build_object(*pairs) if postgres else sa.func.json_object(*pairs)


def _part(name: str, from_, columns, where, postgres: bool, *, many: bool) -> sa.Label:
    """One scalar subquery of the statement: the rows of `columns` of `from_` matching `where`, as a JSON array
    (`many`) or object. On PostgreSQL as ``json_agg``/``row_to_json`` of a subselect naming each column once
    (unqualified when `from_` is one table): the statement stays under psycopg's 4 kB limit for caching a query's
    conversion, which saves the API a millisecond of CPU on each merged record."""
    if not postgres:
        obj = _object(columns, postgres)
        return sa.select(sa.func.json_group_array(obj) if many else obj).select_from(from_).where(*where).label(name)
    one_table = not isinstance(from_, sa.Join)
    values = []
    for c in columns:
        value = _value(c, postgres)
        values.append(value.label(c.name) if value is not c else sa.literal_column(c.name) if one_table else c)
    rows = sa.select(*values).select_from(from_).where(*where).subquery("r")
    value = (sa.func.json_agg if many else sa.func.row_to_json)(rows.table_valued())
    return sa.select(value).select_from(rows).label(name)


def _statement(postgres: bool) -> sa.Select:
    """SELECT (identity), (links), (golden), (provenance), (each fact), (household), (members) for the bound id."""
    bid = sa.bindparam("b", type_=sa.String)
    b, x = IDENTITY_TABLES["beneficiary"].alias("t"), IDENTITY_TABLES["beneficiary_crosswalk"].alias("t")
    g, prov = P["golden_record"].alias("t"), P["golden_provenance"].alias("t")
    links = [x.c.source_system, x.c.source_person_id, x.c.match_probability, x.c.linked_at]
    parts = [
        _part("identity", b, [b.c.status, b.c.merged_into], [b.c.beneficiary_id == bid], postgres, many=False),
        _part("links", x, links, [x.c.beneficiary_id == bid], postgres, many=True),
        _part("golden", g, [g.c[c] for c in GOLDEN], [g.c.beneficiary_id == bid], postgres, many=False),
        _part("provenance", prov, [prov.c[c] for c in PROVENANCE], [prov.c.beneficiary_id == bid], postgres, many=True),
    ]
    for key, (table, columns, _) in FACTS.items():
        t = P[table].alias("t")
        parts.append(_part(key, t, [t.c[c] for c in columns], [t.c.beneficiary_id == bid], postgres, many=True))
    m, h = P["household_member"], P["household"].alias("h")
    me, other = m.alias("me"), m.alias("o")
    own = [h.c.household_id, me.c.role, h.c.source, h.c.size, h.c.adults, h.c.minors]
    joined = me.join(h, h.c.household_id == me.c.household_id)
    parts.append(_part("household", joined, own, [me.c.beneficiary_id == bid], postgres, many=False))
    pair = me.join(other, other.c.household_id == me.c.household_id)
    where = [me.c.beneficiary_id == bid, other.c.beneficiary_id != bid]
    parts.append(_part("members", pair, [other.c.beneficiary_id, other.c.role], where, postgres, many=True))
    return sa.select(*parts)


def _loaded(value) -> Any:
    """A JSON column's value: PostgreSQL's driver parses json, SQLite returns text."""
    return json.loads(value) if isinstance(value, str) else value


def _sorted(rows: list[dict] | None, keys: tuple[str, ...]) -> list[dict]:
    return sorted(rows or [], key=lambda r: tuple((r[k] is None, r[k] if r[k] is not None else "") for k in keys))


def _typed(row: dict, table: str, columns: tuple[str, ...]) -> dict:
    """A fact row from JSON with its dates, times and flags as the table types them (JSON has only text,
    numbers and, on PostgreSQL, booleans)."""
    for c in columns:
        value, kind = row[c], P[table].c[c].type
        if value is None:
            continue
        if isinstance(kind, UTCDateTime):
            row[c] = _utc(value)
        elif isinstance(kind, sa.Date):
            row[c] = date.fromisoformat(value)
        elif isinstance(kind, sa.Boolean):
            row[c] = bool(value)
    return row


def _utc(value: str | None) -> datetime | None:
    if value is None:
        return None
    at = datetime.fromisoformat(value)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def fetch(conn: Connection, beneficiary_id: str) -> dict | None:
    """What the warehouse holds on a beneficiary id: ``identity`` (status, merged_into), ``links`` (its crosswalk
    rows, as ``repository.sources`` gives them) and, under the other keys, the published parts of its record
    (``golden`` None: not published yet). None when there is no such id."""
    dialect = conn.dialect.name
    if dialect not in _STATEMENTS:
        _STATEMENTS[dialect] = _statement(dialect == "postgresql")
    row = conn.execute(_STATEMENTS[dialect], {"b": beneficiary_id}).one()
    identity = _loaded(row.identity)
    if identity is None:
        return None
    links = _sorted(_loaded(row.links), ("source_system", "source_person_id"))
    for link in links:
        link["linked_at"] = _utc(link["linked_at"])
    golden = _loaded(row.golden)
    if golden is not None:
        golden["birth_date"] = date.fromisoformat(golden["birth_date"]) if golden["birth_date"] else None
    provenance = _loaded(row.provenance) or []
    for p in provenance:
        p["source_date"] = _utc(p["source_date"])
    out: dict = {"identity": identity, "links": links, "golden": golden, "provenance": provenance}
    for key, (table, columns, order) in FACTS.items():
        out[key] = [_typed(r, table, columns) for r in _sorted(_loaded(getattr(row, key)), order)]
    for payment in out["payments"]:
        payment["amount"] = Decimal(str(payment["amount"])).quantize(CENT)
    out["household"] = _loaded(row.household)
    out["members"] = sorted(_loaded(row.members) or [], key=lambda r: r["beneficiary_id"])
    return out
