"""Raw layer: one versioned table per source stream, ``raw_<system>_<stream>``.

A row is one version of one source record, payload as received (IBANs already replaced by a
keyed hash), with lineage: run, extraction time, the source's cursor value, a content hash.
Unchanged re-sends add nothing; a change or a deletion adds a version and retires the current one.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.models.base import Base
from warehouse.types import JSONDoc, UTCDateTime

RAW_STREAMS: dict[str, tuple[str, ...]] = {
    "sat": ("ospiti", "accoglienze"),
    "anagrafe": ("residenti",),
    "polis": ("participants", "placements"),
    "volontariato": ("anagrafiche", "servizi"),
    "contabilita": ("soggetti", "erogazioni"),
}
CHANGE_KINDS = ("new", "changed", "deleted", "restored")


def raw_table_name(system: str, stream: str) -> str:
    if stream not in RAW_STREAMS.get(system, ()):
        raise KeyError(f"unknown stream {system}.{stream}")
    return f"raw_{system}_{stream}"


def raw_columns(table: str) -> list[sa.Column]:
    """Columns of raw table `table` (a fresh list per table; migrations write their DDL out literally)."""
    return [
        sa.Column("raw_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("change", sa.String(10), nullable=False),
        sa.Column("payload", JSONDoc, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_cursor", sa.String(64)),
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("pipeline_run.run_id", name=f"fk_{table}_run_id_pipeline_run"),
            nullable=False,
        ),
        sa.Column("extracted_at", UTCDateTime, nullable=False),
    ]


def raw_constraints(table: str) -> list:
    return [
        sa.UniqueConstraint("source_id", "version", name=f"uq_{table}_source_id_version"),
        sa.Index(f"ix_{table}_current", "source_id", "is_current"),
        sa.Index(f"ix_{table}_run", "run_id"),
    ]


RAW_TABLES: dict[tuple[str, str], sa.Table] = {}
for _system, _streams in RAW_STREAMS.items():
    for _stream in _streams:
        _name = raw_table_name(_system, _stream)
        RAW_TABLES[(_system, _stream)] = sa.Table(_name, Base.metadata, *raw_columns(_name), *raw_constraints(_name))

sync_seen = sa.Table(
    "sync_seen",
    Base.metadata,
    sa.Column("run_id", sa.Integer, primary_key=True),
    sa.Column("system", sa.String(20), primary_key=True),
    sa.Column("stream", sa.String(40), primary_key=True),
    sa.Column("source_id", sa.String(64), primary_key=True),
    comment="scratch: ids seen by a reconciling sync (anagrafe snapshot, volontariato id sets), emptied in the same transaction",
)
