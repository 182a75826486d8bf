"""Test data for the profile: a staged sandbox and a crosswalk built from its ground truth (not from matching)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from configuration import load_env_file
from sandbox import services, world
from sandbox.truth import source_person_map
from tests.helpers import sandbox_config, sync_and_stage
from warehouse.models import IDENTITY_TABLES, STAGING_TABLES
from warehouse.runs import start_run

LINKED_AT = datetime(2026, 10, 22, tzinfo=UTC)


def beneficiary_of(person_id: int) -> str:
    return f"T{person_id:07d}"


def crosswalk_from_truth(engine, folder: Path) -> dict[tuple[str, str], str]:
    """Fill beneficiary + beneficiary_crosswalk from truth.db: one beneficiary per true person, one crosswalk row
    per staged source person record. Idempotent (replaces both tables). Returns (system, id) -> beneficiary_id."""
    truth = source_person_map(folder)
    person = STAGING_TABLES["stg_person"]
    b, x = IDENTITY_TABLES["beneficiary"], IDENTITY_TABLES["beneficiary_crosswalk"]
    with engine.connect() as conn:
        staged = conn.execute(sa.select(person.c.source_system, person.c.source_person_id)).all()
    mapping = {(s, i): beneficiary_of(truth[(s, i)]) for s, i in staged}
    run_id = start_run(engine, "link", trigger="test")
    counts: dict[str, int] = {}
    for bid in mapping.values():
        counts[bid] = counts.get(bid, 0) + 1
    with engine.begin() as conn:
        conn.execute(sa.delete(x))
        conn.execute(sa.delete(b))
        conn.execute(
            sa.insert(b),
            [
                {
                    "beneficiary_id": bid,
                    "status": "active",
                    "record_count": n,
                    "created_run_id": run_id,
                    "updated_run_id": run_id,
                    "created_at": LINKED_AT,
                    "updated_at": LINKED_AT,
                }
                for bid, n in sorted(counts.items())
            ],
        )
        conn.execute(
            sa.insert(x),
            [
                {
                    "source_system": s,
                    "source_person_id": i,
                    "beneficiary_id": bid,
                    "match_probability": 1.0,
                    "linked_run_id": run_id,
                    "linked_at": LINKED_AT,
                }
                for (s, i), bid in sorted(mapping.items())
            ],
        )
    with engine.begin() as conn:
        conn.execute(
            sa.update(sa.table("pipeline_run", sa.column("run_id"), sa.column("status")))
            .where(sa.column("run_id") == run_id)
            .values(status="success")
        )
    return mapping


def generate(folder: Path, size: int = 1500, seed: int = 7) -> Path:
    world.generate(folder, size, seed)
    load_env_file(folder / "secrets.env")
    return folder


__all__ = ["crosswalk_from_truth", "sync_and_stage", "sandbox_config", "generate", "services", "beneficiary_of"]


def build(warehouse_url: str, tmp_path: Path, folder: Path, urls: dict):
    """A fresh warehouse with the sandbox synced, staged, linked from truth and published; returns (engine, cfg)."""
    from tests.stage_data import fresh_warehouse
    from warehouse.publish import publish

    engine = fresh_warehouse(warehouse_url)
    cfg = sandbox_config(tmp_path, folder, warehouse_url, urls)
    sync_and_stage(cfg, engine)
    crosswalk_from_truth(engine, folder)
    publish(cfg, engine)
    return engine, cfg


def snapshot(engine, skip_columns: tuple[str, ...] = (), skip_tables: tuple[str, ...] = ("publish_state",)) -> dict:
    """Every profile table's content as a sorted list of canonical rows."""
    from warehouse.models import PROFILE_TABLES
    from warehouse.profile.frames import canon

    out = {}
    with engine.connect() as conn:
        for name, table in PROFILE_TABLES.items():
            if name in skip_tables:
                continue
            cols = [c for c in table.columns if c.name not in skip_columns]
            out[name] = sorted(tuple(canon(v) for v in row) for row in conn.execute(sa.select(*cols)))
    return out


def truth_people(folder: Path) -> dict[int, tuple]:
    """True person_id -> (household_id, surname, first_name, sex, birth_date, codice_fiscale, phone)."""
    import sqlite3

    with sqlite3.connect(folder / "truth.db") as conn:
        return {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT person_id, household_id, surname, first_name, sex, birth_date, codice_fiscale, phone FROM person"
            )
        }
