"""SAT and POLIS connectors against the HTTP simulators over real HTTP: complete, exactly once, resumable."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests
import sqlalchemy as sa

from connectors.base import SyncRequest
from connectors.http import HttpClient, SourceError, parse_retry_after
from connectors.registry import sync_system
from sandbox.http_store import HttpStore
from sandbox.servers.faults import FaultConfig
from sandbox.servers.runner import start_server
from tests.helpers import current_payloads, make_config, raw_rows
from warehouse import db

TOKEN, API_KEY = "test-sat-token", "test-polis-key"
BASE = datetime(2026, 10, 22, 8, 0, tzinfo=timezone(timedelta(hours=2)))


@pytest.fixture(autouse=True)
def _secrets(monkeypatch):
    monkeypatch.setenv("FASE_SAT_TOKEN", TOKEN)
    monkeypatch.setenv("FASE_POLIS_API_KEY", API_KEY)


def ospite(i: int, ts: datetime, **extra) -> dict:
    return {
        "id_ospite": i,
        "cognome": f"Rossi{i}",
        "nome": "Maria",
        "sesso": "F",
        "data_nascita": "1984-02-11",
        "luogo_nascita": "Firenze",
        "codice_fiscale": None,
        "cittadinanza": "Italia",
        "telefono": None,
        "nucleo": f"N-{i // 3}",
        "riservato": False,
        "updated_at": ts.isoformat(),
        "deleted": False,
        **extra,
    }


def accoglienza(i: int, ts: datetime) -> dict:
    return {
        "id_accoglienza": i,
        "id_ospite": i,
        "struttura": "Casa Volano 1",
        "tipo": "appartamento_volano",
        "indirizzo": "Via dei Neri 12",
        "data_ingresso": "2026-01-10",
        "data_uscita": None,
        "motivo_uscita": None,
        "updated_at": ts.isoformat(),
        "deleted": False,
    }


def participant(i: int, ts: datetime) -> dict:
    return {
        "id": str(uuid.UUID(int=i)),
        "first_name": "Ion",
        "last_name": f"Popescu{i}",
        "fiscal_code": None,
        "birth_date": "1990-03-01",
        "gender": "male",
        "birth_country": "RO",
        "phone": None,
        "email": None,
        "address": "Via dei Neri 12, 50122 Firenze",
        "is_active": True,
        "modified": ts.isoformat(),
    }


def placement(i: int, ts: datetime) -> dict:
    return {
        "id": i,
        "participant": str(uuid.UUID(int=i)),
        "programme": "tirocinio",
        "provider": "Coop X",
        "start_date": "2026-02-01",
        "end_date": None,
        "status": "active",
        "hours_completed": 10,
        "modified": ts.isoformat(),
    }


def fill_sat(path, n=230) -> HttpStore:
    store = HttpStore(path, "sat")
    # ties: three records share each instant
    store.upsert("ospiti", [ospite(i, BASE + timedelta(seconds=i // 3)) for i in range(1, n + 1)])
    store.upsert("accoglienze", [accoglienza(i, BASE + timedelta(seconds=i)) for i in range(1, n // 2)])
    return store


def fill_polis(path, n=230, tie=0) -> HttpStore:
    store = HttpStore(path, "polis")
    store.upsert("participants", [participant(i, BASE + timedelta(seconds=i // 2)) for i in range(1, n + 1)])
    late = BASE + timedelta(hours=1)
    store.upsert("participants", [participant(i, late) for i in range(n + 1, n + 1 + tie)])
    store.upsert("placements", [placement(i, BASE + timedelta(seconds=i)) for i in range(1, n // 2)])
    return store


def store_items(store: HttpStore, coll: str, key: str) -> dict[str, dict]:
    return {str(it[key]): it for it in store.iter_all(coll)}


@pytest.fixture
def sat(tmp_path):
    store = fill_sat(tmp_path / "sat.db")
    with start_server("sat", tmp_path / "sat.db", secret=TOKEN, faults=FaultConfig(seed=7, retry_after=0)) as h:
        yield h, store


@pytest.fixture
def polis(tmp_path):
    store = fill_polis(tmp_path / "polis.db", tie=450)
    with start_server("polis", tmp_path / "polis.db", secret=API_KEY, faults=FaultConfig(seed=7, retry_after=0)) as h:
        yield h, store


def _engine(cfg):
    engine = db.make_engine(cfg.warehouse.sqlalchemy_url())
    db.upgrade(engine)
    return engine


def _assert_raw_equals_store(engine, system, stream, store, coll, key):
    expected = {k: v for k, v in store_items(store, coll, key).items() if not v.get("deleted")}
    assert current_payloads(engine, system, stream) == expected


def test_sat_sync_is_complete_incremental_and_applies_tombstones(tmp_path, sat):
    handle, store = sat
    cfg = make_config(tmp_path, sat_url=handle.url, page_size=50)
    engine = _engine(cfg)
    first = sync_system(cfg, engine, "sat")
    ospiti = next(s for s in first["streams"] if s["stream"] == "ospiti")
    assert (ospiti["new"], ospiti["pages"]) == (230, 5)
    _assert_raw_equals_store(engine, "sat", "ospiti", store, "ospiti", "id_ospite")

    again = sync_system(cfg, engine, "sat")
    o2 = next(s for s in again["streams"] if s["stream"] == "ospiti")
    assert (o2["new"], o2["changed"], o2["deleted"]) == (0, 0, 0)  # only the tie at the watermark re-read

    later = BASE + timedelta(days=1)
    store.upsert(
        "ospiti", [ospite(5, later, telefono="3331234567"), ospite(6, later, deleted=True), ospite(999, later)]
    )
    third = sync_system(cfg, engine, "sat")
    o3 = next(s for s in third["streams"] if s["stream"] == "ospiti")
    assert (o3["new"], o3["changed"], o3["deleted"]) == (1, 1, 1)
    _assert_raw_equals_store(engine, "sat", "ospiti", store, "ospiti", "id_ospite")
    versions = [r for r in raw_rows(engine, "sat", "ospiti") if r[0] == "6"]
    assert [(v[1], v[2], v[3]) for v in versions] == [(1, False, False), (2, True, True)]


def test_sat_survives_faults_at_twenty_percent(tmp_path, sat):
    handle, store = sat
    handle.faults.rate = 0.2
    cfg = make_config(tmp_path, sat_url=handle.url, page_size=20)
    engine = _engine(cfg)
    summary = sync_system(cfg, engine, "sat")
    assert sum(s["retries"] for s in summary["streams"]) > 0
    _assert_raw_equals_store(engine, "sat", "ospiti", store, "ospiti", "id_ospite")
    _assert_raw_equals_store(engine, "sat", "accoglienze", store, "accoglienze", "id_accoglienza")


def test_sat_expired_cursor_restarts_from_committed_state(tmp_path):
    store = fill_sat(tmp_path / "sat.db")
    now = [datetime(2026, 10, 22, 12, 0, tzinfo=UTC)]
    with start_server("sat", tmp_path / "sat.db", secret=TOKEN, clock=lambda: now[0]) as handle:
        cfg = make_config(tmp_path, sat_url=handle.url, page_size=40)
        engine = _engine(cfg)
        seen = []

        def hook(point, n):
            if point == "after_commit" and n == 2:
                now[0] += timedelta(minutes=16)  # the next cursor was issued 16 minutes ago: 410
            seen.append((point, n))

        sync_system(cfg, engine, "sat", crash_hook=hook)
    _assert_raw_equals_store(engine, "sat", "ospiti", store, "ospiti", "id_ospite")


class Crash(RuntimeError):
    pass


@pytest.mark.parametrize("point", ["after_commit", "before_commit"])
def test_sat_crash_then_rerun_equals_uninterrupted_sync(tmp_path, point):
    fill_sat(tmp_path / "a" / "sat.db")
    fill_sat(tmp_path / "b" / "sat.db")
    with (
        start_server("sat", tmp_path / "a" / "sat.db", secret=TOKEN) as ha,
        start_server("sat", tmp_path / "b" / "sat.db", secret=TOKEN) as hb,
    ):
        cfg_a = make_config(tmp_path / "a", sat_url=ha.url, page_size=30)
        cfg_b = make_config(tmp_path / "b", sat_url=hb.url, page_size=30)
        ea, eb = _engine(cfg_a), _engine(cfg_b)
        sync_system(cfg_a, ea, "sat")

        def crash(p, n):
            if p == point and n == 3:
                raise Crash("killed mid-sync")

        with pytest.raises(Crash):
            sync_system(cfg_b, eb, "sat", crash_hook=crash)
        sync_system(cfg_b, eb, "sat")
    for stream in ("ospiti", "accoglienze"):
        assert raw_rows(ea, "sat", stream) == raw_rows(eb, "sat", stream)


def test_polis_records_modified_while_paging_end_exactly_once(tmp_path, polis):
    handle, store = polis
    cfg = make_config(tmp_path, polis_url=handle.url, page_size=25)
    engine = _engine(cfg)
    calls = {"n": 0}
    original = HttpClient.get_json

    def modifying_get(self, url, params=None, passthrough=frozenset()):
        calls["n"] += 1
        if calls["n"] in (3, 5, 7):  # between pages, early records change: later pages shift left
            i = calls["n"]
            store.upsert("participants", [participant(i, BASE + timedelta(hours=2, seconds=i))])
        return original(self, url, params, passthrough)

    HttpClient.get_json = modifying_get
    try:
        sync_system(cfg, engine, "polis")
    finally:
        HttpClient.get_json = original
    _assert_raw_equals_store(engine, "polis", "participants", store, "participants", "id")
    rows = raw_rows(engine, "polis", "participants")
    assert len({r[0] for r in rows if r[2]}) == len(store_items(store, "participants", "id")) == 680


def test_naive_next_link_walk_skips_records_when_pages_shift(tmp_path, polis):
    """Why the connector pages by watermark: following `next` while records change loses one."""
    handle, store = polis
    s = requests.Session()
    s.headers["X-API-Key"] = API_KEY
    url, seen = f"{handle.url}/polis/api/v2/participants/?page_size=25", set()
    page = 0
    while url:
        body = s.get(url, timeout=10).json()
        seen.update(it["id"] for it in body["results"])
        page += 1
        if page == 2:
            store.upsert("participants", [participant(1, BASE + timedelta(hours=3))])
        url = body["next"]
    assert len(seen) < len(store_items(store, "participants", "id"))


def test_polis_survives_faults_and_a_crash(tmp_path, polis):
    handle, store = polis
    handle.faults.rate = 0.2
    cfg = make_config(tmp_path, polis_url=handle.url, page_size=40)
    engine = _engine(cfg)

    def crash(p, n):
        if p == "after_commit" and n == 4:
            raise Crash()

    with pytest.raises(Crash):
        sync_system(cfg, engine, "polis", crash_hook=crash)
    summary = sync_system(cfg, engine, "polis")
    assert sum(s["retries"] for s in summary["streams"]) > 0
    _assert_raw_equals_store(engine, "polis", "participants", store, "participants", "id")
    _assert_raw_equals_store(engine, "polis", "placements", store, "placements", "id")


def test_full_refresh_and_backfill_modes(tmp_path, sat):
    handle, store = sat
    cfg = make_config(tmp_path, sat_url=handle.url, page_size=100)
    engine = _engine(cfg)
    sync_system(cfg, engine, "sat")
    full = sync_system(cfg, engine, "sat", SyncRequest("full_refresh"))
    o = next(s for s in full["streams"] if s["stream"] == "ospiti")
    assert (o["received"], o["unchanged"], o["new"]) == (230, 230, 0)
    back = sync_system(cfg, engine, "sat", SyncRequest("backfill", BASE + timedelta(seconds=70)))
    o = next(s for s in back["streams"] if s["stream"] == "ospiti")
    assert (o["received"], o["unchanged"]) == (21, 21)  # ids 210..230 have updated_at >= BASE + 70 s


def test_auth_failure_is_a_clear_error_not_a_retry(tmp_path, sat, monkeypatch):
    handle, _ = sat
    monkeypatch.setenv("FASE_SAT_TOKEN", "wrong")
    cfg = make_config(tmp_path, sat_url=handle.url)
    engine = _engine(cfg)
    with pytest.raises(SourceError, match="401"):
        sync_system(cfg, engine, "sat")


def test_retry_after_parsing_and_bounded_attempts(tmp_path):
    assert parse_retry_after("3") == 3.0
    when = datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:10 GMT", now=lambda: when - timedelta(seconds=4)) == 4.0
    assert parse_retry_after("soon") is None
    cfg = make_config(tmp_path, max_attempts=3)
    waits = []
    client = HttpClient("sat", cfg.http, sleep=waits.append)
    with pytest.raises(SourceError, match="after 3 attempts"):
        client.get_json("http://127.0.0.1:9/unreachable")
    assert len(waits) == 2 and client.retries == 2


def test_polis_base_url_on_the_wrong_server_fails_naming_the_url(tmp_path, sat, warehouse_url):
    """A 404 on a first page is a wrong base URL, never an empty collection: the run fails, no secret shown."""
    from tests.stage_data import fresh_warehouse
    from warehouse.models import PipelineRun

    handle, _ = sat  # a server that answers 404 to every POLIS path
    cfg = make_config(tmp_path, warehouse_url=warehouse_url, polis_url=handle.url)
    engine = fresh_warehouse(warehouse_url)
    with pytest.raises(SourceError) as failure:
        sync_system(cfg, engine, "polis")
    message = str(failure.value)
    assert f"participants: GET {handle.url}/polis/api/v2/participants/?page_size=" in message
    assert "404 on a first page" in message and "sources.polis.base_url" in message
    with engine.connect() as conn:
        run = conn.execute(sa.select(PipelineRun).order_by(PipelineRun.run_id.desc()).limit(1)).one()
    assert run.status == "failed" and "404 on a first page" in run.error and API_KEY not in run.error
    assert raw_rows(engine, "polis", "participants") == []


def _during_polis_sync(cfg, engine, at_call: int, change) -> list[int]:
    """Sync POLIS, calling `change()` before HTTP request number `at_call` (a page of a tie-group walk);
    returns the statuses answered."""
    calls, statuses = {"n": 0}, []
    original = HttpClient.get_json

    def get(self, url, params=None, passthrough=frozenset()):
        calls["n"] += 1
        if calls["n"] == at_call:
            change()
        status, body = original(self, url, params, passthrough)
        statuses.append(status)
        return status, body

    HttpClient.get_json = get
    try:
        sync_system(cfg, engine, "polis")
    finally:
        HttpClient.get_json = original
    return statuses


def test_polis_records_leaving_a_tie_group_mid_walk_lose_nothing(tmp_path, polis):
    """200 records of a 450-record tie group move to a later instant mid-walk: the pages shift left by 200.

    The re-walk's first page held 25 records the shift had skipped, and it was never read: they were lost
    silently (reconciliation now names them; the walk now reads that page)."""
    handle, store = polis
    cfg = make_config(tmp_path, polis_url=handle.url, page_size=25)
    engine = _engine(cfg)
    late = BASE + timedelta(hours=5)
    _during_polis_sync(
        cfg, engine, 12, lambda: store.upsert("participants", [participant(i, late) for i in range(231, 431)])
    )
    _assert_raw_equals_store(engine, "polis", "participants", store, "participants", "id")


def test_polis_404_after_a_next_link_ends_the_walk(tmp_path, polis):
    """Records leaving the collection while a tie group is walked: the next page is past the end (404)."""
    handle, store = polis
    cfg = make_config(tmp_path, polis_url=handle.url, page_size=25)
    engine = _engine(cfg)
    before = store_items(store, "participants", "id")

    def purge() -> None:  # POLIS never deletes; a database restore or a purge by its supplier might
        with store._conn as conn:
            conn.execute(
                "DELETE FROM participants WHERE id IN (SELECT id FROM participants ORDER BY id DESC LIMIT 440)"
            )

    assert 404 in _during_polis_sync(cfg, engine, 12, purge)
    got = current_payloads(engine, "polis", "participants")
    assert set(store_items(store, "participants", "id")) <= set(got) <= set(before)


SHAPES = {
    "no_collection": ("page 2: expected {", "got an object with keys next_cursor"),
    "collection_not_list": ("page 2: expected {", "got an object with keys items"),
    "string_item": ("page 2: record 50 of 50: expected an object with", "got a string"),
    "item_without_id": ('page 2: record 50 of 50: "id_ospite" should be a string or an integer', "got null"),
    "item_without_cursor": ('page 2: record 50 of 50: "updated_at" should be an ISO 8601', "got no such key"),
    "cursor_not_string": ('page 2: record 50 of 50: "updated_at" should be an ISO 8601', "got a number"),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_sat_pages_of_the_wrong_shape_fail_saying_where_and_what_was_expected(tmp_path, shape):
    fill_sat(tmp_path / "sat.db")
    faults = FaultConfig(shape=shape, shape_after=1)
    with start_server("sat", tmp_path / "sat.db", secret=TOKEN, faults=faults) as handle:
        cfg = make_config(tmp_path, sat_url=handle.url, page_size=50)
        engine = _engine(cfg)
        with pytest.raises(SourceError) as failure:
            sync_system(cfg, engine, "sat")
    message = str(failure.value)
    where, got = SHAPES[shape]
    assert message.startswith(f"sat: ospiti: GET {handle.url}/api/v1/ospiti?limit=50&cursor=")
    assert where in message and got in message, message
    assert TOKEN not in message and "Rossi" not in message  # neither secrets nor values
    assert len(raw_rows(engine, "sat", "ospiti")) == 50  # the good first page stays committed


@pytest.mark.parametrize("shape", ["no_collection", "string_item", "item_without_id", "cursor_not_string"])
def test_polis_pages_of_the_wrong_shape_fail_saying_where_and_what_was_expected(tmp_path, shape):
    fill_polis(tmp_path / "polis.db")
    faults = FaultConfig(shape=shape, shape_after=1)
    with start_server("polis", tmp_path / "polis.db", secret=API_KEY, faults=faults) as handle:
        cfg = make_config(tmp_path, polis_url=handle.url, page_size=25)
        engine = _engine(cfg)
        with pytest.raises(SourceError) as failure:
            sync_system(cfg, engine, "polis")
    message = str(failure.value)
    assert message.startswith(f"polis: participants: GET {handle.url}/polis/api/v2/participants/?")
    assert "modified_after=" in message and "page 1" in message  # POLIS pages by watermark: each a first page
    expected = {
        "no_collection": 'expected {"results": [an object with "id" (string or integer) and "modified"',
        "string_item": "record 25 of 25: expected an object with",
        "item_without_id": 'record 25 of 25: "id" should be a string or an integer; got null',
        "cursor_not_string": 'record 25 of 25: "modified" should be an ISO 8601 timestamp with offset; got a number',
    }[shape]
    assert expected in message, message
    assert API_KEY not in message and "Popescu" not in message
