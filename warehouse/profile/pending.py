"""Source records whose newest version waits in quarantine while staging (and so the profile) keeps their
last valid version.

The stage flags such staging rows with the quarantine entry of the newer version (`superseded_by`) and
the rules it failed, without their values (`superseded_by_rules`; warehouse/models/staging.py).
`pending_versions` lists them for a set of crosswalk rows — system, stream, the record's id, the person
record it belongs to, the beneficiary, the quarantine entry, the rules and since when — for the profile
table `pending_version` and the read API. The quarantined payload is never read here.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import STAGING_TABLES, Quarantine
from warehouse.profile.frames import read, read_in

PERSON_STREAMS = {
    "sat": "ospiti",
    "anagrafe": "residenti",
    "polis": "participants",
    "volontariato": "anagrafiche",
    "contabilita": "soggetti",
}
EVENT_STREAMS = {  # staging table -> (system, stream, record id column)
    "stg_stay": ("sat", "accoglienze", "stay_id"),
    "stg_placement": ("polis", "placements", "placement_id"),
    "stg_volunteer_service": ("volontariato", "servizi", "service_id"),
    "stg_payment": ("contabilita", "erogazioni", "id_erogazione"),
}
COLUMNS = [
    "source_system",
    "stream",
    "source_record_id",
    "beneficiary_id",
    "source_person_id",
    "quarantine_id",
    "rules",
    "quarantined_at",
]
KEYS = ["source_system", "source_person_id"]


def _flagged(conn: Connection, records: pd.DataFrame | None) -> pd.DataFrame:
    """Flagged staging rows: system, stream, record id, person record id, quarantine id, rules; of the person
    `records` (source_system, source_person_id) only, or of all (None: one scan per table)."""
    p = STAGING_TABLES["stg_person"]
    query = sa.select(
        p.c.source_system,
        p.c.source_person_id.label("source_record_id"),
        p.c.source_person_id,
        p.c.superseded_by.label("quarantine_id"),
        p.c.superseded_by_rules.label("rules"),
    ).where(p.c.superseded_by.is_not(None))
    if records is not None:
        keys = list(zip(records["source_system"], records["source_person_id"]))
        query = query.where(sa.tuple_(p.c.source_system, p.c.source_person_id).in_(keys) if keys else sa.false())
    parts = [read(conn, query).assign(stream=lambda f: f["source_system"].map(PERSON_STREAMS))]
    for name, (system, stream, record_id) in EVENT_STREAMS.items():
        t = STAGING_TABLES[name]
        query = sa.select(
            sa.literal(system).label("source_system"),
            t.c[record_id].label("source_record_id"),
            t.c.source_person_id,
            t.c.superseded_by.label("quarantine_id"),
            t.c.superseded_by_rules.label("rules"),
        ).where(t.c.superseded_by.is_not(None))
        ids = None if records is None else records.loc[records["source_system"] == system, "source_person_id"]
        parts.append(read_in(conn, query, t.c.source_person_id, ids).assign(stream=stream))
    return pd.concat(parts, ignore_index=True)


def pending_versions(conn: Connection, xwalk: pd.DataFrame, *, whole: bool = True) -> pd.DataFrame:
    """`pending_version` rows (COLUMNS) of the source records in `xwalk` (source_system, source_person_id,
    beneficiary_id): those whose newer version waits in quarantine, with its entry and since when.
    `whole`: scan the staging tables once (a publish); else read only xwalk's records (a single record)."""
    flagged = _flagged(conn, None if whole else xwalk).merge(xwalk[[*KEYS, "beneficiary_id"]], on=KEYS)
    if flagged.empty:
        return pd.DataFrame(columns=COLUMNS, dtype=object)
    q = Quarantine.__table__
    since = read_in(conn, sa.select(q.c.quarantine_id, q.c.quarantined_at), q.c.quarantine_id, flagged["quarantine_id"])
    out = flagged.merge(since, on="quarantine_id")  # an entry always exists: the stage set it in the same run
    return (
        out[COLUMNS]
        .sort_values(["beneficiary_id", "source_system", "stream", "source_record_id"])
        .reset_index(drop=True)
    )
