"""Input the contracts cannot judge yet, handled at the connector: encodings, poison files, duplicate ids,
zero dates, NUL bytes. Each fault is produced by the sandbox (sandbox/input_faults.py), off by default."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from configuration import load_env_file
from connectors.anagrafe import check_snapshot
from connectors.raw_writer import RawWriter, Record, content_hash
from connectors.registry import sync_system
from hub.commands.quality import quarantine_group
from sandbox import input_faults, services, world
from sandbox.http_store import HttpStore
from sandbox.systems.anagrafe import COLUMNS, snapshot_name
from tests.helpers import current_payloads, make_config, raw_rows
from tests.stage_data import fresh_warehouse
from warehouse.models import RAW_TABLES, Quarantine
from warehouse.runs import start_run
from warehouse.state import load_state
from warehouse.types import escape_text, unescape_text

Q = Quarantine.__table__
DAY0, DAY1, DAY2 = date(2026, 10, 22), date(2026, 10, 23), date(2026, 10, 24)


def _warehouse(tmp_path, url: str | None = None, **sources):
    cfg = make_config(tmp_path, warehouse_url=url, **sources)
    return cfg, fresh_warehouse(cfg.warehouse.sqlalchemy_url())


def _quarantine(engine, kind: str) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.select(Q).where(Q.c.kind == kind).order_by(Q.c.quarantine_id)).all()


def _anagrafe_state(engine) -> dict:
    with engine.connect() as conn:
        return load_state(conn, "anagrafe", "residenti")


# --- encodings ---------------------------------------------------------------------------------------------------
def write_drop(folder, day: date, rows: list[dict], encoding: str = "latin-1") -> str:
    """A snapshot file in the contract's layout with the given rows (other columns filled), in `encoding`."""
    folder.mkdir(parents=True, exist_ok=True)
    base = {c: "" for c in COLUMNS} | {"SESSO": "M", "DATA_NASCITA": "01/02/1980", "POSIZIONE": "RESIDENTE"}
    lines = [";".join(COLUMNS)] + [";".join({**base, **r}[c] for c in COLUMNS) for r in rows]
    text = "\r\n".join(lines + [f"#EOF;{len(rows)}", ""])
    (folder / snapshot_name(day)).write_bytes(text.encode(encoding))
    return snapshot_name(day)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8", "utf-8-sig"])
def test_accented_names_load_right_from_a_latin1_or_a_utf8_drop(tmp_path, encoding):
    drop = tmp_path / "drop"
    rows = [{"ID_INDIVIDUO": "1", "COGNOME": "ROSSI", "NOME": "NICOLÒ"}, {"ID_INDIVIDUO": "2", "NOME": "ZOÈ"}]
    write_drop(drop, DAY0, rows, encoding)
    cfg, engine = _warehouse(tmp_path, anagrafe_folder=drop)
    summary = sync_system(cfg, engine, "anagrafe")
    names = {sid: p["NOME"] for sid, p in current_payloads(engine, "anagrafe", "residenti").items()}
    assert names == {"1": "NICOLÒ", "2": "ZOÈ"}
    assert ("read as UTF-8" in summary["streams"][0]["notes"][0]) == (encoding != "latin-1")
    assert _anagrafe_state(engine)["encoding"] == encoding


def test_a_sandbox_drop_in_utf8_loads_as_the_latin1_one_would(tmp_path):
    folder = tmp_path / "sandbox"
    world.generate(folder, 250, seed=31)
    world.advance(folder, 1, anagrafe_fault="utf-8")
    path = folder / "anagrafe" / snapshot_name(DAY1)
    text = path.read_bytes().decode("utf-8")
    assert not text.isascii()  # accented names are there (ZOÈ, ANA MARÍA)
    cfg, engine = _warehouse(tmp_path, anagrafe_folder=folder / "anagrafe")
    sync_system(cfg, engine, "anagrafe")
    got = current_payloads(engine, "anagrafe", "residenti")
    values = " ".join(v for p in got.values() for v in p.values())
    assert "Ã" not in values and not any("\x80" <= c <= "\x9f" for c in values)
    surnames = {line.split(";")[0]: line.split(";")[1] for line in text.split("\r\n")[1:-2]}
    assert {sid: p["COGNOME"] for sid, p in got.items()} == surnames


