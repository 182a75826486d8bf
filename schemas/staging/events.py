"""Event rows of the staging layer: stays, residence periods, placements, volunteer services, payments.

Current-state tables come from the current passing version of each record; `residence_periods` and
`payment_statuses` come from all passing versions of the records (the raw layer keeps them), so an
address history and a payment's path determinato -> liquidato -> pagato / revocato survive.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from schemas.staging.person import registry_address, utc_timestamps
from schemas.staging.vector import nullable, per_unique
from schemas.standardise import dates

PROTECTED = "struttura_protetta"
ENDED_POSITIONS = ("EMIGRATO", "DECEDUTO", "IRREPERIBILE")
UTC = dates.UTC


def _dates(values: pd.Series) -> pd.Series:
    return per_unique(values, dates.parse_date)


def _ids(values: pd.Series) -> pd.Series:
    return values.astype(str)


def _frame(columns: dict, run_id: int) -> pd.DataFrame:
    out = pd.DataFrame(columns, dtype=object)
    out["run_id"] = run_id
    return out.apply(nullable) if len(out) else out.astype(object)


def stays(frame: pd.DataFrame, riservato: dict[str, bool], run_id: int) -> pd.DataFrame:
    """stg_stay; confidential when the structure is protected or the guest is riservato (or unknown)."""
    guests = _ids(frame["id_ospite"])
    guest_confidential = guests.map(lambda g: riservato.get(g, True)).astype(bool)
    return _frame(
        {
            "stay_id": _ids(frame["id_accoglienza"]),
            "source_person_id": guests,
            "struttura": frame["struttura"],
            "tipo": frame["tipo"],
            "indirizzo": frame["indirizzo"],
            "data_ingresso": _dates(frame["data_ingresso"]),
            "data_uscita": _dates(frame["data_uscita"]),
            "motivo_uscita": frame["motivo_uscita"],
            "confidential": frame["tipo"].eq(PROTECTED) | guest_confidential,
            "source_updated_at": utc_timestamps(frame["updated_at"]),
        },
        run_id,
    )


def residence_periods(history: pd.DataFrame, meta: pd.DataFrame, run_id: int) -> pd.DataFrame:
    """stg_residence: one row per address period of each person, from DATA_ISCRIZIONE to the next move.

    Versions registered on the same day are one period (the latest version's data wins); the last
    period ends at DATA_VARIAZIONE when the person emigrated, died or became untraceable (not before
    the period began: a change of position dated earlier closes the period on its first day)."""
    h = history.assign(
        _person=_ids(meta["source_id"]).values,
        _version=meta["version"].values,
        _from=_dates(history["DATA_ISCRIZIONE"]).values,
    )
    h = h.sort_values(["_person", "_from", "_version"]).drop_duplicates(["_person", "_from"], keep="last")
    h = h.reset_index(drop=True)
    next_from = h.groupby("_person")["_from"].shift(-1)
    changed = _dates(h["DATA_VARIAZIONE"])
    ended = h["POSIZIONE"].isin(ENDED_POSITIONS) & next_from.isna()
    closed_on = pd.Series([max(a, b) if b is not None else a for a, b in zip(h["_from"], changed)], index=h.index)
    valid_to = next_from.where(~ended, closed_on)
    address = registry_address(h)
    return _frame(
        {
            "source_person_id": h["_person"],
            "valid_from": h["_from"],
            "valid_to": valid_to,
            "address_toponym": address["address_toponym"],
            "address_street": address["address_street"],
            "address_number": address["address_number"],
            "address_interno": h["INTERNO"],
            "address_postcode": address["address_postcode"],
            "address_municipality": address["address_municipality"],
            "household_key": "anagrafe:" + h["ID_FAMIGLIA"].astype(str),
            "household_role": h["RELAZIONE_PARENTELA"],
            "posizione": h["POSIZIONE"],
            "data_variazione": changed,
        },
        run_id,
    )


def placements(frame: pd.DataFrame, run_id: int) -> pd.DataFrame:
    return _frame(
        {
            "placement_id": _ids(frame["id"]),
            "source_person_id": _ids(frame["participant"]),
            "programme": frame["programme"],
            "provider": frame["provider"],
            "start_date": _dates(frame["start_date"]),
            "end_date": _dates(frame["end_date"]),
            "status": frame["status"],
            "hours_completed": frame["hours_completed"],
            "source_updated_at": utc_timestamps(frame["modified"]),
        },
        run_id,
    )


def volunteer_services(frame: pd.DataFrame, run_id: int) -> pd.DataFrame:
    return _frame(
        {
            "service_id": _ids(frame["id"]),
            "source_person_id": _ids(frame["anagrafica_id"]),
            "associazione": frame["associazione"],
            "ruolo": frame["ruolo"],
            "tipo_servizio": frame["tipo_servizio"],
            "data_inizio": _dates(frame["data_inizio"]),
            "data_fine": _dates(frame["data_fine"]),
            "source_updated_at": per_unique(frame["ultima_modifica"], dates.local_to_utc),
        },
        run_id,
    )


def payments(frame: pd.DataFrame, run_id: int) -> pd.DataFrame:
    return _frame(
        {
            "id_erogazione": _ids(frame["id_erogazione"]),
            "source_person_id": _ids(frame["id_soggetto"]),
            "tipo_contributo": frame["tipo_contributo"],
            "importo": per_unique(frame["importo"], Decimal),
            "numero_determina": frame["numero_determina"],
            "data_determina": _dates(frame["data_determina"]),
            "data_pagamento": _dates(frame["data_pagamento"]),
            "stato": frame["stato"],
            "source_updated_at": utc_timestamps(frame["dt_agg"], naive_tz=UTC),
        },
        run_id,
    )


def payment_statuses(history: pd.DataFrame, meta: pd.DataFrame, run_id: int) -> pd.DataFrame:
    """stg_payment_status: each status a payment reached, when (the first version's dt_agg) and its payment date."""
    h = pd.DataFrame(
        {
            "id_erogazione": _ids(history["id_erogazione"]).values,
            "stato": history["stato"].values,
            "reached_at": utc_timestamps(history["dt_agg"], naive_tz=UTC).values,
            "data_pagamento": _dates(history["data_pagamento"]).values,
            "_version": meta["version"].values,
        },
        dtype=object,
    )
    first = h.sort_values(["id_erogazione", "_version"]).drop_duplicates(["id_erogazione", "stato"], keep="first")
    return _frame({c: first[c].values for c in ("id_erogazione", "stato", "reached_at", "data_pagamento")}, run_id)
