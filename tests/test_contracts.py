"""Each raw-stream contract accepts its good payload and rejects bad ones, saying why in words."""

import pytest

from schemas.contracts import CONTRACTS, SchemaDriftError, check_drift, validate_payloads
from schemas.contracts.validate import DRIFT_MIN_ROWS
from tests.stage_data import GOOD, good


def rules(system, stream, payload):
    return validate_payloads(CONTRACTS[(system, stream)], [payload]).rules_by_row().get(0, [])


@pytest.mark.parametrize("key", sorted(GOOD), ids=lambda k: ".".join(k))
def test_good_payload_passes(key):
    assert rules(*key, GOOD[key]) == []


CASES = [
    # (system, stream, changes, expected words)
    ("sat", "ospiti", {"sesso": "X"}, "sesso 'X' not one of M, F"),
    ("sat", "ospiti", {"data_nascita": "11/02/1984"}, "data_nascita '11/02/1984' is not a date in format YYYY-MM-DD"),
    ("sat", "ospiti", {"data_nascita": "1884-02-11"}, "data_nascita 1884-02-11 is outside 1900-01-01 .. today"),
    ("sat", "ospiti", {"riservato": "no"}, "riservato 'no' is not a boolean"),
    (
        "sat",
        "ospiti",
        {"updated_at": "2026-03-01T08:12:44"},
        "updated_at '2026-03-01T08:12:44' is not a timestamp in format ISO 8601 with offset",
    ),
    ("sat", "ospiti", {"cognome": "  "}, "cognome is missing (null or empty)"),
    ("sat", "ospiti", {"id_ospite": "7141"}, "id_ospite '7141' is not an integer"),
    (
        "sat",
        "accoglienze",
        {"tipo": "hotel"},
        "tipo 'hotel' not one of appartamento_volano, alloggio_transizione, co_housing, accoglienza_notturna, "
        "albergo_popolare, struttura_protetta",
    ),
    ("sat", "accoglienze", {"data_uscita": "2026-01-01"}, "data_uscita 2026-01-01 is before data_ingresso 2026-02-01"),
    (
        "sat",
        "accoglienze",
        {"data_ingresso": "2026-02-30"},
        "data_ingresso '2026-02-30' is not a date in format YYYY-MM-DD",
    ),
    (
        "anagrafe",
        "residenti",
        {"DATA_NASCITA": "1984-02-11"},
        "DATA_NASCITA '1984-02-11' is not a date in format DD/MM/YYYY",
    ),
    (
        "anagrafe",
        "residenti",
        {"POSIZIONE": "PARTITO"},
        "POSIZIONE 'PARTITO' not one of RESIDENTE, EMIGRATO, DECEDUTO, IRREPERIBILE",
    ),
    ("anagrafe", "residenti", {"CAP": "5012"}, "CAP '5012' is not a 5-digit postcode"),
    (
        "anagrafe",
        "residenti",
        {"DATA_ISCRIZIONE": "01/06/1980"},
        "DATA_ISCRIZIONE 01/06/1980 is before DATA_NASCITA 11/02/1984",
    ),
    ("polis", "participants", {"gender": "M"}, "gender 'M' not one of male, female, other"),
    ("polis", "participants", {"birth_country": "Italia"}, "birth_country 'Italia' is not an ISO 3166-1 alpha-2 code"),
    ("polis", "participants", {"id": "42"}, "id '42' is not a UUID"),
    ("polis", "placements", {"end_date": "2025-12-31"}, "end_date 2025-12-31 is before start_date 2026-01-10"),
    ("polis", "placements", {"hours_completed": -3}, "hours_completed -3 is below 0"),
    (
        "polis",
        "placements",
        {"programme": "stage"},
        "programme 'stage' not one of tirocinio, formazione, orientamento, borsa_lavoro, inserimento_lavorativo",
    ),
    (
        "volontariato",
        "anagrafiche",
        {"ultima_modifica": "2026-03-01T10:00:00+01:00"},
        "ultima_modifica '2026-03-01T10:00:00+01:00' is not a timestamp in format local YYYY-MM-DD HH:MM:SS without offset",
    ),
    ("volontariato", "servizi", {"ruolo": "ospite"}, "ruolo 'ospite' not one of beneficiario, volontario"),
    ("volontariato", "servizi", {"data_fine": "2025-01-01"}, "data_fine 2025-01-01 is before data_inizio 2026-01-05"),
    ("contabilita", "soggetti", {"codice_fiscale": None}, "codice_fiscale is missing (null or empty)"),
    ("contabilita", "erogazioni", {"importo": "-50.00"}, "importo -50.00 is negative"),
    (
        "contabilita",
        "erogazioni",
        {"importo": "12,50"},
        "importo '12,50' is not an amount in euros (digits, up to 2 decimals)",
    ),
    ("contabilita", "erogazioni", {"stato": "pagato"}, "data_pagamento is missing although stato is pagato"),
    (
        "contabilita",
        "erogazioni",
        {"data_pagamento": "2026-01-15", "stato": "pagato"},
        "data_pagamento 2026-01-15 is before data_determina 2026-02-01",
    ),
]


