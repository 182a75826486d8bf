"""The stage step on SQLite and PostgreSQL: quarantine with reasons, counts, drift, idempotence, release,
histories (payment status, residence), confidentiality and one-field names."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from schemas.contracts import SchemaDriftError
from schemas.stage import stage_system
from tests.helpers import make_config
from tests.stage_data import KEYS, fresh_warehouse, good, write_raw
from warehouse.models import RAW_STREAMS, STAGING_TABLES, PipelineRun, Quarantine

Q = Quarantine.__table__


@pytest.fixture
def wh(warehouse_url, tmp_path):
    engine = fresh_warehouse(warehouse_url)
    cfg = make_config(tmp_path, warehouse_url=warehouse_url)
    yield cfg, engine
    engine.dispose()


def rows(engine, table, order=None):
    t = STAGING_TABLES[table]
    with engine.connect() as conn:
        q = sa.select(t).order_by(*(t.c[c] for c in order)) if order else sa.select(t)
        return [dict(r) for r in conn.execute(q).mappings()]


def quarantine_rows(engine):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(Q).order_by(Q.c.quarantine_id)).mappings()]


def snapshot(engine):
    """Every staging and quarantine row (without run ids): what a re-run must leave unchanged."""
    out = {}
    for name in STAGING_TABLES:
        out[name] = sorted(repr(sorted((k, v) for k, v in r.items() if k != "run_id")) for r in rows(engine, name))
    out["quarantine"] = [
        (r["source_id"], r["raw_id"], r["rules"], r["released_run_id"]) for r in quarantine_rows(engine)
    ]
    return out


def stream(summary, name):
    return next(s for s in summary["streams"] if s["stream"] == name)


def test_failures_are_quarantined_with_reasons_and_counts_add_up(wh):
    cfg, engine = wh
    bad = good("sat", "accoglienze", id_accoglienza=502, tipo="hotel", data_uscita="2026-01-01")
    write_raw(
        engine,
        "sat",
        "accoglienze",
        [good("sat", "accoglienze"), bad, *(good("sat", "accoglienze", id_accoglienza=600 + i) for i in range(8))],
        tombstones=[good("sat", "accoglienze", id_accoglienza=700, deleted=True)],
    )
    summary = stage_system(cfg, engine, "sat")
    s = stream(summary, "accoglienze")
    assert (s["received"], s["staged"], s["quarantined"], s["deleted"], s["adds_up"]) == (11, 9, 1, 1, True)
    assert summary["adds_up"]
    (entry,) = quarantine_rows(engine)
    assert (entry["system"], entry["stream"], entry["source_id"], entry["released_run_id"]) == (
        "sat",
        "accoglienze",
        "502",
        None,
    )
    assert entry["rules"] == [
        "tipo 'hotel' not one of appartamento_volano, alloggio_transizione, co_housing, accoglienza_notturna, "
        "albergo_popolare, struttura_protetta",
        "data_uscita 2026-01-01 is before data_ingresso 2026-02-01",
    ]
    assert entry["payload"]["tipo"] == "hotel"
    assert "502" not in {r["stay_id"] for r in rows(engine, "stg_stay")}
    with engine.connect() as conn:
        run = conn.execute(sa.select(PipelineRun).where(PipelineRun.run_id == summary["run_id"])).one()
    assert run.step == "stage" and run.status == "success" and stream(run.summary, "accoglienze")["quarantined"] == 1


@pytest.mark.parametrize(
    "change",
    [{"DATA_NASCITA": "1984-02-11"}, {"DATA_NASCITA": ..., "DATA_DI_NASCITA": "11/02/1984"}],
    ids=["new date format", "renamed column"],
)
def test_schema_drift_fails_the_run_and_changes_nothing(wh, change):
    cfg, engine = wh
    people = [good("anagrafe", "residenti", ID_INDIVIDUO=str(100 + i)) for i in range(30)]
    write_raw(engine, "anagrafe", "residenti", people)
    stage_system(cfg, engine, "anagrafe")
    write_raw(engine, "anagrafe", "residenti", [dict(p, NOME="LUCA") for p in people[:2]])
    write_raw(
        engine,
        "anagrafe",
        "residenti",
        [good("anagrafe", "residenti", ID_INDIVIDUO=str(100 + i), **change) for i in range(2, 30)],
    )
    before = snapshot(engine)
    with pytest.raises(SchemaDriftError) as err:
        stage_system(cfg, engine, "anagrafe")
    assert all(w in str(err.value) for w in ("anagrafe.residenti", "DATA_NASCITA"))
    assert snapshot(engine) == before  # the two good changes were rolled back too
    with engine.connect() as conn:
        run = conn.execute(sa.select(PipelineRun).order_by(PipelineRun.run_id.desc())).first()
    assert run.step == "stage" and run.status == "failed" and "SchemaDriftError" in run.error


def test_rerun_changes_nothing_incremental_and_full(wh):
    cfg, engine = wh
    write_raw(engine, "sat", "ospiti", [good("sat", "ospiti"), good("sat", "ospiti", id_ospite=7142, sesso="X")])
    write_raw(engine, "sat", "accoglienze", [good("sat", "accoglienze")])
    write_raw(engine, "contabilita", "soggetti", [good("contabilita", "soggetti")])
    write_raw(
        engine,
        "contabilita",
        "erogazioni",
        [good("contabilita", "erogazioni"), good("contabilita", "erogazioni", id_erogazione=4002, importo="-1")],
    )
    for system in ("sat", "contabilita"):
        stage_system(cfg, engine, system)
    first = snapshot(engine)
    assert len(first["quarantine"]) == 2 and len(first["stg_person"]) == 2
    again = stage_system(cfg, engine, "sat")
    assert all(s["received"] == 0 for s in again["streams"])
    full = stage_system(cfg, engine, "sat", full=True)
    assert stream(full, "ospiti")["received"] == 2 and stream(full, "ospiti")["quarantined"] == 1
    assert all(w == {"inserted": 0, "updated": 0, "deleted": 0} for s in full["streams"] for w in s["writes"].values())
    stage_system(cfg, engine, "contabilita", full=True)
    assert snapshot(engine) == first


def test_record_leaves_quarantine_when_a_later_version_passes(wh):
    cfg, engine = wh
    write_raw(engine, "polis", "placements", [good("polis", "placements", end_date="2025-01-01")])
    stage_system(cfg, engine, "polis")
    assert rows(engine, "stg_placement") == []
    write_raw(engine, "polis", "placements", [good("polis", "placements", end_date="2025-01-02", hours_completed=-1)])
    second = stage_system(cfg, engine, "polis")
    old, new = quarantine_rows(engine)
    assert old["released_run_id"] == second["run_id"] and new["released_run_id"] is None
    assert len(new["rules"]) == 2
    write_raw(engine, "polis", "placements", [good("polis", "placements")])
    third = stage_system(cfg, engine, "polis")
    assert stream(third, "placements")["released"] == 1
    assert all(r["released_run_id"] is not None for r in quarantine_rows(engine))
    assert [r["placement_id"] for r in rows(engine, "stg_placement")] == ["88"]


def open_entry(engine, stream_name: str, source_id: str) -> dict:
    (entry,) = [
        r
        for r in quarantine_rows(engine)
        if r["stream"] == stream_name and r["source_id"] == source_id and r["released_run_id"] is None
    ]
    return entry


def test_a_failing_update_keeps_the_last_valid_version_until_a_valid_one_or_a_deletion(wh):
    """A passing record that later failed used to leave staging (its beneficiary retired at the next link)."""
    cfg, engine = wh
    write_raw(engine, "volontariato", "servizi", [good("volontariato", "servizi")])
    stage_system(cfg, engine, "volontariato")
    (before,) = rows(engine, "stg_volunteer_service")
    assert before["superseded_by"] is None and before["superseded_by_rules"] is None

    write_raw(engine, "volontariato", "servizi", [good("volontariato", "servizi", ruolo="ospite")])
    summary = stage_system(cfg, engine, "volontariato")
    s = stream(summary, "servizi")
    assert (s["received"], s["staged"], s["quarantined"], s["kept_last_valid"], s["adds_up"]) == (1, 0, 1, 1, True)
    (kept,) = rows(engine, "stg_volunteer_service")
    first = open_entry(engine, "servizi", "900")
    assert kept["superseded_by"] == first["quarantine_id"]
    assert kept["superseded_by_rules"] == ["ruolo: isin(allowed_values=['beneficiario', 'volontario'])"]
    assert {k: v for k, v in kept.items() if not k.startswith("superseded") and k != "run_id"} == {
        k: v for k, v in before.items() if not k.startswith("superseded") and k != "run_id"
    }
    full = stage_system(cfg, engine, "volontariato", full=True)  # a re-run changes nothing
    assert all(w == {"inserted": 0, "updated": 0, "deleted": 0} for w in stream(full, "servizi")["writes"].values())

    write_raw(engine, "volontariato", "servizi", [good("volontariato", "servizi", data_inizio="2026-13-01")])
    stage_system(cfg, engine, "volontariato")  # failing anew: still the first version, flagged by the new entry
    (kept,) = rows(engine, "stg_volunteer_service")
    second = open_entry(engine, "servizi", "900")
    assert second["quarantine_id"] != first["quarantine_id"] and kept["superseded_by"] == second["quarantine_id"]
    assert kept["superseded_by_rules"] == ["data_inizio: date_format(fmt=YYYY-MM-DD)"]
    assert kept["data_inizio"].isoformat() == "2026-01-05"

    write_raw(engine, "volontariato", "servizi", [good("volontariato", "servizi", associazione="Banco Alimentare")])
    summary = stage_system(cfg, engine, "volontariato")  # a valid version: flag cleared, rows replaced
    assert stream(summary, "servizi")["kept_last_valid"] == 0 and stream(summary, "servizi")["released"] == 1
    (valid,) = rows(engine, "stg_volunteer_service")
    assert (valid["associazione"], valid["superseded_by"], valid["superseded_by_rules"]) == (
        "Banco Alimentare",
        None,
        None,
    )

    write_raw(engine, "volontariato", "servizi", [good("volontariato", "servizi", ruolo="ospite")])
    stage_system(cfg, engine, "volontariato")
    assert rows(engine, "stg_volunteer_service")[0]["associazione"] == "Banco Alimentare"
    write_raw(engine, "volontariato", "servizi", [], complete=True)  # the source deletes the record
    summary = stage_system(cfg, engine, "volontariato")
    assert stream(summary, "servizi")["deleted"] == 1 and rows(engine, "stg_volunteer_service") == []
    assert all(r["released_run_id"] is not None for r in quarantine_rows(engine))


def test_a_person_keeps_the_last_valid_version_and_the_registry_history(wh):
    cfg, engine = wh
    first = good("anagrafe", "residenti")
    moved = dict(first, INDIRIZZO="ROMANA", CIVICO="3/R", CAP="50125", DATA_ISCRIZIONE="15/01/2026")
    write_raw(engine, "anagrafe", "residenti", [first], complete=True)
    write_raw(engine, "anagrafe", "residenti", [moved], complete=True)
    write_raw(engine, "anagrafe", "residenti", [dict(moved, DATA_NASCITA="31/02/1980", NOME="MARIA")], complete=True)
    summary = stage_system(cfg, engine, "anagrafe")  # one stage over the three versions
    s = stream(summary, "residenti")
    assert (s["received"], s["staged"], s["quarantined"], s["kept_last_valid"]) == (1, 0, 1, 1)
    (p,) = rows(engine, "stg_person")
    entry = open_entry(engine, "residenti", "100234")
    assert (p["address_street"], p["first_name"], p["birth_date"].isoformat()) == ("ROMANA", "Maria", "1984-02-11")
    assert (p["superseded_by"], p["superseded_by_rules"]) == (
        entry["quarantine_id"],
        ["DATA_NASCITA: date_format(fmt=DD/MM/YYYY)"],
    )
    assert entry["rules"] == ["DATA_NASCITA '31/02/1980' is not a date in format DD/MM/YYYY"]
    history = [(str(r["valid_from"]), r["address_street"]) for r in rows(engine, "stg_residence", ["valid_from"])]
    assert history == [("2019-06-01", "DEI NERI"), ("2026-01-15", "ROMANA")]
    before = snapshot(engine)
    stage_system(cfg, engine, "anagrafe", full=True)
    assert snapshot(engine) == before


def test_a_payment_keeps_its_last_valid_status_and_its_history(wh):
    cfg, engine = wh
    write_raw(engine, "contabilita", "erogazioni", [good("contabilita", "erogazioni")])
    stage_system(cfg, engine, "contabilita")
    liquidated = good("contabilita", "erogazioni", stato="liquidato", dt_agg="2026-02-20T09:00:00+01:00")
    write_raw(engine, "contabilita", "erogazioni", [liquidated])
    write_raw(
        engine,
        "contabilita",
        "erogazioni",
        [dict(liquidated, stato="pagato", data_pagamento="2026-03-05", importo="3,50", dt_agg="2026-03-05 08:00:00")],
    )
    stage_system(cfg, engine, "contabilita")
    (payment,) = rows(engine, "stg_payment")
    assert (payment["stato"], payment["importo"], payment["superseded_by_rules"]) == (
        "liquidato",
        Decimal("350.00"),
        ["importo: amount"],
    )
    assert [h["stato"] for h in rows(engine, "stg_payment_status", ["reached_at"])] == ["determinato", "liquidato"]


def test_a_record_deleted_then_sent_again_with_bad_data_keeps_nothing(wh):
    cfg, engine = wh
    write_raw(engine, "polis", "participants", [good("polis", "participants")])
    write_raw(engine, "polis", "participants", [], tombstones=[good("polis", "participants")])
    write_raw(engine, "polis", "participants", [good("polis", "participants", gender="M")])
    summary = stage_system(cfg, engine, "polis")
    assert stream(summary, "participants")["kept_last_valid"] == 0 and rows(engine, "stg_person") == []


def test_a_failing_update_of_a_protected_guest_keeps_her_stays_confidential(wh):
    cfg, engine = wh
    guest = good("sat", "ospiti", riservato=True)
    write_raw(engine, "sat", "ospiti", [guest])
    write_raw(engine, "sat", "accoglienze", [good("sat", "accoglienze")])
    stage_system(cfg, engine, "sat")
    write_raw(engine, "sat", "ospiti", [dict(guest, riservato=False, data_nascita="1984-02-30")])
    stage_system(cfg, engine, "sat")  # the unvalidated update must not lift the protection of her stays
    (p,) = rows(engine, "stg_person")
    assert p["riservato"] is True and p["superseded_by"] is not None
    assert [r["confidential"] for r in rows(engine, "stg_stay")] == [True]


def test_payment_status_history_is_kept(wh):
    cfg, engine = wh
    steps = [
        ("determinato", None, "2026-02-01T10:00:00+00:00"),
        ("liquidato", None, "2026-02-20T09:00:00+01:00"),
        ("pagato", "2026-03-05", "2026-03-05 08:00:00"),
    ]
    for stato, paid, dt_agg in steps:
        write_raw(
            engine,
            "contabilita",
            "erogazioni",
            [good("contabilita", "erogazioni", stato=stato, data_pagamento=paid, dt_agg=dt_agg)],
        )
        stage_system(cfg, engine, "contabilita")  # one stage per status: incremental
    history = rows(engine, "stg_payment_status", ["reached_at"])
    assert [
        (h["stato"], h["reached_at"].isoformat(), h["data_pagamento"] and h["data_pagamento"].isoformat())
        for h in history
    ] == [
        ("determinato", "2026-02-01T10:00:00+00:00", None),
        ("liquidato", "2026-02-20T08:00:00+00:00", None),
        ("pagato", "2026-03-05T08:00:00+00:00", "2026-03-05"),
    ]
    (payment,) = rows(engine, "stg_payment")
    assert payment["stato"] == "pagato" and payment["importo"] == Decimal("350.00")
    stage_system(cfg, engine, "contabilita", full=True)  # a full rebuild derives the same history from raw
    assert rows(engine, "stg_payment_status", ["reached_at"]) == history


def test_residence_periods_follow_the_moves(wh):
    cfg, engine = wh
    first = good("anagrafe", "residenti")
    write_raw(engine, "anagrafe", "residenti", [first], complete=True)
    moved = dict(
        first, INDIRIZZO="ROMANA", CIVICO="3/R", CAP="50125", DATA_ISCRIZIONE="15/01/2026", DATA_VARIAZIONE="15/01/2026"
    )
    write_raw(engine, "anagrafe", "residenti", [moved], complete=True)
    write_raw(
        engine,
        "anagrafe",
        "residenti",
        [dict(moved, POSIZIONE="EMIGRATO", DATA_VARIAZIONE="01/03/2026")],
        complete=True,
    )
    stage_system(cfg, engine, "anagrafe")
    periods = [
        (str(r["valid_from"]), str(r["valid_to"]), r["address_street"], r["address_number"], r["posizione"])
        for r in rows(engine, "stg_residence", ["valid_from"])
    ]
    assert periods == [
        ("2019-06-01", "2026-01-15", "DEI NERI", "12", "RESIDENTE"),
        ("2026-01-15", "2026-03-01", "ROMANA", "3R", "EMIGRATO"),
    ]
    (p,) = rows(engine, "stg_person")
    assert (p["household_key"], p["address_street"], p["address_municipality"]) == (
        "anagrafe:F-55120",
        "ROMANA",
        "FIRENZE",
    )
    write_raw(engine, "anagrafe", "residenti", [], complete=True)  # purged from the export
    summary = stage_system(cfg, engine, "anagrafe")
    assert stream(summary, "residenti")["deleted"] == 1
    assert rows(engine, "stg_person") == [] and rows(engine, "stg_residence") == []


def test_riservato_reaches_the_guest_and_all_their_stays(wh):
    cfg, engine = wh
    write_raw(engine, "sat", "ospiti", [good("sat", "ospiti"), good("sat", "ospiti", id_ospite=7150, riservato=True)])
    write_raw(
        engine,
        "sat",
        "accoglienze",
        [
            good("sat", "accoglienze"),
            good("sat", "accoglienze", id_accoglienza=502, tipo="struttura_protetta"),
            good("sat", "accoglienze", id_accoglienza=503, id_ospite=7150),
            good("sat", "accoglienze", id_accoglienza=504, id_ospite=9999),
        ],
    )  # guest unknown: confidential to be safe
    stage_system(cfg, engine, "sat")
    assert {r["source_person_id"]: r["riservato"] for r in rows(engine, "stg_person")} == {"7141": False, "7150": True}
    assert {r["stay_id"]: r["confidential"] for r in rows(engine, "stg_stay")} == {
        "501": False,
        "502": True,
        "503": True,
        "504": True,
    }
    write_raw(engine, "sat", "ospiti", [good("sat", "ospiti", riservato=True, updated_at="2026-03-02T08:00:00+01:00")])
    summary = stage_system(cfg, engine, "sat")  # only the guest changed: their stays are re-read
    assert stream(summary, "accoglienze")["reread"] == 2
    assert {r["stay_id"]: r["confidential"] for r in rows(engine, "stg_stay")}["501"] is True


def test_nominativo_keeps_the_other_reading_when_ambiguous(wh):
    cfg, engine = wh
    write_raw(
        engine,
        "volontariato",
        "anagrafiche",
        [good("volontariato", "anagrafiche"), good("volontariato", "anagrafiche", id=32, nominativo="Ahmed Said")],
    )
    stage_system(cfg, engine, "volontariato")
    people = {r["source_person_id"]: r for r in rows(engine, "stg_person")}
    rossi, said = people["31"], people["32"]
    assert (
        rossi["last_name_norm"],
        rossi["first_name_norm"],
        rossi["middle_names_norm"],
        rossi["name_split_ambiguous"],
        rossi["alt_last_name_norm"],
    ) == ("ROSSI", "MARIA", "GRAZIA", False, None)
    assert said["name_split_ambiguous"] is True
    assert {
        (said["last_name_norm"], said["first_name_norm"]),
        (said["alt_last_name_norm"], said["alt_first_name_norm"]),
    } == {("SAID", "AHMED"), ("AHMED", "SAID")}
    assert rossi["source_updated_at"].isoformat() == "2026-03-01T09:00:00+00:00"  # naive Europe/Rome -> UTC
    assert (rossi["phone"], rossi["address_municipality"]) == ("+393331234567", "FIRENZE")


def test_canonical_person_from_each_system(wh):
    cfg, engine = wh
    for system, stream_name in [
        ("sat", "ospiti"),
        ("anagrafe", "residenti"),
        ("polis", "participants"),
        ("contabilita", "soggetti"),
    ]:
        write_raw(engine, system, stream_name, [good(system, stream_name)])
        stage_system(cfg, engine, system)
    people = {r["source_system"]: r for r in rows(engine, "stg_person")}
    for system, p in people.items():
        assert (p["last_name_norm"], p["first_name_norm"], p["birth_date"].isoformat()) == (
            "ROSSI",
            "MARIA",
            "1984-02-11",
        )
        assert (p["cf_status"], p["cf_base"], p["cf_consistent"]) == ("valid", "RSSMGR84B51D612E", True), system
    assert people["sat"]["household_key"] == "sat:N-2231" and people["sat"]["citizenship"] == "IT"
    assert people["sat"]["birthplace_code"] == "D612" and people["polis"]["birth_country"] == "IT"
    assert (people["polis"]["email"], people["polis"]["phone"]) == ("maria.rossi@example.org", "+393331234567")
    assert (people["polis"]["address_street"], people["polis"]["address_postcode"]) == ("DEI NERI", "50122")
    assert (people["contabilita"]["address_toponym"], people["contabilita"]["iban_hash"]) == ("VIALE", "a" * 64)
    assert people["anagrafe"]["household_role"] == "IS" and people["anagrafe"]["sex"] == "F"


# ----------------------------------------------------------------------------- input the contracts refuse
HOSTILE = {  # (system, stream) -> (name field, a field that takes no control characters)
    ("sat", "ospiti"): ("cognome", "nome"),
    ("sat", "accoglienze"): ("struttura", "struttura"),
    ("anagrafe", "residenti"): ("COGNOME", "NOME"),
    ("polis", "participants"): ("last_name", "first_name"),
    ("polis", "placements"): ("provider", "provider"),
    ("volontariato", "anagrafiche"): ("nominativo", "nominativo"),
    ("volontariato", "servizi"): ("associazione", "associazione"),
    ("contabilita", "soggetti"): ("cognome", "nome"),
    ("contabilita", "erogazioni"): ("numero_determina", "numero_determina"),
}


STAGE_TARGETS = {
    ("sat", "ospiti"): "stg_person",
    ("sat", "accoglienze"): "stg_stay",
    ("anagrafe", "residenti"): "stg_person",
    ("polis", "participants"): "stg_person",
    ("polis", "placements"): "stg_placement",
    ("volontariato", "anagrafiche"): "stg_person",
    ("volontariato", "servizi"): "stg_volunteer_service",
    ("contabilita", "soggetti"): "stg_person",
    ("contabilita", "erogazioni"): "stg_payment",
}


def other_id(key, n: int):
    """A different id of the stream's kind (POLIS participants have UUIDs, anagrafe numeric text)."""
    if key == ("polis", "participants"):
        return f"00000000-0000-4000-8000-{n:012d}"
    return str(100_000 + n) if key == ("anagrafe", "residenti") else 100_000 + n


