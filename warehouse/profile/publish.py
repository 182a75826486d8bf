"""The publish step: golden records, facts, history and pending versions (source records whose newer version
waits in quarantine) for the beneficiaries that changed; then households, the profile and the marts, written
by difference. One recorded run, one transaction.

Incremental (default): the beneficiaries in scope are those whose staging rows were written by a run
after the watermark, whose crosswalk rows changed since the last publish (compared with
`beneficiary_source`, the crosswalk as last published), whose fact rows lost their staging row, or
whose active status changed. The watermark is the highest run id below every live run still running when
the publish started (dead runs are marked abandoned first and pin nothing), so a stage run committing
late is picked up next time. `full=True` recomputes every beneficiary. Either way the same input gives
the same warehouse, and a publish with nothing new writes nothing (households, profile and marts depend
on `today` and are recomputed, but only rows whose content changed are rewritten).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from progress import track
from warehouse.models import IDENTITY_TABLES, PROFILE_TABLES, STAGING_TABLES, PipelineRun
from warehouse.profile import facts as facts_mod
from warehouse.profile.analyst import refresh_pseudonyms
from warehouse.profile.frames import read, read_in, replace_scope, sync_table
from warehouse.profile.history import apply_history
from warehouse.profile.households import build_households
from warehouse.profile.marts import build_marts
from warehouse.profile.pending import pending_versions
from warehouse.profile.profile import build_profile
from warehouse.profile.protection import protect
from warehouse.profile.survivorship import survive
from warehouse.pseudonyms import Pseudonymiser, key_from_env
from warehouse.runs import abandon_dead_runs, recorded_run
from warehouse.types import utcnow

log = logging.getLogger(__name__)
STATE = "profile"
EVENT_SYSTEMS = {
    "stg_stay": "sat",
    "stg_residence": "anagrafe",
    "stg_placement": "polis",
    "stg_volunteer_service": "volontariato",
    "stg_payment": "contabilita",
}
FACT_KEYS = {
    "fact_stay": ("stg_stay", ("stay_id",)),
    "fact_placement": ("stg_placement", ("placement_id",)),
    "fact_volunteer_service": ("stg_volunteer_service", ("service_id",)),
    "fact_payment": ("stg_payment", ("id_erogazione",)),
    "fact_residence": ("stg_residence", ("source_person_id", "valid_from")),
}
FACT_PK = {"fact_payment": ("payment_id",)}


def publish(
    cfg,
    engine: Engine,
    *,
    full: bool = False,
    today: date | None = None,
    trigger: str = "cli",
    wait: float = 0.0,
    pseudonym_key: str | None = None,
) -> dict:
    """Publish the profile (step "publish", under its lock: StepBusy after `wait` seconds); returns a JSON-able
    summary. `today`: the date the profile is computed for (12-month windows, ages, ongoing stays); default the
    latest date in the data. The analysts' pseudonyms use `pseudonym_key`, else the key named by the
    configuration's ``secrets.pseudonym_key_env`` (FASE_PSEUDONYM_KEY without a configuration)."""
    key = pseudonym_key or key_from_env(cfg.secrets.pseudonym_key_env if cfg is not None else None)
    abandon_dead_runs(engine)  # a dead run of any step must not pin the watermark
    with recorded_run(engine, "publish", trigger=trigger, wait=wait) as summary:
        started = time.monotonic()
        with engine.begin() as conn, track("publish", total=len(PHASES), unit="phases") as task:
            done = publish_in(
                conn,
                summary["run_id"],
                full=full,
                today=today,
                pseudonym=Pseudonymiser(key),
                progress=lambda phase: task.advance(detail=phase),
            )
            summary.update(done)
        summary["seconds"] = round(time.monotonic() - started, 3)
        log.info("published: %s", summary)
    return summary


def _watermark(conn: Connection, run_id: int) -> int:
    running = conn.execute(
        sa.select(sa.func.min(PipelineRun.run_id)).where(PipelineRun.status == "running", PipelineRun.run_id != run_id)
    ).scalar()
    return min(run_id, running or run_id) - 1


def data_time(conn: Connection) -> datetime | None:
    """The latest source change time in staging (UTC)."""
    latest = [
        conn.execute(sa.select(sa.func.max(STAGING_TABLES[t].c.source_updated_at))).scalar()
        for t in ("stg_person", "stg_stay", "stg_placement", "stg_volunteer_service", "stg_payment")
    ]
    found: list[datetime] = [t for t in latest if t is not None]
    return max(found) if found else None


