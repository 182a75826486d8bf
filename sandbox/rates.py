"""Every error rate of the sandbox, per system, in one place.

A rate is the probability that the clerk of a system makes that error on one record where
the error is possible (a second name can only be dropped from someone who has one; a day and
month can only be swapped when the day is 1..12 and differs from the month). ``messiness.Clerk``
applies them and counts, per kind, how often each was eligible and applied.

| kind                   | sat  | anagrafe | polis | volontariato | contabilita |
|------------------------|------|----------|-------|--------------|-------------|
| surname_typo           | .03  | .002     | .02   | .06          | .01         |
| first_name_typo        | .03  | .002     | .02   | .06          | .01         |
| second_name_dropped    | .40  | 0        | .30   | .60          | .20         |
| names_swapped          | .02  | 0        | .01   | .05          | .005        |
| names_swapped_foreign  | .15  | .005     | .08   | .25          | .03         |
| transliteration        | .30  | .02      | .25   | .45          | .10         |
| compound_surname       | .35  | .02      | .40   | .50          | .25         |
| accent                 | .50  | .50      | .60   | .70          | .40         |
| cf_missing             | .30  | .01      | .15   | .75          | 0           |
| cf_missing_foreign     | .55  | .03      | .30   | .90          | 0           |
| cf_mistyped            | .03  | .002     | .02   | .05          | .01         |
| cf_of_relative         | .01  | 0        | .005  | .02          | .002        |
| birth_date_swapped     | .02  | .001     | .01   | .04          | .005        |
| birth_date_jan1        | .10  | .01      | .05   | .15          | .02         |
| birth_date_missing     | .05  | 0        | .03   | .20          | .05         |
| phone_format           | .60  | 0        | .50   | .70          | 0           |
| address_format         | 0    | 0        | .50   | 0            | .60         |
| duplicate              | .03  | .002     | .02   | .06          | .01         |

Notes: ``*_foreign`` rates apply to foreign-born people instead of the base rate;
``birth_date_jan1`` (the 1 January default a clerk types when the person knows only the year of
birth and shows no document) applies to foreign-born people only; it is lowest in the registry and
in accounting, which copy identity documents; ``accent`` in anagrafe means writing the accent as an apostrophe (NICCOLO'),
which the registry does legitimately, while other systems may also drop it (NICCOLO);
``cf_missing`` is 0 in contabilita because a payment needs a code: people without a codice
fiscale are recorded there with their 11-digit provisional numeric code.
Anagrafe has no phone and no one-line address; SAT stores no personal address.

Birth dates known only by year: no source contract can carry a year alone or a partial date (SAT and
POLIS ``YYYY-MM-DD`` or null, anagrafe ``DD/MM/YYYY``, the SQL sources a DATE or null; MariaDB's
``0000-00-00`` exists only as an opt-in input fault, ``sandbox/input_faults.py``), so a year-only
date reaches the hub as 1 January, in two ways: the clerk's default above (one record), and
``DOCUMENTED_JAN1``: people whose identity documents carry the year only, so that their registry
record, their codice fiscale and every system hold 1 January (two such namesakes born the same year
get the same code but for omocodia).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorRates:
    """Probabilities of each kind of clerk error in one system (see the module table)."""

    surname_typo: float
    first_name_typo: float
    second_name_dropped: float
    names_swapped: float
    names_swapped_foreign: float
    transliteration: float
    compound_surname: float
    accent: float
    cf_missing: float
    cf_missing_foreign: float
    cf_mistyped: float
    cf_of_relative: float
    birth_date_swapped: float
    birth_date_jan1: float
    birth_date_missing: float
    phone_format: float
    address_format: float
    duplicate: float


SAT = ErrorRates(
    surname_typo=0.03,
    first_name_typo=0.03,
    second_name_dropped=0.40,
    names_swapped=0.02,
    names_swapped_foreign=0.15,
    transliteration=0.30,
    compound_surname=0.35,
    accent=0.50,
    cf_missing=0.30,
    cf_missing_foreign=0.55,
    cf_mistyped=0.03,
    cf_of_relative=0.01,
    birth_date_swapped=0.02,
    birth_date_jan1=0.10,
    birth_date_missing=0.05,
    phone_format=0.60,
    address_format=0.0,
    duplicate=0.03,
)
ANAGRAFE = ErrorRates(
    surname_typo=0.002,
    first_name_typo=0.002,
    second_name_dropped=0.0,
    names_swapped=0.0,
    names_swapped_foreign=0.005,
    transliteration=0.02,
    compound_surname=0.02,
    accent=0.50,
    cf_missing=0.01,
    cf_missing_foreign=0.03,
    cf_mistyped=0.002,
    cf_of_relative=0.0,
    birth_date_swapped=0.001,
    birth_date_jan1=0.01,
    birth_date_missing=0.0,
    phone_format=0.0,
    address_format=0.0,
    duplicate=0.002,
)
POLIS = ErrorRates(
    surname_typo=0.02,
    first_name_typo=0.02,
    second_name_dropped=0.30,
    names_swapped=0.01,
    names_swapped_foreign=0.08,
    transliteration=0.25,
    compound_surname=0.40,
    accent=0.60,
    cf_missing=0.15,
    cf_missing_foreign=0.30,
    cf_mistyped=0.02,
    cf_of_relative=0.005,
    birth_date_swapped=0.01,
    birth_date_jan1=0.05,
    birth_date_missing=0.03,
    phone_format=0.50,
    address_format=0.50,
    duplicate=0.02,
)
VOLONTARIATO = ErrorRates(
    surname_typo=0.06,
    first_name_typo=0.06,
    second_name_dropped=0.60,
    names_swapped=0.05,
    names_swapped_foreign=0.25,
    transliteration=0.45,
    compound_surname=0.50,
    accent=0.70,
    cf_missing=0.75,
    cf_missing_foreign=0.90,
    cf_mistyped=0.05,
    cf_of_relative=0.02,
    birth_date_swapped=0.04,
    birth_date_jan1=0.15,
    birth_date_missing=0.20,
    phone_format=0.70,
    address_format=0.0,
    duplicate=0.06,
)
CONTABILITA = ErrorRates(
    surname_typo=0.01,
    first_name_typo=0.01,
    second_name_dropped=0.20,
    names_swapped=0.005,
    names_swapped_foreign=0.03,
    transliteration=0.10,
    compound_surname=0.25,
    accent=0.40,
    cf_missing=0.0,
    cf_missing_foreign=0.0,
    cf_mistyped=0.01,
    cf_of_relative=0.002,
    birth_date_swapped=0.005,
    birth_date_jan1=0.02,
    birth_date_missing=0.05,
    phone_format=0.0,
    address_format=0.60,
    duplicate=0.01,
)

DOCUMENTED_JAN1: dict[str, float] = {
    "IT": 0.0,
    "RO": 0.002,
    "AL": 0.01,
    "MA": 0.05,
    "CN": 0.005,
    "UA": 0.001,
    "PE": 0.005,
    "PH": 0.005,
    "SN": 0.10,
    "EG": 0.03,
    "BD": 0.08,
    "PK": 0.12,
}
"""Share of the people born abroad, by country of birth, whose documents give 1 January (the year only).

Where births were not registered at the time (rural Pakistan, Bangladesh, Senegal; older Moroccans),
passports and permits carry 1 January: in European registries 1 January is the birth date of several
per cent of the residents born in these countries against 1/365 (0.27%) expected, while it is barely
over-represented among Europeans, Chinese and Latin Americans. Rounded estimates, not counts."""

SYSTEM_RATES: dict[str, ErrorRates] = {
    "sat": SAT,
    "anagrafe": ANAGRAFE,
    "polis": POLIS,
    "volontariato": VOLONTARIATO,
    "contabilita": CONTABILITA,
}
"""System key -> its error rates."""
