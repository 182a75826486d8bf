"""Monitoring marts, recomputed from the profile, households and facts at every publish (small tables).

mart_target_group, mart_housing_flow, mart_stay_length, mart_household_autonomy, mart_system_coverage,
mart_benefit_type, mart_benefit_beneficiary: columns in warehouse/README.md. Money is Decimal.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from warehouse.profile.profile import TARGET_GROUPS, ZERO, paid_in_window

NO_REASON = "n/a"


def _dec(value, places: str = "0.1") -> Decimal | None:
    if value is None or pd.isna(value):
        return None
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def build_marts(
    profile: pd.DataFrame, members: pd.DataFrame, households: pd.DataFrame, facts: dict, today: date
) -> dict[str, pd.DataFrame]:
    stays, payments = facts["fact_stay"], facts["fact_payment"]
    hh_of = members.set_index("beneficiary_id")["household_id"]
    out: dict[str, pd.DataFrame] = {}

    rows = []
    for group, label in TARGET_GROUPS.items():
        inside = profile[profile[f"target_group_{group}"].astype(bool)]
        rows.append((group, label, len(inside), inside["household_id"].nunique()))
    out["mart_target_group"] = pd.DataFrame(
        rows, columns=["target_group", "label", "people", "households"], dtype=object
    )

    s = stays.assign(household_id=stays["beneficiary_id"].map(hh_of))
    entries = s.assign(month=s["entry_date"].map(lambda d: d.strftime("%Y-%m")), flow="entry", exit_reason=NO_REASON)
    exited = s[s["exit_date"].notna()]
    exits = exited.assign(
        month=exited["exit_date"].map(lambda d: d.strftime("%Y-%m")),
        flow="exit",
        exit_reason=exited["exit_reason"].fillna("altro"),
    )
    flows = pd.concat([entries, exits], ignore_index=True)
    if len(flows):
        out["mart_housing_flow"] = (
            flows.groupby(["month", "flow", "exit_reason"])
            .agg(
                stays=("stay_id", "size"), people=("beneficiary_id", "nunique"), households=("household_id", "nunique")
            )
            .reset_index()
        )
    else:
        out["mart_housing_flow"] = pd.DataFrame(
            columns=["month", "flow", "exit_reason", "stays", "people", "households"]
        )

    length = []
    closed = stays[stays["exit_date"].notna()]
    ongoing = stays[stays["exit_date"].isna()]
    ongoing_days = ongoing["entry_date"].map(lambda d: (today - d).days)
    for kind in ["all", *sorted(stays["structure_type"].unique())]:
        c = closed if kind == "all" else closed[closed["structure_type"] == kind]
        o = ongoing_days if kind == "all" else ongoing_days[ongoing["structure_type"] == kind]
        length.append(
            (
                kind,
                len(c),
                _dec(pd.to_numeric(c["days_hosted"]).mean()) if len(c) else None,
                len(o),
                _dec(pd.to_numeric(o).mean()) if len(o) else None,
            )
        )
    out["mart_stay_length"] = pd.DataFrame(
        length,
        columns=["structure_type", "closed_stays", "avg_days_closed", "ongoing_stays", "avg_days_ongoing"],
        dtype=object,
    )

    hosted = s.groupby("household_id").agg(first=("entry_date", "min")) if len(s) else pd.DataFrame(columns=["first"])
    exited_hh = set(s.loc[s["exit_date"].notna(), "household_id"])
    autonomy = set(s.loc[s["to_autonomy"].astype(bool), "household_id"])
    hosted["cohort"] = hosted["first"].map(lambda d: str(d.year))
    cohorts = []
    for cohort in ["all", *sorted(hosted["cohort"].unique())]:
        ids = hosted.index if cohort == "all" else hosted.index[hosted["cohort"] == cohort]
        n, done = len(ids), len(set(ids) & autonomy)
        cohorts.append((cohort, n, len(set(ids) & exited_hh), done, _dec(done / n, "0.0001") if n else None))
    out["mart_household_autonomy"] = pd.DataFrame(
        cohorts,
        columns=["cohort", "households_hosted", "households_exited", "households_autonomy", "share_autonomy"],
        dtype=object,
    )

    cov = profile.groupby("systems").agg(systems_count=("systems_count", "first"), people=("beneficiary_id", "size"))
    out["mart_system_coverage"] = cov.reset_index()

    paid = payments[payments["status"] == "pagato"]
    recent = paid_in_window(payments, today)
    per_type = []
    for period, frame in (("last_12_months", recent), ("all_time", paid)):
        for kind, g in frame.groupby("benefit_type"):
            total = sum(g["amount"], ZERO)
            people = g["beneficiary_id"].nunique()
            per_type.append((kind, period, len(g), people, total, (total / people).quantize(ZERO, ROUND_HALF_UP)))
    out["mart_benefit_type"] = pd.DataFrame(
        per_type,
        columns=["benefit_type", "period", "payments", "beneficiaries", "total_paid", "avg_per_beneficiary"],
        dtype=object,
    )

    if len(paid):
        window = set(recent["payment_id"])
        per_b = (
            paid.assign(_recent=paid["amount"].where(paid["payment_id"].isin(window), ZERO))
            .groupby(["beneficiary_id", "benefit_type"])
            .agg(
                payments=("payment_id", "size"),
                total_paid=("amount", "sum"),
                paid_12m=("_recent", "sum"),
                last_paid_on=("pagato_on", "max"),
            )
        )
        out["mart_benefit_beneficiary"] = per_b.reset_index()
    else:
        out["mart_benefit_beneficiary"] = pd.DataFrame(
            columns=["beneficiary_id", "benefit_type", "payments", "total_paid", "paid_12m", "last_paid_on"]
        )
    return out
