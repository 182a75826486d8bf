"""The read API over real HTTP (uvicorn on loopback) on SQLite and PostgreSQL.

One warehouse per backend: a 600-person sandbox synced, staged, linked from the ground truth
(tests/api_world.py), published, then one beneficiary linked late (served from staging). Each
endpoint, each role's view and what it must not see, redirects of merged ids, the change feed, the
audit rows of every read (refusals too), hostile input and the rate limit.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests
import sqlalchemy as sa

from api.app import create_app
from api.audit import AUDIT_CONNECTION, AuditMiddleware, query_audit
from api.clients import create_client, revoke_client
from configuration import SYSTEMS
from schemas.standardise.codice_fiscale import check_char
from tests.api_world import build_sandbox_warehouse, fill_identity, link_late, serving
from tests.servers import postgres_database
from warehouse import audit_chain
from warehouse.models import ACCESS_TABLES, IDENTITY_TABLES, PROFILE_TABLES
from warehouse.profile.publish import publish

LEAKS = ("Traceback", "SELECT", "INSERT", "sqlalchemy", "psycopg", "sqlite3", 'File "', "stg_person", "iban")
XW, AUDIT = IDENTITY_TABLES["beneficiary_crosswalk"], ACCESS_TABLES["api_audit"]
GOLDEN = PROFILE_TABLES["golden_record"]


class World:
    """A served warehouse, its engine, the history cases and one key per kind of client."""

    def __init__(self, base: str, engine, cases: dict, keys: dict, clients: dict):
        self.base, self.engine, self.cases, self.keys, self.clients = base, engine, cases, keys, clients

    def get(self, path: str, who: str | None = "cw", **kw) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who else {}
        headers.update(kw.pop("headers", {}))
        return requests.get(self.base + path, headers=headers, timeout=30, **kw)

    def post(self, path: str, body, who: str | None = "cw", **kw) -> requests.Response:
        headers = {"X-API-Key": self.keys[who]} if who else {}
        headers.update(kw.pop("headers", {}))
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return requests.post(
            self.base + path, data=data, headers={"Content-Type": "application/json", **headers}, timeout=30, **kw
        )

    def scalar(self, query):
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def rows(self, query):
        with self.engine.connect() as conn:
            return conn.execute(query).all()


CLIENTS = {  # name -> (role, grants, scope beneficiary ids, scope systems, rate limit)
    "cw": ("case_worker", (), (), (), 100_000),
    "cw_conf": ("case_worker", ("confidential",), (), (), 100_000),
    "cw_sat": ("case_worker", (), (), ("sat",), 100_000),
    "cw_ids": ("case_worker", (), ("M00000001",), (), 100_000),
    "analyst": ("analyst", (), (), (), 100_000),
    "integration": ("integration", (), (), (), 100_000),
    "int_sat": ("integration", (), (), ("sat",), 100_000),
    "limited": ("case_worker", (), (), (), 3),
    "revoked": ("case_worker", (), (), (), 100),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"api_{request.param}")
    databases = postgres_database("fase_api") if request.param == "postgresql" else None
    url = next(databases) if databases else f"sqlite:///{tmp / 'warehouse.db'}"
    engine = build_sandbox_warehouse(url, tmp)
    cases = fill_identity(engine, tmp / "sandbox")
    publish(None, engine)
    link_late(engine, tmp / "sandbox", cases["late"])
    keys, clients = {}, {}
    for name, (role, grants, ids, systems, limit) in CLIENTS.items():
        clients[name], keys[name] = create_client(
            engine,
            name,
            role,
            "test: casework",
            grants=grants,
            beneficiary_ids=ids,
            systems=systems,
            rate_limit_per_minute=limit,
        )
    revoke_client(engine, clients["revoked"].client_id)
    with serving(create_app(engine, pseudonym_key="test-pseudonym-key")) as base:
        yield World(base, engine, cases, keys, clients)
    engine.dispose()
    if databases:
        next(databases, None)


def assert_error(response: requests.Response, status: int) -> dict:
    """An RFC 9457 problem with this status, naming the request's path, leaking nothing."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body) <= {*body, "errors"}
    assert body["type"] == "about:blank" and body["status"] == status and body["title"] and body["detail"]
    assert body["instance"] == requests.utils.urlparse(response.request.url).path  # as sent, percent-encoded
    told = json.dumps({k: v for k, v in body.items() if k != "instance"})  # the path is the client's own text
    for leak in LEAKS:
        assert leak.lower() not in told.lower(), (leak, response.text)
    return body


def common_surname(w: World) -> str:
    """The surname most beneficiaries share: a search for it has several pages of hits."""
    return w.scalar(
        sa.select(GOLDEN.c.last_name).group_by(GOLDEN.c.last_name).order_by(sa.func.count().desc(), GOLDEN.c.last_name)
    )


