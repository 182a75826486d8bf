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


# ----------------------------------------------------------------------------- lengths, control characters, zero dates
def checks_of(key, column) -> dict[str, dict]:
    """Check name -> statistics of one contract column."""
    return {c.name: c.statistics for c in CONTRACTS[key].to_schema().columns[column].checks}


def text_columns(key) -> list[str]:
    return [
        name
        for name in CONTRACTS[key].to_schema().columns
        if "type_is" in checks_of(key, name) and checks_of(key, name)["type_is"]["kind"] == "string"
    ]


FEEDS = {  # contract column -> staging columns it is written to, with the prefix the standardiser adds
    ("sat", "ospiti"): {
        "cognome": [("stg_person", c, 0) for c in ("last_name", "last_name_norm")],
        "nome": [("stg_person", c, 0) for c in ("first_name", "first_name_norm", "middle_names_norm")],
        "luogo_nascita": [("stg_person", "birthplace_norm", 0)],
        "codice_fiscale": [("stg_person", "codice_fiscale", 0)],
        "nucleo": [("stg_person", "household_key", len("sat:"))],
    },
    ("sat", "accoglienze"): {"struttura": [("stg_stay", "struttura", 0)], "indirizzo": [("stg_stay", "indirizzo", 0)]},
    ("anagrafe", "residenti"): {
        "COGNOME": [("stg_person", c, 0) for c in ("last_name", "last_name_norm")],
        "NOME": [("stg_person", c, 0) for c in ("first_name", "first_name_norm", "middle_names_norm")],
        "COMUNE_NASCITA": [("stg_person", "birthplace_norm", 0)],
        "CODICE_FISCALE": [("stg_person", "codice_fiscale", 0)],
        "ID_FAMIGLIA": [(t, "household_key", len("anagrafe:")) for t in ("stg_person", "stg_residence")],
        "INDIRIZZO": [(t, "address_street", 0) for t in ("stg_person", "stg_residence")],
        "INTERNO": [("stg_residence", "address_interno", 0)],
    },
    ("polis", "participants"): {
        "first_name": [("stg_person", c, 0) for c in ("first_name", "first_name_norm", "middle_names_norm")],
        "last_name": [("stg_person", c, 0) for c in ("last_name", "last_name_norm")],
        "fiscal_code": [("stg_person", "codice_fiscale", 0)],
        "email": [("stg_person", "email", 0)],
        "address": [("stg_person", c, 0) for c in ("address_street", "address_municipality")],
    },
    ("polis", "placements"): {"provider": [("stg_placement", "provider", 0)]},
    ("volontariato", "anagrafiche"): {
        "nominativo": [
            ("stg_person", c, 0)
            for c in ("first_name", "last_name", "first_name_norm", "last_name_norm", "alt_first_name_norm")
        ],
        "codice_fiscale": [("stg_person", "codice_fiscale", 0)],
        "email": [("stg_person", "email", 0)],
        "comune_residenza": [("stg_person", "address_municipality", 0)],
    },
    ("volontariato", "servizi"): {"associazione": [("stg_volunteer_service", "associazione", 0)]},
    ("contabilita", "soggetti"): {
        "codice_fiscale": [("stg_person", "codice_fiscale", 0)],
        "cognome": [("stg_person", c, 0) for c in ("last_name", "last_name_norm")],
        "nome": [("stg_person", c, 0) for c in ("first_name", "first_name_norm", "middle_names_norm")],
        "indirizzo": [("stg_person", c, 0) for c in ("address_street", "address_municipality")],
    },
    ("contabilita", "erogazioni"): {"numero_determina": [("stg_payment", "numero_determina", 0)]},
}
SOURCE_SIZES = {  # varchar sizes the source contracts give (shared/source-systems/)
    ("volontariato", "anagrafiche"): {
        "nominativo": 200,
        "codice_fiscale": 16,
        "telefono": 40,
        "email": 120,
        "comune_residenza": 80,
    },
    ("volontariato", "servizi"): {"associazione": 120},
    ("contabilita", "soggetti"): {"codice_fiscale": 16, "cognome": 100, "nome": 100, "indirizzo": 200},
    ("contabilita", "erogazioni"): {"numero_determina": 30},
}