def test_a_drop_neither_utf8_nor_latin1_is_quarantined_naming_the_file_and_later_drops_load(tmp_path):
    folder = tmp_path / "sandbox"
    world.generate(folder, 250, seed=31)
    cfg, engine = _warehouse(tmp_path, anagrafe_folder=folder / "anagrafe")
    sync_system(cfg, engine, "anagrafe")
    before = raw_rows(engine, "anagrafe", "residenti")
    world.advance(folder, 1, anagrafe_fault="cp1252")  # a typographic apostrophe: byte 0x92
    summary = sync_system(cfg, engine, "anagrafe")
    name = snapshot_name(DAY1)
    assert (
        f"{name} quarantined whole: line 2: neither UTF-8 nor latin-1: byte 0x92" in summary["streams"][0]["notes"][0]
    )
    assert raw_rows(engine, "anagrafe", "residenti") == before
    (entry,) = _quarantine(engine, "file")
    assert (entry.file_name, entry.line, entry.source_id, entry.raw_id) == (name, 2, None, None)
    assert entry.sha256 == hashlib.sha256((folder / "anagrafe" / name).read_bytes()).hexdigest()
    world.advance(folder, 1)
    summary = sync_system(cfg, engine, "anagrafe")
    assert summary["streams"][0]["notes"] == [
        f"{snapshot_name(DAY1)} skipped: quarantined by an earlier run",
        f"{snapshot_name(DAY2)} loaded ({summary['streams'][0]['received']} rows)",
    ]


# --- poison files --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fault, reason",
    [("huge_field", "field larger than field limit"), ("extra_field", "19 fields, header has 18")],
)
def test_a_poison_drop_is_quarantined_whole_remembered_and_later_drops_load(tmp_path, warehouse_url, fault, reason):
    folder = tmp_path / "sandbox"
    world.generate(folder, 250, seed=32)
    cfg, engine = _warehouse(tmp_path, warehouse_url, anagrafe_folder=folder / "anagrafe")
    sync_system(cfg, engine, "anagrafe")
    before = raw_rows(engine, "anagrafe", "residenti")
    world.advance(folder, 1, anagrafe_fault=fault)
    name = snapshot_name(DAY1)
    summary = sync_system(cfg, engine, "anagrafe")  # the sync succeeds; nothing of the file is loaded
    stream = summary["streams"][0]
    assert stream["quarantined"] == 1 and stream["received"] == 0
    assert stream["notes"][0].startswith(f"{name} quarantined whole: line 2: ") and reason in stream["notes"][0]
    assert raw_rows(engine, "anagrafe", "residenti") == before
    assert _anagrafe_state(engine)["quarantined"] == {name: check_snapshot(folder / "anagrafe" / name, DAY1).sha256}
    again = sync_system(cfg, engine, "anagrafe")  # remembered: not read again, not filed twice
    assert again["streams"][0]["notes"] == [f"{name} skipped: quarantined by an earlier run"]
    assert len(_quarantine(engine, "file")) == 1
    out = CliRunner().invoke(
        quarantine_group, ["list", "--system", "anagrafe"], obj={"config_path": "x", "config": cfg, "engine": engine}
    )
    assert out.exit_code == 0 and f"anagrafe.residenti file {name} line 2 (sha256 " in out.output
    assert reason in out.output
    world.advance(folder, 1)  # the next night's good file loads
    later = sync_system(cfg, engine, "anagrafe")
    assert later["streams"][0]["notes"][-1].startswith(f"{snapshot_name(DAY2)} loaded")
    assert _anagrafe_state(engine)["file"] == snapshot_name(DAY2) and _anagrafe_state(engine)["quarantined"] == {}
    assert later["streams"][0]["reconciliation"]["missing"] == 0


