"""Facts: the staging events of each system tied to beneficiaries through beneficiary_crosswalk.

Stays (sat), residence periods (anagrafe), placements (polis), volunteering services (volontariato,
as beneficiary or volunteer) and payments with their status history (contabilita). A confidential
stay (protected structure or riservato guest) keeps its structure name and address only in
`restricted_stay_address`; `fact_stay` carries the type and dates with those columns empty. No fact
carries an IBAN or its hash.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import STAGING_TABLES
from warehouse.profile.frames import read_in

ROME = ZoneInfo("Europe/Rome")
AUTONOMY_REASONS = ("autonomia_abitativa", "alloggio_erp")
"""Exit reasons that count as reaching housing autonomy (own housing, or public housing)."""
PROTECTED_STRUCTURE = "struttura_protetta"
PAYMENT_STATUSES = ("determinato", "liquidato", "pagato", "revocato")
FACT_TABLES = (
    "fact_stay",
    "restricted_stay_address",
    "fact_residence",
    "fact_placement",
    "fact_volunteer_service",
    "fact_payment",
    "fact_payment_status",
)


def rome_date(value):
    return value.astimezone(ROME).date() if isinstance(value, datetime) else None


def _ids(xwalk: pd.DataFrame, system: str) -> pd.DataFrame:
    return xwalk.loc[xwalk["source_system"] == system, ["source_person_id", "beneficiary_id"]]


def _events(conn: Connection, name: str, xwalk: pd.DataFrame, system: str, whole: bool) -> pd.DataFrame:
    t = STAGING_TABLES[name]
    ids = _ids(xwalk, system)
    rows = read_in(
        conn,
        sa.select(*(c for c in t.columns if c.name != "run_id")),
        t.c.source_person_id,
        None if whole else ids["source_person_id"],
    )
    return rows.merge(ids, on="source_person_id", how="inner")


def build_facts(conn: Connection, xwalk: pd.DataFrame, whole: bool = False) -> dict[str, pd.DataFrame]:
    """Every fact table's rows for the source records in `xwalk` (source_system, source_person_id,
    beneficiary_id). `whole`: xwalk covers every record (read staging tables whole)."""
    out: dict[str, pd.DataFrame] = {}
    out["fact_stay"], out["restricted_stay_address"] = _stays(_events(conn, "stg_stay", xwalk, "sat", whole))
    out["fact_residence"] = _residences(_events(conn, "stg_residence", xwalk, "anagrafe", whole))
    placements = _events(conn, "stg_placement", xwalk, "polis", whole)
    out["fact_placement"] = placements[
        [
            "placement_id",
            "beneficiary_id",
            "source_person_id",
            "programme",
            "provider",
            "start_date",
            "end_date",
            "status",
            "hours_completed",
        ]
    ]
    services = _events(conn, "stg_volunteer_service", xwalk, "volontariato", whole)
    out["fact_volunteer_service"] = services.rename(
        columns={
            "associazione": "association",
            "ruolo": "role",
            "tipo_servizio": "service_type",
            "data_inizio": "start_date",
            "data_fine": "end_date",
        }
    )[
        [
            "service_id",
            "beneficiary_id",
            "source_person_id",
            "association",
            "role",
            "service_type",
            "start_date",
            "end_date",
        ]
    ]
    payments = _events(conn, "stg_payment", xwalk, "contabilita", whole)
    st = STAGING_TABLES["stg_payment_status"]
    statuses = read_in(
        conn,
        sa.select(st.c.id_erogazione, st.c.stato, st.c.reached_at, st.c.data_pagamento),
        st.c.id_erogazione,
        None if whole else payments["id_erogazione"],
    )
    out["fact_payment"], out["fact_payment_status"] = _payments(payments, statuses)
    return out


def _stays(stays: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    confidential = stays["confidential"].astype(bool)
    closed = stays["data_uscita"].notna()
    days = pd.Series(
        [(b - a).days if b is not None else None for a, b in zip(stays["data_ingresso"], stays["data_uscita"])],
        index=stays.index,
        dtype=object,
    )
    fact = pd.DataFrame(
        {
            "stay_id": stays["stay_id"],
            "beneficiary_id": stays["beneficiary_id"],
            "source_person_id": stays["source_person_id"],
            "structure_name": stays["struttura"].where(~confidential, None),
            "structure_type": stays["tipo"],
            "address": stays["indirizzo"].where(~confidential, None),
            "entry_date": stays["data_ingresso"],
            "exit_date": stays["data_uscita"],
            "exit_reason": stays["motivo_uscita"],
            "days_hosted": days.where(closed, None),
            "to_autonomy": stays["motivo_uscita"].isin(AUTONOMY_REASONS) & closed,
            "confidential": confidential,
        },
        dtype=object,
    )
    secret = stays[confidential]
    restricted = pd.DataFrame(
        {
            "stay_id": secret["stay_id"],
            "beneficiary_id": secret["beneficiary_id"],
            "structure_name": secret["struttura"],
            "address": secret["indirizzo"],
        },
        dtype=object,
    )
    return fact.reset_index(drop=True), restricted.reset_index(drop=True)


def _residences(res: pd.DataFrame) -> pd.DataFrame:
    return res.rename(
        columns={
            "address_toponym": "toponym",
            "address_street": "street",
            "address_number": "number",
            "address_interno": "interno",
            "address_postcode": "postcode",
            "address_municipality": "municipality",
        }
    )[
        [
            "source_person_id",
            "valid_from",
            "beneficiary_id",
            "valid_to",
            "toponym",
            "street",
            "number",
            "interno",
            "postcode",
            "municipality",
            "household_key",
            "household_role",
            "posizione",
        ]
    ].reset_index(drop=True)


def _payments(payments: pd.DataFrame, statuses: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """fact_payment (one row per benefit, with the date each status was reached) and its status history.

    Observed statuses come from stg_payment_status (the raw versions seen); the act date stands for
    `determinato` and the payment date for `pagato` when those states were never observed."""
    pay = payments.set_index("id_erogazione")
    observed = statuses[statuses["id_erogazione"].isin(pay.index)].copy()
    observed["evidence"] = "observed"
    observed["reached_on"] = observed["reached_at"].map(rome_date)
    det = pay["data_determina"]
    is_det = observed["stato"] == "determinato"
    observed.loc[is_det, "reached_on"] = observed.loc[is_det, "id_erogazione"].map(det)
    is_paid = (observed["stato"] == "pagato") & observed["data_pagamento"].notna()
    observed.loc[is_paid, "reached_on"] = observed.loc[is_paid, "data_pagamento"]
    seen = set(zip(observed["id_erogazione"], observed["stato"]))
    inferred = []
    for pid, d in det.items():
        if (pid, "determinato") not in seen and d is not None:
            inferred.append((pid, "determinato", None, d, "data_determina"))
    for pid, d in pay["data_pagamento"].items():
        if (pid, "pagato") not in seen and d is not None:
            inferred.append((pid, "pagato", None, d, "data_pagamento"))
    history = pd.concat(
        [
            observed[["id_erogazione", "stato", "reached_at", "reached_on", "evidence"]],
            pd.DataFrame(
                inferred, columns=["id_erogazione", "stato", "reached_at", "reached_on", "evidence"], dtype=object
            ),
        ],
        ignore_index=True,
    )
    history = history[history["reached_on"].notna()]
    history["beneficiary_id"] = history["id_erogazione"].map(pay["beneficiary_id"])
    history = (
        history.rename(columns={"id_erogazione": "payment_id", "stato": "status"})
        .sort_values(["payment_id", "reached_on", "status"])
        .reset_index(drop=True)
    )
    fact = pd.DataFrame(
        {
            "payment_id": pay.index,
            "beneficiary_id": pay["beneficiary_id"].values,
            "source_person_id": pay["source_person_id"].values,
            "benefit_type": pay["tipo_contributo"].values,
            "amount": pay["importo"].values,
            "determina_number": pay["numero_determina"].values,
            "status": pay["stato"].values,
        },
        dtype=object,
    )
    for status in PAYMENT_STATUSES:
        on = history[history["status"] == status].set_index("payment_id")["reached_on"]
        fact[f"{status}_on"] = fact["payment_id"].map(on).astype(object)
        fact[f"{status}_on"] = fact[f"{status}_on"].where(fact[f"{status}_on"].notna(), None)
    return fact, history[["payment_id", "status", "beneficiary_id", "reached_on", "reached_at", "evidence"]]
