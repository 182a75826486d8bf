"""Households: beneficiaries grouped by registry household (anagrafe ID_FAMIGLIA), SAT `nucleo` second.

1. A beneficiary whose golden household is an anagrafe family belongs to it (`via = anagrafe`).
2. A SAT nucleo whose members include people of a registry family maps to the family most of them
   belong to (ties: the smallest id); its members without a registry family join it (`via = sat`).
3. Other nuclei are households of their own (`sat:N-...`); a beneficiary with neither is a household
   of one (`person:<beneficiary_id>`, `via = none`).
Minors are under 18 on the publish date (an unknown birth date counts as adult); a single parent with
minors is the only adult of a household with at least one minor.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from warehouse.profile.facts import AUTONOMY_REASONS

HOUSING_BENEFITS = ("contributo_affitto", "morosita_incolpevole", "deposito_cauzionale")
"""Benefits that are evidence of housing need (rent, arrears, deposit)."""
EVICTION_BENEFIT = "morosita_incolpevole"


def age_on(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def last_12_months(today: date) -> date:
    """First day of the 12-month window ending on `today` (inclusive)."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start


def resident_in_florence(residence: pd.DataFrame) -> set[str]:
    """Beneficiaries with an open registry period as RESIDENTE in Florence."""
    open_ = residence[
        residence["valid_to"].isna()
        & (residence["posizione"] == "RESIDENTE")
        & residence["municipality"].fillna("FIRENZE").eq("FIRENZE")
    ]
    return set(open_["beneficiary_id"])


def build_households(
    golden: pd.DataFrame,
    sat_nuclei: pd.DataFrame,
    residence: pd.DataFrame,
    stays: pd.DataFrame,
    payments: pd.DataFrame,
    today: date,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(household, household_member) frames.

    golden: beneficiary_id, household_key, household_role, birth_date, sex; sat_nuclei: beneficiary_id,
    household_key of every SAT record; residence/stays/payments: the fact tables."""
    g = golden[["beneficiary_id", "household_key", "household_role", "birth_date"]].copy()
    registry = g["household_key"].fillna("").str.startswith("anagrafe:")
    g["household_id"] = g["household_key"].where(registry, None)
    g["via"] = pd.Series("anagrafe", index=g.index).where(registry, None)
    nuclei = sat_nuclei.dropna(subset=["household_key"]).drop_duplicates()
    fam = nuclei.merge(g.loc[registry, ["beneficiary_id", "household_id"]], on="beneficiary_id")
    if len(fam):
        votes = fam.groupby(["household_key", "household_id"]).size().reset_index(name="n")
        votes = votes.sort_values(["household_key", "n", "household_id"], ascending=[True, False, True])
        nucleus_to_family = votes.drop_duplicates("household_key").set_index("household_key")["household_id"]
    else:
        nucleus_to_family = pd.Series(dtype=object)
    loose = nuclei[~nuclei["beneficiary_id"].isin(g.loc[registry, "beneficiary_id"])].copy()
    loose["target"] = loose["household_key"].map(nucleus_to_family)
    loose["target"] = loose["target"].where(loose["target"].notna(), loose["household_key"])
    loose = (
        loose.sort_values(["beneficiary_id", "target"]).drop_duplicates("beneficiary_id").set_index("beneficiary_id")
    )
    none = g["household_id"].isna()
    g.loc[none, "household_id"] = g.loc[none, "beneficiary_id"].map(loose["target"])
    g.loc[none & g["household_id"].notna(), "via"] = "sat"
    alone = g["household_id"].isna()
    g.loc[alone, "household_id"] = "person:" + g.loc[alone, "beneficiary_id"]
    g.loc[alone, "via"] = "none"
    ages = g["birth_date"].map(lambda b: age_on(b, today))
    g["is_minor"] = ages.map(lambda a: None if a is None else a < 18)
    g["role"] = g["household_role"].where(g["via"] == "anagrafe", None)
    members = g[["beneficiary_id", "household_id", "role", "is_minor", "via"]].reset_index(drop=True)

    minor = members["is_minor"].eq(True)
    hh = (
        members.assign(_minor=minor.astype(int), _adult=(~minor).astype(int))
        .groupby("household_id")
        .agg(size=("beneficiary_id", "size"), minors=("_minor", "sum"), adults=("_adult", "sum"))
    )
    adults = members[~minor].sort_values("beneficiary_id").drop_duplicates("household_id").set_index("household_id")
    hh["single_parent_with_minors"] = (hh["adults"] == 1) & (hh["minors"] >= 1)
    hh["single_parent_id"] = hh.index.map(adults["beneficiary_id"]).astype(object)
    hh.loc[~hh["single_parent_with_minors"], "single_parent_id"] = None
    hh["source"] = hh.index.map(lambda k: k.split(":", 1)[0])

    of = members.set_index("beneficiary_id")["household_id"]

    def any_member(bids) -> pd.Series:
        keys = set(of.reindex(list(set(bids))).dropna())
        return pd.Series(hh.index.isin(keys), index=hh.index)

    window = last_12_months(today)
    live = payments[payments["status"] != "revocato"]
    recent = live[
        live["determinato_on"].map(lambda d: d is not None and d >= window)
        | live["pagato_on"].map(lambda d: d is not None and d >= window)
    ]
    hh["resident_in_florence"] = any_member(resident_in_florence(residence))
    hh["ever_hosted"] = any_member(stays["beneficiary_id"])
    hh["housing_need"] = hh["ever_hosted"] | any_member(
        recent.loc[recent["benefit_type"].isin(HOUSING_BENEFITS), "beneficiary_id"]
    )
    hh["eviction_risk"] = any_member(live.loc[live["benefit_type"] == EVICTION_BENEFIT, "beneficiary_id"])
    hh["reached_autonomy"] = any_member(
        stays.loc[stays["exit_reason"].isin(AUTONOMY_REASONS) & stays["exit_date"].notna(), "beneficiary_id"]
    )
    household = hh.reset_index().rename(columns={"index": "household_id"})
    for c in ("size", "minors", "adults"):
        household[c] = household[c].astype(int)
    return household, members
