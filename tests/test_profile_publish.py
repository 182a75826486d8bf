"""The unified profile built from a staged sandbox and a crosswalk taken from the sandbox's ground truth.

One profile per true person, one household per registry family, survivorship with provenance,
protected addresses only in the restricted table, and publishing twice gives the same warehouse.
"""

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sandbox import services
from sandbox.truth import source_person_map
from tests.profile_data import beneficiary_of, build, generate, snapshot, truth_people
from warehouse.models import PROFILE_TABLES, STAGING_TABLES
from warehouse.models.profile import RESTRICTED_TABLES
from warehouse.profile import household_lines
from warehouse.profile.queries import ANALYST_QUERIES
from warehouse.publish import publish


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = generate(tmp_path_factory.mktemp("profile") / "sandbox", 1500, 8)
    with services.running(folder) as urls:
        yield folder, urls


def rows(engine, query):
    with engine.connect() as conn:
        return conn.execute(query).mappings().all()


def staged_events(engine, folder):
    """Per true person: stays, placements, payments found in staging (via truth, not via the profile)."""
    truth = source_person_map(folder)
    per = defaultdict(lambda: {"stays": 0, "placements": 0, "payments": []})
    for table, system, key in (("stg_stay", "sat", "stays"), ("stg_placement", "polis", "placements")):
        t = STAGING_TABLES[table]
        for r in rows(engine, sa.select(t.c.source_person_id)):
            per[truth[(system, r["source_person_id"])]][key] += 1
    t = STAGING_TABLES["stg_payment"]
    for r in rows(engine, sa.select(t.c.source_person_id, t.c.importo, t.c.stato)):
        per[truth[("contabilita", r["source_person_id"])]]["payments"].append(r)
    return per


def test_family_across_systems_is_one_profile_per_person_and_one_household(warehouse_url, tmp_path, world):
    folder, urls = world
    engine, _ = build(warehouse_url, tmp_path, folder, urls)
    people = truth_people(folder)
    per = staged_events(engine, folder)
    members = defaultdict(list)
    for pid, info in people.items():
        members[info[0]].append(pid)
    staged_people = {pid for (_, _), pid in source_person_map(folder).items()}
    p = PROFILE_TABLES["beneficiary_profile"]
    profiles = {r["beneficiary_id"]: r for r in rows(engine, sa.select(p))}
    assert set(profiles) == {beneficiary_of(pid) for pid in staged_people if beneficiary_of(pid) in profiles}
    # a registered family, each member in anagrafe, with a payment and a stay or a placement among its members
    # (both when the world has such a family: the first of those with the most kinds of events)
    anagrafe = {pid for (s, _), pid in source_person_map(folder, "anagrafe").items()}
    families = [
        hid
        for hid, pids in sorted(members.items())
        if len(pids) > 1
        and all(x in anagrafe for x in pids)
        and any(per[x]["payments"] for x in pids)
        and any(per[x]["stays"] or per[x]["placements"] for x in pids)
    ]
    family = max(
        families,
        key=lambda h: (any(per[x]["stays"] for x in members[h]), any(per[x]["placements"] for x in members[h])),
    )
    pids = members[family]
    found = [profiles[beneficiary_of(x)] for x in pids]
    assert len(found) == len(pids)  # one profile per person
    assert len({f["household_id"] for f in found}) == 1  # linked as one household
    assert found[0]["household_id"].startswith("anagrafe:") and found[0]["household_size"] == len(pids)
    for x, f in zip(pids, found):
        assert f["stays"] == per[x]["stays"]
        placements = (
            f["placements_active"] + f["placements_hired"] + f["placements_completed"] + f["placements_dropped_out"]
        )
        assert placements == per[x]["placements"]
        assert f["systems_count"] == len(f["systems"].split(","))
        assert isinstance(f["paid_12m_total"], Decimal)
        assert f["paid_12m_total"] == sum(
            (f[c] for c in f if c.startswith("paid_12m_") and c != "paid_12m_total"), Decimal("0")
        )
    fp = PROFILE_TABLES["fact_payment"]
    payer = next(x for x in pids if per[x]["payments"])
    facts = rows(engine, sa.select(fp).where(fp.c.beneficiary_id == beneficiary_of(payer)))
    assert sorted(r["amount"] for r in facts) == sorted(r["importo"] for r in per[payer]["payments"])
    lines = household_lines(engine, found[0]["household_id"])
    assert family and lines[0].startswith(f"Household {found[0]['household_id']}") and len(lines) > len(pids)
    assert household_lines(engine)[0].startswith("Household ")
    # the README's analyst queries run on this backend and agree with the profile
    with engine.connect() as conn:
        results = {name: conn.execute(sa.text(q)).mappings().all() for name, q in ANALYST_QUERIES.items()}
    assert [r["people"] for r in results["people_per_target_group"]] == [
        sum(1 for f in profiles.values() if f[f"target_group_{g}"]) for g in (1, 2, 3)
    ]
    assert all(r["flow"] in ("entry", "exit") for r in results["monthly_housing_flows"])
    assert 0 <= results["share_households_reaching_autonomy"][0]["share"] <= 1
    assert {r["beneficiary_id"] for r in results["people_known_to_3_or_more_systems"]} == {
        b for b, f in profiles.items() if f["systems_count"] >= 3
    }
    paid = results["benefits_paid_last_12_months_by_type"]
    assert paid and sum(Decimal(str(r["total_paid"])) for r in paid) == sum(
        f["paid_12m_total"] for f in profiles.values()
    )


