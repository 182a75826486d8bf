"""History and incremental publishing over a sandbox that moves: point-in-time queries on the golden record,
payment status dates, and incremental = full rebuild."""

from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa

from sandbox import services, world
from sandbox.truth import source_person_map
from tests.profile_data import beneficiary_of, build, crosswalk_from_truth, generate, snapshot, sync_and_stage
from tests.stage_data import fresh_warehouse
from warehouse.models import PROFILE_TABLES, STAGING_TABLES
from warehouse.profile.history import apply_history
from warehouse.profile.survivorship import GOLDEN_COLUMNS
from warehouse.publish import publish
from warehouse.runs import start_run

POINT_IN_TIME = sa.text(
    "SELECT phone FROM golden_history WHERE beneficiary_id = :b AND valid_from <= :t "
    "AND (valid_to IS NULL OR valid_to > :t)"
)


def _at(engine, bid, when):
    h = PROFILE_TABLES["golden_history"]
    q = sa.select(h.c.phone).where(
        h.c.beneficiary_id == bid, h.c.valid_from <= when, sa.or_(h.c.valid_to.is_(None), h.c.valid_to > when)
    )
    with engine.connect() as conn:
        return conn.execute(q).scalars().all()


def test_point_in_time_history_payment_dates_and_incremental_equals_full(warehouse_url, tmp_path):
    folder = generate(tmp_path / "sandbox", 500, 3)
    with services.running(folder) as urls:
        engine, cfg = build(warehouse_url, tmp_path, folder, urls)
        h = PROFILE_TABLES["golden_history"]
        with engine.connect() as conn:
            first_versions = conn.execute(sa.select(sa.func.count()).select_from(h)).scalar()
        # a volontariato person with a phone, in no other system with a phone: the phone changes at a known time
        sp = STAGING_TABLES["stg_person"]
        truth = source_person_map(folder)
        with engine.connect() as conn:
            phones = conn.execute(
                sa.select(sp.c.source_system, sp.c.source_person_id, sp.c.phone).where(sp.c.phone.is_not(None))
            ).all()
        by_person: dict[int, list] = {}
        for s, i, ph in phones:
            by_person.setdefault(truth[(s, i)], []).append((s, i, ph))
        pid, ((_, vol_id, old_phone),) = next(
            (p, r) for p, r in sorted(by_person.items()) if len(r) == 1 and r[0][0] == "volontariato"
        )
        bid = beneficiary_of(pid)
        # a determined payment that will be liquidated then paid
        cont = sa.create_engine(f"sqlite:///{folder / 'contabilita.db'}")
        with cont.connect() as conn:
            pay_id, decided = conn.execute(
                sa.text(
                    "SELECT id_erogazione, data_determina FROM erogazioni "
                    "WHERE stato = 'determinato' ORDER BY id_erogazione"
                )
            ).first()

        world.advance(folder, days=1)  # the world moves on: 2026-10-23
        vol = sa.create_engine(f"sqlite:///{folder / 'volontariato.db'}")
        with vol.begin() as conn:  # local time 23:58 on 23 October = 21:58 UTC
            conn.execute(
                sa.text(
                    "UPDATE anagrafiche SET telefono = '333 9990001', "
                    "ultima_modifica = '2026-10-23 23:58:00' WHERE id = :i"
                ),
                {"i": int(vol_id)},
            )
        with cont.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE erogazioni SET stato = 'liquidato', dt_agg = '2026-10-23 21:00:00' WHERE id_erogazione = :i"
                ),
                {"i": pay_id},
            )
        sync_and_stage(cfg, engine)
        crosswalk_from_truth(engine, folder)
        summary = publish(cfg, engine)
        assert summary["mode"] == "incremental" and 0 < summary["in_scope"] < summary["beneficiaries"]
        with cont.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE erogazioni SET stato = 'pagato', data_pagamento = '2026-10-24', "
                    "dt_agg = '2026-10-24 08:00:00' WHERE id_erogazione = :i"
                ),
                {"i": pay_id},
            )
        sync_and_stage(cfg, engine)
        assert publish(cfg, engine)["mode"] == "incremental"

        change = datetime(2026, 10, 23, 21, 58, tzinfo=UTC)
        assert _at(engine, bid, datetime(2026, 10, 23, 21, 57, tzinfo=UTC)) == [old_phone]
        assert _at(engine, bid, change) == ["+393339990001"]
        with engine.connect() as conn:
            versions = conn.execute(
                sa.select(h.c.phone, h.c.valid_from, h.c.valid_to, h.c.is_current)
                .where(h.c.beneficiary_id == bid)
                .order_by(h.c.valid_from)
            ).all()
            assert [tuple(v) for v in versions[-2:]] == [
                (old_phone, versions[-2][1], change, False),
                ("+393339990001", change, None, True),
            ]
            assert conn.execute(
                POINT_IN_TIME,
                {
                    "b": bid,
                    "t": datetime(2026, 3, 1, tzinfo=UTC) if engine.dialect.name != "sqlite" else "2026-03-01 00:00:00",
                },
            ).scalars().all() in ([], [old_phone])
            assert conn.execute(sa.select(sa.func.count()).select_from(h)).scalar() > first_versions
            fp, fps = PROFILE_TABLES["fact_payment"], PROFILE_TABLES["fact_payment_status"]
            pay = conn.execute(sa.select(fp).where(fp.c.payment_id == str(pay_id))).mappings().one()
            steps = conn.execute(
                sa.select(fps.c.status, fps.c.reached_on, fps.c.evidence)
                .where(fps.c.payment_id == str(pay_id))
                .order_by(fps.c.reached_on)
            ).all()
        assert (pay["status"], pay["determinato_on"], pay["liquidato_on"], pay["pagato_on"], pay["revocato_on"]) == (
            "pagato",
            date.fromisoformat(str(decided)[:10]),
            date(2026, 10, 23),
            date(2026, 10, 24),
            None,
        )
        assert [tuple(s) for s in steps] == [
            ("determinato", date.fromisoformat(str(decided)[:10]), "observed"),
            ("liquidato", date(2026, 10, 23), "observed"),
            ("pagato", date(2026, 10, 24), "observed"),
        ]
        incremental = snapshot(engine)
        again = publish(cfg, engine)
        assert again["in_scope"] == 0 and again["history"] == {"new": 0, "changed": 0, "closed": 0}
        publish(cfg, engine, full=True)
        assert snapshot(engine) == incremental


def test_a_person_without_source_times_starts_at_the_data_time(warehouse_url):
    """A beneficiary whose records carry no source_updated_at (a registry row without a file cursor) gets a
    first version starting at the publish's data time, never a NULL valid_from."""
    engine = fresh_warehouse(warehouse_url)
    run_id = start_run(engine, "publish", trigger="test")
    golden = pd.DataFrame(
        [
            {
                **dict.fromkeys(GOLDEN_COLUMNS),
                "beneficiary_id": "BNOTIME",
                "row_hash": "h",
                "source_updated_at": pd.NaT,
                "first_source_at": pd.NaT,
            }
        ]
    )
    golden["systems"], golden["record_count"], golden["is_protected"] = "anagrafe", 1, False
    golden["first_source_at"] = pd.to_datetime(golden["first_source_at"], utc=True)
    data_time = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:
        assert apply_history(conn, golden, None, data_time, run_id) == {"new": 1, "changed": 0, "closed": 0}
        t = PROFILE_TABLES["golden_history"]
        assert conn.execute(sa.select(t.c.valid_from).where(t.c.beneficiary_id == "BNOTIME")).scalar() == data_time