@pytest.mark.parametrize("system,stream,changes,words", CASES, ids=[f"{c[0]}.{c[1]}:{c[3][:40]}" for c in CASES])
def test_bad_payload_fails_with_words(system, stream, changes, words):
    assert rules(system, stream, good(system, stream, **changes)) == [words]


@pytest.mark.parametrize("key", sorted(GOOD), ids=lambda k: ".".join(k))
def test_missing_column_is_a_schema_failure(key):
    column = list(GOOD[key])[1]
    result = validate_payloads(CONTRACTS[key], [good(*key, **{column: ...})] * 3)
    assert result.missing_columns == [column]
    assert result.rules_by_row() == {
        i: [f"column {column} missing from the payload (renamed or dropped?)"] for i in range(3)
    }


def test_every_failure_of_every_row_is_collected_at_once():
    payloads = [
        good("sat", "accoglienze"),
        good("sat", "accoglienze", tipo="hotel", data_uscita="2026-01-01", motivo_uscita="boh"),
        good("sat", "accoglienze", id_accoglienza=None),
    ]
    by_row = validate_payloads(CONTRACTS[("sat", "accoglienze")], payloads).rules_by_row()
    assert sorted(by_row) == [1, 2]
    assert len(by_row[1]) == 3 and any("motivo_uscita 'boh'" in r for r in by_row[1])
    assert by_row[2] == ["id_accoglienza is missing (null or empty)"]


def test_drift_names_system_stream_column_and_rule():
    n = DRIFT_MIN_ROWS
    bad = validate_payloads(
        CONTRACTS[("anagrafe", "residenti")], [good("anagrafe", "residenti", DATA_NASCITA="1984-02-11")] * n
    )
    with pytest.raises(SchemaDriftError) as err:
        check_drift("anagrafe", "residenti", bad, 0.2)
    assert all(
        w in str(err.value) for w in ("anagrafe.residenti", "column DATA_NASCITA", "date_format(fmt=DD/MM/YYYY)")
    )
    few = validate_payloads(
        CONTRACTS[("anagrafe", "residenti")],
        [good("anagrafe", "residenti", DATA_NASCITA="1984-02-11")] + [GOOD[("anagrafe", "residenti")]] * (n - 1),
    )
    check_drift("anagrafe", "residenti", few, 0.2)  # one bad record in twenty: quarantine, not drift
    small = validate_payloads(CONTRACTS[("anagrafe", "residenti")], [good("anagrafe", "residenti", SESSO="X")])
    check_drift("anagrafe", "residenti", small, 0.2)  # too few records to call it drift


def test_renamed_column_is_drift_even_in_a_small_batch():
    result = validate_payloads(
        CONTRACTS[("polis", "placements")], [good("polis", "placements", end_date=..., finish_date="2026-04-10")]
    )
    with pytest.raises(SchemaDriftError, match=r"polis\.placements.*column end_date, rule column_in_dataframe"):
        check_drift("polis", "placements", result, 0.2)
