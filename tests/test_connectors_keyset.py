"""SQL sources: rows sharing a cursor value on a batch boundary arrive exactly once, on every dialect.

The sandbox rewrites a table's cursor so that five rows share each second, and the connector reads
it in batches of seven: ties straddle every boundary. On SQLite the timestamps are stored as text
without fractional seconds (a file written by another tool), the case that lost rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from connectors import sql_source
from connectors.registry import sync_system
from sandbox import input_faults, world
from tests.helpers import make_config, raw_rows
from warehouse import db
from warehouse.state import load_state

START = datetime(2025, 11, 17, 18, 5, 19)


def _source_ids(url: str, table: str, key: str) -> set[str]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        ids = {str(r[0]) for r in conn.execute(sa.text(f"SELECT {key} FROM {table}"))}
    engine.dispose()
    return ids


def _stored(url: str, table: str, column: str) -> list:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        values = [r[0] for r in conn.execute(sa.text(f"SELECT {column} FROM {table} LIMIT 3"))]
    engine.dispose()
    return values


def _assert_exactly_once(engine, system: str, stream: str, want: set[str]) -> None:
    rows = raw_rows(engine, system, stream)
    assert sorted(r[0] for r in rows) == sorted(want), f"{system}.{stream}: raw ids differ from the source's"
    assert all(r[1] == 1 and r[2] for r in rows), "every row arrived once, as one version"


@pytest.fixture(params=["sqlite-text", "mariadb", "postgresql"])
def tied_volontariato(request, tmp_path):
    """A sandbox volontariato database on each dialect whose `ultima_modifica` ties five rows per second."""
    folder = tmp_path / "sandbox"
    url = {
        "sqlite-text": None,
        "mariadb": "source_mariadb_url",
        "postgresql": "source_pg_url",
    }[request.param]
    url = request.getfixturevalue(url) if url else None
    world.generate(folder, 600, seed=21, volontariato_url=url)
    url = world.database_url(folder, world.load_world(folder), "volontariato")
    for table in ("anagrafiche", "servizi"):
        input_faults.tie_timestamps(
            url, table, "id", "ultima_modifica", start=START, per_second=5, as_text=request.param == "sqlite-text"
        )
    return request.param, url


def test_tied_cursor_values_on_batch_boundaries_arrive_exactly_once(tmp_path, monkeypatch, tied_volontariato):
    kind, url = tied_volontariato
    if kind == "sqlite-text":
        assert _stored(url, "servizi", "ultima_modifica")[0] == "2025-11-17 18:05:19"  # text, no fraction
    monkeypatch.setattr(sql_source, "BATCH", 7)
    cfg = make_config(tmp_path, volontariato_url=url)
    engine = db.make_engine(cfg.warehouse.sqlalchemy_url())
    db.upgrade(engine)
    summary = sync_system(cfg, engine, "volontariato")
    for stream in ("anagrafiche", "servizi"):
        want = _source_ids(url, stream, "id")
        assert len(want) > 7 * 5  # ties straddle several boundaries
        _assert_exactly_once(engine, "volontariato", stream, want)
        figures = next(s for s in summary["streams"] if s["stream"] == stream)
        assert figures["received"] == figures["new"] == len(want)
    again = sync_system(cfg, engine, "volontariato")  # the lookback re-reads: nothing new, nothing lost
    assert all((s["new"], s["changed"], s["deleted"]) == (0, 0, 0) for s in again["streams"])


class Crash(RuntimeError):
    pass


def test_resuming_from_a_watermark_keeps_rows_tied_with_it_on_sqlite_text(tmp_path, monkeypatch):
    """contabilita has no lookback: a resume from the committed watermark must re-read the rows tied with it."""
    monkeypatch.setenv("FASE_IBAN_HASH_KEY", "k")
    folder = tmp_path / "sandbox"
    world.generate(folder, 400, seed=22)
    url = f"sqlite:///{folder / 'contabilita.db'}"
    for table, key in (("soggetti", "id_soggetto"), ("erogazioni", "id_erogazione")):
        input_faults.tie_timestamps(url, table, key, "dt_agg", start=START, per_second=5, as_text=True)
    monkeypatch.setattr(sql_source, "BATCH", 7)
    cfg = make_config(tmp_path, contabilita_url=url)
    engine = db.make_engine(cfg.warehouse.sqlalchemy_url())
    db.upgrade(engine)

    def crash(point: str, n: int) -> None:
        if (point, n) == ("after_commit", 1):
            raise Crash("killed after the first batch")

    with pytest.raises(Crash):
        sync_system(cfg, engine, "contabilita", crash_hook=crash)
    sync_system(cfg, engine, "contabilita")
    for table, key in (("soggetti", "id_soggetto"), ("erogazioni", "id_erogazione")):
        _assert_exactly_once(engine, "contabilita", table, _source_ids(url, table, key))


def test_watermark_in_state_is_an_aware_instant_for_utc_cursors(tmp_path, monkeypatch):
    """contabilita's SQLite file keeps naive UTC text: the committed watermark carries +00:00."""
    monkeypatch.setenv("FASE_IBAN_HASH_KEY", "k")
    folder = tmp_path / "sandbox"
    world.generate(folder, 150, seed=23)
    url = f"sqlite:///{folder / 'contabilita.db'}"
    input_faults.tie_timestamps(url, "erogazioni", "id_erogazione", "dt_agg", start=START, per_second=3, as_text=True)
    cfg = make_config(tmp_path, contabilita_url=url)
    engine = db.make_engine(cfg.warehouse.sqlalchemy_url())
    db.upgrade(engine)
    sync_system(cfg, engine, "contabilita")
    with engine.connect() as conn:
        state = load_state(conn, "contabilita", "erogazioni")
    assert datetime.fromisoformat(state["watermark"]).tzinfo == UTC
