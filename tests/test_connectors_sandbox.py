"""All five connectors against the sandbox over several days: the raw layer matches each system's own data.

volontariato runs on the real MariaDB server and contabilita on the real PostgreSQL server here.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from configuration import SYSTEMS
from connectors import sql_source
from connectors.anagrafe import check_snapshot, read_snapshot, snapshot_files
from connectors.registry import sync_system
from connectors.sql_source import json_value
from sandbox import services, world
from sandbox.http_store import HttpStore
from tests.helpers import current_payloads, make_config, raw_rows
from warehouse import db
from warehouse.models import RAW_TABLES

SQL_KEYS = {
    ("volontariato", "anagrafiche"): "id",
    ("volontariato", "servizi"): "id",
    ("contabilita", "soggetti"): "id_soggetto",
    ("contabilita", "erogazioni"): "id_erogazione",
}
HTTP_KEYS = {
    ("sat", "ospiti"): "id_ospite",
    ("sat", "accoglienze"): "id_accoglienza",
    ("polis", "participants"): "id",
    ("polis", "placements"): "id",
}


def expected_sql(url: str, table: str, key: str) -> dict[str, dict]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table}"))]
    engine.dispose()
    out = {}
    for row in rows:
        payload = {k: json_value(v) for k, v in row.items()}
        if "dt_agg" in payload and isinstance(row["dt_agg"], datetime) and row["dt_agg"].tzinfo is None:
            payload["dt_agg"] = row["dt_agg"].isoformat() + "+00:00"  # SQLite keeps naive UTC
        if table == "soggetti":
            payload.pop("iban")
        out[str(row[key])] = payload
    return out


def expected_anagrafe(folder: Path) -> dict[str, dict]:
    complete = [c for c in (check_snapshot(p, d) for d, p in snapshot_files(folder / "anagrafe")) if c.complete]
    return {r.source_id: r.payload for r in read_snapshot(complete[-1])}


def assert_raw_matches_world(engine, folder: Path, state: dict) -> None:
    for (system, stream), key in HTTP_KEYS.items():
        store = HttpStore(folder / f"{system}.db", system)
        want = {str(it[key]): it for it in store.iter_all(stream) if not it.get("deleted")}
        store.close()
        assert current_payloads(engine, system, stream) == want, f"{system}.{stream}"
    for (system, table), key in SQL_KEYS.items():
        want = expected_sql(world.database_url(folder, state, system), table, key)
        got = current_payloads(engine, system, table)
        if table == "soggetti":
            assert all(re.fullmatch(r"[0-9a-f]{64}", p["iban_hash"] or "0" * 64) for p in got.values())
            got = {k: {f: v for f, v in p.items() if f != "iban_hash"} for k, p in got.items()}
        assert got == want, f"{system}.{table}"
    assert current_payloads(engine, "anagrafe", "residenti") == expected_anagrafe(folder)
    for rows in (raw_rows(engine, s, t) for s, t in RAW_TABLES):
        live = [r for r in rows if r[2]]
        assert len({r[0] for r in live}) == len(live), "one current version per record"


@pytest.fixture
def world_on_servers(tmp_path, source_mariadb_url, source_pg_url, monkeypatch):
    """A sandbox with volontariato on MariaDB and contabilita on PostgreSQL, its simulators running."""
    folder = tmp_path / "sandbox"
    mariadb_url, pg_url = source_mariadb_url, source_pg_url
    world.generate(folder, 300, seed=11, volontariato_url=mariadb_url, contabilita_url=pg_url)
    monkeypatch.setenv("FASE_IBAN_HASH_KEY", "test-iban-key")
    with services.running(folder) as urls:
        cfg = make_config(
            tmp_path,
            sat_url=urls["sat"],
            polis_url=urls["polis"],
            anagrafe_folder=folder / "anagrafe",
            volontariato_url=mariadb_url,
            contabilita_url=pg_url,
            page_size=40,
        )
        engine = db.make_engine(cfg.warehouse.sqlalchemy_url())
        db.upgrade(engine)
        yield folder, cfg, engine


def sync_all(cfg, engine) -> dict[str, dict]:
    return {s: sync_system(cfg, engine, s) for s in SYSTEMS}


@pytest.mark.mariadb
@pytest.mark.postgres
def test_five_systems_over_four_days_across_dst(world_on_servers):
    folder, cfg, engine = world_on_servers
    sync_all(cfg, engine)
    assert_raw_matches_world(engine, folder, world.load_world(folder))
    for _ in range(4):  # 2026-10-23 .. 26: the night of 25 October repeats 02:00-03:00
        world.advance(folder, 1)
        sync_all(cfg, engine)
        assert_raw_matches_world(engine, folder, world.load_world(folder))
    again = sync_all(cfg, engine)  # nothing new: a re-run adds nothing
    for summary in again.values():
        for s in summary["streams"]:
            assert (s["new"], s["changed"], s["deleted"]) == (0, 0, 0), s
    # deletions of every kind were seen and applied
    deleted = {(sy, st): sum(1 for r in raw_rows(engine, sy, st) if r[3] and r[2]) for sy, st in RAW_TABLES}
    assert deleted[("sat", "ospiti")] > 0 and deleted[("volontariato", "anagrafiche")] > 0
    # payment status history kept as versions
    t = RAW_TABLES[("contabilita", "erogazioni")]
    with engine.connect() as conn:
        versions = conn.execute(sa.select(t.c.source_id, t.c.payload)).all()
    states: dict[str, list[str]] = {}
    for sid, payload in versions:
        states.setdefault(sid, []).append(payload["stato"])
    assert any(len(set(v)) >= 2 for v in states.values())
    # the IBAN never reaches the warehouse in clear
    with engine.connect() as conn:
        text = " ".join(str(p) for (p,) in conn.execute(sa.select(RAW_TABLES[("contabilita", "soggetti")].c.payload)))
    assert not re.search(r"IT\d{2}[A-Z]\d{10}", text) and "'iban'" not in text


def test_incomplete_anagrafe_file_waits_for_its_trailer(tmp_path, monkeypatch):
    folder = tmp_path / "sandbox"
    world.generate(folder, 150, seed=5)
    cfg = make_config(tmp_path, anagrafe_folder=folder / "anagrafe")
    engine = db.make_engine(cfg.warehouse.sqlalchemy_url())
    db.upgrade(engine)
    sync_system(cfg, engine, "anagrafe")
    before = raw_rows(engine, "anagrafe", "residenti")
    world.advance(folder, 1, incomplete_anagrafe=True)
    summary = sync_system(cfg, engine, "anagrafe")
    assert "not loaded" in " ".join(summary["streams"][0]["notes"])
    assert raw_rows(engine, "anagrafe", "residenti") == before  # nothing of it reached the warehouse
    world.complete_anagrafe(folder)
    summary = sync_system(cfg, engine, "anagrafe")
    assert "loaded" in summary["streams"][0]["notes"][0]
    assert current_payloads(engine, "anagrafe", "residenti") == expected_anagrafe(folder)
    # loaded at most once
    assert sync_system(cfg, engine, "anagrafe")["streams"][0]["received"] == 0


class Crash(RuntimeError):
    pass


@pytest.mark.parametrize("system", ["anagrafe", "volontariato", "contabilita"])
def test_crash_mid_transaction_then_rerun_equals_uninterrupted(tmp_path, monkeypatch, system):
    monkeypatch.setenv("FASE_IBAN_HASH_KEY", "k")
    monkeypatch.setattr(sql_source, "BATCH", 100)  # several units per stream
    folder = tmp_path / "sandbox"
    world.generate(folder, 1500, seed=3)
    world.advance(folder, 1)
    runs = {}
    for label, crash_at in (("clean", None), ("crashed", ("before_commit", 2)), ("between", ("after_commit", 1))):
        cfg = make_config(
            tmp_path / label,
            anagrafe_folder=folder / "anagrafe",
            volontariato_url=f"sqlite:///{folder / 'volontariato.db'}",
            contabilita_url=f"sqlite:///{folder / 'contabilita.db'}",
        )
        engine = db.make_engine(cfg.warehouse.sqlalchemy_url())
        db.upgrade(engine)

        def hook(point, n, crash_at=crash_at):
            if crash_at == (point, n):
                raise Crash(point)

        if crash_at:
            with pytest.raises(Crash):
                sync_system(cfg, engine, system, crash_hook=hook)
        sync_system(cfg, engine, system)
        runs[label] = {st: raw_rows(engine, system, st) for sy, st in RAW_TABLES if sy == system}
    assert runs["clean"] == runs["crashed"] == runs["between"]


def test_volontariato_rows_written_in_the_repeated_hour_are_not_missed(tmp_path):
    """A sync during the first 02:xx (CEST) must still catch rows stamped earlier-looking 02:xx (CET) later."""
    src = f"sqlite:///{tmp_path / 'vol.db'}"
    engine_src = sa.create_engine(src)
    from sandbox.systems.volontariato import metadata as vol_meta

    vol_meta.create_all(engine_src)
    with engine_src.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO anagrafiche (id, nominativo, ultima_modifica) VALUES "
                "(1, 'ROSSI MARIO', '2026-10-25 01:40:00'), (2, 'BIANCHI ANNA', '2026-10-25 02:50:00')"
            )
        )
    cfg = make_config(tmp_path, volontariato_url=src)
    engine = db.make_engine(cfg.warehouse.sqlalchemy_url())
    db.upgrade(engine)
    sync_system(cfg, engine, "volontariato")
    with engine_src.begin() as conn:  # an hour later in real time, the clock shows 02:10 again (CET)
        conn.execute(
            sa.text(
                "INSERT INTO anagrafiche (id, nominativo, ultima_modifica) VALUES "
                "(3, 'VERDI LUCA', '2026-10-25 02:10:00')"
            )
        )
    summary = sync_system(cfg, engine, "volontariato")
    assert set(current_payloads(engine, "volontariato", "anagrafiche")) == {"1", "2", "3"}
    assert summary["streams"][0]["new"] == 1


def test_http_systems_complete_with_faults_at_twenty_percent(tmp_path):
    folder = tmp_path / "sandbox"
    world.generate(folder, 400, seed=8)
    world.advance(folder, 1)
    with services.running(folder, fault_rate=0.2, seed=1) as urls:
        cfg = make_config(tmp_path, sat_url=urls["sat"], polis_url=urls["polis"], page_size=10)
        engine = db.make_engine(cfg.warehouse.sqlalchemy_url())
        db.upgrade(engine)
        retries = sum(s["retries"] for system in ("sat", "polis") for s in sync_system(cfg, engine, system)["streams"])
    assert retries > 0
    for (system, stream), key in HTTP_KEYS.items():
        store = HttpStore(folder / f"{system}.db", system)
        want = {str(it[key]): it for it in store.iter_all(stream) if not it.get("deleted")}
        store.close()
        assert current_payloads(engine, system, stream) == want