@pytest.mark.parametrize("system", sorted({s for s, _ in HOSTILE}))
def test_overlong_and_control_characters_are_quarantined_and_the_stage_succeeds(wh, system):
    """200,000 characters in a name staged on SQLite and failed the whole stage on PostgreSQL ("value too
    long for type character varying(200)"); control characters (C0, C1) passed. Now: quarantined by rule."""
    cfg, engine = wh
    # a NUL cannot reach a PostgreSQL raw table until the raw writer escapes it (connectors' side)
    controls = ["\x1b", "\x92"] if engine.dialect.name == "postgresql" else ["\x00", "\x1b", "\x92"]
    bad: dict[str, dict[str, str]] = {}  # stream -> source id -> the field that must be named
    for stream_name in RAW_STREAMS[system]:
        key = (system, stream_name)
        name, plain = HOSTILE[key]
        cases = [(name, "A" * 200_000)] + [(plain, f"ROSSI{char}MARIA") for char in controls]
        payloads = [good(*key)]
        for n, (field, value) in enumerate(cases, start=1):
            payloads.append(good(*key, **{KEYS[key]: other_id(key, n), field: value}))
            bad.setdefault(stream_name, {})[str(other_id(key, n))] = field
        write_raw(engine, system, stream_name, payloads)
    summary = stage_system(cfg, engine, system)
    assert summary["adds_up"]
    entries = {(r["stream"], r["source_id"]): r["rules"] for r in quarantine_rows(engine)}
    for stream_name, failing in bad.items():
        s = stream(summary, stream_name)
        assert (s["received"], s["staged"], s["quarantined"]) == (1 + len(failing), 1, len(failing)), stream_name
        for sid, field in failing.items():
            (rule,) = entries[(stream_name, sid)]
            assert rule.startswith(
                (f"{field} is too long: 200000 characters", f"{field} contains the control character U+00")
            ), rule


