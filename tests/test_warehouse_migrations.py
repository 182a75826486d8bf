"""The warehouse migrates up and down on SQLite and PostgreSQL, and records runs the same way.

The migrations are the only way a model change reaches a database: upgrading an empty database to head
must give exactly the models' schema, every downgrade must undo its upgrade, and rows written at one
revision must survive the later ones.
"""

import ast
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tests.schema_snapshot import schema_snapshot, snapshot_differences
from tests.servers import postgres_database
from warehouse import db
from warehouse.models import PipelineRun, SyncState, metadata
from warehouse.runs import recorded_run
from warehouse.types import JSONDoc, UTCDateTime


def _fresh_engine(url):
    engine = db.make_engine(url)
    db.downgrade(engine, "base") if db.current_revision(engine) else None
    return engine


def _revisions(engine) -> list[str]:
    """Every revision id, base first."""
    script = ScriptDirectory.from_config(db.alembic_config(engine))
    return [s.revision for s in reversed(list(script.walk_revisions()))]


@pytest.fixture
def models_url(warehouse_url, tmp_path):
    """A second empty database on the backend of `warehouse_url`, for the schema the models create."""
    if warehouse_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'models.db'}"
    else:
        yield from postgres_database("fase_models")


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
    """Alembic autogenerate, types and server defaults included, finds nothing to change after upgrading to head."""
    engine = _fresh_engine(warehouse_url)
    db.upgrade(engine)
    options = {"compare_type": True, "compare_server_default": True}
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts=options), metadata)
    assert diff == []


def test_migrated_schema_is_exactly_the_models_schema(warehouse_url, models_url):
    """Upgraded to head, the warehouse reflects exactly like a database the models create: column types,
    nullability and server defaults, primary keys, foreign keys, unique and check constraints (names and
    expressions), indexes and table comments, where autogenerate skips the constraints."""
    engine = _fresh_engine(warehouse_url)
    db.upgrade(engine)
    models_engine = db.make_engine(models_url)
    metadata.create_all(models_engine)
    migrated, created = schema_snapshot(engine)["tables"], schema_snapshot(models_engine)["tables"]
    models_engine.dispose()
    assert len(created) == len(metadata.tables)
    assert snapshot_differences(migrated, created, ("migrations", "models")) == []


def test_each_downgrade_undoes_its_upgrade(warehouse_url):
    """Up one revision at a time from empty to head, then down one at a time to empty and back up: at every
    revision the schema (tables, constraints, indexes, PostgreSQL views) is what the way up left."""
    engine = _fresh_engine(warehouse_url)
    revisions = _revisions(engine)
    assert len(revisions) >= 7
    on_the_way_up = {"base": schema_snapshot(engine)}
    for revision in revisions:
        db.upgrade(engine, revision)
        on_the_way_up[revision] = schema_snapshot(engine)
    for revision, below in reversed(list(zip(revisions, ["base", *revisions[:-1]], strict=True))):
        db.downgrade(engine, below)
        assert db.current_revision(engine) == (None if below == "base" else below)
        names = (f"after downgrading {revision}", f"upgraded to {below}")
        assert snapshot_differences(schema_snapshot(engine), on_the_way_up[below], names) == []
    assert on_the_way_up["base"]["tables"] == {}
    db.upgrade(engine)
    names = ("upgraded again", "upgraded the first time")
    assert snapshot_differences(schema_snapshot(engine), on_the_way_up[revisions[-1]], names) == []


