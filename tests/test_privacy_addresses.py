"""Protection belongs to the address: a protected person's address is withheld wherever it travels — her
own record, her household's, a neighbour's in the same building, a family now at her old address, a guest
co-hosted in the same structure, search, lookups, the change feed, records not yet published, the profile
and marts — from every reader without the `confidential` grant, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
import requests
import sqlalchemy as sa

from api.app import create_app
from api.clients import create_client
from tests.api_world import serving
from tests.privacy_world import ALBERGO, IDS, KEY, PROTECTED_TEXT, SHELTER, build_privacy_world
from tests.servers import postgres_database
from warehouse.models import PROFILE_TABLES, STAGING_TABLES
from warehouse.publish import publish
from warehouse.runs import finish_run, start_run

CLIENTS = {"cw": ("case_worker", ()), "cw_conf": ("case_worker", ("confidential",)), "analyst": ("analyst", ())}
CLIENTS["integration"] = ("integration", ())
HIDDEN = ("mother", "daughter", "neighbour", "previous")
"""Beneficiaries whose registry address is protected (own, household, same building, former address)."""


class Served:
    def __init__(self, base: str, engine, keys: dict):
        self.base, self.engine, self.keys = base, engine, keys

    def get(self, path: str, who: str = "cw", **kw) -> requests.Response:
        r = requests.get(self.base + path, headers={"Authorization": f"Bearer {self.keys[who]}"}, timeout=30, **kw)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        return r

    def post(self, path: str, body: dict, who: str = "cw") -> requests.Response:
        r = requests.post(self.base + path, json=body, headers={"X-API-Key": self.keys[who]}, timeout=30)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        return r

    def record(self, person: str, who: str = "cw") -> dict:
        return self.get(f"/v1/beneficiaries/{IDS[person]}", who).json()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, tmp_path_factory):
    databases = postgres_database("fase_privacy") if request.param == "postgresql" else None
    url = next(databases) if databases else f"sqlite:///{tmp_path_factory.mktemp('privacy') / 'warehouse.db'}"
    engine = build_privacy_world(url)
    keys = {
        name: create_client(engine, name, role, "test: casework", grants=grants, rate_limit_per_minute=100_000)[1]
        for name, (role, grants) in CLIENTS.items()
    }
    with serving(create_app(engine, pseudonym_key=KEY)) as base:
        yield Served(base, engine, keys)
    engine.dispose()
    if databases:
        next(databases, None)


def assert_no_protected_text(text: str) -> None:
    for needle in PROTECTED_TEXT:
        assert needle.lower() not in text.lower(), needle


def assert_addresses_withheld(rec: dict) -> None:
    assert rec["person"]["address"]["value"] is None
    assert rec["residences"] and all(r["street"] is None and r["number"] is None for r in rec["residences"])
    assert all(s["structure_name"] is None and s["address"] is None for s in rec["stays"])
    assert "person.address" in rec["redactions"] and "residences.address" in rec["redactions"]
    assert_no_protected_text(json.dumps(rec))


@pytest.mark.parametrize("person", HIDDEN)
def test_protected_registry_address_is_withheld_from_every_household_member_and_building(served, person):
    plain = served.record(person)
    assert_addresses_withheld(plain)
    granted = served.record(person, "cw_conf")
    assert granted["person"]["address"]["value"]["street"] in ("DEI NERI", "TORTA")
    assert all(r["street"] for r in granted["residences"]) and granted["redactions"] == []
    assert plain["protected"] == (person == "mother")  # the address is protected, not (only) the person


def test_residence_history_keeps_the_old_address_protected(served):
    mother = served.record("mother", "cw_conf")
    assert [r["street"] for r in mother["residences"]] == ["TORTA", "DEI NERI"]
    previous = served.record("previous")  # lives now where she lived before
    assert previous["residences"][0]["street"] is None and previous["person"]["address"]["value"] is None
    h = PROFILE_TABLES["golden_history"]
    with served.engine.connect() as conn:
        flags = dict(conn.execute(sa.select(h.c.beneficiary_id, h.c.address_protected)).all())
    assert {b for b, f in flags.items() if f} == {IDS[p] for p in HIDDEN}


def test_co_hosted_guest_stays_at_a_protected_structure(served):
    for person in ("daughter", "guest"):
        plain = served.record(person)
        assert all(s["structure_name"] is None and s["address"] is None for s in plain["stays"])
        assert {"stays.structure_name", "stays.address"} <= set(plain["redactions"])
        assert_no_protected_text(json.dumps(plain))
        granted = served.record(person, "cw_conf")
        assert [(s["structure_name"], s["address"]) for s in granted["stays"]][-1] == SHELTER
    guest = served.record("guest")
    assert guest["person"]["address"]["value"]["street"] == "GUELFA"  # her own address is not protected
    analyst = served.record("daughter", "analyst")
    assert_no_protected_text(json.dumps(analyst))


def test_unprotected_addresses_are_served(served):
    control = served.record("control")
    assert control["person"]["address"]["value"]["street"] == "GUELFA"
    assert [(s["structure_name"], s["address"]) for s in control["stays"]] == [ALBERGO]
    assert control["residences"][0]["street"] == "GUELFA" and control["redactions"] == []
    # where the daughter stayed without her mother is hidden on her record only, not for everyone
    daughter = served.record("daughter", "cw_conf")
    assert [(s["stay_id"], s["structure_name"]) for s in daughter["stays"]] == [("S4", ALBERGO[0]), ("S2", SHELTER[0])]
    assert all(s["structure_name"] is None for s in served.record("daughter")["stays"])


def test_record_by_source_applies_the_same_protection(served):
    for system, sid in (("anagrafe", "A2"), ("sat", "103")):
        rec = served.get(f"/v1/sources/{system}/{sid}/record").json()
        assert all(s["structure_name"] is None for s in rec["stays"])
        assert_no_protected_text(json.dumps(rec))
    assert_addresses_withheld(served.get("/v1/sources/anagrafe/A2/record").json())


def test_record_not_yet_published_withholds_every_address_without_the_grant(served):
    plain = served.record("late")
    assert plain["published"] is False
    assert plain["person"]["address"]["value"] is None and plain["residences"][0]["street"] is None
    assert plain["stays"] and all(s["structure_name"] is None and s["address"] is None for s in plain["stays"])
    granted = served.record("late", "cw_conf")
    assert granted["person"]["address"]["value"]["street"] == "GUELFA" and granted["residences"][0]["street"]
    assert [(s["structure_name"], s["address"]) for s in granted["stays"]] == [ALBERGO]


def test_search_lookup_and_change_feed_carry_no_address(served):
    hits = served.post("/v1/beneficiaries/search", {"last_name": "Belkacem"}).json()["items"]
    assert {h["beneficiary_id"] for h in hits} >= {IDS["mother"], IDS["daughter"]}
    code = PROFILE_TABLES["golden_record"]
    with served.engine.connect() as conn:
        cf = conn.execute(sa.select(code.c.codice_fiscale).where(code.c.beneficiary_id == IDS["daughter"])).scalar()
    found = served.post("/v1/beneficiaries/lookup", {"codice_fiscale": cf})
    assert [m["beneficiary_id"] for m in found.json()["matches"]] == [IDS["daughter"]]
    feed = served.get("/v1/changes", "integration")
    assert {c["beneficiary_id"] for c in feed.json()["items"]} == set(IDS.values())
    for text in (json.dumps(hits), found.text, feed.text):
        assert_no_protected_text(text)


def test_profile_and_marts_hold_protected_places_only_in_the_restricted_table(served):
    p, fs, rs = (PROFILE_TABLES[t] for t in ("beneficiary_profile", "fact_stay", "restricted_stay_address"))
    with served.engine.connect() as conn:
        current = dict(conn.execute(sa.select(p.c.beneficiary_id, p.c.current_structure_address)).all())
        places = {r.stay_id: r for r in conn.execute(sa.select(fs))}
        held = {r.stay_id: (r.structure_name, r.address) for r in conn.execute(sa.select(rs))}
        readable = {
            name: conn.execute(sa.select(PROFILE_TABLES[name])).all()
            for name in PROFILE_TABLES
            if name.startswith("mart_") or name in ("beneficiary_profile", "fact_stay", "household", "household_member")
        }
    assert current[IDS["guest"]] is None and current[IDS["daughter"]] is None  # ongoing stays at the shelter
    assert held == {"S1": SHELTER, "S2": SHELTER, "S3": SHELTER, "S4": ALBERGO}  # the owner's copy
    assert all(places[s].structure_name is None and places[s].address is None for s in held)
    assert places["S5"].structure_name == ALBERGO[0] and not places["S5"].address_protected
    assert_no_protected_text(json.dumps({k: [list(map(str, r)) for r in v] for k, v in readable.items()}))
    if served.engine.dialect.name == "postgresql":  # what the analysts' schema shows
        with served.engine.connect() as conn:
            views = conn.execute(
                sa.text("SELECT table_name FROM information_schema.views WHERE table_schema = 'fase_marts'")
            ).scalars()
            dump = {v: conn.execute(sa.text(f"SELECT * FROM fase_marts.{v}")).all() for v in views}
        assert dump["beneficiary_profile"]
        assert_no_protected_text(json.dumps({k: [list(map(str, r)) for r in v] for k, v in dump.items()}))


def test_protection_follows_the_data_and_publishing_again_changes_nothing(warehouse_url):
    engine = build_privacy_world(warehouse_url)
    again = publish(None, engine, today=date(2026, 10, 15), pseudonym_key=KEY)
    changed = {k: v for k, v in again["protection"].items() if k not in ("people", "addresses")}
    assert changed == {
        "golden_record": 0,
        "golden_history": 0,
        "fact_residence": 0,
        "fact_stay": {"hidden": 0, "shown": 0, "flagged": 0},
    }
    person, stay = STAGING_TABLES["stg_person"], STAGING_TABLES["stg_stay"]
    run_id = start_run(engine, "stage", trigger="test")
    with engine.begin() as conn:  # the mother is no longer a protected guest: her record is staged again
        mother = sa.and_(person.c.source_system == "sat", person.c.source_person_id == "101")
        conn.execute(sa.update(person).where(mother).values(riservato=False, run_id=run_id))
        conn.execute(sa.update(stay).where(stay.c.stay_id == "S1").values(confidential=False, run_id=run_id))
    finish_run(engine, run_id)
    done = publish(None, engine, today=date(2026, 10, 15), pseudonym_key=KEY)
    assert done["mode"] == "incremental" and done["in_scope"] == 1  # the mother only
    assert done["protection"]["fact_stay"]["shown"] == 3  # S2, S3, S4 (not in scope): back from the restricted table
    fs, g = PROFILE_TABLES["fact_stay"], PROFILE_TABLES["golden_record"]
    with engine.connect() as conn:
        stays = {r.stay_id: (r.structure_name, r.address, r.address_protected) for r in conn.execute(sa.select(fs))}
        flags = dict(conn.execute(sa.select(g.c.beneficiary_id, g.c.address_protected)).all())
        held = conn.execute(sa.select(sa.func.count()).select_from(PROFILE_TABLES["restricted_stay_address"])).scalar()
    assert stays["S2"] == (*SHELTER, False) and stays["S3"] == (*SHELTER, False) and held == 0
    assert not any(flags.values())