@pytest.mark.parametrize("key", sorted(HOSTILE), ids=lambda k: ".".join(k))
def test_every_stream_keeps_the_last_valid_version_of_a_record_whose_update_fails(wh, key):
    cfg, engine = wh
    system, stream_name = key
    target = STAGE_TARGETS[key]
    write_raw(engine, system, stream_name, [good(*key)])
    stage_system(cfg, engine, system)
    (before,) = rows(engine, target)
    write_raw(engine, system, stream_name, [good(*key, **{HOSTILE[key][1]: "ROSSI\x92MARIA"})])
    s = stream(stage_system(cfg, engine, system), stream_name)
    assert (s["received"], s["staged"], s["quarantined"], s["kept_last_valid"], s["adds_up"]) == (1, 0, 1, 1, True)
    (after,) = rows(engine, target)
    entry = open_entry(engine, stream_name, str(good(*key)[KEYS[key]]))
    assert (after["superseded_by"], after["superseded_by_rules"]) == (
        entry["quarantine_id"],
        [f"{HOSTILE[key][1]}: no_control_characters"],
    )
    assert [after[c] for c in before if not c.startswith("superseded") and c != "run_id"] == [
        before[c] for c in before if not c.startswith("superseded") and c != "run_id"
    ]


@pytest.mark.mariadb
def test_a_mariadb_source_with_zero_dates_and_control_characters_is_quarantined_by_rule(
    wh, source_mariadb_url, tmp_path
):
    """Synced from a real MariaDB volontariato: a zero date fails a date rule (it used to be the only dialect
    that got that far), a C1 control in a name fails its rule, the good rows are staged."""
    from connectors.registry import sync_system
    from sandbox.systems import volontariato

    cfg, engine = wh
    source = sa.create_engine(source_mariadb_url)
    volontariato.metadata.create_all(source)
    person = good("volontariato", "anagrafiche")
    with source.begin() as conn:
        conn.execute(sa.text("SET SESSION sql_mode = ''"))  # the legacy mode that lets zero dates in
        conn.execute(
            volontariato.anagrafiche.insert(),
            [
                dict(person, data_nascita=None),
                dict(person, id=32, data_nascita=None, nominativo="NICCOL\x92 ROSSI"),
                dict(person, id=33, data_nascita=None),
            ],
        )
        conn.execute(sa.text("UPDATE anagrafiche SET data_nascita = '1984-02-11' WHERE id <> 33"))
        conn.execute(sa.text("UPDATE anagrafiche SET data_nascita = '0000-00-00' WHERE id = 33"))
        conn.execute(volontariato.servizi.insert(), [good("volontariato", "servizi")])
        conn.execute(sa.text("UPDATE servizi SET data_fine = '0000-00-00'"))
    source.dispose()
    url = engine.url.render_as_string(hide_password=False)
    cfg = make_config(tmp_path, warehouse_url=url, volontariato_url=source_mariadb_url)
    sync_system(cfg, engine, "volontariato")
    summary = stage_system(cfg, engine, "volontariato")
    assert summary["adds_up"]
    assert (stream(summary, "anagrafiche")["staged"], stream(summary, "anagrafiche")["quarantined"]) == (1, 2)
    rules = {(r["stream"], r["source_id"]): r["rules"] for r in quarantine_rows(engine)}
    assert rules == {
        ("anagrafiche", "32"): [
            "nominativo contains the control character U+0092, a C1 control (UTF-8 text read as latin-1?), "
            "which is not allowed"
        ],
        ("anagrafiche", "33"): ["data_nascita '0000-00-00' is a zero date, not a date in format YYYY-MM-DD"],
        ("servizi", "900"): ["data_fine '0000-00-00' is a zero date, not a date in format YYYY-MM-DD"],
    }
    assert [r["source_person_id"] for r in rows(engine, "stg_person")] == ["31"]