def effective_crosswalk(conn: Connection) -> pd.DataFrame:
    """Crosswalk rows of active beneficiaries whose source record is in staging."""
    x, b, p = IDENTITY_TABLES["beneficiary_crosswalk"], IDENTITY_TABLES["beneficiary"], STAGING_TABLES["stg_person"]
    return read(
        conn,
        sa.select(x.c.source_system, x.c.source_person_id, x.c.beneficiary_id)
        .join(b, b.c.beneficiary_id == x.c.beneficiary_id)
        .join(p, (p.c.source_system == x.c.source_system) & (p.c.source_person_id == x.c.source_person_id))
        .where(b.c.status == "active"),
    )


def _changed_scope(conn: Connection, xwalk: pd.DataFrame, since: int) -> set[str]:
    keys = ["source_system", "source_person_id", "beneficiary_id"]
    src = PROFILE_TABLES["beneficiary_source"]
    before = read(conn, sa.select(*(src.c[k] for k in keys)))
    both = xwalk.merge(before, on=keys, how="outer", indicator=True)
    scope = set(both.loc[both["_merge"] != "both", "beneficiary_id"])
    touched = []
    p = STAGING_TABLES["stg_person"]
    touched.append(read(conn, sa.select(p.c.source_system, p.c.source_person_id).where(p.c.run_id > since)))
    for name, system in EVENT_SYSTEMS.items():
        t = STAGING_TABLES[name]
        touched.append(
            read(
                conn,
                sa.select(sa.literal(system).label("source_system"), t.c.source_person_id)
                .where(t.c.run_id > since)
                .distinct(),
            )
        )
    s, pay = STAGING_TABLES["stg_payment_status"], STAGING_TABLES["stg_payment"]
    touched.append(
        read(
            conn,
            sa.select(sa.literal("contabilita").label("source_system"), pay.c.source_person_id)
            .join(s, s.c.id_erogazione == pay.c.id_erogazione)
            .where(s.c.run_id > since)
            .distinct(),
        )
    )
    touched = pd.concat(touched, ignore_index=True).drop_duplicates()
    for frame in (xwalk, before):
        scope |= set(touched.merge(frame, on=["source_system", "source_person_id"])["beneficiary_id"])
    for fact, (stg, cols) in FACT_KEYS.items():
        f, t = PROFILE_TABLES[fact], STAGING_TABLES[stg]
        fcols = FACT_PK.get(fact, cols)
        match = sa.and_(*(t.c[c] == f.c[fc] for c, fc in zip(cols, fcols)))
        scope |= set(conn.execute(sa.select(f.c.beneficiary_id).where(~sa.exists().where(match)).distinct()).scalars())
    g = PROFILE_TABLES["golden_record"]
    published = set(conn.execute(sa.select(g.c.beneficiary_id)).scalars())
    active = set(xwalk["beneficiary_id"])
    return scope | (published ^ active)


def _today(conn: Connection, today: date | None, latest: datetime | None) -> date:
    if today is not None:
        return today
    return facts_mod.rome_date(latest) if latest is not None else datetime.now(UTC).date()


PHASES = ("read", "survive", "facts_history", "profile_marts", "analyst")
"""The phases of a publish, as its summary's timings name them."""