def test_survivorship_keeps_provenance_anagrafe_wins_cf_latest_phone_wins(warehouse_url, tmp_path, world):
    folder, urls = world
    engine, cfg = build(warehouse_url, tmp_path, folder, urls)
    sp, x = (
        STAGING_TABLES["stg_person"],
        sa.table(
            "beneficiary_crosswalk",
            sa.column("source_system"),
            sa.column("source_person_id"),
            sa.column("beneficiary_id"),
        ),
    )
    recs = rows(
        engine,
        sa.select(
            sp.c.source_system,
            sp.c.source_person_id,
            sp.c.codice_fiscale,
            sp.c.cf_base,
            sp.c.phone,
            sp.c.source_updated_at,
            x.c.beneficiary_id,
        ).join(x, (x.c.source_system == sp.c.source_system) & (x.c.source_person_id == sp.c.source_person_id)),
    )
    by = defaultdict(list)
    for r in recs:
        by[r["beneficiary_id"]].append(r)
    g, prov = PROFILE_TABLES["golden_record"], PROFILE_TABLES["golden_provenance"]
    golden = {r["beneficiary_id"]: r for r in rows(engine, sa.select(g))}
    provenance = {(r["beneficiary_id"], r["attribute"]): r for r in rows(engine, sa.select(prov))}
    # CF: a newer record elsewhere with another valid, self-consistent code does not beat anagrafe's
    ana = {b: r for b, rs in by.items() for r in rs if r["source_system"] == "anagrafe" and r["cf_base"]}
    pairs = [(b, r) for b, rs in sorted(by.items()) if b in ana for r in rs if r["source_system"] != "anagrafe"][:5]
    assert pairs
    other_codes = [r["codice_fiscale"] for b, r in sorted(ana.items()) if b not in dict(pairs)]
    with engine.begin() as conn:
        for (_, r), code in zip(pairs, other_codes):
            conn.execute(
                sa.update(sp)
                .where(sp.c.source_system == r["source_system"], sp.c.source_person_id == r["source_person_id"])
                .values(
                    codice_fiscale=code,
                    cf_base=code,
                    cf_status="valid",
                    cf_consistent=True,
                    source_updated_at=datetime(2026, 10, 22, 23, tzinfo=UTC),
                )
            )
    publish(cfg, engine, full=True)
    golden = {r["beneficiary_id"]: r for r in rows(engine, sa.select(g))}
    provenance = {(r["beneficiary_id"], r["attribute"]): r for r in rows(engine, sa.select(prov))}
    for b, _ in pairs:
        assert golden[b]["codice_fiscale"] == ana[b]["codice_fiscale"]
        pr = provenance[(b, "codice_fiscale")]
        assert (pr["source_system"], pr["source_person_id"]) == ("anagrafe", ana[b]["source_person_id"])
        assert pr["rule"].startswith("codice_fiscale: authority:anagrafe") and pr["decided_by"] == "authority:anagrafe"
        assert pr["value"] == golden[b]["codice_fiscale"] and pr["candidates"] >= 2
    # phone: the most recently updated record's phone wins over an older, different one; provenance names it
    # (among beneficiaries the CF step above left alone: it made one of their records the newest)
    multi = [
        b
        for b, rs in sorted(by.items())
        if b not in dict(pairs)
        and len([r for r in rs if r["phone"]]) > 1
        and len({r["source_updated_at"] for r in rs if r["phone"]}) > 1
    ][:5]
    assert multi
    with engine.begin() as conn:
        for i, b in enumerate(multi):
            oldest = min((r for r in by[b] if r["phone"]), key=lambda r: r["source_updated_at"])
            conn.execute(
                sa.update(sp)
                .where(
                    sp.c.source_system == oldest["source_system"], sp.c.source_person_id == oldest["source_person_id"]
                )
                .values(phone=f"+39055000{i:04d}")
            )
    publish(cfg, engine, full=True)
    golden = {r["beneficiary_id"]: r for r in rows(engine, sa.select(g))}
    provenance = {(r["beneficiary_id"], r["attribute"]): r for r in rows(engine, sa.select(prov))}
    for b in multi:
        latest = max((r for r in by[b] if r["phone"]), key=lambda r: r["source_updated_at"])
        assert golden[b]["phone"] == latest["phone"]
        pr = provenance[(b, "phone")]
        assert (pr["source_system"], pr["source_person_id"]) == (latest["source_system"], latest["source_person_id"])
        assert pr["source_date"] == latest["source_updated_at"] and pr["decided_by"] == "most_recent"
        assert pr["value"] == golden[b]["phone"]