@pytest.mark.parametrize("key", sorted(GOOD), ids=lambda k: ".".join(k))
def test_every_text_has_a_length_that_fits_staging_and_refuses_control_characters(key):
    from warehouse.models import STAGING_TABLES

    columns = text_columns(key)
    assert columns
    for column in columns:
        checks = checks_of(key, column)
        assert "max_length" in checks and "no_control_characters" in checks, column
        limit = checks["max_length"]["limit"]
        assert limit == SOURCE_SIZES.get(key, {}).get(column, limit), column
        for table, target, prefix in FEEDS[key].get(column, []):
            width = STAGING_TABLES[table].c[target].type.length
            assert width is None or prefix + limit <= width, (column, table, target, width)
    assert set(FEEDS[key]) <= set(columns)
    for column, stats in ((c, checks_of(key, c)) for c in CONTRACTS[key].to_schema().columns):
        if "matches" in stats:
            assert "no_control_characters" in stats, column  # `\s` in a pattern would take \x1c-\x1f, \x85
        if "type_is" in stats and stats["type_is"]["kind"] == "integer":
            assert stats["at_most"]["limit"] <= 2**63 - 1, column


LONG_NAME = "A" * 200_000


@pytest.mark.parametrize(
    "system,stream,column",
    [
        ("sat", "ospiti", "cognome"),
        ("sat", "accoglienze", "indirizzo"),
        ("anagrafe", "residenti", "NOME"),
        ("polis", "participants", "last_name"),
        ("polis", "placements", "provider"),
        ("volontariato", "anagrafiche", "nominativo"),
        ("volontariato", "servizi", "associazione"),
        ("contabilita", "soggetti", "cognome"),
        ("contabilita", "erogazioni", "numero_determina"),
    ],
)
def test_overlong_text_fails_with_a_length_rule_that_does_not_echo_it(system, stream, column):
    key = (system, stream)
    limit = checks_of(key, column)["max_length"]["limit"]
    assert rules(system, stream, good(system, stream, **{column: "A" * limit})) == []
    (words,) = rules(system, stream, good(system, stream, **{column: LONG_NAME}))
    assert words == f"{column} is too long: 200000 characters where at most {limit} are allowed"
    result = validate_payloads(CONTRACTS[key], [good(system, stream, **{column: LONG_NAME})])
    assert result.failures["rule"].tolist() == [f"max_length(limit={limit})"]


def test_length_counts_what_the_standardisers_write():
    # 'ﬃ' (one character) folds to 'FFI', 'ß' upper-cases to 'SS': 40 of them are 120 and 80 characters in staging
    assert rules("sat", "ospiti", good("sat", "ospiti", cognome="ﬃ" * 40)) == [
        "cognome is too long: 120 characters where at most 100 are allowed"
    ]
    assert rules("sat", "ospiti", good("sat", "ospiti", cognome="ß" * 60))[0].startswith("cognome is too long: 120")
    assert rules("sat", "ospiti", good("sat", "ospiti", cognome="NICCOLÒ " * 12)) == []  # accents fold 1:1


@pytest.mark.parametrize(
    "char,name",
    [
        ("\x00", "U+0000 (NUL)"),
        ("\x1b", "U+001B (ESC)"),
        ("\x7f", "U+007F (DEL)"),
        ("\x92", "U+0092, a C1 control (UTF-8 text read as latin-1?)"),
        ("\x85", "U+0085, a C1 control (UTF-8 text read as latin-1?)"),
        ("\n", "U+000A (LF)"),
        ("\t", "U+0009 (TAB)"),
    ],
    ids=lambda v: repr(v),
)
def test_control_characters_fail_with_a_rule_naming_them(char, name):
    assert rules("anagrafe", "residenti", good("anagrafe", "residenti", COGNOME=f"NICCOL{char}")) == [
        f"COGNOME contains the control character {name}, which is not allowed"
    ]
    result = validate_payloads(CONTRACTS[("anagrafe", "residenti")], [good("anagrafe", "residenti", NOME=f"A{char}")])
    assert result.failures["rule"].tolist() == ["no_control_characters"]
    # a house number pattern's `\s` must not let one through either (other controls fail the pattern as well)
    civico = rules("anagrafe", "residenti", good("anagrafe", "residenti", CIVICO=f"12{char}A"))
    assert f"CIVICO contains the control character {name}, which is not allowed" in civico


