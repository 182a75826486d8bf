"""Contract tests of the SAT and POLIS simulators over real HTTP (loopback, ``requests``).

The stores hold hand-made items in the exact contract formats, with ties on the timestamps
(also across offsets, and between ids that sort differently as text and as numbers), so that
the expected orders below are written out, not recomputed the way the server computes them.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from sandbox.http_store import HttpStore
from sandbox.servers import FaultConfig, start_server

SAT_TOKEN = "sat-test-token-0001"
POLIS_KEY = "polis-test-key-0001"
SAT_AUTH = {"Authorization": f"Bearer {SAT_TOKEN}"}
POLIS_AUTH = {"X-API-Key": POLIS_KEY}
OSPITI = "/api/v1/ospiti"
ACCOGLIENZE = "/api/v1/accoglienze"
PARTICIPANTS = "/polis/api/v2/participants/"
PLACEMENTS = "/polis/api/v2/placements/"
TIMEOUT = 5
REQUEST_ERRORS = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


# ---------------------------------------------------------------- hand-made data


def ospite(id_ospite: int, updated_at: str, deleted: bool = False, **fields) -> dict:
    item = {
        "id_ospite": id_ospite,
        "cognome": "Rossi",
        "nome": "Maria",
        "sesso": "F",
        "data_nascita": "1984-02-11",
        "luogo_nascita": "Firenze",
        "codice_fiscale": None,
        "cittadinanza": "Italia",
        "telefono": None,
        "nucleo": None,
        "riservato": False,
        "updated_at": updated_at,
        "deleted": deleted,
    }
    return {**item, **fields}


def accoglienza(id_accoglienza: int, id_ospite: int, updated_at: str, deleted: bool = False) -> dict:
    return {
        "id_accoglienza": id_accoglienza,
        "id_ospite": id_ospite,
        "struttura": "Casa Volano 3",
        "tipo": "appartamento_volano",
        "indirizzo": "Via dei Neri 12, Firenze",
        "data_ingresso": "2025-11-03",
        "data_uscita": None,
        "motivo_uscita": None,
        "updated_at": updated_at,
        "deleted": deleted,
    }


def participant(uuid: str, modified: str, **fields) -> dict:
    item = {
        "id": uuid,
        "first_name": "Maria",
        "last_name": "Rossi",
        "fiscal_code": None,
        "birth_date": "1984-02-11",
        "gender": "female",
        "birth_country": "IT",
        "phone": None,
        "email": None,
        "address": "Via dei Neri 12, 50122 Firenze",
        "is_active": True,
        "modified": modified,
    }
    return {**item, **fields}


def placement(id_: int, participant_id: str, modified: str) -> dict:
    return {
        "id": id_,
        "participant": participant_id,
        "programme": "tirocinio",
        "provider": "Coop Il Cenacolo",
        "start_date": "2026-01-12",
        "end_date": None,
        "status": "active",
        "hours_completed": 40,
        "modified": modified,
    }


SAT_OSPITI = [
    ospite(7005, "2026-03-03T00:00:00+01:00"),
    ospite(7141, "2026-03-01T08:12:44+01:00", cognome="Rossi", nome="Maria Grazia"),
    ospite(7160, "2026-03-01T09:02:10+01:00"),
    ospite(7150, "2026-03-01T09:02:10+01:00", cognome="EL AMRANI", nome="Fatima", riservato=True),
    ospite(7152, "2026-03-01T08:02:10Z"),  # the same instant as 7150 and 7160, another offset
    ospite(7003, "2026-02-27T17:30:00+01:00"),
    ospite(10021, "2026-03-02T11:00:00+01:00"),
    ospite(7170, "2026-03-02T11:00:00+01:00", deleted=True),
    ospite(990, "2026-03-02T11:00:00+01:00"),
    ospite(7180, "2026-03-02T10:00:00Z"),  # = 11:00+01:00
]
SAT_OSPITI_ORDER = [7003, 7141, 7150, 7152, 7160, 990, 7170, 7180, 10021, 7005]
SAT_ACCOGLIENZE = [
    accoglienza(31, 7150, "2026-03-01T09:02:10+01:00"),
    accoglienza(4, 7141, "2026-03-01T09:02:10+01:00", deleted=True),
    accoglienza(12, 7003, "2026-02-28T08:00:00+01:00"),
]
SAT_ACCOGLIENZE_ORDER = [12, 4, 31]

P = {
    name: uuid
    for name, uuid in [
        ("a", "0a1c5b62-3f4e-4c8a-9d2e-5f6a7b8c9d01"),
        ("b", "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"),
        ("c", "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"),
        ("d", "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"),
        ("e", "e0f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b"),
        ("f", "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9"),
        ("g", "5a5a5a5a-0000-4000-8000-000000000007"),
    ]
}
POLIS_PARTICIPANTS = [
    participant(P["e"], "2026-03-02T10:00:00+01:00"),
    participant(P["b"], "2026-03-02T10:00:00+01:00", fiscal_code="RSSMGR84B51D612E"),
    participant(P["a"], "2026-03-02T09:00:00Z"),  # = 10:00+01:00
    participant(P["d"], "2026-03-01T00:00:00Z", is_active=False),
    participant(P["c"], "2026-03-01T01:00:00+01:00"),  # = 00:00Z
    participant(P["f"], "2026-02-20T08:00:00+01:00"),
    participant(P["g"], "2026-03-04T12:00:00+01:00"),
]
POLIS_PARTICIPANTS_ORDER = [P["f"], P["c"], P["d"], P["a"], P["b"], P["e"], P["g"]]
POLIS_PLACEMENTS = [
    placement(10, P["b"], "2026-03-02T10:00:00+01:00"),
    placement(9, P["a"], "2026-03-02T10:00:00+01:00"),
    placement(100, P["c"], "2026-03-01T12:00:00+01:00"),
]
POLIS_PLACEMENTS_ORDER = [100, 9, 10]


def fill_stores(folder: Path) -> tuple[Path, Path]:
    """Write the hand-made items into fresh SAT and POLIS stores under ``folder``."""
    sat_path, polis_path = folder / "sat.db", folder / "polis.db"
    sat = HttpStore(sat_path, "sat")
    sat.upsert("ospiti", SAT_OSPITI)
    sat.upsert("accoglienze", SAT_ACCOGLIENZE)
    sat.close()
    polis = HttpStore(polis_path, "polis")
    polis.upsert("participants", POLIS_PARTICIPANTS)
    polis.upsert("placements", POLIS_PLACEMENTS)
    polis.close()
    return sat_path, polis_path


class FakeClock:
    """An injectable clock that only moves when told to."""

    def __init__(self):
        self.now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def stores(tmp_path):
    return fill_stores(tmp_path)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sat(stores, clock):
    with start_server("sat", stores[0], secret=SAT_TOKEN, clock=clock, faults=FaultConfig(seed=11)) as handle:
        yield handle


@pytest.fixture
def polis(stores):
    with start_server("polis", stores[1], secret=POLIS_KEY, faults=FaultConfig(seed=12)) as handle:
        yield handle


def sat_get(handle, path=OSPITI, **params) -> requests.Response:
    return requests.get(handle.url + path, params=params, headers=SAT_AUTH, timeout=TIMEOUT)


def polis_get(handle, path=PARTICIPANTS, **params) -> requests.Response:
    return requests.get(handle.url + path, params=params, headers=POLIS_AUTH, timeout=TIMEOUT)


def sat_pages(handle, path=OSPITI, **params) -> list[list[dict]]:
    """Every page of a SAT listing, following cursors (sent alone, without the first parameters)."""
    pages, query = [], dict(params)
    while True:
        response = sat_get(handle, path, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["data"])
        if body["next_cursor"] is None:
            return pages
        query = {"cursor": body["next_cursor"], "limit": params.get("limit", 100)}


def polis_pages(handle, path=PARTICIPANTS, **params) -> list[dict]:
    """Every page body of a POLIS listing, following the absolute ``next`` links."""
    response = polis_get(handle, path, **params)
    bodies = []
    while True:
        assert response.status_code == 200, response.text
        bodies.append(response.json())
        if bodies[-1]["next"] is None:
            return bodies
        response = requests.get(bodies[-1]["next"], headers=POLIS_AUTH, timeout=TIMEOUT)


# ---------------------------------------------------------------- authentication and routing


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": SAT_TOKEN}, {"X-API-Key": SAT_TOKEN}]
)
def test_sat_refuses_missing_or_wrong_token(sat, headers):
    response = requests.get(sat.url + OSPITI, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"Authorization": f"Bearer {POLIS_KEY}"}])
def test_polis_refuses_missing_or_wrong_key(polis, headers):
    response = requests.get(polis.url + PARTICIPANTS, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid API key."}


def test_unknown_paths_are_json_404(sat, polis):
    response = sat_get(sat, "/api/v1/ospiti/7141")
    assert response.status_code == 404 and response.headers["Content-Type"] == "application/json"
    assert "error" in response.json()
    response = polis_get(polis, "/polis/api/v2/participants")  # DRF routes end with a slash
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


# ---------------------------------------------------------------- paging and filtering


@pytest.mark.parametrize("limit", [1, 2, 3, 10, 500])
def test_sat_pages_return_every_item_once_in_order(sat, limit):
    pages = sat_pages(sat, limit=limit)
    assert all(len(page) <= limit for page in pages)
    assert [item["id_ospite"] for page in pages for item in page] == SAT_OSPITI_ORDER
    assert [it for page in pages for it in page] == sorted(
        SAT_OSPITI, key=lambda it: SAT_OSPITI_ORDER.index(it["id_ospite"])
    )  # served exactly as stored
    pages = sat_pages(sat, ACCOGLIENZE, limit=2)
    assert [item["id_accoglienza"] for page in pages for item in page] == SAT_ACCOGLIENZE_ORDER


def test_sat_default_limit_serves_all_in_one_page(sat):
    body = sat_get(sat).json()
    assert len(body["data"]) == len(SAT_OSPITI) and body["next_cursor"] is None


@pytest.mark.parametrize("page_size", [1, 2, 3, 50, 200])
def test_polis_pages_return_every_item_once_in_order(polis, page_size):
    bodies = polis_pages(polis, page_size=page_size)
    assert {body["count"] for body in bodies} == {len(POLIS_PARTICIPANTS)}
    assert [item["id"] for body in bodies for item in body["results"]] == POLIS_PARTICIPANTS_ORDER
    bodies = polis_pages(polis, PLACEMENTS, page_size=page_size)
    assert [item["id"] for body in bodies for item in body["results"]] == POLIS_PLACEMENTS_ORDER


def test_sat_updated_since_is_inclusive(sat):
    body = sat_get(sat, updated_since="2026-03-01T08:02:10Z").json()  # the instant of 7150, 7152, 7160
    assert [item["id_ospite"] for item in body["data"]] == SAT_OSPITI_ORDER[2:]
    body = sat_get(sat, updated_since="2026-03-01T09:02:10.000001+01:00").json()
    assert [item["id_ospite"] for item in body["data"]] == SAT_OSPITI_ORDER[5:]


def test_sat_filter_survives_the_cursor(sat):
    pages = sat_pages(sat, updated_since="2026-03-02T11:00:00+01:00", limit=1)
    assert [item["id_ospite"] for page in pages for item in page] == SAT_OSPITI_ORDER[5:]


@pytest.mark.parametrize(
    "modified_after", ["2026-03-01T00:00:00Z", "2026-03-01T01:00:00+01:00", "2026-03-01T01:00:00"]
)  # naive: the server's Europe/Rome
def test_polis_modified_after_is_strict(polis, modified_after):
    bodies = polis_pages(polis, modified_after=modified_after, page_size=2)
    assert bodies[0]["count"] == 4
    assert [item["id"] for body in bodies for item in body["results"]] == POLIS_PARTICIPANTS_ORDER[3:]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"limit": "ten"},
        {"limit": ""},
        {"updated_since": "2026-03-01T00:00:00"},
        {"updated_since": "2026-03-01"},
        {"updated_since": "yesterday"},
    ],
)
def test_sat_bad_parameters_are_400(sat, params):
    response = sat_get(sat, **params)
    assert response.status_code == 400
    assert set(response.json()) == {"error"} and response.json()["error"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 201}, "page_size"),
        ({"page_size": "x"}, "page_size"),
        ({"modified_after": "03/01/2026"}, "modified_after"),
    ],
)
def test_polis_bad_parameters_are_400_drf_style(polis, params, field):
    response = polis_get(polis, **params)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field] and isinstance(body[field], list) and body[field][0].endswith(".")


@pytest.mark.parametrize("page", [5, 0, -1, "two"])
def test_polis_invalid_page_is_404(polis, page):
    response = polis_get(polis, page=page, page_size=2)
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_polis_empty_result_has_an_empty_first_page_only(polis):
    body = polis_get(polis, modified_after="2027-01-01T00:00:00Z").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    assert polis_get(polis, modified_after="2027-01-01T00:00:00Z", page=2).status_code == 404


def test_polis_links_are_absolute_on_the_public_base_url(stores):
    with start_server("polis", stores[1], secret=POLIS_KEY, public_base_url="https://polis.example.org/") as srv:
        body = polis_get(srv, modified_after="2026-03-01T00:00:00Z", page_size=1).json()
        assert body["next"] == (
            "https://polis.example.org/polis/api/v2/participants/"
            "?modified_after=2026-03-01T00%3A00%3A00Z&page=2&page_size=1"
        )
        assert body["previous"] is None
        body = polis_get(srv, modified_after="2026-03-01T00:00:00Z", page_size=1, page=3).json()
        assert body["previous"].endswith("&page=2&page_size=1")
        body = polis_get(srv, modified_after="2026-03-01T00:00:00Z", page_size=1, page=2).json()
        assert body["previous"].endswith("?modified_after=2026-03-01T00%3A00%3A00Z&page_size=1")  # DRF drops page=1


def test_polis_next_is_followable(polis):
    first = polis_get(polis, page_size=3).json()
    assert first["next"] == f"{polis.url}{PARTICIPANTS}?page=2&page_size=3"
    second = requests.get(first["next"], headers=POLIS_AUTH, timeout=TIMEOUT).json()
    assert [item["id"] for item in second["results"]] == POLIS_PARTICIPANTS_ORDER[3:6]
    assert requests.get(second["previous"], headers=POLIS_AUTH, timeout=TIMEOUT).json() == first


# ---------------------------------------------------------------- cursors


def test_sat_cursor_expires_after_15_minutes(sat, clock):
    cursor = sat_get(sat, limit=2).json()["next_cursor"]
    clock.advance(minutes=14, seconds=59)
    fresh = sat_get(sat, limit=2, cursor=cursor)
    assert fresh.status_code == 200
    clock.advance(seconds=2)
    response = sat_get(sat, limit=2, cursor=cursor)
    assert response.status_code == 410
    assert response.json() == {"error": "cursor expired"}
    assert sat_get(sat, limit=2, cursor=fresh.json()["next_cursor"]).status_code == 200  # issued later


def test_sat_cursor_expiry_is_configurable(stores, clock):
    with start_server("sat", stores[0], secret=SAT_TOKEN, clock=clock, cursor_ttl_minutes=1) as srv:
        cursor = sat_get(srv, limit=2).json()["next_cursor"]
        clock.advance(seconds=61)
        assert sat_get(srv, limit=2, cursor=cursor).status_code == 410


def test_sat_tampered_cursor_is_400(sat):
    cursor = sat_get(sat, limit=2).json()["next_cursor"]
    payload, mac = cursor.split(".")
    state = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    state["iat"] += 3600  # an attempt to extend the cursor's life
    forged = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=") + "." + mac
    flipped = cursor[:5] + ("A" if cursor[5] != "A" else "B") + cursor[6:]
    for bad in (forged, flipped, "not-a-cursor", "", cursor + "x"):
        response = sat_get(sat, limit=2, cursor=bad)
        assert response.status_code == 400, bad
        assert response.json() == {"error": "invalid cursor"}


def test_sat_cursor_is_bound_to_its_collection_and_filter(sat):
    cursor = sat_get(sat, limit=1, updated_since="2026-03-01T00:00:00Z").json()["next_cursor"]
    assert sat_get(sat, ACCOGLIENZE, limit=1, cursor=cursor).status_code == 400
    assert sat_get(sat, limit=1, cursor=cursor, updated_since="2026-03-01T01:00:00+01:00").status_code == 200
    response = sat_get(sat, limit=1, cursor=cursor, updated_since="2026-03-02T00:00:00Z")
    assert response.status_code == 400 and "updated_since" in response.json()["error"]


# ---------------------------------------------------------------- changes while paging


def test_polis_page_shift_skips_and_duplicates(polis, stores):
    first = polis_get(polis, page_size=2).json()
    assert [item["id"] for item in first["results"]] == POLIS_PARTICIPANTS_ORDER[:2]
    moved = dict(first["results"][0], modified="2026-03-10T09:00:00+01:00", phone="+39 333 1234567")
    HttpStore(stores[1], "polis").upsert("participants", [moved])

    seen = [item["id"] for item in first["results"]]
    response = requests.get(first["next"], headers=POLIS_AUTH, timeout=TIMEOUT)
    while True:
        body = response.json()
        seen += [item["id"] for item in body["results"]]
        if body["next"] is None:
            break
        response = requests.get(body["next"], headers=POLIS_AUTH, timeout=TIMEOUT)
    counts = Counter(seen)
    assert [pid for pid, n in counts.items() if n > 1] == [moved["id"]]  # seen twice
    assert set(POLIS_PARTICIPANTS_ORDER) - set(seen) == {POLIS_PARTICIPANTS_ORDER[2]}  # skipped


def test_sat_keyset_cursor_does_not_skip_when_a_record_changes(sat, stores):
    first = sat_get(sat, limit=3).json()
    changed = dict(first["data"][0], updated_at="2026-03-09T10:00:00+01:00", telefono="055/123456")
    HttpStore(stores[0], "sat").upsert("ospiti", [changed])
    pages = sat_pages(sat, cursor=first["next_cursor"], limit=3)
    rest = [item["id_ospite"] for page in pages for item in page]
    assert rest == SAT_OSPITI_ORDER[3:] + [changed["id_ospite"]]


def test_tombstones_are_served_like_other_items(sat):
    items = {item["id_ospite"]: item for page in sat_pages(sat, limit=4) for item in page}
    assert items[7170]["deleted"] is True and items[7170] == next(o for o in SAT_OSPITI if o["id_ospite"] == 7170)
    stays = sat_get(sat, ACCOGLIENZE, updated_since="2026-03-01T09:02:10+01:00").json()["data"]
    assert [(s["id_accoglienza"], s["deleted"]) for s in stays] == [(4, True), (31, False)]


# ---------------------------------------------------------------- faults


def _sat_outcome(session: requests.Session, url: str) -> str:
    try:
        response = session.get(url + OSPITI, params={"limit": 4}, headers=SAT_AUTH, timeout=TIMEOUT)
    except REQUEST_ERRORS:
        return "reset"
    if response.status_code == 429:
        assert response.headers["Retry-After"] == "2"
        assert response.json() == {"error": "too many requests"}
    if response.status_code == 503:
        assert response.content == b""
    if response.status_code == 200:
        assert len(response.json()["data"]) == 4
    return str(response.status_code)


def test_sat_faults_at_20_percent(sat):
    sat.faults.rate, sat.faults.retry_after = 0.2, 2  # changed while serving
    n = 400
    with requests.Session() as session:
        outcomes = Counter(_sat_outcome(session, sat.url) for _ in range(n))
    assert set(outcomes) == {"200", "429", "503", "reset"}
    assert abs((n - outcomes["200"]) / n - 0.2) < 0.06, outcomes


def test_polis_faults_at_20_percent(polis):
    polis.faults.rate, polis.faults.retry_after = 0.2, 3
    n = 400
    outcomes = Counter()
    with requests.Session() as session:
        for _ in range(n):
            response = session.get(polis.url + PARTICIPANTS, headers=POLIS_AUTH, timeout=TIMEOUT)
            outcomes[response.status_code] += 1
            if response.status_code == 429:
                assert response.headers["Retry-After"] == "3"
                assert response.json()["detail"].startswith("Request was throttled.")
            elif response.status_code in (500, 502):
                assert response.headers["Content-Type"].startswith("text/html")
    assert set(outcomes) == {200, 429, 500, 502}
    assert abs((n - outcomes[200]) / n - 0.2) < 0.06, outcomes


def test_faults_spare_unauthenticated_and_unknown_requests(sat, polis):
    sat.faults.rate = polis.faults.rate = 1.0
    for _ in range(20):
        assert requests.get(sat.url + OSPITI, timeout=TIMEOUT).status_code == 401
        assert sat_get(sat, "/api/v1/unknown").status_code == 404
        assert requests.get(polis.url + PARTICIPANTS, timeout=TIMEOUT).status_code == 403


def test_reset_mid_page_breaks_the_client_read(sat):
    sat.faults.rate, sat.faults.weights = 1.0, {"reset": 1, "429": 0, "503": 0}
    for _ in range(5):
        with pytest.raises(REQUEST_ERRORS):
            sat_get(sat, limit=10)
    sat.faults.rate = 0.0
    assert sat_get(sat).status_code == 200  # the server is still well


def test_fault_config_is_validated():
    with pytest.raises(ValueError):
        FaultConfig(rate=1.5)
    with pytest.raises(ValueError):
        FaultConfig(weights={"418": 1})


# ---------------------------------------------------------------- command line


def test_cli_serves_with_the_secret_from_the_environment_and_never_logs_it(stores):
    env = {**os.environ, "FASE_SAT_TOKEN": SAT_TOKEN}
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.servers", "sat", "--store", str(stores[0])],
        cwd=root,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_line = proc.stderr.readline()
        url = re.search(r"serving at (http://\S+)", first_line).group(1)
        response = requests.get(url + OSPITI, params={"limit": 1}, headers=SAT_AUTH, timeout=TIMEOUT)
        assert response.status_code == 200 and len(response.json()["data"]) == 1
        request_line = proc.stderr.readline()  # the request is logged just after its response is sent
    finally:
        proc.terminate()
        _, rest = proc.communicate(timeout=10)
    assert proc.returncode == 0
    log = first_line + request_line + rest
    assert "GET /api/v1/ospiti?limit=1 200" in log
    assert SAT_TOKEN not in log

    env.pop("FASE_SAT_TOKEN")
    missing = subprocess.run(
        [sys.executable, "-m", "sandbox.servers", "sat", "--store", str(stores[0])],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert missing.returncode == 2 and "FASE_SAT_TOKEN" in missing.stderr
