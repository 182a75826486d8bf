"""stg_person rows (the columns of schemas/canonical.py) from each system's validated person payloads.

Each `<system>_persons(frame, meta)` maps the system's fields onto the shared parts — names, birth,
codice fiscale, contacts, address, household — and `canonical` derives the rest (CF decoding and its
consistency with the typed data) the same way for all. Standardisers run once per distinct value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any

import pandas as pd

from schemas.canonical import STG_PERSON_COLUMNS
from schemas.staging.vector import nullable, per_unique, per_unique_fields, row_keys
from schemas.standardise import addresses, codice_fiscale, countries, dates, names, phones, sex

NAME_FIELDS = [
    "first_name",
    "last_name",
    "first_name_norm",
    "middle_names_norm",
    "last_name_norm",
    "alt_first_name_norm",
    "alt_last_name_norm",
    "alt_middle_names_norm",
    "name_split_ambiguous",
]
ADDRESS_PARTS = ["toponym", "street", "number", "postcode", "municipality"]
ADDRESS_FIELDS = [f"address_{part}" for part in ADDRESS_PARTS]
CF_FIELDS = ["codice_fiscale", "cf_base", "cf_status", "cf_sex", "cf_birth_date", "cf_birthplace_code"]
FLORENCE = "FIRENZE"
UTC = UTC


# ----------------------------------------------------------------------------- parts shared by every system
def _split_names(last: str | None, given: str | None) -> tuple:
    g = names.parse_given_names(given)
    return (
        g.first_name,
        names.display_name(last),
        g.first_name_norm,
        g.middle_names_norm,
        names.normalise_surname(last),
        None,
        None,
        None,
        False,
    )


def split_names(last: pd.Series, given: pd.Series) -> pd.DataFrame:
    """Names typed in two fields: surname and given names (middle names apart)."""
    return per_unique_fields(
        row_keys(pd.DataFrame({"l": last, "g": given}), ["l", "g"]), lambda key: _split_names(*key), NAME_FIELDS
    )


def _nominativo(text: str | None) -> tuple:
    s = names.split_nominativo(text)
    return (
        s.first_name,
        s.last_name,
        s.first_name_norm,
        s.middle_names_norm,
        s.last_name_norm,
        s.alt_first_name_norm,
        s.alt_last_name_norm,
        s.alt_middle_names_norm,
        s.ambiguous,
    )


def nominativo_names(nominativo: pd.Series) -> pd.DataFrame:
    """A whole name in one field: the likelier reading, and the other one in alt_* when ambiguous."""
    return per_unique_fields(nominativo, _nominativo, NAME_FIELDS)


def text_address(line: pd.Series) -> pd.DataFrame:
    """A free-text address line split into its parts."""
    return per_unique_fields(line, addresses.parse_address, ADDRESS_PARTS).set_axis(ADDRESS_FIELDS, axis=1)


def birthplaces(place: pd.Series) -> pd.DataFrame:
    return per_unique_fields(place, countries.birthplace, ["birthplace_norm", "birthplace_code", "birth_country"])


def utc_timestamps(values: pd.Series, naive_tz: tzinfo | None = None) -> pd.Series:
    return per_unique(values, lambda v: dates.parse_timestamp_utc(v, naive_tz=naive_tz))


def _consistent(
    info: codice_fiscale.CFInfo, last, first, middle, alt_last, alt_first, alt_middle, sex_, birth, place
) -> bool | None:
    """The code can be the record's own (`cf_is_own`); with an ambiguous one-field name, under either reading."""
    primary = codice_fiscale.cf_is_own(info, last, first, sex_, birth, place, middle_names_norm=middle)
    if primary is False and (alt_last or alt_first):
        return (
            codice_fiscale.cf_is_own(info, alt_last, alt_first, sex_, birth, place, middle_names_norm=alt_middle)
            or False
        )
    return primary


def canonical(
    system: str, ids: pd.Series, parts: dict[str, pd.Series | pd.DataFrame], cf: pd.Series, run_id: int
) -> pd.DataFrame:
    """The stg_person frame: `parts` gives typed columns (frames are spread), the CF columns are derived here."""
    out = pd.DataFrame(index=ids.index)
    out["source_system"] = system
    out["source_person_id"] = ids.astype(str)
    for name, part in parts.items():
        if isinstance(part, pd.DataFrame):
            for col in part.columns:
                out[col] = part[col]
        else:
            out[name] = part
    for col in STG_PERSON_COLUMNS:
        if col not in out and col not in CF_FIELDS and col != "cf_consistent":
            out[col] = None
    info = per_unique(cf, codice_fiscale.parse_cf, null=codice_fiscale.parse_cf(None))
    out["codice_fiscale"] = [i.code for i in info]
    out["cf_base"] = [i.cf_base for i in info]
    out["cf_status"] = [i.status for i in info]
    out["cf_sex"] = [i.sex for i in info]
    out["cf_birth_date"] = [i.birth_date for i in info]
    out["cf_birthplace_code"] = [i.birthplace_code for i in info]
    typed = [
        "last_name_norm",
        "first_name_norm",
        "middle_names_norm",
        "alt_last_name_norm",
        "alt_first_name_norm",
        "alt_middle_names_norm",
        "sex",
        "birth_date",
        "birthplace_code",
    ]
    out["cf_consistent"] = [_consistent(*args) for args in zip(info, *(out[c] for c in typed))]
    out["birth_date_is_default"] = per_unique(out["birth_date"], dates.is_default_birth_date, null=False)
    out["name_split_ambiguous"] = out["name_split_ambiguous"].astype("boolean").fillna(False).astype(bool)
    out["riservato"] = out["riservato"].astype("boolean").fillna(False).astype(bool)
    out["run_id"] = run_id
    return nullable_frame(out[list(STG_PERSON_COLUMNS)])


