"""What a system's clerk typed for a true value: errors drawn from ``rates.SYSTEM_RATES`` with a seeded RNG.

A ``Clerk`` belongs to one system. Each method takes a true value and returns the typed one,
counting per error kind how often the error was possible (``eligible``) and made (``applied``),
so that the realised rates can be reported and checked against the configured ones.
Names come back upper case; each system module applies its own casing.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import date
from random import Random

from sandbox import names, places
from sandbox.population import Address, Person
from sandbox.rates import SYSTEM_RATES

_LETTERS = "ABCDEFGHILMNOPRSTUVZ"
_CF_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ACCENTED = frozenset("ÀÈÉÌÒÙÁÍÓÚÇÏÜÂÊÔĂÂȘȚŞŢ")


def has_accent(text: str) -> bool:
    return any(c in _ACCENTED for c in text)


def strip_accents(text: str) -> str:
    """NICCOLÒ -> NICCOLO, MUREȘAN -> MURESAN."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def accent_as_apostrophe(text: str) -> str:
    """A final accented vowel becomes vowel + apostrophe (NICCOLÒ -> NICCOLO'); other accents are dropped."""
    words = []
    for w in text.split(" "):
        if w and w[-1] in "ÀÈÉÌÒÙ":
            w = strip_accents(w[:-1]) + strip_accents(w[-1]) + "'"
        words.append(strip_accents(w))
    return " ".join(words)


def to_latin1(text: str) -> str:
    """Keep latin-1 letters (Ò, Ç), strip accents latin-1 cannot encode (Ș, Ă)."""
    return "".join(c if ord(c) < 256 else strip_accents(c) for c in text)


def particle_of(surname: str) -> str | None:
    return next((p for p in names.PARTICLES if surname.startswith(p) and len(surname) > len(p) + 1), None)


def compound_variant(rng: Random, surname: str) -> str:
    """DE LUCA -> DELUCA / DE-LUCA; D'ANGELO -> DANGELO / D ANGELO / D' ANGELO."""
    particle = particle_of(surname)
    if particle is None:
        raise ValueError(f"{surname} starts with no particle (callers check particle_of first)")
    rest = surname[len(particle) :]
    head = particle.rstrip(" '")
    if particle.endswith("'"):
        return rng.choice((head + rest, head + " " + rest, particle + " " + rest))
    return rng.choice((head + rest, head + rest, head.replace(" ", "") + rest, head + "-" + rest))


def typo(rng: Random, text: str) -> str:
    """One keying error on a letter: substitution, deletion, transposition or doubling."""
    positions = [i for i, c in enumerate(text) if c.isalpha()]
    if len(positions) < 3:
        return text + rng.choice(_LETTERS)
    i = rng.choice(positions[1:])
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + rng.choice(_LETTERS.replace(text[i], "")) + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2 and i + 1 < len(text) and text[i + 1].isalpha() and text[i + 1] != text[i]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i] + text[i:]


def mistype_cf(rng: Random, code: str) -> str:
    """One character of the code replaced by another."""
    i = rng.randrange(16)
    return code[:i] + rng.choice(_CF_CHARS.replace(code[i], "")) + code[i + 1 :]


def phone_variant(rng: Random, digits: str) -> str:
    """The same number in another of the formats people write."""
    if digits.startswith("0"):
        return rng.choice(
            (f"{digits[:3]}/{digits[3:]}", f"{digits[:3]} {digits[3:]}", f"+39 {digits}", f"{digits[:3]}-{digits[3:]}")
        )
    return rng.choice(
        (
            f"+39 {digits[:3]} {digits[3:]}",
            f"{digits[:3]} {digits[3:]}",
            f"{digits[:3]}-{digits[3:]}",
            f"+39{digits}",
            f"0039 {digits}",
            f"{digits[:3]} {digits[3:6]} {digits[6:]}",
        )
    )


