"""The world over time: determinism, advancing days (tombstones, purges, status history, DST), SQL backends."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from sandbox import world
from sandbox.http_store import HttpStore

DBS = ("sat.db", "polis.db", "anagrafe.db", "volontariato.db", "contabilita.db", "truth.db", "population.db")


def _fingerprint(folder: Path) -> dict[str, str]:
    """A hash of every anagrafe file's bytes and of every database's full contents."""
    out = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted((folder / "anagrafe").iterdir())}
    for name in DBS:
        with sqlite3.connect(folder / name) as conn:
            out[name] = hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    out["world.json"] = hashlib.sha256((folder / "world.json").read_bytes()).hexdigest()
    return out


def _snapshot(path: Path) -> dict[str, list[str]]:
    lines = path.read_bytes().decode("latin-1").split("\r\n")[1:-2]
    return {r[0]: r for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=";")}


def _items(folder: Path, system: str, collection: str) -> list[dict]:
    store = HttpStore(folder / f"{system}.db", system)
    try:
        return list(store.iter_all(collection))
    finally:
        store.close()


def _sql(url: str, query: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(query))]
    finally:
        engine.dispose()


# --- determinism --------------------------------------------------------------------------------------------
def test_same_seed_same_world_different_seed_different_world(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, seed in ((a, 5), (b, 5), (c, 6)):
        world.generate(folder, size=1200, seed=seed)
        world.advance(folder, days=2)
    assert _fingerprint(a) == _fingerprint(b)
    fa, fc = _fingerprint(a), _fingerprint(c)
    assert all(fa[k] != fc[k] for k in fa)


def test_advance_in_a_new_process_equals_advancing_in_one_call(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    world.generate(one, size=800, seed=9)
    world.generate(two, size=800, seed=9)
    world.advance(one, days=2)
    world.advance(two, days=1)
    code = f"from sandbox import world; world.advance({str(two)!r}, days=1)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
    assert _fingerprint(one) == _fingerprint(two)


def test_generate_refuses_an_existing_world(tmp_path):
    world.generate(tmp_path, size=50, seed=1)
    with pytest.raises(FileExistsError):
        world.generate(tmp_path, size=50, seed=1)


# --- advancing ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A world before and after four days (2026-10-23..26, crossing the end of DST on 10-25)."""
    folder = tmp_path_factory.mktemp("history")
    generated = world.generate(folder, size=6000, seed=21)
    vol_url = f"sqlite:///{folder / 'volontariato.db'}"
    cont_url = f"sqlite:///{folder / 'contabilita.db'}"
    before = {
        "erogazioni": dict(_sql(cont_url, "SELECT id_erogazione, stato FROM erogazioni")),
        "anagrafiche": {r[0] for r in _sql(vol_url, "SELECT id FROM anagrafiche")},
        "placements": {p["id"]: p["status"] for p in _items(folder, "polis", "placements")},
    }
    advanced = world.advance(folder, days=4)
    return folder, generated, before, advanced


def test_summary_counts_records_per_system(history):
    folder, generated, _, advanced = history
    assert generated["persons"] == 6000 and generated["today"] == "2026-10-22"
    assert generated["total_records"] == sum(n for t in generated["records"].values() for n in t.values())
    assert set(generated["person_records"]) == set(world.SYSTEMS)
    assert advanced["today"] == "2026-10-26" and [d["day"] for d in advanced["days"]] == [
        "2026-10-23",
        "2026-10-24",
        "2026-10-25",
        "2026-10-26",
    ]
    assert world.status(folder)["records"] == advanced["records"]
    assert world.load_world(folder)["today"] == "2026-10-26"


def test_sat_tombstones_and_stays(history):
    folder = history[0]
    guests = _items(folder, "sat", "ospiti")
    stays = _items(folder, "sat", "accoglienze")
    days = ("2026-10-23", "2026-10-24", "2026-10-25", "2026-10-26")
    assert sum(g["deleted"] and g["updated_at"][:10] in days for g in guests) >= 4
    assert any(s["deleted"] and s["updated_at"][:10] in days for s in stays)
    ended = [s for s in stays if s["data_uscita"] in days]
    assert ended and all(s["motivo_uscita"] for s in ended)
    assert any(s["data_ingresso"] in days and s["data_uscita"] is None for s in stays)


def test_anagrafe_moves_and_purges(history):
    folder = history[0]
    drop = folder / "anagrafe"
    files = sorted(drop.glob("ANAGRAFE_RESIDENTI_*.csv"))
    assert len(files) == 5
    purged = moved = 0
    for old, new in zip(files, files[1:]):
        a, b = _snapshot(old), _snapshot(new)
        gone = set(a) - set(b)
        assert all(a[i][16] != "RESIDENTE" for i in gone)
        purged += len(gone)
        day = new.name[-12:-4]
        moved += sum(
            1 for i in set(a) & set(b) if a[i][11:15] != b[i][11:15] and b[i][15] == f"{day[6:]}/{day[4:6]}/{day[:4]}"
        )
        assert set(b) - set(a)  # new registrations every day
    assert purged >= 4 and moved >= 4


