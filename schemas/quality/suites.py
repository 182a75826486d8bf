"""The expectations on each staging table: keys present and unique, value sets, formats, ranges, orderings.

Value sets come from the contracts, so the staging layer is held to what the sources promise.
Built fresh on each call (the upper bound of birth dates is today).
"""

from __future__ import annotations

from datetime import date

import great_expectations.expectations as gxe

from configuration import SYSTEMS
from schemas.contracts import anagrafe, contabilita, polis, sat, volontariato
from schemas.standardise import codice_fiscale as cf

CF_STATUSES = [cf.VALID, cf.OMOCODIC, cf.INVALID, cf.PROVISIONAL, cf.MISSING]
E164 = r"^\+[1-9][0-9]{6,14}$"
POSTCODE = r"^[0-9]{5}$"
ISO2 = r"^[A-Z]{2}$"


def _not_null(*columns: str) -> list:
    return [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in columns]


def _in_set(column: str, values, **kw) -> gxe.ExpectColumnValuesToBeInSet:
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values), **kw)


def _not_before(later: str, earlier: str) -> gxe.ExpectColumnPairValuesAToBeGreaterThanB:
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"
    )


def _when(condition: str) -> dict:
    return {"row_condition": condition, "condition_parser": "pandas"}


def suites() -> dict[str, list]:
    """Staging table -> its expectations."""
    today = date.today()
    return {
        "stg_person": [
            *_not_null("source_system", "source_person_id", "cf_status", "riservato", "name_split_ambiguous", "run_id"),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_system", "source_person_id"]),
            _in_set("source_system", SYSTEMS),
            _in_set("sex", ["M", "F"]),
            _in_set("cf_status", CF_STATUSES),
            gxe.ExpectColumnValuesToNotBeNull(column="cf_base", **_when('cf_status in ["valid", "omocodic"]')),
            gxe.ExpectColumnValuesToMatchRegex(column="phone", regex=E164),
            gxe.ExpectColumnValuesToMatchRegex(column="address_postcode", regex=POSTCODE),
            gxe.ExpectColumnValuesToMatchRegex(column="citizenship", regex=ISO2),
            gxe.ExpectColumnValuesToMatchRegex(column="birth_country", regex=ISO2),
            gxe.ExpectColumnValuesToMatchRegex(column="household_key", regex=r"^(?:anagrafe|sat):.+"),
            gxe.ExpectColumnValuesToBeBetween(column="birth_date", min_value=date(1900, 1, 1), max_value=today),
        ],
        "stg_stay": [
            *_not_null("stay_id", "source_person_id", "data_ingresso", "confidential"),
            gxe.ExpectColumnValuesToBeUnique(column="stay_id"),
            _in_set("tipo", sat.STAY_TYPES),
            _in_set("motivo_uscita", sat.EXIT_REASONS),
            _in_set("confidential", [True], **_when('tipo == "struttura_protetta"')),
            _not_before("data_uscita", "data_ingresso"),
        ],
        "stg_residence": [
            *_not_null("source_person_id", "valid_from", "posizione"),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_person_id", "valid_from"]),
            _in_set("posizione", anagrafe.POSITIONS),
            _in_set("household_role", anagrafe.RELATIONS),
            gxe.ExpectColumnValuesToMatchRegex(column="address_postcode", regex=POSTCODE),
            _not_before("valid_to", "valid_from"),
        ],
        "stg_placement": [
            *_not_null("placement_id", "source_person_id", "start_date"),
            gxe.ExpectColumnValuesToBeUnique(column="placement_id"),
            _in_set("programme", polis.PROGRAMMES),
            _in_set("status", polis.STATUSES),
            gxe.ExpectColumnValuesToBeBetween(column="hours_completed", min_value=0),
            _not_before("end_date", "start_date"),
        ],
        "stg_volunteer_service": [
            *_not_null("service_id", "source_person_id", "data_inizio"),
            gxe.ExpectColumnValuesToBeUnique(column="service_id"),
            _in_set("ruolo", volontariato.ROLES),
            _in_set("tipo_servizio", volontariato.SERVICES),
            _not_before("data_fine", "data_inizio"),
        ],
        "stg_payment": [
            *_not_null("id_erogazione", "source_person_id", "importo", "stato"),
            gxe.ExpectColumnValuesToBeUnique(column="id_erogazione"),
            gxe.ExpectColumnValuesToBeBetween(column="importo", min_value=0),
            _in_set("stato", contabilita.STATES),
            _in_set("tipo_contributo", contabilita.CONTRIBUTIONS),
            gxe.ExpectColumnValuesToNotBeNull(column="data_pagamento", **_when('stato == "pagato"')),
            _not_before("data_pagamento", "data_determina"),
        ],
        "stg_payment_status": [
            *_not_null("id_erogazione", "stato", "reached_at"),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["id_erogazione", "stato"]),
            _in_set("stato", contabilita.STATES),
        ],
    }
