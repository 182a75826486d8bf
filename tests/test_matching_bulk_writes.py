"""Bulk writes of the identity layer (matching/store.py): COPY on PostgreSQL, executemany on SQLite, the same rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from matching import store
from tests.servers import postgres_database
from warehouse import db
from warehouse.models import PipelineRun

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    """An empty warehouse of this test alone: a temp SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.db'}"
    else:
        yield from postgres_database("fase_bulk")


def _run(conn) -> int:
    table = PipelineRun.__table__
    return conn.execute(
        table.insert().values(step="link", status="running", started_at=NOW, trigger="test").returning(table.c.run_id)
    ).scalar_one()


def test_bulk_writes_store_what_row_inserts_store(fresh_url, monkeypatch):
    copied: list[str] = []
    real_copy = store._copy_rows
    monkeypatch.setattr(
        store, "_copy_rows", lambda conn, table, rows: copied.append(table.name) or real_copy(conn, table, rows)
    )
    engine = db.make_engine(fresh_url)
    db.upgrade(engine)
    rng = np.random.default_rng(16)
    n = 3000
    keys = np.array([f"sat:{k}" for k in range(n)], dtype=object)
    bids = np.array([f"B{k // 2:06d}" for k in range(n)], dtype=object)
    prob = np.where(rng.random(n) < 0.3, np.nan, rng.random(n))
    with engine.begin() as conn:
        run_id = _run(conn)
        ben_rows = [
            dict(
                beneficiary_id=b,
                status="active",
                merged_into=None,
                record_count=2,
                created_run_id=run_id,
                updated_run_id=run_id,
                created_at=NOW,
                updated_at=NOW,
            )
            for b in sorted(set(bids))
        ]
        assert store.insert_rows(conn, store.BEN, ben_rows) == len(ben_rows)
        empty = store.read_crosswalk(conn)
        stats = store.write_crosswalk(conn, run_id, NOW, keys, bids, prob, empty)
        assert stats["inserted"] == n
        pairs = [
            {
                "run_id": run_id,
                "left_system": "sat",
                "left_id": str(k),
                "right_system": "sat",
                "right_id": str(k + 1),
                "match_weight": float(k) / 7,
                "probability": 0.5,
                "decision": "auto_link" if k % 3 else "review",
                "levels": {"first_name": "exact", "tf": {"last_name": -1.25}} if k % 2 else {"first_name": "else"},
            }
            for k in range(0, n - 1, 2)
        ]
        store.replace_pairs(conn, run_id, pairs)
        # the change feed: half through insert_rows, half row-inserted the ordinary way; JSON None alike
        changes = [
            dict(
                beneficiary_id=f"B{k:06d}",
                kind="created",
                merged_into=None,
                related_ids=None if k % 2 else ["B000001", f"B{k:06d}"],
                run_id=run_id,
                changed_at=NOW + timedelta(seconds=k),
            )
            for k in range(40)
        ]
        store.insert_rows(conn, store.CHANGE, changes[:20])
        conn.execute(store.CHANGE.insert(), changes[20:])

    with engine.connect() as conn:
        xw = store.read_crosswalk(conn)
        assert xw.index.tolist() == sorted(keys.tolist())
        got = xw.reindex(keys)
        assert (got["beneficiary_id"].to_numpy(dtype=object) == bids).all()
        assert np.allclose(got["match_probability"].to_numpy(dtype=float), prob, equal_nan=True)
        assert set(got["linked_run_id"]) == {run_id}
        stored = store.read_pairs(conn, run_id, with_levels=True)
        assert len(stored) == len(pairs)
        by_left = stored.set_index("left_id")
        for p in pairs[:50]:
            row = by_left.loc[p["left_id"]]
            assert row["levels"] == p["levels"] and row["decision"] == p["decision"]
            assert abs(row["match_weight"] - p["match_weight"]) < 1e-12
        bens = store.read_beneficiaries(conn)
        assert len(bens) == len(ben_rows) and set(bens["record_count"]) == {2}
        assert all(pd.Timestamp(t) == pd.Timestamp(NOW) for t in bens["created_at"])
        rows = conn.execute(
            sa.select(store.CHANGE.c.beneficiary_id, store.CHANGE.c.related_ids, store.CHANGE.c.changed_at).order_by(
                store.CHANGE.c.beneficiary_id
            )
        ).all()
        assert [r.related_ids for r in rows] == [c["related_ids"] for c in changes]
        assert [r.changed_at for r in rows] == [c["changed_at"] for c in changes]
        null_json = conn.execute(
            sa.select(store.CHANGE.c.beneficiary_id).where(store.CHANGE.c.related_ids.is_(None))
        ).scalars()
        nulls = {int(b[1:]) for b in null_json}
        assert {k for k in nulls if k < 20} == {k - 20 for k in nulls if k >= 20}  # same storage of None both ways
    engine.dispose()
    if sa.make_url(fresh_url).get_backend_name() == "postgresql":
        assert {"beneficiary", "beneficiary_crosswalk", "match_pair", "beneficiary_change"} <= set(copied)
    else:
        assert not copied