# --- duplicate ids -------------------------------------------------------------------------------------------------
def test_ids_repeated_with_different_content_are_quarantined_and_keep_their_previous_version(tmp_path, warehouse_url):
    folder = tmp_path / "sandbox"
    world.generate(folder, 250, seed=33)
    cfg, engine = _warehouse(tmp_path, warehouse_url, anagrafe_folder=folder / "anagrafe")
    sync_system(cfg, engine, "anagrafe")
    before = current_payloads(engine, "anagrafe", "residenti")
    world.advance(folder, 1)
    conflicting = input_faults.duplicate_ids(folder / "anagrafe" / snapshot_name(DAY1), 2, seed=1, identical=1)
    summary = sync_system(cfg, engine, "anagrafe")
    stream = summary["streams"][0]
    assert stream["quarantined"] == 4 and "2 ids on rows with different content quarantined" in stream["notes"][0]
    after = current_payloads(engine, "anagrafe", "residenti")
    assert {sid: after[sid] for sid in conflicting} == {sid: before[sid] for sid in conflicting}  # not overwritten
    rows = _quarantine(engine, "row")
    assert sorted(r.source_id for r in rows) == sorted(conflicting * 2)
    assert all(r.file_name == snapshot_name(DAY1) and r.raw_id is None and r.line > 1 for r in rows)
    assert {r.payload["NOME"].endswith(" BIS") for r in rows} == {True, False}  # both rows of each id kept
    assert stream["reconciliation"]["missing"] == 0
    world.advance(folder, 1)  # the next snapshot settles them
    sync_system(cfg, engine, "anagrafe")
    assert all(r.released_run_id is not None for r in _quarantine(engine, "row"))


def test_a_new_id_on_conflicting_rows_is_accounted_as_quarantined_not_missing(tmp_path):
    drop = tmp_path / "drop"
    write_drop(drop, DAY0, [{"ID_INDIVIDUO": "1", "NOME": "ANNA"}, {"ID_INDIVIDUO": "2", "NOME": "LUCA"}])
    cfg, engine = _warehouse(tmp_path, anagrafe_folder=drop)
    sync_system(cfg, engine, "anagrafe")
    rows = [("1", "ANNA MARIA"), ("1", "ANNA"), ("3", "PIA"), ("3", "PIO"), ("4", "EVA"), ("4", "EVA")]
    write_drop(drop, DAY1, [{"ID_INDIVIDUO": i, "NOME": n} for i, n in rows])
    summary = sync_system(cfg, engine, "anagrafe")
    stream = summary["streams"][0]
    assert (stream["received"], stream["new"], stream["deleted"], stream["quarantined"]) == (1, 1, 1, 4)
    payloads = current_payloads(engine, "anagrafe", "residenti")
    assert {sid: p["NOME"] for sid, p in payloads.items()} == {"1": "ANNA", "4": "EVA"}  # 2 purged, 3 held back
    figures = stream["reconciliation"]
    assert (figures["source"], figures["raw"], figures["missing"], figures["quarantined"]) == (3, 2, 0, 1)


# --- zero dates ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["sqlite", "mariadb"])
def test_a_zero_date_reaches_the_raw_payload_as_text_on_every_dialect(tmp_path, request, source):
    folder = tmp_path / "sandbox"
    url = request.getfixturevalue("source_mariadb_url") if source == "mariadb" else None
    world.generate(folder, 250, seed=34, volontariato_url=url)
    url = world.database_url(folder, world.load_world(folder), "volontariato")
    input_faults.set_zero_date(url, "anagrafiche", "id", 1, "data_nascita")
    cfg, engine = _warehouse(tmp_path, volontariato_url=url)
    summary = sync_system(cfg, engine, "volontariato")
    assert summary["streams"][0]["reconciliation"]["missing"] == 0
    payloads = current_payloads(engine, "volontariato", "anagrafiche")
    assert payloads["1"]["data_nascita"] == "0000-00-00"
    assert all(len(p["data_nascita"] or "0000-00-00") == 10 for p in payloads.values())  # other dates as before


