"""The canonical person record (`stg_person`): the same columns whatever the source system.

Matching reads only these columns. Names are kept twice: as typed (display) and normalised
(upper case ASCII, accents and apostrophes folded, particles joined: the matching form).
"""

from __future__ import annotations

STG_PERSON_COLUMNS: dict[str, str] = {
    # identity of the source record
    "source_system": "system key: sat, anagrafe, polis, volontariato, contabilita",
    "source_person_id": "the system's own id as text (id_ospite, ID_INDIVIDUO, participant id, anagrafiche.id, id_soggetto)",
    # names
    "first_name": "first given name, display form (title case, accents restored where known)",
    "last_name": "surname, display form",
    "first_name_norm": "first given name, matching form: upper ASCII, no punctuation (NICCOLO)",
    "middle_names_norm": "second and further given names, matching form, space separated, or null",
    "last_name_norm": "surname, matching form, particles joined without spaces (DELUCA, DANGELO)",
    "alt_first_name_norm": "other reading of an ambiguous one-field name (volontariato), else null",
    "alt_last_name_norm": "other reading's surname, else null",
    "name_split_ambiguous": "true when the first/last split is uncertain",
    # birth and sex
    "sex": "M, F or null",
    "birth_date": "date or null",
    "birth_date_is_default": "true for a 1 January placeholder date",
    "birthplace_norm": "municipality or country of birth, matching form",
    "birthplace_code": "cadastral (Belfiore) code: D612 for Firenze, Z129 for Romania; or null",
    "birth_country": "ISO 3166-1 alpha-2 of the birth country (IT for Italian municipalities) or null",
    "citizenship": "ISO 3166-1 alpha-2 or null",
    # codice fiscale
    "codice_fiscale": "as given, trimmed and upper case, or null",
    "cf_base": "omocodia-normalised base code (16 chars) for valid codes, else null",
    "cf_status": "valid | omocodic | invalid | provisional | missing",
    "cf_sex": "sex decoded from the code",
    "cf_birth_date": "birth date decoded from the code",
    "cf_birthplace_code": "birthplace code decoded from the code",
    "cf_consistent": "true if the code can be the record's own: its given-name part agrees and the rest up to a clerk's slip (codice_fiscale.cf_is_own); false e.g. for a relative's code; null if not checkable",
    # contacts and address
    "phone": "E.164 (+393331234567) or null",
    "email": "lower case or null",
    "address_toponym": "VIA, VIALE, PIAZZA, BORGO, LUNGARNO, ... or null",
    "address_street": "street name, matching form",
    "address_number": "house number, normalised (12, 12A, 12R for Florence red numbers)",
    "address_postcode": "5-digit CAP or null",
    "address_municipality": "municipality, matching form",
    "iban_hash": "keyed hash of the IBAN (contabilita only)",
    # household and confidentiality
    "household_key": "system-qualified household id: anagrafe:F-55120, sat:N-2231; or null",
    "household_role": "anagrafe RELAZIONE_PARENTELA code or null",
    "riservato": "confidential person: never disclose where they stay",
    # lineage
    "source_updated_at": "UTC timestamp of the source's last change",
    "run_id": "pipeline run that staged the row",
}