def protected_id(w: World) -> str:
    return w.scalar(sa.select(GOLDEN.c.beneficiary_id).where(GOLDEN.c.is_protected).order_by(GOLDEN.c.beneficiary_id))


def test_health_readiness_and_openapi(world):
    assert requests.get(world.base + "/v1/health").json() == {"status": "ok"}
    ready = requests.get(world.base + "/v1/ready").json()
    assert ready["status"] == "ready" and ready["revision"] == ready["head"]
    spec = requests.get(world.base + "/openapi.json").json()
    for path in (
        "/v1/beneficiaries/{beneficiary_id}",
        "/v1/beneficiaries/lookup",
        "/v1/beneficiaries/search",
        "/v1/sources/{system}/{source_person_id}",
        "/v1/changes",
        "/v1/crosswalk",
        "/v1/ready",
    ):
        assert path in spec["paths"], path
    assert {"HTTPBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])
    assert "308" in spec["paths"]["/v1/beneficiaries/{beneficiary_id}"]["get"]["responses"]
    assert spec["components"]["schemas"]["System"]["enum"] == list(SYSTEMS)  # api.routes.System spells them out
    assert requests.get(world.base + "/docs").status_code == 200


def test_keys_are_required_and_checked(world):
    path = f"/v1/beneficiaries/{world.cases['survivor']}"
    assert_error(world.get(path, who=None), 401)
    assert_error(world.get(path, who=None, headers={"Authorization": "Bearer fase_000000000000.nope"}), 401)
    key = world.keys["cw"]
    tampered = key[:-1] + ("B" if key.endswith("A") else "A")  # always differs from the real key
    assert_error(world.get(path, who=None, headers={"X-API-Key": tampered}), 401)
    assert_error(world.get(path, who="revoked"), 401)
    assert world.get(path, who=None, headers={"X-API-Key": world.keys["cw"]}).status_code == 200


def test_case_worker_reads_the_merged_record(world):
    bid = world.cases["survivor"]
    r = world.get(f"/v1/beneficiaries/{bid}", headers={"X-User-Id": "op-17", "X-User-Location": "SdS Q4"})
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-cache" and r.headers["etag"]
    assert world.get(f"/v1/beneficiaries/{bid}/sources").headers["cache-control"] == "no-store"
    rec = r.json()
    assert rec["beneficiary_id"] == bid and rec["published"] and rec["id_space"] == "beneficiary"
    expected = {
        tuple(x)
        for x in world.rows(sa.select(XW.c.source_system, XW.c.source_person_id).where(XW.c.beneficiary_id == bid))
    }
    assert {(s["source_system"], s["source_person_id"]) for s in rec["sources"]} == expected
    name = rec["person"]["last_name"]
    assert name["value"] and (name["source"]["system"], name["source"]["source_person_id"]) in expected
    assert name["source"]["rule"]
    assert rec["households"]
    hm = PROFILE_TABLES["household_member"]
    shared = sa.select(hm.c.household_id).group_by(hm.c.household_id).having(sa.func.count() >= 2)
    member = world.scalar(
        sa.select(hm.c.beneficiary_id).where(hm.c.household_id.in_(shared)).order_by(hm.c.beneficiary_id).limit(1)
    )
    together = world.get(f"/v1/beneficiaries/{member}").json()["households"]
    assert together and together[0]["members"] and member not in {m["beneficiary_id"] for m in together[0]["members"]}
    payer = world.scalar(
        sa.select(PROFILE_TABLES["fact_payment_status"].c.beneficiary_id).order_by(
            PROFILE_TABLES["fact_payment_status"].c.beneficiary_id
        )
    )
    payments = world.get(f"/v1/beneficiaries/{payer}").json()["payments"]
    assert payments and all(p["status_history"] for p in payments)
    assert isinstance(payments[0]["amount"], str)  # exact decimal
    assert "iban" not in r.text.lower()


def test_beneficiary_linked_after_the_publish_comes_from_staging(world):
    rec = world.get(f"/v1/beneficiaries/{world.cases['late']}").json()
    assert rec["published"] is False and rec["person"]["last_name"]["value"] and len(rec["sources"]) >= 2


def test_protected_addresses_need_the_confidential_grant(world):
    bid = protected_id(world)
    plain = world.get(f"/v1/beneficiaries/{bid}").json()
    granted = world.get(f"/v1/beneficiaries/{bid}", who="cw_conf").json()
    assert plain["protected"] and granted["protected"]
    secret = [s for s in granted["stays"] if s["confidential"]]
    assert secret and all(s["structure_name"] for s in secret) and granted["redactions"] == []
    assert all(s["structure_name"] is None and s["address"] is None for s in plain["stays"])
    assert plain["person"]["address"]["value"] is None
    assert all(r["street"] is None for r in plain["residences"])
    assert {"stays.structure_name", "stays.address", "person.address"} <= set(plain["redactions"])
    text = json.dumps(plain)
    for s in secret:
        assert s["structure_name"] not in text
    if granted["person"]["address"]["value"]:
        assert granted["person"]["address"]["value"]["street"] not in text


def test_analyst_gets_pseudonymised_records_only(world):
    bid = protected_id(world)
    full = world.get(f"/v1/beneficiaries/{bid}", who="cw_conf").json()
    r = world.get(f"/v1/beneficiaries/{bid}", who="analyst")
    rec = r.json()
    assert rec["id_space"] == "pseudonym" and rec["beneficiary_id"].startswith("p_") and bid not in r.text
    assert world.get(f"/v1/beneficiaries/{bid}", who="analyst").json()["beneficiary_id"] == rec["beneficiary_id"]
    person = rec["person"]
    for field in ("first_name", "last_name", "codice_fiscale", "phone", "email", "address", "birth_date"):
        assert person[field]["value"] is None, field
    assert person["birth_year"] == int(full["person"]["birth_date"]["value"][:4])
    for field in ("first_name", "last_name", "codice_fiscale", "phone"):
        value = full["person"][field]["value"]
        if value:
            assert value not in r.text, field
    assert all(s["source_person_id"] is None for s in rec["sources"])
    assert all(s["structure_name"] is None for s in rec["stays"])
    assert all(m["beneficiary_id"].startswith("p_") for h in rec["households"] for m in h["members"])
    link = world.get(f"/v1/sources/sat/{full['stays'][0]['source_person_id']}", who="analyst").json()
    assert link["beneficiary_id"] == rec["beneficiary_id"] and link["id_space"] == "pseudonym"
    assert_error(world.post("/v1/beneficiaries/search", {"last_name": "Rossi"}, who="analyst"), 403)
    assert_error(world.post("/v1/beneficiaries/lookup", {"codice_fiscale": "RSSMRA80A01D612X"}, who="analyst"), 403)


def test_integration_reads_feed_and_crosswalk_but_no_records(world):
    bid = world.cases["survivor"]
    assert_error(world.get(f"/v1/beneficiaries/{bid}", who="integration"), 403)
    assert_error(world.get("/v1/changes", who="cw"), 403)
    rows = world.get(f"/v1/beneficiaries/{bid}/sources", who="integration").json()["sources"]
    assert rows and {r["beneficiary_id"] for r in rows} == {bid}


def test_merged_ids_redirect_to_the_survivor(world):
    c = world.cases
    for old in (c["merged"], c["chained"]):
        r = world.get(f"/v1/beneficiaries/{old}", allow_redirects=False)
        assert r.status_code == 308 and r.headers["location"] == f"/v1/beneficiaries/{c['survivor']}"
        assert r.json() == {
            "beneficiary_id": old,
            "status": "merged",
            "merged_into": c["survivor"],
            "location": f"/v1/beneficiaries/{c['survivor']}",
        }
    followed = world.get(f"/v1/beneficiaries/{c['chained']}")
    assert followed.status_code == 200 and followed.json()["beneficiary_id"] == c["survivor"]
    r = world.get(f"/v1/beneficiaries/{c['merged']}/sources", who="integration", allow_redirects=False)
    assert r.status_code == 308 and r.headers["location"].endswith("/sources")
    analyst = world.get(f"/v1/beneficiaries/{c['merged']}", who="analyst", allow_redirects=False).json()
    assert analyst["merged_into"].startswith("p_")
    assert_error(world.get(f"/v1/beneficiaries/{c['retired']}"), 410)
    assert_error(world.get("/v1/beneficiaries/B99999999"), 404)


def omocodic(code: str) -> str:
    """The variant with the last digit of the code's digit positions replaced by its omocodia letter."""
    variant = code[:14] + "LMNPQRSTUV"[int(code[14])] if code[14].isdigit() else code[:15]
    return variant + check_char(variant)


def test_lookup_by_codice_fiscale(world):
    rec = world.get(f"/v1/beneficiaries/{world.cases['survivor']}").json()
    cf = rec["person"]["codice_fiscale"]["value"]
    messy = f"  {cf[:8].lower()} {cf[8:]} "
    for given in (cf, messy, omocodic(cf)):
        r = world.post("/v1/beneficiaries/lookup", {"codice_fiscale": given})
        assert r.status_code == 200, r.text
        assert world.cases["survivor"] in {m["beneficiary_id"] for m in r.json()["matches"]}
        assert r.json()["codice_fiscale"] == cf
    assert_error(
        world.post("/v1/beneficiaries/lookup", {"codice_fiscale": cf[:15] + "Z" if cf[15] != "Z" else cf[:15] + "A"}),
        400,
    )
    assert_error(world.post("/v1/beneficiaries/lookup", {"codice_fiscale": "not a code"}), 400)
    unknown = "ZZZZZZ00A01H501"
    assert_error(world.post("/v1/beneficiaries/lookup", {"codice_fiscale": unknown + check_char(unknown)}), 404)


def test_lookup_by_source_record(world):
    bid = world.cases["survivor"]
    system, sid = world.rows(sa.select(XW.c.source_system, XW.c.source_person_id).where(XW.c.beneficiary_id == bid))[0]
    link = world.get(f"/v1/sources/{system}/{sid}").json()
    assert link["beneficiary_id"] == bid and link["beneficiary"] == f"/v1/sources/{system}/{sid}/record"
    assert world.get(link["beneficiary"]).json()["beneficiary_id"] == bid
    assert world.get(f"/v1/sources/{system}/{sid}", who="integration").status_code == 200
    assert_error(world.get(f"/v1/sources/nosuch/{sid}"), 400)
    assert_error(world.get(f"/v1/sources/{system}/999999999"), 404)


def test_fuzzy_search_ranks_and_pages(world):
    rec = world.get(f"/v1/beneficiaries/{world.cases['survivor']}").json()["person"]
    last, first, born = rec["last_name"]["value"], rec["first_name"]["value"], rec["birth_date"]["value"]
    typo = last[:-2] + last[-1] + last[-2]  # transposed letters
    r = world.post("/v1/beneficiaries/search", {"last_name": typo, "first_name": first.lower(), "birth_date": born})
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["beneficiary_id"] == world.cases["survivor"]
    swapped = world.post("/v1/beneficiaries/search", {"last_name": first, "first_name": last, "birth_date": born})
    assert world.cases["survivor"] in [h["beneficiary_id"] for h in swapped.json()["items"]]
    common = common_surname(world)
    broad = world.post("/v1/beneficiaries/search", {"last_name": common, "limit": 100}).json()
    assert broad["total"] >= 4 and "page" not in broad and not broad["has_more"] and broad["next_cursor"] is None
    pages, cursor = [], None
    for _ in range(2):
        asked = {"last_name": common, "limit": 2, **({"cursor": cursor} if cursor else {})}
        pages.append(world.post("/v1/beneficiaries/search", asked).json())
        assert pages[-1]["has_more"] and pages[-1]["next_cursor"]
        cursor = pages[-1]["next_cursor"]
    assert [h["beneficiary_id"] for p in pages for h in p["items"]] == [h["beneficiary_id"] for h in broad["items"]][:4]
    old = world.post("/v1/beneficiaries/search", {"last_name": common, "page": 2, "page_size": 2})
    assert old.headers["deprecation"].startswith("@") and old.headers["sunset"]
    assert old.json()["items"] == pages[1]["items"] and (old.json()["page"], old.json()["page_size"]) == (2, 2)
    assert "deprecation" not in {k.lower() for k in world.post("/v1/beneficiaries/search", asked).headers}
    scores = [h["score"] for h in broad["items"]]
    assert scores == sorted(scores, reverse=True)
    for bad in ({"limit": 101}, {"page_size": 10**9}, {"cursor": "bm9wZQ"}, {"cursor": cursor, "page": 1}):
        assert_error(world.post("/v1/beneficiaries/search", {"last_name": last, **bad}), 400)
    assert_error(world.post("/v1/beneficiaries/search", {"last_name": ""}), 400)


def test_change_feed_pages_with_merges_and_splits(world):
    seen, cursor = [], None
    while True:
        page = world.get(
            "/v1/changes", who="integration", params={"cursor": cursor, "limit": 97} if cursor else {"limit": 97}
        ).json()
        assert "changes" not in page
        seen += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    total = world.scalar(sa.select(sa.func.count()).select_from(IDENTITY_TABLES["beneficiary_change"]))
    assert len(seen) == total
    merges = {(c["beneficiary_id"], c["merged_into"]) for c in seen if c["kind"] == "merged"}
    c = world.cases
    assert merges == {(c["chained"], c["merged"]), (c["merged"], c["survivor"])}
    split = next(x for x in seen if x["kind"] == "split")
    assert split["beneficiary_id"] == c["split"] and split["related_ids"] == c["split_into"]
    assert seen[-1]["beneficiary_id"] == c["late"]
    tail = world.get("/v1/changes", who="integration", params={"cursor": cursor}).json()
    assert tail == {"items": [], "next_cursor": cursor, "has_more": False}
    old = world.get("/v1/changes", who="integration", params={"since": cursor})  # the deprecated name still works
    assert old.json() == {"items": [], "changes": [], "next_cursor": cursor, "has_more": False}
    assert old.headers["deprecation"].startswith("@") and old.headers["sunset"].endswith("GMT")
    assert_error(world.get("/v1/changes", who="integration", params={"since": cursor, "cursor": cursor}), 400)
    other_kind = base64.urlsafe_b64encode(b"crosswalk:5").decode().rstrip("=")
    negative = base64.urlsafe_b64encode(b"changes:-1").decode().rstrip("=")
    for bad in ("garbage", "!!", other_kind, negative, "x" * 401, "Y2hhbmdlczoiMSI"):
        assert_error(world.get("/v1/changes", who="integration", params={"cursor": bad}), 400)
    assert_error(world.get("/v1/changes", who="integration", params={"limit": 1001}), 400)


def test_crosswalk_pages_and_system_scope(world):
    items, cursor = [], None
    while True:
        page = world.get(
            "/v1/crosswalk", who="integration", params={"limit": 150, **({"cursor": cursor} if cursor else {})}
        ).json()
        items += page["items"]
        cursor = page["next_cursor"]
        assert page["has_more"] == (cursor is not None)
        if cursor is None:
            break
    assert {(i["source_system"], i["source_person_id"], i["beneficiary_id"]) for i in items} == {
        tuple(r) for r in world.rows(sa.select(XW.c.source_system, XW.c.source_person_id, XW.c.beneficiary_id))
    }
    scoped = world.get("/v1/crosswalk", who="int_sat", params={"limit": 5000}).json()["items"]
    assert scoped and {i["source_system"] for i in scoped} == {"sat"}
    assert_error(world.get("/v1/crosswalk", who="int_sat", params={"system": "anagrafe"}), 403)
    assert_error(world.get("/v1/crosswalk", who="integration", params={"cursor": "bm9wZQ"}), 400)


def test_scope_limits_case_workers(world):
    sat_people = {r[0] for r in world.rows(sa.select(XW.c.beneficiary_id).where(XW.c.source_system == "sat"))}
    others = sorted({r[0] for r in world.rows(sa.select(XW.c.beneficiary_id))} - sat_people)
    assert world.get(f"/v1/beneficiaries/{sorted(sat_people)[0]}", who="cw_sat").status_code == 200
    assert_error(world.get(f"/v1/beneficiaries/{others[0]}", who="cw_sat"), 403)
    # scoped to an id that was merged: the survivor it became is in scope, nobody else
    assert world.get(f"/v1/beneficiaries/{world.cases['survivor']}", who="cw_ids").status_code == 200
    assert world.get(f"/v1/beneficiaries/{world.cases['merged']}", who="cw_ids").status_code == 200
    assert_error(world.get(f"/v1/beneficiaries/{others[0]}", who="cw_ids"), 403)


def test_every_read_is_audited_refusals_included(world):
    marker = "auditor-check-1"
    h = {"X-User-Id": marker, "X-User-Location": "Ufficio Casa, Via Palazzuolo"}
    bid = world.cases["survivor"]
    cf = world.get(f"/v1/beneficiaries/{bid}").json()["person"]["codice_fiscale"]["value"]
    world.get(f"/v1/beneficiaries/{bid}", headers=h)
    world.get(f"/v1/beneficiaries/{bid}", who="integration", headers=h)
    world.get(f"/v1/beneficiaries/{bid}", who=None, headers=h)
    world.post("/v1/beneficiaries/lookup", {"codice_fiscale": cf}, headers=h)
    hits = world.post("/v1/beneficiaries/search", {"last_name": common_surname(world), "limit": 5}, headers=h)
    hits = hits.json()["items"]
    rows = world.rows(sa.select(AUDIT).where(AUDIT.c.user_id == marker).order_by(AUDIT.c.audit_id))
    outcomes = [(r.path, r.outcome, r.role) for r in rows]
    assert (f"/v1/beneficiaries/{bid}", 200, "case_worker") in outcomes
    assert (f"/v1/beneficiaries/{bid}", 403, "integration") in outcomes
    assert any(r.path == "/v1/beneficiaries/lookup" and r.beneficiary_id == bid for r in rows)
    search_rows = [r for r in rows if r.path == "/v1/beneficiaries/search"]  # a page of hits: one row naming them
    assert len(search_rows) == 1 and len(hits) > 1
    assert json.loads(search_rows[0].beneficiary_ids) == [x["beneficiary_id"] for x in hits]
    assert all(r.location == h["X-User-Location"] and r.purpose == "test: casework" and r.at for r in rows)
    anonymous = world.rows(sa.select(AUDIT).where(AUDIT.c.outcome == 401, AUDIT.c.path == f"/v1/beneficiaries/{bid}"))
    assert anonymous and all(r.client_id is None for r in anonymous)
    everything = " ".join(str(tuple(r)) for r in world.rows(sa.select(AUDIT)))
    assert cf not in everything and world.keys["cw"] not in everything
    with pytest.raises(sa.exc.DBAPIError), world.engine.begin() as conn:
        conn.execute(AUDIT.delete())


@pytest.mark.parametrize(
    "hostile",
    [
        "1' OR '1'='1",
        "x'; DROP TABLE beneficiary; --",
        '" OR 1=1 --',
        "%27%20UNION%20SELECT%20*%20FROM%20api_client--",
        "../../etc/passwd",
        "%00",
        "a\x00b",
        "é" * 70,
    ],
)
def test_hostile_input_gets_clean_4xx(world, hostile):
    before = world.scalar(sa.select(sa.func.count()).select_from(IDENTITY_TABLES["beneficiary"]))
    q = requests.utils.quote(hostile, safe="")
    responses = [
        world.get(f"/v1/beneficiaries/{q}"),
        world.get(f"/v1/beneficiaries/{q}/sources"),
        world.get(f"/v1/sources/sat/{q}"),
        world.get(f"/v1/sources/{q}/1"),
        world.get(f"/v1/sources/sat/{q}/record"),
        world.get("/v1/changes", who="integration", params={"since": hostile}),
        world.get("/v1/changes", who="integration", params={"cursor": hostile}),
        world.get("/v1/changes", who="integration", params={"limit": hostile}),
        world.get("/v1/crosswalk", who="integration", params={"cursor": hostile}),
        world.get("/v1/crosswalk", who="integration", params={"system": hostile}),
        world.post("/v1/beneficiaries/lookup", {"codice_fiscale": hostile}),
        world.post("/v1/beneficiaries/search", {"last_name": "Rossi", "birth_date": hostile}),
        world.post("/v1/beneficiaries/search", {"last_name": "Rossi", "page": hostile}),
        world.post("/v1/beneficiaries/search", {"last_name": "Rossi", "cursor": hostile}),
        world.post("/v1/beneficiaries/search", {"last_name": hostile, "evil": 1}),
        world.post("/v1/beneficiaries/search", hostile),
    ]
    if hostile.isprintable():
        responses.append(
            world.get(f"/v1/beneficiaries/{world.cases['survivor']}", who=None, headers={"X-API-Key": hostile})
        )
    for r in responses:
        assert 400 <= r.status_code < 500, (r.request.url, r.status_code, r.text[:200])
        assert_error(r, r.status_code)
    for body in ({"last_name": hostile}, {"last_name": "Rossi", "first_name": hostile}):
        r = world.post("/v1/beneficiaries/search", body)  # text fields are data: a search, or a 400 for control chars
        assert r.status_code in (200, 400), r.text
        for leak in LEAKS:
            assert leak.lower() not in r.text.lower()
    if hostile.isprintable():
        ok = world.get(f"/v1/beneficiaries/{world.cases['survivor']}", headers={"X-User-Id": hostile[:100]})
        assert ok.status_code == 200
    assert world.scalar(sa.select(sa.func.count()).select_from(IDENTITY_TABLES["beneficiary"])) == before


def test_control_characters_and_oversized_input_are_refused(world):
    assert_error(world.post("/v1/beneficiaries/search", {"last_name": "Ros\x00si"}), 400)
    assert_error(world.post("/v1/beneficiaries/search", {"last_name": "R" * 101}), 400)
    assert_error(world.post("/v1/beneficiaries/lookup", {"codice_fiscale": "A" * 33}), 400)
    assert_error(world.post("/v1/beneficiaries/lookup", "{not json"), 400)
    assert_error(world.get(f"/v1/beneficiaries/{'B' * 25}"), 400)
    assert_error(world.get(f"/v1/beneficiaries/{world.cases['survivor']}", headers={"X-User-Id": "u" * 101}), 400)
    assert_error(world.get("/v1/nowhere"), 404)
    assert_error(requests.delete(world.base + f"/v1/beneficiaries/{world.cases['survivor']}"), 405)


def test_rate_limit_answers_429_with_retry_after(world):
    path = f"/v1/beneficiaries/{world.cases['survivor']}"
    assert [world.get(path, who="limited").status_code for _ in range(3)] == [200, 200, 200]
    r = world.get(path, who="limited")
    assert_error(r, 429)
    assert 1 <= int(r.headers["Retry-After"]) <= 20
    limited = world.clients["limited"].client_id
    assert world.rows(sa.select(AUDIT.c.outcome).where(AUDIT.c.client_id == limited, AUDIT.c.outcome == 429))


def test_no_audit_row_no_data(world, monkeypatch):
    async def broken(self, rows):
        raise sa.exc.OperationalError("INSERT INTO api_audit", {}, Exception("disk full"))

    monkeypatch.setattr(AuditMiddleware, "write", broken)
    r = world.get(f"/v1/beneficiaries/{world.cases['survivor']}")
    body = assert_error(r, 503)
    assert "audit" in body["detail"] and "last_name" not in r.text


def test_audit_writer_survives_a_closed_connection(world):
    """PostgreSQL: the audit writer's connection closed by the server (a restart, an idle timeout) is replaced and
    the read served and audited, and the chain still verifies."""
    if world.engine.dialect.name != "postgresql":
        pytest.skip("the asyncio audit writer is PostgreSQL's")
    path = f"/v1/beneficiaries/{world.cases['survivor']}"
    assert world.get(path).status_code == 200
    with world.engine.connect() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": AUDIT_CONNECTION},
        ).all()
    assert killed and all(ok for (ok,) in killed)
    before = world.rows(sa.select(sa.func.max(AUDIT.c.audit_id)))[0][0]
    assert world.get(path).status_code == 200
    after = world.rows(sa.select(AUDIT.c.path, AUDIT.c.outcome).where(AUDIT.c.audit_id > before))
    assert [tuple(r) for r in after] == [(path, 200)]
    assert audit_chain.verify(world.engine).intact


