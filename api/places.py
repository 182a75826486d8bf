"""The one door to the structure name and address of hidden stays (confidential, or at a protected address).

On PostgreSQL the API's database role has no right on ``restricted_stay_address`` nor on ``stg_stay``'s place
columns (``fase db roles``): it reads them through the SECURITY DEFINER function ``fase_stay_places`` (migration
0011_privacy), one beneficiary at a time. SQLite has no roles: the same two queries run directly. Only callers
holding the ``confidential`` grant get here.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import IDENTITY_TABLES, PROFILE_TABLES, STAGING_TABLES

crosswalk = IDENTITY_TABLES["beneficiary_crosswalk"]


def stay_places(conn: Connection, beneficiary_id: str, stays: list[dict], *, published: bool) -> None:
    """Fill the structure name and address of a beneficiary's stays that lack them (callers with the grant
    only): a published beneficiary's hidden stays from restricted_stay_address, an unpublished one's from
    stg_stay."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            sa.text("SELECT stay_id, structure_name, address FROM fase_stay_places(:b, :p)"),
            {"b": beneficiary_id, "p": published},
        )
    elif published:
        t = PROFILE_TABLES["restricted_stay_address"]
        rows = conn.execute(
            sa.select(t.c.stay_id, t.c.structure_name, t.c.address).where(t.c.beneficiary_id == beneficiary_id)
        )
    else:
        s = STAGING_TABLES["stg_stay"]
        rows = conn.execute(
            sa.select(s.c.stay_id, s.c.struttura.label("structure_name"), s.c.indirizzo.label("address"))
            .join(
                crosswalk,
                sa.and_(crosswalk.c.source_system == "sat", crosswalk.c.source_person_id == s.c.source_person_id),
            )
            .where(crosswalk.c.beneficiary_id == beneficiary_id)
        )
    found = {r.stay_id: r for r in rows}
    for st in stays:
        if st["stay_id"] in found:
            st["structure_name"], st["address"] = found[st["stay_id"]].structure_name, found[st["stay_id"]].address