def test_protected_address_appears_only_in_the_restricted_table(warehouse_url, tmp_path, world):
    folder, urls = world
    engine, _ = build(warehouse_url, tmp_path, folder, urls)
    st = STAGING_TABLES["stg_stay"]
    secret = rows(engine, sa.select(st.c.stay_id, st.c.indirizzo, st.c.struttura).where(st.c.confidential))
    assert secret, "the sandbox should have protected stays"
    needles = {r["indirizzo"] for r in secret} | {r["struttura"] for r in secret}
    public_stays = rows(engine, sa.select(st.c.indirizzo, st.c.struttura).where(~st.c.confidential))
    needles -= {r["indirizzo"] for r in public_stays} | {r["struttura"] for r in public_stays}
    assert needles
    assert not [c for t in PROFILE_TABLES.values() for c in t.columns if "iban" in c.name]
    scanned = 0
    for name, table in PROFILE_TABLES.items():
        if name in RESTRICTED_TABLES:
            continue
        for row in rows(engine, sa.select(table)):
            for column, value in row.items():
                scanned += 1
                assert not (isinstance(value, str) and any(n in value for n in needles)), (name, column)
    assert scanned > 10_000
    r = PROFILE_TABLES["restricted_stay_address"]
    held = rows(engine, sa.select(r))
    assert {h["stay_id"] for h in held} == {s["stay_id"] for s in secret}
    fs, p = PROFILE_TABLES["fact_stay"], PROFILE_TABLES["beneficiary_profile"]
    protected = {h["beneficiary_id"] for h in held}
    flags = {r["beneficiary_id"]: r for r in rows(engine, sa.select(p).where(p.c.beneficiary_id.in_(protected)))}
    assert all(f["is_protected"] for f in flags.values())
    assert all(f["current_structure_address"] is None for f in flags.values())
    assert all(
        r["address"] is None and r["confidential"]
        for r in rows(engine, sa.select(fs).where(fs.c.stay_id.in_([s["stay_id"] for s in secret])))
    )
    if engine.dialect.name == "postgresql":  # the grantable layout: every analyst table, never the restricted one
        with engine.connect() as conn:
            views = set(
                conn.execute(
                    sa.text("SELECT table_name FROM information_schema.views WHERE table_schema = 'fase_marts'")
                ).scalars()
            )
            assert "beneficiary_profile" in views and not views & set(RESTRICTED_TABLES)
            assert conn.execute(sa.text("SELECT count(*) FROM fase_marts.beneficiary_profile")).scalar() == len(
                rows(engine, sa.select(p.c.beneficiary_id))
            )


def test_publish_twice_gives_the_same_warehouse_and_no_new_history(warehouse_url, tmp_path, world):
    folder, urls = world
    engine, cfg = build(warehouse_url, tmp_path, folder, urls)
    before = snapshot(engine)
    again = publish(cfg, engine)
    assert again["mode"] == "incremental" and again["in_scope"] == 0 and not again["derived"]
    assert again["history"] == {"new": 0, "changed": 0, "closed": 0}
    assert snapshot(engine) == before
    full = publish(cfg, engine, full=True)
    assert full["mode"] == "full" and full["history"] == {"new": 0, "changed": 0, "closed": 0}
    assert snapshot(engine) == before
    with engine.begin() as conn:  # rebuilt from nothing: the same content
        for name in reversed(list(PROFILE_TABLES)):
            conn.execute(sa.delete(PROFILE_TABLES[name]))
    publish(cfg, engine)
    assert _without(snapshot(engine), "recorded_run_id") == _without(before, "recorded_run_id")


def _without(snap: dict, column: str) -> dict:
    t = PROFILE_TABLES["golden_history"]
    i = [c.name for c in t.columns].index(column)
    return {**snap, "golden_history": sorted(r[:i] + r[i + 1 :] for r in snap["golden_history"])}