def address_line(address: Address, abbreviated: bool = False, rng: Random | None = None) -> str:
    """One-line address, ``Via dei Neri 12, 50122 Firenze``; ``abbreviated`` varies toponym, case and parts."""
    street = address.street.title().replace("Dell'", "dell'").replace("De' ", "de' ")
    for particle in (" Dei ", " Del ", " Delle ", " Della ", " Di ", " Da ", " La "):
        street = street.replace(particle, particle.lower())
    toponym = address.toponimo.title()
    civico = address.civico.lower() if address.civico.endswith("/R") else address.civico
    if not abbreviated:
        return f"{toponym} {street} {civico}, {address.cap} Firenze"
    if rng is None:
        raise ValueError("an abbreviated address line needs rng")
    toponym = rng.choice(places.TOPONYM_ABBREVIATIONS[address.toponimo] + (toponym,))
    style = rng.randrange(5)
    if style == 0:
        return f"{toponym} {street}, {civico} - {address.cap} Firenze"
    if style == 1:
        return f"{toponym} {street} n. {civico} Firenze"
    if style == 2:
        return f"{toponym} {street} {civico}".upper() + f" {address.cap} FIRENZE (FI)"
    if style == 3 and address.interno:
        return f"{toponym} {street} {civico} int. {address.interno}, {address.cap} Firenze"
    return f"{toponym} {street} {civico} Firenze"


class Clerk:
    """The data-entry habits of one system, with counters of the errors made."""

    def __init__(self, system: str, rng: Random):
        self.system = system
        self.rates = SYSTEM_RATES[system]
        self.rng = rng
        self.eligible: Counter[str] = Counter()
        self.applied: Counter[str] = Counter()

    def _hit(self, kind: str, rate: float) -> bool:
        self.eligible[kind] += 1
        if rate and self.rng.random() < rate:
            self.applied[kind] += 1
            return True
        return False

    def names(self, p: Person) -> tuple[str, str]:
        """(surname, first name) as typed, upper case."""
        r, rng = self.rates, self.rng
        surname, first = p.surname, p.first_name
        if " " in first and self._hit("second_name_dropped", r.second_name_dropped):
            first = first.split(" ")[0]
        variants = names.TRANSLITERATIONS
        if (surname in variants or first in variants) and self._hit("transliteration", r.transliteration):
            if surname in variants and (first not in variants or rng.random() < 0.5):
                surname = rng.choice(variants[surname])
            else:
                first = rng.choice(variants[first])
        if particle_of(surname) and self._hit("compound_surname", r.compound_surname):
            surname = compound_variant(rng, surname)
        if (has_accent(surname) or has_accent(first)) and self._hit("accent", r.accent):
            if self.system == "anagrafe" or rng.random() < 0.6:
                surname, first = accent_as_apostrophe(surname), accent_as_apostrophe(first)
            else:
                surname, first = strip_accents(surname), strip_accents(first)
        if self._hit("surname_typo", r.surname_typo):
            surname = typo(rng, surname)
        if self._hit("first_name_typo", r.first_name_typo):
            first = typo(rng, first)
        if p.foreign_born:
            swapped = self._hit("names_swapped_foreign", r.names_swapped_foreign)
        else:
            swapped = self._hit("names_swapped", r.names_swapped)
        return (first, surname) if swapped else (surname, first)

    def codice_fiscale(self, p: Person, relatives: list[Person]) -> str | None:
        """The CF as typed: missing, mistyped, a relative's, or right. People without one have none."""
        r = self.rates
        if p.codice_fiscale is None:
            return None
        missing = (
            self._hit("cf_missing_foreign", r.cf_missing_foreign)
            if p.foreign_born
            else self._hit("cf_missing", r.cf_missing)
        )
        if missing:
            return None
        others = [m.codice_fiscale for m in relatives if m.codice_fiscale and m is not p]
        if others and self._hit("cf_of_relative", r.cf_of_relative):
            return self.rng.choice(others)
        if self._hit("cf_mistyped", r.cf_mistyped):
            return mistype_cf(self.rng, p.codice_fiscale)
        return p.codice_fiscale

    def birth_date(self, p: Person) -> date | None:
        r, d = self.rates, p.birth_date
        if self._hit("birth_date_missing", r.birth_date_missing):
            return None
        if p.foreign_born and (d.month, d.day) != (1, 1) and self._hit("birth_date_jan1", r.birth_date_jan1):
            return date(d.year, 1, 1)
        if d.day <= 12 and d.day != d.month and self._hit("birth_date_swapped", r.birth_date_swapped):
            return date(d.year, d.day, d.month)
        return d

    def phone(self, digits: str | None) -> str | None:
        if digits is None:
            return None
        if self._hit("phone_format", self.rates.phone_format):
            return phone_variant(self.rng, digits)
        return digits

    def address(self, address: Address | None) -> str | None:
        if address is None:
            return None
        return address_line(address, self._hit("address_format", self.rates.address_format), self.rng)

    def duplicate(self) -> bool:
        """Whether this person gets a second record in the system (a clerk did not find the first)."""
        return self._hit("duplicate", self.rates.duplicate)