NOON = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
ROWS_BY_REVISION = {
    "0001_operational": [
        (
            "pipeline_run",
            {
                "run_id": 1,
                "step": "sync",
                "system": "sat",
                "status": "success",
                "started_at": NOON,
                "trigger": "test",
                "summary": {"pages": 2},
            },
        ),
        (
            "sync_state",
            {
                "system": "sat",
                "stream": "ospiti",
                "cursor_value": "c-1",
                "state": {"ids": [1, 2]},
                "run_id": 1,
                "updated_at": NOON,
            },
        ),
    ],
    "0002_raw_layer": [
        (
            "raw_sat_ospiti",
            {
                "raw_id": 1,
                "source_id": "OSP-1",
                "version": 1,
                "is_current": True,
                "deleted": False,
                "change": "new",
                "payload": {"cognome": "Rossi"},
                "content_hash": "h" * 64,
                "run_id": 1,
                "extracted_at": NOON,
            },
        ),
    ],
    "0003_staging": [
        (
            "stg_person",
            {
                "source_system": "sat",
                "source_person_id": "OSP-1",
                "last_name": "Rossi",
                "name_split_ambiguous": False,
                "birth_date": date(1980, 5, 17),
                "birth_date_is_default": False,
                "cf_status": "missing",
                "riservato": False,
                "run_id": 1,
            },
        ),
        (
            "stg_payment",
            {
                "id_erogazione": "E-1",
                "source_person_id": "S-1",
                "tipo_contributo": "utenze",
                "importo": Decimal("123.45"),
                "data_determina": date(2026, 1, 9),
                "stato": "pagato",
                "run_id": 1,
            },
        ),
    ],
    "0004_identity": [
        (
            "beneficiary",
            {
                "beneficiary_id": "B-1",
                "status": "active",
                "record_count": 1,
                "created_run_id": 1,
                "updated_run_id": 1,
                "created_at": NOON,
                "updated_at": NOON,
            },
        ),
        (
            "beneficiary_crosswalk",
            {
                "source_system": "sat",
                "source_person_id": "OSP-1",
                "beneficiary_id": "B-1",
                "match_probability": 0.5,
                "linked_run_id": 1,
                "linked_at": NOON,
            },
        ),
    ],
    "0005_api": [
        ("api_audit", {"audit_id": 1, "at": NOON, "method": "GET", "path": "/beneficiaries/B-1", "outcome": 200}),
    ],
    "0006_profile": [
        (
            "publish_state",
            {
                "name": "profile",
                "as_of": date(2026, 3, 1),
                "watermark": 7,
                "run_id": 1,
                "published_at": NOON,
                "summary": {"people": 1},
            },
        ),
    ],
}
"""Rows written right after each revision, with only the columns that revision created."""


def _as_written(name: str, row: dict) -> sa.TableClause:
    """The table with only the given columns, typed the way the warehouse binds them."""
    return sa.table(name, *(sa.column(key, _bind_type(value)) for key, value in row.items()))


def _bind_type(value: object) -> sa.types.TypeEngine | None:
    if isinstance(value, datetime):
        return UTCDateTime()
    if isinstance(value, date):
        return sa.Date()
    if isinstance(value, Decimal):
        return sa.Numeric(12, 2)
    return JSONDoc if isinstance(value, dict) else None


def _read_back(engine, name: str, row: dict) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(_as_written(name, row)))]


def test_rows_written_at_each_revision_survive_the_later_ones(warehouse_url):
    """A pipeline_run and one row per layer written right after the revision that created them come back
    unchanged at head, and stay through downgrades of the revisions after theirs."""
    engine = _fresh_engine(warehouse_url)
    for revision, rows in ROWS_BY_REVISION.items():
        db.upgrade(engine, revision)
        with engine.begin() as conn:
            for name, row in rows:
                conn.execute(sa.insert(_as_written(name, row)).values(row))
    db.upgrade(engine)
    for name, row in (item for rows in ROWS_BY_REVISION.values() for item in rows):
        assert _read_back(engine, name, row) == [row], name
    db.downgrade(engine, "0001_operational")
    for name, row in ROWS_BY_REVISION["0001_operational"]:
        assert _read_back(engine, name, row) == [row], name


def test_migrations_use_no_model_code():
    """A migration imports only Alembic, SQLAlchemy, warehouse.types and the standard library: nothing of the
    project that describes a table."""
    allowed = ("alembic", "sqlalchemy", "warehouse.types", *sys.stdlib_module_names)
    for path in sorted(db.MIGRATIONS.joinpath("versions").glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert [m for m in imported if m.split(".")[0] not in allowed and not m.startswith(allowed)] == [], path.name


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
