"""`beneficiary_profile`: one row per active beneficiary, from the golden record, households and facts.

Target groups (the seed's three; operational rules, warehouse/README.md):
  1  household resident in Florence (a member with an open RESIDENTE registry period) in housing need
     (a member ever hosted in temporary housing, or given a rent, arrears or deposit benefit in the
     last 12 months);
  2  household whose only adult is a woman, with minors, in housing need or with a protected member;
  3  household with a non-revoked `morosita_incolpevole` benefit (eviction for blameless arrears).
Every member of a qualifying household is in the group. Money is summed as Decimal. `pending_versions`
counts the beneficiary's source records whose newer version waits in quarantine (the profile shows their
last valid version).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from warehouse.profile.households import age_on, last_12_months, resident_in_florence

BENEFIT_TYPES = (
    "contributo_affitto",
    "morosita_incolpevole",
    "contributo_economico",
    "buono_spesa",
    "deposito_cauzionale",
    "utenze",
)
TARGET_GROUPS = {
    1: "Households resident in Florence in housing poverty",
    2: "Single women with minor children without stable housing",
    3: "Households in housing emergency from eviction for morosita incolpevole",
}
ZERO = Decimal("0.00")


def paid_in_window(payments: pd.DataFrame, today: date) -> pd.DataFrame:
    """Benefits paid (status pagato) with a payment date in the 12 months ending `today`."""
    start = last_12_months(today)
    on = payments["pagato_on"]
    keep = (payments["status"] == "pagato") & on.map(lambda d: d is not None and start < d <= today)
    return payments[keep]


def _count(df: pd.DataFrame, mask=None) -> pd.Series:
    df = df if mask is None else df[mask]
    return df.groupby("beneficiary_id").size()


def build_profile(
    golden: pd.DataFrame,
    members: pd.DataFrame,
    households: pd.DataFrame,
    facts: dict,
    pending: pd.DataFrame,
    today: date,
) -> pd.DataFrame:
    """The profile rows; `pending`: the `pending_version` rows (counted per beneficiary)."""
    stays, placements = facts["fact_stay"], facts["fact_placement"]
    services, payments, residence = facts["fact_volunteer_service"], facts["fact_payment"], facts["fact_residence"]
    p = golden[
        [
            "beneficiary_id",
            "first_name",
            "last_name",
            "sex",
            "birth_date",
            "codice_fiscale",
            "citizenship",
            "is_protected",
            "systems",
        ]
    ].copy()
    bid = p["beneficiary_id"]
    p["age"] = p["birth_date"].map(lambda b: age_on(b, today))
    p["is_minor"] = p["age"].map(lambda a: None if a is None else a < 18)
    p["resident_in_florence"] = bid.isin(resident_in_florence(residence))
    m = members.set_index("beneficiary_id")
    h = households.set_index("household_id")
    p["household_id"] = bid.map(m["household_id"])
    p["household_size"] = p["household_id"].map(h["size"])
    p["household_minors"] = p["household_id"].map(h["minors"])

    ongoing = stays[stays["exit_date"].isna()].sort_values(
        ["beneficiary_id", "entry_date", "stay_id"], ascending=[True, False, False]
    )
    current = ongoing.drop_duplicates("beneficiary_id").set_index("beneficiary_id")
    p["in_accommodation"] = bid.isin(current.index)
    p["current_structure_type"] = bid.map(current["structure_type"])
    p["current_structure_address"] = bid.map(current["address"].where(~current["confidential"].astype(bool), None))
    p["current_stay_since"] = bid.map(current["entry_date"])
    p["stays"] = bid.map(_count(stays)).fillna(0).astype(int)
    days = [(today - e).days if x is None else (x - e).days for e, x in zip(stays["entry_date"], stays["exit_date"])]
    total = pd.Series(days, index=stays.index, dtype="int64").clip(lower=0)
    p["total_days_hosted"] = bid.map(stays.assign(_d=total).groupby("beneficiary_id")["_d"].sum()).fillna(0).astype(int)
    p["exits_to_autonomy"] = bid.map(_count(stays, stays["to_autonomy"].astype(bool))).fillna(0).astype(int)
    for status in ("active", "hired", "completed", "dropped_out"):
        p[f"placements_{status}"] = bid.map(_count(placements, placements["status"] == status)).fillna(0).astype(int)
    p["services_as_beneficiary"] = bid.map(_count(services, services["role"] == "beneficiario")).fillna(0).astype(int)
    p["services_as_volunteer"] = bid.map(_count(services, services["role"] == "volontario")).fillna(0).astype(int)

    paid = paid_in_window(payments, today)
    sums = paid.groupby(["beneficiary_id", "benefit_type"])["amount"].sum() if len(paid) else pd.Series(dtype=object)
    total_paid = paid.groupby("beneficiary_id")["amount"].sum() if len(paid) else pd.Series(dtype=object)
    p["paid_12m_total"] = bid.map(total_paid).map(lambda v: ZERO if pd.isna(v) else Decimal(v).quantize(ZERO))
    for kind in BENEFIT_TYPES:
        per = (
            sums.xs(kind, level="benefit_type")
            if len(sums) and kind in sums.index.get_level_values(1)
            else pd.Series(dtype=object)
        )
        p[f"paid_12m_{kind}"] = bid.map(per).map(lambda v: ZERO if pd.isna(v) else Decimal(v).quantize(ZERO))

    hh = p["household_id"]
    p["eviction_risk"] = hh.map(h["eviction_risk"]).fillna(False).astype(bool)
    p["single_parent_with_minors"] = hh.map(h["single_parent_with_minors"]).fillna(False).astype(bool)
    p["systems_count"] = p["systems"].map(lambda s: len(s.split(",")) if s else 0)
    p["pending_versions"] = bid.map(_count(pending)).fillna(0).astype(int)

    protected_hh = set(p.loc[p["is_protected"].astype(bool), "household_id"])
    parent_sex = h["single_parent_id"].map(golden.set_index("beneficiary_id")["sex"])
    need = hh.map(h["housing_need"]).fillna(False).astype(bool)
    p["target_group_1"] = hh.map(h["resident_in_florence"]).fillna(False).astype(bool) & need
    p["target_group_2"] = p["single_parent_with_minors"] & hh.map(parent_sex).eq("F") & (need | hh.isin(protected_hh))
    p["target_group_3"] = p["eviction_risk"]
    p["target_groups"] = [
        ",".join(str(g) for g, on in zip((1, 2, 3), flags) if on)
        for flags in zip(p["target_group_1"], p["target_group_2"], p["target_group_3"])
    ]
    return p.reset_index(drop=True)
