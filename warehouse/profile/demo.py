"""Printable lines of the profile of one household (for `make demo`), confidential fields redacted."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.models import PROFILE_TABLES
from warehouse.profile.profile import BENEFIT_TYPES

REDACTED = "[redacted: protected person]"


def pick_household(engine: Engine) -> str | None:
    """A household with a stay, a placement and a payment among its members (else the one known to most systems)."""
    p, pay = PROFILE_TABLES["beneficiary_profile"], PROFILE_TABLES["fact_payment"]
    paid = sa.select(pay.c.beneficiary_id).distinct().subquery()
    q = (
        sa.select(p.c.household_id)
        .outerjoin(paid, paid.c.beneficiary_id == p.c.beneficiary_id)
        .group_by(p.c.household_id)
        .order_by(
            sa.desc(sa.func.sum(sa.case((p.c.stays > 0, 1), else_=0)) > 0),
            sa.desc(
                sa.func.sum(
                    p.c.placements_active + p.c.placements_hired + p.c.placements_completed + p.c.placements_dropped_out
                )
                > 0
            ),
            sa.desc(sa.func.count(paid.c.beneficiary_id) > 0),
            sa.desc(sa.func.max(p.c.systems_count)),
            p.c.household_id,
        )
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(q).scalar()


def _mask(code: str | None) -> str:
    return "-" if not code else code[:6] + "*" * (len(code) - 6)


def household_lines(engine: Engine, household_id: str | None = None) -> list[str]:
    """A few lines describing one household's members (chosen by `pick_household` when not given)."""
    household_id = household_id or pick_household(engine)
    if household_id is None:
        return ["(no published profile yet: run `fase publish`)"]
    p, h = PROFILE_TABLES["beneficiary_profile"], PROFILE_TABLES["household"]
    with engine.connect() as conn:
        hh = conn.execute(sa.select(h).where(h.c.household_id == household_id)).mappings().first()
        people = (
            conn.execute(
                sa.select(p).where(p.c.household_id == household_id).order_by(p.c.birth_date, p.c.beneficiary_id)
            )
            .mappings()
            .all()
        )
    if hh is None:
        return [f"household {household_id}: not found"]
    lines = [
        f"Household {household_id} ({hh['source']}): {hh['size']} member(s), {hh['minors']} minor(s)"
        f"{', single parent with minors' if hh['single_parent_with_minors'] else ''}"
        f"{', resident in Florence' if hh['resident_in_florence'] else ''}"
        f"{', eviction risk' if hh['eviction_risk'] else ''}"
    ]
    for r in people:
        lines.append(
            f"  {r['beneficiary_id']}  {r['first_name'] or '?'} {r['last_name'] or '?'}  {r['sex'] or '-'}  "
            f"born {r['birth_date'] or '?'} (age {r['age'] if r['age'] is not None else '?'})  "
            f"CF {_mask(r['codice_fiscale'])}  systems {r['systems']}  "
            f"target groups {r['target_groups'] or '-'}{'  PROTECTED' if r['is_protected'] else ''}"
        )
        if r["in_accommodation"]:
            where = REDACTED if r["is_protected"] else (r["current_structure_address"] or REDACTED)
            lines.append(f"      housed: {r['current_structure_type']} since {r['current_stay_since']}, {where}")
        lines.append(
            f"      stays {r['stays']} ({r['total_days_hosted']} days, {r['exits_to_autonomy']} to autonomy)"
            f"  placements active {r['placements_active']} hired {r['placements_hired']} completed "
            f"{r['placements_completed']} dropped {r['placements_dropped_out']}  volunteering "
            f"{r['services_as_beneficiary']} as beneficiary, {r['services_as_volunteer']} as volunteer"
        )
        paid = ", ".join(f"{k} {r['paid_12m_' + k]}" for k in BENEFIT_TYPES if r["paid_12m_" + k])
        lines.append(f"      paid in the last 12 months: EUR {r['paid_12m_total']}{' (' + paid + ')' if paid else ''}")
    return lines
