"""What a database reports about its schema, as plain data two databases can be compared by.

Alembic's autogenerate comparison skips primary-key and check constraints and the names of foreign
keys; this snapshot holds them all, read back through the database's own reflection, so a migrated
database and one built from the models (`metadata.create_all`) compare on the same terms.
Column order is left out on purpose: a column added by a later migration comes last in the table.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine

IGNORED_TABLES = {"alembic_version"}
SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast"}


def _by_name(items: list[dict[str, Any]]) -> dict[str | None, dict[str, Any]]:
    return {item["name"]: item for item in items}


def _table(inspector: sa.Inspector, dialect: Dialect, table: str) -> dict[str, Any]:
    columns = {
        c["name"]: {
            "type": c["type"].compile(dialect=dialect),
            "nullable": c["nullable"],
            "default": c.get("default"),
            "autoincrement": c.get("autoincrement"),
            "comment": c.get("comment"),
        }
        for c in inspector.get_columns(table)
    }
    fks = [
        {k: fk[k] for k in ("name", "constrained_columns", "referred_table", "referred_columns", "options")}
        for fk in inspector.get_foreign_keys(table)
    ]
    indexes = [{k: ix[k] for k in ("name", "column_names", "unique")} for ix in inspector.get_indexes(table)]
    return {
        "columns": columns,
        "primary_key": inspector.get_pk_constraint(table),
        "foreign_keys": _by_name(fks),
        "unique_constraints": _by_name(inspector.get_unique_constraints(table)),
        "check_constraints": _by_name(inspector.get_check_constraints(table)),
        "indexes": _by_name(indexes),
        "comment": inspector.get_table_comment(table)["text"] if dialect.supports_comments else None,
    }


def schema_snapshot(engine: Engine) -> dict[str, Any]:
    """Tables (columns with type, nullability, server default; keys, constraints, indexes, comment) and views."""
    inspector = sa.inspect(engine)
    tables = sorted(set(inspector.get_table_names()) - IGNORED_TABLES)
    schemas = sorted(set(inspector.get_schema_names()) - SYSTEM_SCHEMAS)
    return {
        "tables": {table: _table(inspector, engine.dialect, table) for table in tables},
        "views": {schema: sorted(inspector.get_view_names(schema=schema)) for schema in schemas},
    }


def snapshot_differences(first: Any, second: Any, names: tuple[str, str], path: str = "") -> list[str]:
    """Readable differences between two snapshots (or parts of them): one line per differing path."""
    if not (isinstance(first, dict) and isinstance(second, dict)):
        return [] if first == second else [f"{path}: {names[0]} {first!r} != {names[1]} {second!r}"]
    lines = []
    for key in sorted(set(first) | set(second), key=str):
        where = f"{path}.{key}" if path else str(key)
        if key not in second:
            lines.append(f"{where}: only in {names[0]}")
        elif key not in first:
            lines.append(f"{where}: only in {names[1]}")
        else:
            lines += snapshot_differences(first[key], second[key], names, where)
    return lines