# --- NUL and other characters JSONB refuses ------------------------------------------------------------------------
def test_escape_round_trips_any_string():
    for text in ["", "ROSSI", "A\x00B", "\x00", "\ufdd0", "\ufdd0x\x00", "a\\u0000b", "\\", "\ud800x", "x\ufdd0"]:
        assert unescape_text(escape_text(text)) == text
    assert escape_text("ROSSI MARIO") == "ROSSI MARIO"  # ordinary text is stored as it is


def test_raw_payloads_keep_what_jsonb_refuses(warehouse_url):
    """NUL, a lone surrogate (a JSON source may send "\\ud800"), the escape mark itself, keys included."""
    engine = fresh_warehouse(warehouse_url)
    payload = {"id_ospite": 1, "cognome": "A\x00B", "nome": "\ud800x", "k\x00": ["\ufdd0", {"\\": "\\u0000"}]}
    with engine.begin() as conn:
        RawWriter(conn, "sat", "ospiti", start_run(engine, "sync", "sat")).apply([Record("1", payload)])
    assert current_payloads(engine, "sat", "ospiti") == {"1": payload}
    t = RAW_TABLES[("sat", "ospiti")]
    with engine.connect() as conn:
        assert conn.execute(sa.select(t.c.content_hash)).scalar_one() == content_hash(payload)


def test_a_nul_in_a_name_from_a_sql_source_is_stored_losslessly(tmp_path, warehouse_url):
    folder = tmp_path / "sandbox"
    world.generate(folder, 150, seed=35)
    url = f"sqlite:///{folder / 'volontariato.db'}"
    input_faults.set_text(url, "anagrafiche", "id", 1, "nominativo", "ROSSI\x00 MARIO \\u0000")
    cfg, engine = _warehouse(tmp_path, warehouse_url, volontariato_url=url)
    sync_system(cfg, engine, "volontariato")
    payload = current_payloads(engine, "volontariato", "anagrafiche")["1"]
    assert payload["nominativo"] == "ROSSI\x00 MARIO \\u0000"
    t = RAW_TABLES[("volontariato", "anagrafiche")]
    with engine.connect() as conn:
        digest = conn.execute(sa.select(t.c.content_hash).where(t.c.source_id == "1", t.c.is_current)).scalar_one()
    assert digest == content_hash(payload)  # the hash of what the source sent
    assert sync_system(cfg, engine, "volontariato")["streams"][0]["changed"] == 0  # read back equal: unchanged


def test_a_nul_in_a_name_from_sat_is_stored_losslessly(tmp_path, warehouse_url):
    folder = tmp_path / "sandbox"
    world.generate(folder, 150, seed=36)
    load_env_file(folder / "secrets.env")
    store = folder / "sat.db"
    first = next(HttpStore(store, "sat").iter_all("ospiti"))
    spoilt = {**first, "cognome": "Ros\x00si", "nome": "\ufdd0Maria"}
    input_faults.put_item(store, "sat", "ospiti", spoilt)
    engine = fresh_warehouse(warehouse_url)
    with services.running(folder) as urls:
        cfg = make_config(tmp_path, warehouse_url=warehouse_url, sat_url=urls["sat"])
        summary = sync_system(cfg, engine, "sat")
    assert current_payloads(engine, "sat", "ospiti")[str(first["id_ospite"])] == spoilt
    assert summary["streams"][0]["reconciliation"]["missing"] == 0


def test_a_drop_that_cannot_be_opened_is_named_and_does_not_block_later_drops(tmp_path):
    """Not a poison: it may still be being copied (here a directory where a file was expected)."""
    drop = tmp_path / "drop"
    (drop / snapshot_name(DAY0)).mkdir(parents=True)
    write_drop(drop, DAY1, [{"ID_INDIVIDUO": "1", "NOME": "ANNA"}])
    cfg, engine = _warehouse(tmp_path, anagrafe_folder=drop)
    notes = sync_system(cfg, engine, "anagrafe")["streams"][0]["notes"]
    assert notes[0].startswith(f"{snapshot_name(DAY0)} not loaded: cannot be read (") and "retry later" in notes[0]
    assert notes[1] == f"{snapshot_name(DAY1)} loaded (1 rows)"
    assert set(current_payloads(engine, "anagrafe", "residenti")) == {"1"}
