"""Data quality: the quarantine of records that failed their contract, and stored expectation results.

A quarantine row of kind `record` is one failing raw version of one record with its failed rules in
words; it stays open until a later version of the record supersedes it (`released_run_id`). The
connectors file two more kinds, before anything reaches the raw layer: `file`, a source file refused
whole (no raw version, no record: `file_name`, `line`, `sha256` and the reason in `rules`), and
`row`, one source row refused on its own (a duplicate id with different content: its `source_id`,
the row as `payload`, no raw version). `quality_result` keeps one row per expectation per run of the
Great Expectations suites over the staging tables.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models.base import Base
from warehouse.types import JSONDoc, LosslessJSON, UTCDateTime, utcnow

QUARANTINE_KINDS = ("record", "file", "row")


class Quarantine(Base):
    """One raw version that failed its contract, or a source file or row a connector refused; open while
    `released_run_id` is null."""

    __tablename__ = "quarantine"

    quarantine_id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("pipeline_run.run_id"), nullable=False)
    system: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    stream: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    source_id: Mapped[str | None] = mapped_column(sa.String(64))  # null for a file
    raw_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # null for a file or a row
    rules: Mapped[list] = mapped_column(JSONDoc, nullable=False)
    payload: Mapped[dict] = mapped_column(LosslessJSON, nullable=False)
    quarantined_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    released_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pipeline_run.run_id"))
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="record", server_default="record")
    file_name: Mapped[str | None] = mapped_column(sa.String(255))
    line: Mapped[int | None] = mapped_column(sa.Integer)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {QUARANTINE_KINDS}", name="kind"),
        sa.Index("ix_quarantine_record", "system", "stream", "source_id"),
        sa.Index("ix_quarantine_open", "system", "released_run_id"),
    )


class QualityResult(Base):
    """The outcome of one expectation of one suite in one run."""

    __tablename__ = "quality_result"

    result_id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("pipeline_run.run_id"), nullable=False)
    suite: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    expectation: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    column: Mapped[str | None] = mapped_column(sa.String(200))
    success: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    observed: Mapped[dict | None] = mapped_column(JSONDoc)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (sa.Index("ix_quality_result_run", "run_id", "suite"),)