def publish_in(
    conn: Connection,
    run_id: int,
    *,
    full: bool = False,
    today: date | None = None,
    pseudonym: Pseudonymiser | None = None,
    progress: Callable[[str], None] = lambda phase: None,
) -> dict:
    """The publish inside the caller's transaction; `progress(phase)` is called as each of PHASES ends."""
    state_t = PROFILE_TABLES["publish_state"]
    state = conn.execute(sa.select(state_t).where(state_t.c.name == STATE)).mappings().first()
    full = full or state is None
    watermark = _watermark(conn, run_id)
    latest = data_time(conn)
    as_of = _today(conn, today, latest)
    xwalk = effective_crosswalk(conn)
    scope = None if full or state is None else _changed_scope(conn, xwalk, state["watermark"])
    part = xwalk if scope is None else xwalk[xwalk["beneficiary_id"].isin(scope)]
    timings: dict[str, float] = {}
    tick = time.monotonic()

    p = STAGING_TABLES["stg_person"]
    candidates = read_in(
        conn,
        sa.select(*(c for c in p.columns if c.name not in ("run_id", "iban_hash"))),
        p.c.source_person_id,
        None if scope is None else part["source_person_id"],
    )
    candidates = candidates.merge(part, on=["source_system", "source_person_id"])
    facts = facts_mod.build_facts(conn, part, whole=scope is None)
    timings["read"] = time.monotonic() - tick
    progress("read")
    protected = facts["fact_stay"]
    protected = (
        protected[protected["structure_type"] == facts_mod.PROTECTED_STRUCTURE][["beneficiary_id", "source_person_id"]]
        .merge(
            candidates.loc[candidates["source_system"] == "sat", ["source_person_id", "source_updated_at"]],
            on="source_person_id",
            how="left",
        )
        .drop_duplicates()
    )
    golden, provenance = survive(candidates, protected)
    timings["survive"] = time.monotonic() - tick
    progress("survive")

    written = {}
    written["golden_record"] = replace_scope(conn, PROFILE_TABLES["golden_record"], golden, scope)
    written["golden_provenance"] = replace_scope(conn, PROFILE_TABLES["golden_provenance"], provenance, scope)
    for name in facts_mod.FACT_TABLES:
        written[name] = replace_scope(conn, PROFILE_TABLES[name], facts[name], scope)
    written["beneficiary_source"] = replace_scope(conn, PROFILE_TABLES["beneficiary_source"], part, scope)
    pending = pending_versions(conn, part)
    written["pending_version"] = replace_scope(conn, PROFILE_TABLES["pending_version"], pending, scope)
    history = apply_history(conn, golden, scope, latest or utcnow(), run_id)
    timings["facts_history"] = time.monotonic() - tick
    progress("facts_history")

    changes, protection = derive(conn, as_of, xwalk)
    timings["profile_marts"] = time.monotonic() - tick
    progress("profile_marts")
    analyst = refresh_pseudonyms(conn, pseudonym or Pseudonymiser(None))
    timings["analyst"] = time.monotonic() - tick
    progress("analyst")
    summary = {
        "mode": "full" if scope is None else "incremental",
        "as_of": as_of.isoformat(),
        "watermark": watermark,
        "beneficiaries": int(xwalk["beneficiary_id"].nunique()),
        "in_scope": int(part["beneficiary_id"].nunique()) if scope is None else len(scope),
        "history": history,
        "rewritten": {k: v for k, v in written.items() if v},
        "derived": {k: v for k, v in changes.items() if any(v.values())},
        "protection": protection,
        "analyst_pseudonyms": analyst,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "target_groups": target_group_counts(conn),
    }
    values = {
        "as_of": as_of,
        "watermark": watermark,
        "run_id": run_id,
        "published_at": utcnow(),
        "summary": {k: summary[k] for k in ("mode", "beneficiaries", "in_scope", "history")},
    }
    if state is None:
        conn.execute(sa.insert(state_t).values(name=STATE, **values))
    else:
        conn.execute(sa.update(state_t).where(state_t.c.name == STATE).values(**values))
    return summary


def target_group_counts(conn: Connection) -> dict[str, dict[str, int]]:
    """People and households per target group as just published: kept in each publish's summary, so that the
    groups can be followed over time (the console's monitoring page)."""
    t = PROFILE_TABLES["mart_target_group"]
    rows = conn.execute(sa.select(t.c.target_group, t.c.people, t.c.households).order_by(t.c.target_group))
    return {str(g): {"people": int(p), "households": int(h)} for g, p, h in rows}


def derive(conn: Connection, as_of: date, xwalk: pd.DataFrame) -> tuple[dict, dict]:
    """Households, address protection, beneficiary_profile and marts from the published golden records and
    facts; returns (changes per derived table, protection counts)."""
    t = PROFILE_TABLES
    golden = read(conn, sa.select(t["golden_record"]))
    facts = {
        name: read(conn, sa.select(t[name])) for name in facts_mod.FACT_TABLES if name != "restricted_stay_address"
    }
    p = STAGING_TABLES["stg_person"]
    sat = read(
        conn,
        sa.select(p.c.source_system, p.c.source_person_id, p.c.household_key).where(
            p.c.source_system == "sat", p.c.household_key.is_not(None)
        ),
    )
    nuclei = sat.merge(xwalk, on=["source_system", "source_person_id"])[["beneficiary_id", "household_key"]]
    households, members = build_households(
        golden, nuclei, facts["fact_residence"], facts["fact_stay"], facts["fact_payment"], as_of
    )
    pending = read(conn, sa.select(t["pending_version"].c.beneficiary_id))
    protection = protect(conn, golden, members, nuclei, facts)
    profile = build_profile(golden, members, households, facts, pending, as_of)
    out = {
        "household": sync_table(conn, t["household"], households),
        "household_member": sync_table(conn, t["household_member"], members),
        "beneficiary_profile": sync_table(conn, t["beneficiary_profile"], profile),
    }
    for name, frame in build_marts(profile, members, households, facts, as_of).items():
        out[name] = sync_table(conn, t[name], frame)
    return out, protection