def test_audit_writer_closes_its_connection_at_shutdown(world):
    """PostgreSQL: an app that stops closes its audit connection (its backend does not outlive the app)."""
    if world.engine.dialect.name != "postgresql":
        pytest.skip("the asyncio audit writer is PostgreSQL's")

    def audit_backends() -> int:
        query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND datname = current_database()"
        return world.scalar(sa.text(query).bindparams(name=AUDIT_CONNECTION))

    before = audit_backends()
    app = create_app(world.engine, pseudonym_key="test-pseudonym-key")  # kept: its connection is not garbage
    with serving(app) as base:
        key = world.keys["cw"]
        answer = requests.get(f"{base}/v1/beneficiaries/{world.cases['survivor']}", headers={"X-API-Key": key})
        assert answer.status_code == 200
        assert audit_backends() == before + 1
    deadline = time.monotonic() + 10
    while audit_backends() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert audit_backends() == before


def test_every_failure_is_a_problem_document(world, monkeypatch):
    """RFC 9457 problem details on every path to an error: validation, auth, role, routing, method, gone,
    media type, rate limit (above), audit (above) and an unexpected exception."""
    bid = world.cases["survivor"]
    invalid = assert_error(world.get("/v1/changes", who="integration", params={"limit": 0}), 400)
    assert invalid["errors"] == [{"field": "query.limit", "message": "Input should be greater than or equal to 1"}]
    assert_error(world.get(f"/v1/beneficiaries/{bid}", who=None), 401)
    assert_error(world.get(f"/v1/beneficiaries/{bid}", who="integration"), 403)
    assert_error(world.get("/v1/nowhere/at/all"), 404)
    wrong = assert_error(requests.put(world.base + f"/v1/beneficiaries/{bid}", timeout=10), 405)
    assert wrong["title"] == "Method Not Allowed"
    assert requests.put(world.base + f"/v1/beneficiaries/{bid}", timeout=10).headers["allow"] == "GET"
    assert_error(world.get(f"/v1/beneficiaries/{world.cases['retired']}"), 410)
    text = world.post("/v1/beneficiaries/search", "last_name=Rossi", headers={"Content-Type": "text/plain"})
    assert_error(text, 415)
    assert text.headers["accept"] == "application/json"
    form = world.post(
        "/v1/beneficiaries/lookup", "codice_fiscale=X", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_error(form, 415)
    assert (
        world.post(
            "/v1/beneficiaries/search", {"last_name": "Ro"}, headers={"Content-Type": "application/json; charset=utf-8"}
        ).status_code
        == 200
    )

    def boom(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM stg_person WHERE codice_fiscale = 'RSSMRA80A01D612X'")

    monkeypatch.setattr("api.repository.read_record", boom)
    crashed = assert_error(world.get(f"/v1/beneficiaries/{bid}"), 500)
    assert "reference" in crashed["detail"] and "RSSMRA" not in crashed["detail"]


def test_openapi_document_says_what_the_api_answers(world):
    spec = requests.get(world.base + "/openapi.json", timeout=10).json()
    text = json.dumps(spec)
    assert "HTTPValidationError" not in text and '"422"' not in text
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            for status, response in responses.items():
                if int(status) >= 400:
                    assert response["content"] == {"application/problem+json": {"schema": problem}}, (path, status)
            if op.get("parameters") or "requestBody" in op:
                assert "400" in responses, (method, path)
            if "requestBody" in op:
                assert "415" in responses and list(op["requestBody"]["content"]) == ["application/json"]
            if path not in ("/v1/health", "/v1/ready"):
                assert {"401", "429", "500", "503"} <= set(responses), (method, path)
    record = spec["paths"]["/v1/beneficiaries/{beneficiary_id}"]["get"]
    assert "ETag" in record["responses"]["200"]["headers"] and "304" in record["responses"]
    assert "if-none-match" in [p["name"].lower() for p in record["parameters"]]
    for path in ("/v1/changes", "/v1/crosswalk"):
        names = {p["name"] for p in spec["paths"][path]["get"]["parameters"]}
        assert {"cursor", "limit"} <= names
    assert {p["name"] for p in spec["paths"]["/v1/changes"]["get"]["parameters"] if p.get("deprecated")} == {"since"}
    pages = [spec["components"]["schemas"][n]["properties"] for n in ("ChangePage", "CrosswalkPage", "SearchPage")]
    assert all({"items", "next_cursor", "has_more"} <= set(p) for p in pages)


def test_merged_records_carry_an_etag_for_cheap_polling(world):
    bid = world.cases["survivor"]
    path = f"/v1/beneficiaries/{bid}"
    first = world.get(path)
    tag = first.headers["etag"]
    assert tag.startswith('"') and world.get(path).headers["etag"] == tag  # stable while nothing changes
    for asked in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        unchanged = world.get(path, headers={"If-None-Match": asked})
        assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == tag
    assert world.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
    system, sid = world.rows(sa.select(XW.c.source_system, XW.c.source_person_id).where(XW.c.beneficiary_id == bid))[0]
    assert world.get(f"/v1/sources/{system}/{sid}/record", headers={"If-None-Match": tag}).status_code == 304
    tags = {who: world.get(path, who=who).headers["etag"] for who in ("cw", "cw_conf", "analyst")}
    assert len(set(tags.values())) == 3  # redaction differs by role and grant: so does the tag
    assert world.get(path, who="analyst", headers={"If-None-Match": tag}).status_code == 200
    old_phone = world.scalar(sa.select(GOLDEN.c.phone).where(GOLDEN.c.beneficiary_id == bid))
    with world.engine.begin() as conn:  # anything the caller sees changes (as a publish would): a new tag
        conn.execute(GOLDEN.update().where(GOLDEN.c.beneficiary_id == bid).values(phone="+390550000000"))
    try:
        changed = world.get(path, headers={"If-None-Match": tag})
        assert changed.status_code == 200 and changed.headers["etag"] != tag
        assert changed.json()["person"]["phone"]["value"] == "+390550000000"
    finally:
        with world.engine.begin() as conn:
            conn.execute(GOLDEN.update().where(GOLDEN.c.beneficiary_id == bid).values(phone=old_phone))
    assert world.get(path, headers={"If-None-Match": tag}).status_code == 304
    audited = world.rows(sa.select(AUDIT.c.outcome).where(AUDIT.c.path == path, AUDIT.c.outcome == 304))
    assert audited  # a 304 is a read too


def test_a_change_feed_page_is_one_audit_row_naming_its_beneficiaries(world):
    marker = "feed-audit-1"
    page = world.get("/v1/changes", who="integration", params={"limit": 97}, headers={"X-User-Id": marker}).json()
    rows = world.rows(sa.select(AUDIT).where(AUDIT.c.user_id == marker))
    assert len(rows) == 1 and rows[0].beneficiary_id is None
    named = json.loads(rows[0].beneficiary_ids)
    assert named == list(dict.fromkeys(c["beneficiary_id"] for c in page["items"])) and len(named) > 90
    for bid in (named[0], named[-1]):
        found = query_audit(world.engine, beneficiary_id=bid, limit=100_000)
        assert rows[0].audit_id in {r["audit_id"] for r in found}
    assert audit_chain.verify(world.engine).intact


def test_search_by_birth_date_uses_an_index_on_both_dates(world):
    """The candidate query narrows by birth_date OR cf_birth_date: both must be indexed (PostgreSQL scanned
    stg_person on every search before cf_birth_date had one)."""
    if world.engine.dialect.name != "postgresql":
        pytest.skip("EXPLAIN's plan is PostgreSQL's")
    from datetime import date

    from api import repository as repo

    with world.engine.connect() as conn:
        conn.execute(sa.text("SET enable_seqscan = off"))  # a small table: ask whether an index could serve it
        q = repo.candidates_query("RO", [date(1980, 1, 2), date(1980, 2, 1)], 5000)
        plan = "\n".join(
            conn.execute(sa.text("EXPLAIN " + str(q.compile(conn, compile_kwargs={"literal_binds": True})))).scalars()
        )
    assert "ix_stg_person_cf_birth_date" in plan and "ix_stg_person_birth_date" in plan
    assert "Seq Scan on stg_person" not in plan
