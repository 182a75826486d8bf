"""The analysts' schema on PostgreSQL (`fase_marts`): pseudonymised views over the profile (migration
0011_privacy) that join `analyst_pseudonym`, which this module keeps complete at every publish.

The views show what the read API shows an analyst (api/redaction.py): the same keyed pseudonyms for
beneficiary and household ids (``warehouse.pseudonyms``, key from ``secrets.pseudonym_key_env``), birth year
only, no names, codes, phones, e-mails, street addresses, structure names or source ids. Event and registry
record ids are pseudonymised too, so that analysts can still join and count. A row whose id has no pseudonym
is not shown: without a key every view is empty (fail closed), and a new key replaces every pseudonym.
SQLite has no schemas or roles: the table stays empty there (analysts use the API or a PostgreSQL warehouse).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import ANALYST_PSEUDONYM, PROFILE_TABLES
from warehouse.pseudonyms import Pseudonymiser

log = logging.getLogger(__name__)
SOURCES: dict[str, tuple[tuple[str, str], ...]] = {  # pseudonym kind -> (table, id column) it covers
    "beneficiary": (("golden_record", "beneficiary_id"),),
    "household": (("household", "household_id"), ("fact_residence", "household_key")),
    "stay": (("fact_stay", "stay_id"),),
    "placement": (("fact_placement", "placement_id"),),
    "service": (("fact_volunteer_service", "service_id"),),
    "payment": (("fact_payment", "payment_id"),),
    "registry_record": (("fact_residence", "source_person_id"),),
}
FINGERPRINT = ("key", "fingerprint")
"""A row holding the pseudonym of a constant: tells whether the stored pseudonyms were made with this key."""


def refresh_pseudonyms(conn: Connection, pseudonym: Pseudonymiser) -> dict:
    """Make analyst_pseudonym hold exactly the ids of the published profile, with this key (PostgreSQL only)."""
    if conn.dialect.name != "postgresql":
        return {}
    t = ANALYST_PSEUDONYM
    if not pseudonym.available:
        conn.execute(sa.delete(t))
        log.warning("no pseudonym key: the analysts' schema (fase_marts) is empty until a publish has one")
        return {"status": "empty: no pseudonym key"}
    kind, ident = FINGERPRINT
    mark = pseudonym(ident, kind)
    stored = conn.execute(sa.select(t.c.pseudonym).where(t.c.kind == kind, t.c.id == ident)).scalar()
    out = {"inserted": 0, "deleted": 0}
    if stored != mark:  # first publish, or a new key: every pseudonym changes
        out["deleted"] += conn.execute(sa.delete(t)).rowcount
        conn.execute(sa.insert(t).values(kind=kind, id=ident, pseudonym=mark))
    for kind, sources in SOURCES.items():
        mine = t.c.kind == kind
        ids = sa.union(
            *(
                sa.select(PROFILE_TABLES[name].c[col].label("id")).where(PROFILE_TABLES[name].c[col].is_not(None))
                for name, col in sources
            )
        ).subquery()
        new = (
            conn.execute(sa.select(ids.c.id).where(~sa.exists().where(mine, t.c.id == ids.c.id)).distinct())
            .scalars()
            .all()
        )
        if new:
            conn.execute(sa.insert(t), [{"kind": kind, "id": i, "pseudonym": pseudonym(i, kind)} for i in new])
        out["inserted"] += len(new)
        out["deleted"] += conn.execute(sa.delete(t).where(mine, ~t.c.id.in_(sa.select(ids.c.id)))).rowcount
    return out
