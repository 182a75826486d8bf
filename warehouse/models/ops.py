"""Operational tables: pipeline runs and per-stream sync state."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models.base import Base
from warehouse.types import JSONDoc, UTCDateTime, utcnow

RUN_STATUSES = ("running", "success", "failed")


class PipelineRun(Base):
    """One execution of a pipeline step (sync, stage, link, publish, quality), from the CLI or Airflow."""

    __tablename__ = "pipeline_run"

    run_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    step: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    system: Mapped[str | None] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="cli")
    orchestrator_run: Mapped[str | None] = mapped_column(sa.String(250))
    task: Mapped[str | None] = mapped_column(sa.String(250))
    error: Mapped[str | None] = mapped_column(sa.Text)
    summary: Mapped[dict | None] = mapped_column(JSONDoc)

    __table_args__ = (
        # Named like the other models' checks; the naming convention makes it
        # ck_pipeline_run_ck_pipeline_run_status, the name migration 0001 has always created.
        sa.CheckConstraint(f"status IN {RUN_STATUSES}", name="ck_pipeline_run_status"),
        sa.Index("ix_pipeline_run_step_started", "step", "started_at"),
    )


class SyncState(Base):
    """Where the last committed sync of one stream stopped; updated in the same transaction as its rows."""

    __tablename__ = "sync_state"

    system: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    stream: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    cursor_value: Mapped[str | None] = mapped_column(sa.String(100))
    state: Mapped[dict | None] = mapped_column(JSONDoc)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pipeline_run.run_id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
