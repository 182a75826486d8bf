"""The warehouse migrates up and down on SQLite and PostgreSQL, and records runs the same way."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from warehouse import db
from warehouse.models import PipelineRun, SyncState, metadata
from warehouse.runs import recorded_run


def _fresh_engine(url):
    engine = db.make_engine(url)
    db.downgrade(engine, "base") if db.current_revision(engine) else None
    return engine


def test_upgrade_creates_every_model_table_and_is_repeatable(warehouse_url):
    engine = _fresh_engine(warehouse_url)
    db.upgrade(engine)
    db.upgrade(engine)  # idempotent
    tables = set(sa.inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert db.current_revision(engine) is not None


def test_downgrade_to_base_removes_tables(warehouse_url):
    engine = _fresh_engine(warehouse_url)
    db.upgrade(engine)
    db.downgrade(engine, "base")
    assert "pipeline_run" not in sa.inspect(engine).get_table_names()
    db.upgrade(engine)


def test_models_match_migrations(warehouse_url):
    """Alembic autogenerate finds nothing to change: models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = _fresh_engine(warehouse_url)
    db.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_recorded_run_success_and_failure_with_utc_times(warehouse_url):
    engine = _fresh_engine(warehouse_url)
    db.upgrade(engine)
    with recorded_run(engine, "sync", "sat") as summary:
        summary["pages"] = 3
    with pytest.raises(RuntimeError), recorded_run(engine, "sync", "polis", task="sync_polis.extract"):
        raise RuntimeError("boom")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(PipelineRun).order_by(PipelineRun.run_id)).all()
    ok, bad = rows[-2], rows[-1]
    assert (ok.status, ok.summary["pages"]) == ("success", 3)
    assert bad.status == "failed" and "RuntimeError: boom" in bad.error and bad.task == "sync_polis.extract"
    assert ok.started_at.tzinfo is not None and ok.started_at.utcoffset() == timedelta(0)


def test_utc_datetime_refuses_naive_and_converts_offsets(warehouse_url):
    engine = _fresh_engine(warehouse_url)
    db.upgrade(engine)
    rome = timezone(timedelta(hours=1))
    with engine.begin() as conn:
        run_id = conn.execute(
            sa.insert(PipelineRun)
            .values(step="sync", status="running", trigger="test", started_at=datetime(2026, 3, 1, 9, 0, tzinfo=rome))
            .returning(PipelineRun.run_id)
        ).scalar_one()
        conn.execute(
            sa.insert(SyncState).values(
                system="sat", stream="ospiti", cursor_value="x", run_id=run_id, updated_at=datetime.now(UTC)
            )
        )
    with engine.connect() as conn:
        started = conn.execute(sa.select(PipelineRun.started_at).where(PipelineRun.run_id == run_id)).scalar_one()
    assert started == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), engine.begin() as conn:
        conn.execute(
            sa.insert(PipelineRun).values(step="x", status="running", trigger="t", started_at=datetime(2026, 3, 1))
        )


def test_api_audit_is_append_only(warehouse_url):
    engine = _fresh_engine(warehouse_url)
    db.upgrade(engine)
    from warehouse.models import ACCESS_TABLES

    audit = ACCESS_TABLES["api_audit"]
    with engine.begin() as conn:
        conn.execute(sa.insert(audit).values(at=datetime.now(UTC), method="GET", path="/x", outcome=200))
    for statement in (sa.update(audit).values(outcome=500), sa.delete(audit)):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
