"""A bad update never erases good data, end to end on SQLite and PostgreSQL (issue 14 §4).

A registry person, her SAT guest record with a stay and her accounting record with a payment are staged
from the raw layer among a generated population, linked by the matching pipeline and published. Then the
registry sends her with an impossible birth date and accounting a payment with a malformed amount: staging
keeps their last valid versions flagged, the next link retires and unlinks nothing, the profile and the
API say that newer versions wait in quarantine (without their values). A valid update clears the flag; a
deletion removes the record as before.
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import sqlalchemy as sa

from api.app import create_app
from api.clients import create_client
from api.repository import pending_of
from connectors.raw_writer import RawWriter, Record
from matching import pipeline
from schemas.stage import stage_system
from tests.api_world import serving
from tests.helpers import make_config
from tests.identity_data import background
from tests.identity_data import stage as stage_rows
from tests.stage_data import fresh_warehouse, good, write_raw
from warehouse.models import IDENTITY_TABLES, PROFILE_TABLES, STAGING_TABLES, Quarantine
from warehouse.profile.publish import publish
from warehouse.runs import start_run

XW, BEN, CHANGE = (IDENTITY_TABLES[t] for t in ("beneficiary_crosswalk", "beneficiary", "beneficiary_change"))
PENDING, PROFILE, GOLDEN = (PROFILE_TABLES[t] for t in ("pending_version", "beneficiary_profile", "golden_record"))
PERSON = STAGING_TABLES["stg_person"]
HER = good("anagrafe", "residenti")
NEIGHBOUR = good(  # registry only: a beneficiary of her own
    "anagrafe",
    "residenti",
    ID_INDIVIDUO="100777",
    COGNOME="VERDI",
    NOME="GIACOMO",
    SESSO="M",
    DATA_NASCITA="03/05/1950",
    CODICE_FISCALE="VRDGCM50E03D612X",
    ID_FAMIGLIA="F-70001",
)
BAD_DATE = "31/02/1980"


@pytest.fixture
def world(warehouse_url, tmp_path):
    engine = fresh_warehouse(warehouse_url)
    yield make_config(tmp_path, warehouse_url=warehouse_url), engine
    engine.dispose()


def registry_snapshot(engine, day: int, people: list[dict]) -> None:
    """A nightly registry file (its date is the records' change time): whoever is absent was purged."""
    run_id = start_run(engine, "sync", "anagrafe", trigger="test")
    name = f"ANAGRAFE_RESIDENTI_202603{day:02d}.csv"
    with engine.begin() as conn:
        writer = RawWriter(conn, "anagrafe", "residenti", run_id)
        writer.apply([Record(p["ID_INDIVIDUO"], p, cursor=name) for p in people])
        writer.mark_seen(p["ID_INDIVIDUO"] for p in people)
        writer.delete_unseen()


def step(cfg, engine, *systems: str) -> dict:
    """Stage the systems, link incrementally, publish: what the scheduled pipeline does after a sync."""
    for system in systems:
        assert stage_system(cfg, engine, system)["adds_up"]
    linked = pipeline.link(engine, "incremental", trigger="test")
    publish(None, engine)
    return linked


def rows(engine, query) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def crosswalk(engine) -> dict[tuple[str, str], str]:
    return {(r["source_system"], r["source_person_id"]): r["beneficiary_id"] for r in rows(engine, sa.select(XW))}


def open_quarantine(engine) -> dict[tuple[str, str], dict]:
    q = Quarantine.__table__
    return {(r["stream"], r["source_id"]): r for r in rows(engine, sa.select(q).where(q.c.released_run_id.is_(None)))}


def test_a_bad_update_retires_nothing_and_the_profile_and_api_say_a_newer_version_waits(world):
    cfg, engine = world
    people = background()
    for r in people:
        r["source_updated_at"] = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    stage_rows(engine, people)  # a population for the linkage model to learn from
    registry_snapshot(engine, 1, [HER, NEIGHBOUR])
    write_raw(engine, "sat", "ospiti", [good("sat", "ospiti")])
    write_raw(engine, "sat", "accoglienze", [good("sat", "accoglienze")])
    write_raw(engine, "contabilita", "soggetti", [good("contabilita", "soggetti")])
    write_raw(engine, "contabilita", "erogazioni", [good("contabilita", "erogazioni")])
    step(cfg, engine, "anagrafe", "sat", "contabilita")
    xw = crosswalk(engine)
    her = xw[("anagrafe", "100234")]
    assert xw[("sat", "7141")] == her == xw[("contabilita", "12")] != xw[("anagrafe", "100777")]
    statuses = {r["beneficiary_id"]: r["status"] for r in rows(engine, sa.select(BEN))}
    changes_before = len(rows(engine, sa.select(CHANGE)))

    # ---- the bad update: an impossible birth date, a malformed amount
    registry_snapshot(engine, 2, [dict(HER, DATA_NASCITA=BAD_DATE, INTERNO="5"), NEIGHBOUR])
    write_raw(
        engine, "contabilita", "erogazioni", [good("contabilita", "erogazioni", importo="3,50", stato="liquidato")]
    )
    for system in ("anagrafe", "contabilita"):
        summary = stage_system(cfg, engine, system)
        assert summary["adds_up"] and sum(s["kept_last_valid"] for s in summary["streams"]) == 1
    entries = open_quarantine(engine)
    person_entry, payment_entry = entries[("residenti", "100234")], entries[("erogazioni", "4001")]
    (staged,) = rows(engine, sa.select(PERSON).where(PERSON.c.source_person_id == "100234"))
    assert (staged["birth_date"], staged["superseded_by"]) == (dt.date(1984, 2, 11), person_entry["quarantine_id"])
    linked = pipeline.link(engine, "incremental", trigger="test")
    with engine.connect() as conn:  # an unpublished record is assembled from staging: the flags are read there
        unpublished = pending_of(conn, her, [{"source_system": "anagrafe", "source_person_id": "100234"}])
    assert [p["quarantine_id"] for p in unpublished] == [person_entry["quarantine_id"]]
    publish(None, engine)
    assert (linked["retired"], linked["split"], linked["merged"], linked["deleted_records"]) == (0, 0, 0, 0)
    assert crosswalk(engine) == xw
    assert {r["beneficiary_id"]: r["status"] for r in rows(engine, sa.select(BEN))} == statuses
    assert {r["kind"] for r in rows(engine, sa.select(CHANGE))[changes_before:]} <= {"updated"}

    pending = rows(engine, sa.select(PENDING).order_by(PENDING.c.stream))
    assert [
        (p["beneficiary_id"], p["source_system"], p["stream"], p["source_record_id"], p["quarantine_id"], p["rules"])
        for p in pending
    ] == [
        (her, "contabilita", "erogazioni", "4001", payment_entry["quarantine_id"], ["importo: amount"]),
        (
            her,
            "anagrafe",
            "residenti",
            "100234",
            person_entry["quarantine_id"],
            ["DATA_NASCITA: date_format(fmt=DD/MM/YYYY)"],
        ),
    ]
    assert pending[1]["quarantined_at"] == person_entry["quarantined_at"]
    (profile,) = rows(engine, sa.select(PROFILE).where(PROFILE.c.beneficiary_id == her))
    assert (profile["pending_versions"], profile["birth_date"]) == (2, dt.date(1984, 2, 11))
    assert "anagrafe" in profile["systems"] and "contabilita" in profile["systems"]

    cw, cw_key = create_client(engine, "cw", "case_worker", "test: casework")
    _, analyst_key = create_client(engine, "an", "analyst", "test: monitoring")
    with serving(create_app(engine, pseudonym_key="test-pseudonym-key")) as base:
        answer = requests.get(f"{base}/v1/beneficiaries/{her}", headers={"Authorization": f"Bearer {cw_key}"})
        assert answer.status_code == 200, answer.text
        record = answer.json()
        assert record["person"]["birth_date"]["value"] == "1984-02-11"
        assert {p["payment_id"]: p["amount"] for p in record["payments"]} == {"4001": "350.00"}
        sources = {(s["source_system"], s["source_person_id"]): s["pending_versions"] for s in record["sources"]}
        assert sources[("sat", "7141")] == []
        (waiting,) = sources[("anagrafe", "100234")]
        assert waiting == {
            "stream": "residenti",
            "source_record_id": "100234",
            "quarantine_id": person_entry["quarantine_id"],
            "rules": ["DATA_NASCITA: date_format(fmt=DD/MM/YYYY)"],
            "since": waiting["since"],
        }
        assert dt.datetime.fromisoformat(waiting["since"]) == person_entry["quarantined_at"]
        assert [p["stream"] for p in sources[("contabilita", "12")]] == ["erogazioni"]
        analyst = requests.get(f"{base}/v1/beneficiaries/{her}", headers={"X-API-Key": analyst_key}).json()
        hidden = [p for s in analyst["sources"] for p in s["pending_versions"]]
        assert len(hidden) == 2 and all(p["source_record_id"] is None and p["quarantine_id"] is None for p in hidden)
        for body in (answer.text, str(analyst)):
            assert BAD_DATE not in body and "3,50" not in body  # the quarantined payload never leaks

    # ---- valid updates: flags cleared, the new values published
    registry_snapshot(engine, 3, [dict(HER, INTERNO="7"), NEIGHBOUR])
    write_raw(engine, "contabilita", "erogazioni", [good("contabilita", "erogazioni", stato="liquidato")])
    step(cfg, engine, "anagrafe", "contabilita")
    assert rows(engine, sa.select(PENDING)) == [] and open_quarantine(engine) == {}
    mine = PERSON.c.source_person_id.in_(["100234", "100777"])
    assert [r["superseded_by"] for r in rows(engine, sa.select(PERSON).where(mine))] == [None, None]
    (profile,) = rows(engine, sa.select(PROFILE).where(PROFILE.c.beneficiary_id == her))
    assert profile["pending_versions"] == 0 and crosswalk(engine) == xw

    # ---- a bad update again, then the source deletes the record: removed as before
    registry_snapshot(engine, 4, [dict(HER, SESSO="X"), NEIGHBOUR])
    step(cfg, engine, "anagrafe")
    assert crosswalk(engine) == xw
    registry_snapshot(engine, 5, [NEIGHBOUR])
    linked = step(cfg, engine, "anagrafe")
    assert linked["deleted_records"] == 1
    after = crosswalk(engine)
    assert ("anagrafe", "100234") not in after and after[("sat", "7141")] == her
    assert rows(engine, sa.select(PENDING)) == [] and open_quarantine(engine) == {}
    (profile,) = rows(engine, sa.select(PROFILE).where(PROFILE.c.beneficiary_id == her))
    assert "anagrafe" not in profile["systems"]