def test_free_text_addresses_may_hold_line_breaks_but_no_other_control():
    two_lines = "Via dei Neri 12\r\n50122 Firenze\t(FI)"
    assert rules("polis", "participants", good("polis", "participants", address=two_lines)) == []
    assert rules("contabilita", "soggetti", good("contabilita", "soggetti", indirizzo=two_lines)) == []
    assert rules("sat", "accoglienze", good("sat", "accoglienze", indirizzo=two_lines)) == []
    assert rules("polis", "participants", good("polis", "participants", address="Via\x00dei Neri")) == [
        "address contains the control character U+0000 (NUL), which is not allowed"
    ]
    result = validate_payloads(CONTRACTS[("polis", "participants")], [good("polis", "participants", address="\x92")])
    assert result.failures["rule"].tolist() == ["no_control_characters(allowed=tab, CR, LF)"]
    assert rules("polis", "participants", good("polis", "participants", last_name="Rossi\n")) == [
        "last_name contains the control character U+000A (LF), which is not allowed"
    ]


def test_integers_must_fit_their_columns():
    assert rules("polis", "placements", good("polis", "placements", hours_completed=100_001)) == [
        "hours_completed 100001 is above 100000"
    ]
    assert rules("sat", "ospiti", good("sat", "ospiti", id_ospite=2**70)) == [f"id_ospite {2**70} is above {2**63 - 1}"]


ZERO_DATES = [
    ("volontariato", "anagrafiche", "data_nascita", "0000-00-00", "date in format YYYY-MM-DD"),
    ("volontariato", "anagrafiche", "ultima_modifica", "0000-00-00 00:00:00", "timestamp in format local"),
    ("volontariato", "servizi", "data_inizio", "0000-00-00", "date in format YYYY-MM-DD"),
    ("volontariato", "servizi", "data_fine", "0000-00-00", "date in format YYYY-MM-DD"),
    ("contabilita", "soggetti", "data_nascita", "0000-00-00", "date in format YYYY-MM-DD"),
    ("contabilita", "erogazioni", "data_pagamento", "0000-00-00", "date in format YYYY-MM-DD"),
    ("contabilita", "erogazioni", "dt_agg", "0000-00-00 00:00:00", "timestamp in format ISO 8601"),
    ("anagrafe", "residenti", "DATA_NASCITA", "00/00/0000", "date in format DD/MM/YYYY"),
]


@pytest.mark.parametrize("system,stream,column,value,words", ZERO_DATES, ids=lambda v: str(v))
def test_a_zero_date_fails_with_a_date_rule(system, stream, column, value, words):
    (found,) = rules(system, stream, good(system, stream, **{column: value}))
    assert found.startswith(f"{column} {value!r} is a zero date, not a {words}")


def test_the_same_rule_failing_on_two_columns_is_reported_for_both():
    assert rules("volontariato", "servizi", good("volontariato", "servizi", data_inizio="x", data_fine="y")) == [
        "data_inizio 'x' is not a date in format YYYY-MM-DD",
        "data_fine 'y' is not a date in format YYYY-MM-DD",
    ]


def test_long_values_are_cut_short_in_messages():
    (words,) = rules("anagrafe", "residenti", good("anagrafe", "residenti", CAP="5" * 10_000))
    assert words == f"CAP {'5' * 60!r}... (10000 characters) is not a 5-digit postcode"
