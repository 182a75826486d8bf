"""The audit log's hash chain on SQLite and PostgreSQL: concurrent writers keep one unbroken chain, rows
written before migration 0011 are chained by it, a deleted or edited row is found by `fase audit verify`
(exit 1, the row and what is wrong), and an anchor catches the newest rows removed."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from api.audit import query_audit
from hub.cli import cli
from tests.stage_data import fresh_warehouse
from warehouse import audit_chain, db
from warehouse.models import ACCESS_TABLES

AUDIT, INDEX = ACCESS_TABLES["api_audit"], ACCESS_TABLES["api_audit_beneficiary"]
TRIGGERS_OFF = {  # how the database's administrator gets round the append-only triggers
    "sqlite": (
        "DROP TRIGGER IF EXISTS api_audit_no_update",
        "DROP TRIGGER IF EXISTS api_audit_no_delete",
        "DROP TRIGGER IF EXISTS api_audit_beneficiary_no_delete",
    ),
    "postgresql": ("SET LOCAL session_replication_role = replica",),
}


def row(path: str, **extra) -> dict:
    return {"at": datetime.now(UTC), "method": "GET", "path": path, "outcome": 200, **extra}


def config_for(tmp_path, url: str):
    config = tmp_path / "hub.yaml"
    config.write_text(
        f"warehouse: {{url: '{url}'}}\nsources:\n  sat: {{base_url: 'http://x'}}\n"
        f"  polis: {{base_url: 'http://x'}}\n  anagrafe: {{folder: '{tmp_path}'}}\n"
        "  volontariato: {url: 'sqlite://'}\n  contabilita: {url: 'sqlite://'}\n"
    )
    return config


def verify_cli(config, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), "audit", "verify", *args])


def tamper(engine, statement: str) -> None:
    with engine.begin() as conn:
        for off in TRIGGERS_OFF[engine.dialect.name]:
            conn.execute(sa.text(off))
        conn.execute(sa.text(statement))


def test_concurrent_writers_keep_one_chain(warehouse_url):
    engine = fresh_warehouse(warehouse_url)
    errors = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                rows = (
                    [row(f"/v1/w{n}/{i}", detail="é ü | 3:x -"), row(f"/v1/w{n}/{i}b", detail=None)]
                    if i % 5 == 0
                    else [row(f"/v1/w{n}/{i}")]
                )
                audit_chain.append(engine, rows)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    verdict = audit_chain.verify(engine)
    assert verdict.intact and verdict.rows == 6 * (15 + 3)
    with engine.connect() as conn:
        ids = conn.execute(sa.select(AUDIT.c.audit_id).order_by(AUDIT.c.audit_id)).scalars().all()
        last = conn.execute(sa.select(AUDIT.c.row_hash).order_by(AUDIT.c.audit_id.desc()).limit(1)).scalar()
    assert ids == sorted(set(ids)) and verdict.head_id == ids[-1] and verdict.head_hash == last


def test_verify_names_the_edited_and_the_deleted_row(warehouse_url, tmp_path):
    engine = fresh_warehouse(warehouse_url)
    for i in range(6):
        audit_chain.append(engine, [row(f"/v1/beneficiaries/B{i}", user_id="op-1" if i % 2 else None)])
    config = config_for(tmp_path, warehouse_url)
    good = verify_cli(config)
    assert good.exit_code == 0 and "audit chain intact: 6 row(s)" in good.output
    with engine.connect() as conn:
        ids = conn.execute(sa.select(AUDIT.c.audit_id).order_by(AUDIT.c.audit_id)).scalars().all()

    tamper(engine, f"UPDATE api_audit SET outcome = 403 WHERE audit_id = {ids[3]}")
    edited = verify_cli(config)
    assert edited.exit_code == 1 and f"BROKEN at row {ids[3]}: content does not match its hash" in edited.output
    tamper(engine, f"UPDATE api_audit SET outcome = 200 WHERE audit_id = {ids[3]}")
    assert verify_cli(config).exit_code == 0

    tamper(engine, f"DELETE FROM api_audit WHERE audit_id = {ids[0]}")
    first = verify_cli(config)
    assert first.exit_code == 1 and f"row {ids[1]}: previous hash does not match the start of the log" in first.output


def test_an_anchor_catches_the_newest_rows_removed(warehouse_url, tmp_path):
    engine = fresh_warehouse(warehouse_url)
    for i in range(4):
        audit_chain.append(engine, [row(f"/v1/x/{i}")])
    config = config_for(tmp_path, warehouse_url)
    head = verify_cli(config).output.split("head ")[1].strip()
    assert verify_cli(config, "--anchor", head).exit_code == 0
    tamper(engine, f"DELETE FROM api_audit WHERE audit_id = {head.split(':')[0]}")
    assert verify_cli(config).exit_code == 0  # a shorter chain is still a chain...
    missing = verify_cli(config, "--anchor", head)
    assert missing.exit_code == 1 and "anchor row is missing" in missing.output  # ...but not the one we saw
    assert verify_cli(config, "--anchor", "12:nothex").exit_code == 2


def test_rows_written_before_the_chain_are_chained_by_the_migration(warehouse_url):
    engine = db.make_engine(warehouse_url)
    if db.current_revision(engine):
        db.downgrade(engine, "base")
    db.upgrade(engine, "0007_search_indexes")
    old = sa.table(
        "api_audit", sa.column("at", AUDIT.c.at.type), sa.column("method"), sa.column("path"), sa.column("outcome")
    )
    with engine.begin() as conn:
        conn.execute(old.insert(), [row(f"/v1/old/{i}") for i in range(5)])
    db.upgrade(engine)
    audit_chain.append(engine, [row("/v1/new")])
    verdict = audit_chain.verify(engine)
    assert verdict.intact and verdict.rows == 6
    if engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE api_audit"))
    db.downgrade(engine, "base")


def test_a_page_read_is_one_chained_row_found_by_each_beneficiary(warehouse_url, tmp_path):
    """A change-feed page is one audit row naming its beneficiaries: hashed with the row, indexed by the database,
    found by `fase audit --beneficiary` for any of them; an index row removed or added breaks `verify`."""
    engine = fresh_warehouse(warehouse_url)
    page = [f"B{i:08d}" for i in range(100)]
    audit_chain.append(engine, [row("/v1/beneficiaries/B00000007", beneficiary_id="B00000007")])
    audit_chain.append(engine, [row("/v1/changes", beneficiary_ids=json.dumps(page), client_id="cl_feed")])
    audit_chain.append(engine, [row("/v1/changes", beneficiary_ids=json.dumps(page[:2]), client_id="cl_feed")])
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(AUDIT)).scalar() == 3
        assert conn.execute(sa.select(sa.func.count()).select_from(INDEX)).scalar() == 102
    assert [r["path"] for r in query_audit(engine, beneficiary_id="B00000007")] == [
        "/v1/changes",
        "/v1/beneficiaries/B00000007",
    ]
    assert len(query_audit(engine, beneficiary_id="B00000001")) == 2
    assert query_audit(engine, beneficiary_id="B00000099")[0]["client_id"] == "cl_feed"
    config = config_for(tmp_path, warehouse_url)
    listed = CliRunner().invoke(cli, ["--config", str(config), "audit", "--beneficiary", "B00000042"])
    assert listed.exit_code == 0 and "beneficiaries=B00000000,B00000001," in listed.output and "(100)" in listed.output
    assert verify_cli(config).exit_code == 0
    with engine.connect() as conn:
        paged = conn.execute(
            sa.select(AUDIT.c.audit_id).where(AUDIT.c.path == "/v1/changes").order_by(AUDIT.c.audit_id)
        )
        first, second = paged.scalars().all()

    tamper(engine, f"DELETE FROM api_audit_beneficiary WHERE audit_id = {first} AND beneficiary_id = 'B00000042'")
    assert query_audit(engine, beneficiary_id="B00000042") == []  # hidden from the search...
    broken = verify_cli(config)  # ...but not from verify
    assert broken.exit_code == 1 and f"BROKEN at row {first}: its beneficiary index differs" in broken.output
    tamper(engine, f"INSERT INTO api_audit_beneficiary (audit_id, beneficiary_id) VALUES ({first}, 'B00000042')")
    assert verify_cli(config).exit_code == 0
    tamper(engine, f"INSERT INTO api_audit_beneficiary (audit_id, beneficiary_id) VALUES ({second}, 'B00000050')")
    assert f"BROKEN at row {second}: its beneficiary index differs" in verify_cli(config).output
    tamper(engine, f"DELETE FROM api_audit_beneficiary WHERE audit_id = {second} AND beneficiary_id = 'B00000050'")
    tamper(engine, f"INSERT INTO api_audit_beneficiary (audit_id, beneficiary_id) VALUES ({second + 5}, 'B00000050')")
    assert "index entry of a row past the head" in verify_cli(config).output


def test_rows_chained_before_0014_verify_unchanged(warehouse_url):
    engine = db.make_engine(warehouse_url)
    if db.current_revision(engine):
        db.downgrade(engine, "base")
    db.upgrade(engine, "0011_privacy")
    old = sa.table("api_audit", *(AUDIT.c[c].copy() for c in (*audit_chain.CHAINED, "prev_hash", "row_hash")))
    prev = audit_chain.GENESIS
    with engine.begin() as conn:  # as 0011's writers chained them: PostgreSQL's trigger, or the hash in Python
        for i in range(1, 4):
            written = {**dict.fromkeys(audit_chain.CHAINED), **row(f"/v1/old/{i}"), "audit_id": i}
            if engine.dialect.name == "sqlite":
                written["prev_hash"], written["row_hash"] = prev, audit_chain.row_hash(written, prev)
                prev = written["row_hash"]
            else:
                written.pop("audit_id")
            conn.execute(old.insert().values(**written))
    db.upgrade(engine)
    audit_chain.append(engine, [row("/v1/new", beneficiary_ids='["B1","B2"]')])
    verdict = audit_chain.verify(engine)
    assert verdict.intact and verdict.rows == 4
    db.downgrade(engine, "base")
