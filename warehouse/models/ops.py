"""Operational tables: pipeline runs, step locks and per-stream sync state."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models.base import Base
from warehouse.types import JSONDoc, UTCDateTime, utcnow

RUN_STATUSES = ("running", "success", "failed", "abandoned")
"""`abandoned`: the run's process died (its lease expired or its process is gone); set by the next taker of its lock."""


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
    host: Mapped[str | None] = mapped_column(sa.String(255))
    pid: Mapped[int | None] = mapped_column(sa.Integer)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_seconds: Mapped[int | None] = mapped_column(sa.Integer)

    __table_args__ = (
        # Named like the other models' checks; the naming convention makes it
        # ck_pipeline_run_ck_pipeline_run_status, the name migration 0001 has always created.
        sa.CheckConstraint(f"status IN {RUN_STATUSES}", name="ck_pipeline_run_status"),
        sa.Index("ix_pipeline_run_step_started", "step", "started_at"),
    )


class StepLock(Base):
    """Who holds a step's lock (one writer per scope: "sync:sat", "stage:sat", "link", "publish").

    `pid` is null while a run is detached between the tasks of a multi-task step (the link DAG); then only
    the lease keeps the lock. `run_id` is null for a short holder that is not a run (a review decision)."""

    __tablename__ = "step_lock"

    scope: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pipeline_run.run_id"))
    holder: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    host: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    pid: Mapped[int | None] = mapped_column(sa.Integer)
    process_started: Mapped[float | None] = mapped_column(sa.Float)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    lease_seconds: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class SyncState(Base):
    """Where the last committed sync of one stream stopped; updated in the same transaction as its rows."""

    __tablename__ = "sync_state"

    system: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    stream: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    cursor_value: Mapped[str | None] = mapped_column(sa.String(100))
    state: Mapped[dict | None] = mapped_column(JSONDoc)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pipeline_run.run_id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