def test_polis_and_contabilita_status_history(history):
    folder, _, before, _ = history
    placements = {p["id"]: p for p in _items(folder, "polis", "placements")}
    changed = [i for i, s in before["placements"].items() if s == "active" and placements[i]["status"] != "active"]
    assert changed and all(placements[i]["end_date"] >= "2026-10-23" for i in changed)

    rows = _sql(
        f"sqlite:///{folder / 'contabilita.db'}", "SELECT id_erogazione, stato, data_pagamento, dt_agg FROM erogazioni"
    )
    now = {r[0]: r for r in rows}
    transitions = {
        (before["erogazioni"][i], now[i][1]) for i in before["erogazioni"] if before["erogazioni"][i] != now[i][1]
    }
    assert {("determinato", "liquidato"), ("liquidato", "pagato"), ("determinato", "revocato")} <= transitions
    paid_now = [r for i, r in now.items() if before["erogazioni"].get(i) == "liquidato" and r[1] == "pagato"]
    assert all(str(r[2]) >= "2026-10-23" and str(r[3]) >= "2026-10-22T22" for r in paid_now)
    assert any(i not in before["erogazioni"] and r[1] == "determinato" for i, r in now.items())


def test_volontariato_hard_deletes_and_local_timestamps_in_the_repeated_hour(history):
    folder, _, before, _ = history
    url = f"sqlite:///{folder / 'volontariato.db'}"
    after = {r[0] for r in _sql(url, "SELECT id FROM anagrafiche")}
    assert before["anagrafiche"] - after  # rows deleted physically, no tombstone
    repeated = _sql(
        url,
        "SELECT ultima_modifica FROM anagrafiche WHERE ultima_modifica LIKE '2026-10-25 02:%' "
        "UNION ALL SELECT ultima_modifica FROM servizi WHERE ultima_modifica LIKE '2026-10-25 02:%'",
    )
    assert len(repeated) >= 2
    stamps = [g["updated_at"] for g in _items(folder, "sat", "ospiti") + _items(folder, "sat", "accoglienze")]
    stamps += [p["modified"] for p in _items(folder, "polis", "placements") + _items(folder, "polis", "participants")]
    in_hour = {s[-6:] for s in stamps if s.startswith("2026-10-25T02:")}
    assert in_hour == {"+01:00", "+02:00"}  # both occurrences of 02:xx


def test_incomplete_anagrafe_file_is_completed_later(tmp_path):
    world.generate(tmp_path, size=600, seed=4)
    world.advance(tmp_path, days=1, incomplete_anagrafe=True)
    partial = tmp_path / "anagrafe" / "ANAGRAFE_RESIDENTI_20261023.csv"
    raw = partial.read_bytes()
    assert b"#EOF" not in raw and raw.startswith(b"ID_INDIVIDUO;") and not raw.endswith(b"\r\n")
    world.advance(tmp_path, days=1)
    for day in ("20261023", "20261024"):
        lines = (tmp_path / "anagrafe" / f"ANAGRAFE_RESIDENTI_{day}.csv").read_bytes().decode("latin-1").split("\r\n")
        assert lines[-1] == "" and lines[-2] == f"#EOF;{len(lines) - 3}"
    assert not list((tmp_path / "anagrafe").glob(".*"))


# --- real MariaDB and PostgreSQL ----------------------------------------------------------------------------
@pytest.mark.mariadb
@pytest.mark.postgres
def test_volontariato_on_mariadb_and_contabilita_on_postgresql(tmp_path, source_mariadb_url, source_pg_url):
    mariadb_url, pg_url = source_mariadb_url, source_pg_url
    summary = world.generate(tmp_path, size=1500, seed=8, volontariato_url=mariadb_url, contabilita_url=pg_url)
    assert summary["records"]["volontariato"]["anagrafiche"] > 0 and summary["records"]["contabilita"]["soggetti"] > 0

    maria = sa.create_engine(mariadb_url)
    cols = {c["name"]: c for c in sa.inspect(maria).get_columns("anagrafiche")}
    assert str(cols["ultima_modifica"]["type"]) == "DATETIME" and str(cols["data_nascita"]["type"]) == "DATE"
    assert cols["codice_fiscale"]["type"].length == 16 and cols["nominativo"]["type"].length == 200
    assert [c["name"] for c in sa.inspect(maria).get_columns("servizi")] == [
        "id",
        "anagrafica_id",
        "associazione",
        "ruolo",
        "tipo_servizio",
        "data_inizio",
        "data_fine",
        "ultima_modifica",
    ]
    maria.dispose()
    pg = sa.create_engine(pg_url)
    cols = {c["name"]: c for c in sa.inspect(pg).get_columns("erogazioni")}
    assert str(cols["importo"]["type"]) == "NUMERIC(12, 2)" and cols["dt_agg"]["type"].timezone is True
    soggetti_cols = {c["name"]: c for c in sa.inspect(pg).get_columns("soggetti")}
    assert soggetti_cols["codice_fiscale"]["nullable"] is False and soggetti_cols["iban"]["type"].length == 34
    pg.dispose()

    world.advance(tmp_path, days=3)
    repeated = _sql(
        mariadb_url,
        "SELECT COUNT(*) FROM anagrafiche WHERE ultima_modifica >= '2026-10-25 02:00' "
        "AND ultima_modifica < '2026-10-25 03:00'",
    )[0][0]
    repeated += _sql(
        mariadb_url,
        "SELECT COUNT(*) FROM servizi WHERE ultima_modifica >= '2026-10-25 02:00' "
        "AND ultima_modifica < '2026-10-25 03:00'",
    )[0][0]
    assert repeated >= 2
    payments = _sql(pg_url, "SELECT importo, dt_agg, stato, data_pagamento FROM erogazioni")
    assert all(r[1].tzinfo is not None for r in payments)
    assert any(r[2] == "pagato" and str(r[3]) >= "2026-10-23" for r in payments)
    assert json.loads((tmp_path / "world.json").read_text())["today"] == "2026-10-25"