def nullable_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(nullable) if len(frame) else frame.astype(object)


def _household(prefix: str, values: pd.Series) -> pd.Series:
    return per_unique(values, lambda v: f"{prefix}:{str(v).strip()}")


def _lower(values: pd.Series) -> pd.Series:
    return per_unique(values, lambda v: str(v).strip().lower() or None)


# ----------------------------------------------------------------------------- one builder per system
def sat_persons(frame: pd.DataFrame, meta: pd.DataFrame, run_id: int) -> pd.DataFrame:
    return canonical(
        "sat",
        frame["id_ospite"],
        {
            "names": split_names(frame["cognome"], frame["nome"]),
            "sex": per_unique(frame["sesso"], sex.normalise_sex),
            "birth_date": per_unique(frame["data_nascita"], dates.parse_date),
            "birthplace": birthplaces(frame["luogo_nascita"]),
            "citizenship": per_unique(frame["cittadinanza"], countries.country_to_iso2),
            "phone": per_unique(frame["telefono"], phones.normalise_phone),
            "household_key": _household("sat", frame["nucleo"]),
            "riservato": frame["riservato"].astype(bool),
            "source_updated_at": utc_timestamps(frame["updated_at"]),
        },
        frame["codice_fiscale"],
        run_id,
    )


def _snapshot_time(file_name) -> datetime | None:
    """Midnight (Europe/Rome) of the snapshot date in ANAGRAFE_RESIDENTI_YYYYMMDD.csv, as UTC."""
    m = re.search(r"(\d{8})", str(file_name or ""))
    if not m:
        return None
    return datetime.strptime(m.group(1), "%Y%m%d").replace(tzinfo=dates.ROME).astimezone(UTC)


def _registry_address(key: tuple[Any, Any, Any, Any]) -> addresses.Address:
    toponimo, indirizzo, civico, cap = key
    return addresses.address_from_parts(toponimo, indirizzo, civico, cap, FLORENCE)


def registry_address(frame: pd.DataFrame) -> pd.DataFrame:
    """Anagrafe's split address columns (all in Florence)."""
    keys = row_keys(frame, ["TOPONIMO", "INDIRIZZO", "CIVICO", "CAP"])
    return per_unique_fields(keys, _registry_address, ADDRESS_PARTS).set_axis(ADDRESS_FIELDS, axis=1)


def anagrafe_persons(frame: pd.DataFrame, meta: pd.DataFrame, run_id: int) -> pd.DataFrame:
    return canonical(
        "anagrafe",
        frame["ID_INDIVIDUO"],
        {
            "names": split_names(frame["COGNOME"], frame["NOME"]),
            "sex": per_unique(frame["SESSO"], sex.normalise_sex),
            "birth_date": per_unique(frame["DATA_NASCITA"], dates.parse_date),
            "birthplace": birthplaces(frame["COMUNE_NASCITA"]),
            "citizenship": per_unique(frame["CITTADINANZA"], countries.country_to_iso2),
            "address": registry_address(frame),
            "household_key": _household("anagrafe", frame["ID_FAMIGLIA"]),
            "household_role": frame["RELAZIONE_PARENTELA"],
            "source_updated_at": per_unique(meta["source_cursor"], _snapshot_time),
        },
        frame["CODICE_FISCALE"],
        run_id,
    )


def polis_persons(frame: pd.DataFrame, meta: pd.DataFrame, run_id: int) -> pd.DataFrame:
    return canonical(
        "polis",
        frame["id"],
        {
            "names": split_names(frame["last_name"], frame["first_name"]),
            "sex": per_unique(frame["gender"], sex.normalise_sex),
            "birth_date": per_unique(frame["birth_date"], dates.parse_date),
            "birth_country": per_unique(frame["birth_country"], countries.country_to_iso2),
            "phone": per_unique(frame["phone"], phones.normalise_phone),
            "email": _lower(frame["email"]),
            "address": text_address(frame["address"]),
            "source_updated_at": utc_timestamps(frame["modified"]),
        },
        frame["fiscal_code"],
        run_id,
    )


def volontariato_persons(frame: pd.DataFrame, meta: pd.DataFrame, run_id: int) -> pd.DataFrame:
    return canonical(
        "volontariato",
        frame["id"],
        {
            "names": nominativo_names(frame["nominativo"]),
            "birth_date": per_unique(frame["data_nascita"], dates.parse_date),
            "phone": per_unique(frame["telefono"], phones.normalise_phone),
            "email": _lower(frame["email"]),
            "address_municipality": per_unique(frame["comune_residenza"], addresses.normalise_municipality),
            "source_updated_at": per_unique(frame["ultima_modifica"], dates.local_to_utc),
        },
        frame["codice_fiscale"],
        run_id,
    )


def contabilita_persons(frame: pd.DataFrame, meta: pd.DataFrame, run_id: int) -> pd.DataFrame:
    return canonical(
        "contabilita",
        frame["id_soggetto"],
        {
            "names": split_names(frame["cognome"], frame["nome"]),
            "sex": per_unique(frame["sesso"], sex.normalise_sex),
            "birth_date": per_unique(frame["data_nascita"], dates.parse_date),
            "address": text_address(frame["indirizzo"]),
            "iban_hash": frame["iban_hash"],
            "source_updated_at": utc_timestamps(frame["dt_agg"], naive_tz=UTC),
        },
        frame["codice_fiscale"],
        run_id,
    )
