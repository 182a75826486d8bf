"""Each system's storage against its contract (shared/source-systems/*.md), and error rates measured on it."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sandbox import places, world
from sandbox.http_store import HttpStore
from sandbox.systems.anagrafe import COLUMNS
from sandbox.systems.contabilita import erogazioni, soggetti

ISO_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00")
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("world")
    world.generate(path, size=5000, seed=11)
    world.advance(path, days=3)  # 2026-10-23 .. 2026-10-25 (DST ends)
    return path


@pytest.fixture(scope="module")
def truth(folder):
    with sqlite3.connect(folder / "truth.db") as conn:
        links = {(s, sid): pid for s, sid, pid in conn.execute("SELECT * FROM truth")}
        cols = [c[1] for c in conn.execute("PRAGMA table_info(person)")]
        people = {r[0]: dict(zip(cols, r)) for r in conn.execute("SELECT * FROM person")}
    return links, people


def _items(folder, system, collection):
    store = HttpStore(folder / f"{system}.db", system)
    try:
        return list(store.iter_all(collection))
    finally:
        store.close()


def _rows(url, table):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table}"))]
    finally:
        engine.dispose()


def _snapshot(path):
    """Data rows of a complete snapshot file, parsed (`;`, fields quoted with `"`)."""
    lines = path.read_bytes().decode("latin-1").split("\r\n")[1:-2]
    return list(csv.reader(io.StringIO("\n".join(lines)), delimiter=";", quotechar='"'))


# --- anagrafe -----------------------------------------------------------------------------------------------
def test_anagrafe_files_follow_the_contract(folder):
    files = sorted((folder / "anagrafe").glob("ANAGRAFE_RESIDENTI_*.csv"))
    assert [f.name[-12:-4] for f in files] == ["20261022", "20261023", "20261024", "20261025"]
    quoted = 0
    for f in files:
        raw = f.read_bytes()
        text = raw.decode("latin-1")
        assert raw.count(b"\n") == raw.count(b"\r\n") and raw.endswith(b"\r\n")
        lines = text.split("\r\n")[:-1]
        assert lines[0] == ";".join(COLUMNS)
        trailer = lines[-1]
        assert trailer.startswith("#EOF;") and int(trailer[5:]) == len(lines) - 2
        for line in lines[1:-1]:
            if '"' in line:
                quoted += 1
                fields = re.findall(r'"[^"]*"|[^;]+|(?<=;)(?=;)|(?<=;)$', line)
                assert any(";" in x for x in fields if x.startswith('"'))
                line = re.sub(r'"[^"]*"', "Q", line)
            fields = line.split(";")
            assert len(fields) == len(COLUMNS)
            row = dict(zip(COLUMNS, fields))
            for col in ("DATA_NASCITA", "DATA_ISCRIZIONE", "DATA_VARIAZIONE"):
                assert row[col] == "" or re.fullmatch(r"\d\d/\d\d/\d{4}", row[col])
            assert row["COGNOME"] == row["COGNOME"].upper() and row["NOME"] == row["NOME"].upper()
            assert row["SESSO"] in ("M", "F") and re.fullmatch(r"501\d\d", row["CAP"])
            assert row["POSIZIONE"] in ("RESIDENTE", "EMIGRATO", "DECEDUTO", "IRREPERIBILE")
            assert row["RELAZIONE_PARENTELA"] in ("IS", "CG", "CV", "FG", "GE", "FR", "NI", "AL")
    assert quoted > 0
    last = files[-1].read_bytes().decode("latin-1")
    assert re.search(r"NICCOLO'|CANTU'|NICCOLÒ|CANTÙ", last)
    assert re.search(r";\d+/R;", last)
    positions = Counter(r[16] for r in _snapshot(files[-1]))
    assert set(positions) == {"RESIDENTE", "EMIGRATO", "DECEDUTO", "IRREPERIBILE"}


def test_anagrafe_codes_are_almost_always_present(folder, truth):
    links, people = truth
    rows = _snapshot(folder / "anagrafe" / "ANAGRAFE_RESIDENTI_20261022.csv")
    italian = [r for r in rows if people[links[("anagrafe", r[0])]]["birth_country"] == "IT"]
    assert sum(1 for r in italian if r[6]) / len(italian) > 0.97
    registered = {links[("anagrafe", r[0])] for r in rows}
    assert len(registered) < len(people)  # not everyone is in the registry (homeless, unregistered)


# --- sat ----------------------------------------------------------------------------------------------------
OSPITE_FIELDS = {
    "id_ospite",
    "cognome",
    "nome",
    "sesso",
    "data_nascita",
    "luogo_nascita",
    "codice_fiscale",
    "cittadinanza",
    "telefono",
    "nucleo",
    "riservato",
    "updated_at",
    "deleted",
}
STAY_FIELDS = {
    "id_accoglienza",
    "id_ospite",
    "struttura",
    "tipo",
    "indirizzo",
    "data_ingresso",
    "data_uscita",
    "motivo_uscita",
    "updated_at",
    "deleted",
}


def test_sat_items_follow_the_contract(folder, truth):
    links, people = truth
    guests = _items(folder, "sat", "ospiti")
    stays = _items(folder, "sat", "accoglienze")
    for g in guests:
        assert set(g) == OSPITE_FIELDS and isinstance(g["id_ospite"], int)
        assert g["sesso"] in ("M", "F", None) and isinstance(g["riservato"], bool) and isinstance(g["deleted"], bool)
        assert g["data_nascita"] is None or ISO_DATE.fullmatch(g["data_nascita"])
        assert ISO_OFFSET.fullmatch(g["updated_at"])
    for s in stays:
        assert set(s) == STAY_FIELDS and isinstance(s["id_accoglienza"], int)
        assert s["tipo"] in (
            "appartamento_volano",
            "alloggio_transizione",
            "co_housing",
            "accoglienza_notturna",
            "albergo_popolare",
            "struttura_protetta",
        )
        assert (s["data_uscita"] is None) == (s["motivo_uscita"] is None)
        assert s["motivo_uscita"] in (
            None,
            "autonomia_abitativa",
            "alloggio_erp",
            "rientro_famiglia",
            "trasferimento",
            "allontanamento",
            "altro",
        )
    assert {g["updated_at"][-6:] for g in guests} == {"+01:00", "+02:00"}
    riservati = {g["id_ospite"] for g in guests if g["riservato"]}
    assert riservati and all(s["tipo"] == "struttura_protetta" for s in stays if s["id_ospite"] in riservati)
    households = defaultdict(set)
    for g in guests:
        if g["nucleo"]:
            households[g["nucleo"]].add(people[links[("sat", str(g["id_ospite"]))]]["household_id"])
    assert all(len(h) == 1 for h in households.values())
    assert sum(1 for n in Counter(g["nucleo"] for g in guests if g["nucleo"]).values() if n > 1) > 20


# --- polis --------------------------------------------------------------------------------------------------
PARTICIPANT_FIELDS = {
    "id",
    "first_name",
    "last_name",
    "fiscal_code",
    "birth_date",
    "gender",
    "birth_country",
    "phone",
    "email",
    "address",
    "is_active",
    "modified",
}
PLACEMENT_FIELDS = {
    "id",
    "participant",
    "programme",
    "provider",
    "start_date",
    "end_date",
    "status",
    "hours_completed",
    "modified",
}


def test_polis_items_follow_the_contract(folder, truth):
    links, people = truth
    participants = _items(folder, "polis", "participants")
    placements = _items(folder, "polis", "placements")
    ids = set()
    for p in participants:
        assert set(p) == PARTICIPANT_FIELDS and UUID4.fullmatch(p["id"])
        assert p["gender"] in ("male", "female", "other", None)
        assert p["birth_country"] is None or re.fullmatch(r"[A-Z]{2}", p["birth_country"])
        assert isinstance(p["is_active"], bool) and ISO_OFFSET.fullmatch(p["modified"])
        assert p["address"] is None or re.search(r"Firenze|FIRENZE", p["address"])
        true_birth = date.fromisoformat(people[links[("polis", p["id"])]]["birth_date"])
        assert (date(2026, 10, 22) - true_birth).days >= 18 * 365  # adults only
        ids.add(p["id"])
    for pl in placements:
        assert set(pl) == PLACEMENT_FIELDS and isinstance(pl["id"], int) and pl["participant"] in ids
        assert pl["programme"] in ("tirocinio", "formazione", "orientamento", "borsa_lavoro", "inserimento_lavorativo")
        assert pl["status"] in ("active", "hired", "completed", "dropped_out")
        assert (pl["status"] == "active") == (pl["end_date"] is None)
        assert isinstance(pl["hours_completed"], int) and ISO_OFFSET.fullmatch(pl["modified"])
    abbreviated = tuple(f"{a} " for forms in places.TOPONYM_ABBREVIATIONS.values() for a in forms if "." in a)
    assert any(p["address"] and p["address"].startswith(abbreviated) for p in participants)  # V.le, P.zza...


# --- volontariato / contabilita on SQLite --------------------------------------------------------------------
def _columns(url, table):
    engine = sa.create_engine(url)
    try:
        return {c["name"]: c for c in sa.inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_volontariato_tables_follow_the_contract(folder):
    url = f"sqlite:///{folder / 'volontariato.db'}"
    assert list(_columns(url, "anagrafiche")) == [
        "id",
        "nominativo",
        "data_nascita",
        "codice_fiscale",
        "telefono",
        "email",
        "comune_residenza",
        "ultima_modifica",
    ]
    assert list(_columns(url, "servizi")) == [
        "id",
        "anagrafica_id",
        "associazione",
        "ruolo",
        "tipo_servizio",
        "data_inizio",
        "data_fine",
        "ultima_modifica",
    ]
    people = _rows(url, "anagrafiche")
    services = _rows(url, "servizi")
    assert all(not re.search(r"[+Z]\d?", r["ultima_modifica"][19:]) for r in people)  # naive local time
    assert {s["ruolo"] for s in services} == {"beneficiario", "volontario"}
    assert {s["anagrafica_id"] for s in services} <= {r["id"] for r in people}
    assert any(r["nominativo"] == r["nominativo"].upper() for r in people)
    assert any(r["nominativo"] != r["nominativo"].upper() for r in people)


def test_contabilita_tables_follow_the_contract(folder):
    url = f"sqlite:///{folder / 'contabilita.db'}"
    cols = _columns(url, "soggetti")
    assert list(cols) == [
        "id_soggetto",
        "codice_fiscale",
        "cognome",
        "nome",
        "data_nascita",
        "sesso",
        "iban",
        "indirizzo",
        "dt_agg",
    ]
    assert cols["codice_fiscale"]["nullable"] is False
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        payees = conn.execute(sa.select(soggetti)).all()
        payments = conn.execute(sa.select(erogazioni)).all()
    engine.dispose()
    assert all(re.fullmatch(r"[A-Z0-9]{16}|\d{11}", p.codice_fiscale) for p in payees)
    assert any(re.fullmatch(r"\d{11}", p.codice_fiscale) for p in payees)
    for p in payees:
        if p.iban:
            assert re.fullmatch(r"IT\d\d[A-Z]\d{22}", p.iban)
            assert int("".join(str(int(c, 36)) for c in p.iban[4:] + p.iban[:4])) % 97 == 1
    for e in payments:
        assert isinstance(e.importo, Decimal) and e.importo >= 0 and e.importo == e.importo.quantize(Decimal("0.01"))
        assert re.fullmatch(r"DD/\d{4}/\d{5}", e.numero_determina)
        assert e.stato in ("determinato", "liquidato", "pagato", "revocato")
        assert (e.data_pagamento is not None) == (e.stato == "pagato")
        assert isinstance(e.dt_agg, datetime)


# --- error rates measured against the truth -----------------------------------------------------------------
def _typed_people(folder):
    """system -> list of (typed CF, typed birth date) for each source person record, with its source id."""
    out = {}
    out["sat"] = [
        (str(g["id_ospite"]), g["codice_fiscale"], g["data_nascita"]) for g in _items(folder, "sat", "ospiti")
    ]
    out["polis"] = [(p["id"], p["fiscal_code"], p["birth_date"]) for p in _items(folder, "polis", "participants")]
    out["volontariato"] = [
        (str(r["id"]), r["codice_fiscale"], r["data_nascita"])
        for r in _rows(f"sqlite:///{folder / 'volontariato.db'}", "anagrafiche")
    ]
    out["contabilita"] = [
        (str(r["id_soggetto"]), r["codice_fiscale"], r["data_nascita"])
        for r in _rows(f"sqlite:///{folder / 'contabilita.db'}", "soggetti")
    ]
    return out


def test_codice_fiscale_presence_and_errors_per_system(folder, truth):
    links, people = truth
    missing, one_char = {}, 0
    for system, records in _typed_people(folder).items():
        with_cf = [
            (cf, people[links[(system, sid)]])
            for sid, cf, _ in records
            if people[links[(system, sid)]]["codice_fiscale"]
        ]
        italian = [(cf, p) for cf, p in with_cf if p["birth_country"] == "IT"]
        missing[system] = sum(cf is None for cf, _ in italian) / len(italian)
        wrong = [(cf, p) for cf, p in with_cf if cf and cf != p["codice_fiscale"]]
        one_char += sum(sum(a != b for a, b in zip(cf, p["codice_fiscale"])) == 1 for cf, p in wrong)
    assert one_char > 5
    assert missing["contabilita"] == 0
    assert abs(missing["volontariato"] - 0.75) < 0.08
    assert abs(missing["sat"] - 0.30) < 0.1
    assert abs(missing["polis"] - 0.15) < 0.08


def test_birth_date_errors_against_truth(folder, truth):
    links, people = truth
    records = _typed_people(folder)["volontariato"]
    kinds = Counter()
    for sid, _, typed in records:
        true = people[links[("volontariato", sid)]]["birth_date"]
        typed = str(typed) if typed else None
        if typed is None:
            kinds["missing"] += 1
        elif typed != true and typed[5:] == "01-01":
            kinds["jan1"] += 1
        elif typed != true and typed[5:7] == true[8:10] and typed[8:10] == true[5:7]:
            kinds["swapped"] += 1
    assert abs(kinds["missing"] / len(records) - 0.20) < 0.05
    assert kinds["jan1"] > 0 and kinds["swapped"] > 0


def test_same_person_twice_in_one_system(truth):
    links, _ = truth
    per_system = Counter((system, pid) for (system, _), pid in links.items())
    twice = Counter(system for (system, _), n in per_system.items() if n > 1)
    assert twice["volontariato"] > 5
    assert twice["sat"] > 0 and twice["anagrafe"] > 0 and twice["polis"] > 0
