"""True people in households: names by origin, birth data, codici fiscali, Florence addresses, phones, IBANs.

``PopulationGenerator.household()`` draws one household from a seeded ``random.Random``;
``CfRegistry`` issues codici fiscali (built from python-codicefiscale's parts, cached per name
and birthplace) and gives the later of two colliding people the omocodic variant.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from random import Random

from codicefiscale import codicefiscale as cflib

from sandbox import name_pools, names, places
from sandbox.rates import DOCUMENTED_JAN1

ITALY = "IT"
FLORENCE = "FIRENZE"

_MONTH_CODES = "ABCDEHLMPRST"
_OMOCODE_POSITIONS = (14, 13, 12, 10, 9, 7, 6)
_OMOCODE_LETTERS = str.maketrans("0123456789", "LMNPQRSTUV")

_ORIGIN_WEIGHTS = (
    ("IT", 64),
    ("RO", 7),
    ("AL", 5),
    ("MA", 5),
    ("CN", 3),
    ("UA", 3),
    ("PE", 3),
    ("PH", 2),
    ("SN", 2),
    ("EG", 2),
    ("BD", 2),
    ("PK", 2),
)
"""Origin of a household (share of households, in percent): about a third of the agency's beneficiaries
are of foreign origin, led by Florence's largest communities (Romanian, Albanian, Moroccan, Chinese,
Peruvian, Filipino, Ukrainian, Egyptian, Bangladeshi, Senegalese, Pakistani)."""
_KIND_WEIGHTS = (
    ("single", 22),
    ("couple", 10),
    ("family", 30),
    ("single_mother", 10),
    ("three_generations", 8),
    ("elderly", 12),
    ("homeless", 4),
)
_MOBILE_PREFIXES = (
    "320",
    "324",
    "327",
    "328",
    "329",
    "330",
    "333",
    "334",
    "335",
    "338",
    "339",
    "340",
    "342",
    "345",
    "347",
    "348",
    "349",
    "350",
    "351",
    "366",
    "380",
    "388",
    "389",
    "391",
    "392",
    "393",
)
_BANK_ABI = ("03069", "02008", "05034", "01030", "06230", "07601", "03032", "08673", "05387", "03111")
_MAIL_DOMAINS = ("gmail.com", "libero.it", "hotmail.it", "yahoo.it", "outlook.com", "virgilio.it")
_BBAN_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)


@dataclass(slots=True)
class Address:
    toponimo: str
    street: str
    civico: str
    interno: str
    cap: str


@dataclass(slots=True)
class Person:
    """A true person: what an ideal registry would know."""

    person_id: int
    household_id: int
    surname: str
    first_name: str  # second names included, space separated
    sex: str  # "M" / "F"
    birth_date: date
    birth_place: str  # comune for Italian-born, city for foreign-born
    birth_country: str  # ISO 3166-1 alpha-2
    citizenship: str  # ISO 3166-1 alpha-2
    relation: str  # anagrafe code: IS, CG, CV, FG, GE
    codice_fiscale: str | None = None
    provisional_code: str | None = None  # 11-digit numeric code of people without a CF
    phone: str | None = None  # digits only, as the true number
    email: str | None = None
    iban: str | None = None

    @property
    def foreign_born(self) -> bool:
        return self.birth_country != ITALY

    def age(self, today: date) -> int:
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


@dataclass(slots=True)
class Household:
    household_id: int
    kind: str
    origin: str
    address: Address | None  # None for homeless people
    phone: str | None
    registered: bool  # known to the residence registry
    members: list[Person] = field(default_factory=list)


def country_name(iso2: str) -> str:
    """Italian country name, upper case (ITALIA, ROMANIA...)."""
    return "ITALIA" if iso2 == ITALY else names.ORIGINS[iso2].country_it


@cache
def _surname_code(surname: str) -> str:
    return cflib.encode_lastname(surname)


@cache
def _first_name_code(first_name: str) -> str:
    return cflib.encode_firstname(first_name)


@cache
def _place_code(place: str) -> str:
    code = cflib.encode_birthplace(place)
    if code is None:  # the library raises for an unknown place, though it annotates str | None
        raise ValueError(f"no birthplace code for {place}")
    return code


def fiscal_code(surname: str, first_name: str, sex: str, birth_date: date, cf_place: str) -> str:
    """The (non-omocodic) codice fiscale, identical to ``codicefiscale.encode`` but ~50x faster (cached parts)."""
    day = birth_date.day + (40 if sex == "F" else 0)
    code = (
        f"{_surname_code(surname)}{_first_name_code(first_name)}{birth_date.year % 100:02d}"
        f"{_MONTH_CODES[birth_date.month - 1]}{day:02d}{_place_code(cf_place)}"
    )
    return code + cflib.encode_cin(code)


def omocode(code: str, level: int) -> str:
    """The omocodic variant of ``code`` with its ``level`` rightmost digits replaced by letters."""
    chars = list(code[:15])
    for pos in _OMOCODE_POSITIONS[:level]:
        chars[pos] = chars[pos].translate(_OMOCODE_LETTERS)
    body = "".join(chars)
    return body + cflib.encode_cin(body)


class CfRegistry:
    """Issues codici fiscali; a code already issued to someone else is replaced by its next omocodic variant."""

    def __init__(self, taken: Iterable[str] = ()):
        self.taken = set(taken)
        self.omocodes = 0

    def issue(self, person: Person) -> str:
        place = (
            person.birth_place.title() if not person.foreign_born else names.ORIGINS[person.birth_country].cf_country
        )
        base = fiscal_code(person.surname, person.first_name, person.sex, person.birth_date, place)
        code, level = base, 0
        while code in self.taken:
            level += 1
            code = omocode(base, level)
        if level:
            self.omocodes += 1
        self.taken.add(code)
        return code


def iban(rng: Random) -> str:
    """A realistic Italian IBAN: valid national CIN letter and valid ISO 13616 check digits."""
    bban = rng.choice(_BANK_ABI) + f"{rng.randrange(100000):05d}" + f"{rng.randrange(10**12):012d}"
    total = sum((_BBAN_ODD[int(c)] if i % 2 == 0 else int(c)) for i, c in enumerate(bban))
    bban = chr(65 + total % 26) + bban
    numeric = "".join(str(int(c, 36)) for c in bban + "IT00")
    return f"IT{98 - int(numeric) % 97:02d}{bban}"


def mobile_number(rng: Random) -> str:
    """An Italian mobile number, digits only (3331234567)."""
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _weighted(rng: Random, table: tuple[tuple[str, int], ...]) -> str:
    x = rng.random() * sum(w for _, w in table)
    for key, w in table:
        x -= w
        if x < 0:
            return key
    return table[-1][0]


class PopulationGenerator:
    """Draws true households one at a time; ids come from ``counters`` (mutated in place)."""

    def __init__(self, rng: Random, today: date, counters: dict[str, int], cf_registry: CfRegistry):
        self.rng = rng
        self.today = today
        self.counters = counters
        self.cfs = cf_registry
        self._recent: list[Person] = []  # candidates for explicit homonyms (omocodia)
        self._it_places = tuple(p for p, _ in names.ITALIAN_BIRTHPLACES)
        self._it_weights = tuple(w for _, w in names.ITALIAN_BIRTHPLACES)

    def _next(self, key: str) -> int:
        self.counters[key] += 1
        return self.counters[key]

    # --- attributes -------------------------------------------------------------------------------------
    def _birth(self, min_age: int, max_age: int) -> date:
        days = self.rng.randrange(min_age * 365 + 1, max_age * 365 + 365)
        return date.fromordinal(self.today.toordinal() - days)

    def _first_name(self, origin: str, sex: str, birth: date) -> str:
        return name_pools.first_name_pool(origin, sex, birth.year).draw(self.rng)

    def _surname(self, origin: str, sex: str) -> str:
        return name_pools.surname_pool(origin, sex).draw(self.rng)

    def _person(
        self,
        h: Household,
        origin: str,
        sex: str,
        birth: date,
        relation: str,
        surname: str | None = None,
        first_name: str | None = None,
        born_abroad: bool | None = None,
    ) -> Person:
        rng = self.rng
        if born_abroad is None:
            born_abroad = origin != ITALY
        if born_abroad:
            birth_country, birth_place = origin, rng.choice(names.ORIGINS[origin].cities)
            if rng.random() < DOCUMENTED_JAN1[origin]:  # documents with the year only: 1 January everywhere
                birth = date(birth.year, 1, 1)
        else:
            birth_country = ITALY
            birth_place = FLORENCE if origin != ITALY else rng.choices(self._it_places, self._it_weights)[0]
        citizenship = ITALY if origin == ITALY or rng.random() < 0.12 else origin
        p = Person(
            self._next("person"),
            h.household_id,
            surname or self._surname(origin, sex),
            first_name or self._first_name(origin, sex, birth),
            sex,
            birth,
            birth_place,
            birth_country,
            citizenship,
            relation,
        )
        self._identify(p, h)
        self._contacts(p, h)
        h.members.append(p)
        return p

    def _identify(self, p: Person, h: Household) -> None:
        has_cf = not p.foreign_born or self.rng.random() < (0.95 if h.registered else 0.4)
        if has_cf:
            p.codice_fiscale = self.cfs.issue(p)
        elif self.rng.random() < 0.5:
            p.provisional_code = f"{self.rng.randrange(10**10, 10**11)}"

    def _contacts(self, p: Person, h: Household) -> None:
        rng = self.rng
        age = p.age(self.today)
        if age >= 14 and rng.random() < (0.88 if age >= 18 else 0.6):
            p.phone = mobile_number(rng)
        else:
            p.phone = h.phone
        if age >= 18 and rng.random() < 0.4:
            p.email = (
                f"{_ascii(p.first_name.split()[0]).lower()}.{_ascii(p.surname).replace(' ', '').replace(chr(39), '').lower()}"
                f"{rng.randrange(100) if rng.random() < 0.5 else ''}@{rng.choice(_MAIL_DOMAINS)}"
            )
        if age >= 18 and rng.random() < (0.75 if h.registered else 0.3):
            p.iban = iban(rng)

    # --- households ---------------------------------------------------------------------------------------
    def household(self) -> Household:
        """One true household with its members (head first)."""
        rng = self.rng
        kind = _weighted(rng, _KIND_WEIGHTS)
        origin = _weighted(rng, _ORIGIN_WEIGHTS)
        homeless = kind == "homeless"
        registered = not homeless and (origin == ITALY or rng.random() < 0.8)
        address = None if homeless else random_address(rng)
        phone = None if homeless else ("055" + f"{rng.randrange(10**6, 10**7)}" if rng.random() < 0.35 else None)
        h = Household(self._next("household"), kind, origin, address, phone, registered)
        getattr(self, "_" + kind)(h)
        if h.phone is None and not homeless:
            h.phone = next((m.phone for m in h.members if m.phone), None)
            for m in h.members:
                m.phone = m.phone or h.phone
        self._recent = (self._recent + h.members)[-50:]
        return h

    def _single(self, h: Household) -> None:
        if self._recent and self.rng.random() < 0.01:
            # A homonym of someone already issued a code: same name, sex, birth date and place -> omocodia.
            twin_of = self.rng.choice(self._recent)
            p = Person(
                self._next("person"),
                h.household_id,
                twin_of.surname,
                twin_of.first_name,
                twin_of.sex,
                twin_of.birth_date,
                twin_of.birth_place,
                twin_of.birth_country,
                twin_of.citizenship,
                "IS",
            )
            p.codice_fiscale = self.cfs.issue(p)
            self._contacts(p, h)
            h.members.append(p)
            return
        self._person(h, h.origin, self.rng.choice("MF"), self._birth(20, 85), "IS")

    def _homeless(self, h: Household) -> None:
        self._person(h, h.origin, "M" if self.rng.random() < 0.8 else "F", self._birth(20, 70), "IS")

    def _couple(self, h: Household, min_age: int = 22, max_age: int = 60) -> tuple[Person, Person]:
        rng = self.rng
        head = self._person(h, h.origin, "M", self._birth(min_age, max_age), "IS")
        spouse_origin = h.origin if rng.random() < 0.94 else rng.choice(("IT", "RO", "AL", "UA", "PE"))
        spouse_age = max(19, head.age(self.today) + rng.randrange(-8, 4))
        spouse = self._person(
            h, spouse_origin, "F", self._birth(spouse_age, spouse_age), "CG" if rng.random() < 0.8 else "CV"
        )  # she keeps her own surname
        return head, spouse

    def _children(self, h: Household, father: Person | None, mother: Person, max_age: int) -> None:
        rng = self.rng
        surname = father.surname if father else mother.surname
        origin = h.origin
        own_surnames = origin in names.ORIGINS and bool(names.ORIGINS[origin].female_surnames)
        mother_age = mother.age(self.today)
        n = rng.choice((1, 1, 2, 2, 2, 3))
        namesake = father is not None and rng.random() < 0.12
        used: set[str] = set()
        for i in range(n):
            age = rng.randrange(0, max(1, min(max_age, mother_age - 18) + 1))
            birth = self._birth(age, age)
            sex = rng.choice("MF")
            first = None
            if namesake and sex == "M" and father is not None:
                first, namesake = father.first_name, False  # a son named after his father
            first = first or self._unused_name(origin, sex, birth, used)
            used.add(first)
            born_abroad = origin != ITALY and rng.random() < 0.4
            # where women bear women's surnames (AKTER, BIBI), a daughter gets her own, not her father's,
            # and a single mother's son a man's surname
            family = None if own_surnames and (sex == "F" or father is None) else surname
            child = self._person(h, origin, sex, birth, "FG", family, first, born_abroad)
            if i == 0 and rng.random() < 0.08:  # twins: same birth date and surname
                sex2 = rng.choice("MF")
                name2 = self._unused_name(origin, sex2, child.birth_date, used)
                used.add(name2)
                family2 = None if own_surnames and (sex2 == "F" or father is None) else surname
                self._person(h, origin, sex2, child.birth_date, "FG", family2, name2, born_abroad)

    def _unused_name(self, origin: str, sex: str, birth: date, used: set[str]) -> str:
        for _ in range(20):
            name = self._first_name(origin, sex, birth)
            if name not in used:
                return name
        return name

    def _family(self, h: Household) -> None:
        head, spouse = self._couple(h, 28, 58)
        self._children(h, head, spouse, 25)

    def _single_mother(self, h: Household) -> None:
        mother = self._person(h, h.origin, "F", self._birth(20, 48), "IS")
        self._children(h, None, mother, 17)

    def _three_generations(self, h: Household) -> None:
        head, spouse = self._couple(h, 30, 55)
        self._children(h, head, spouse, 20)
        grand_age = min(98, head.age(self.today) + self.rng.randrange(22, 36))
        self._person(
            h,
            h.origin,
            self.rng.choice("MF"),
            self._birth(grand_age, grand_age),
            "GE",
            surname=head.surname if self.rng.random() < 0.5 else None,
        )

    def _elderly(self, h: Household) -> None:
        if self.rng.random() < 0.55:
            self._couple(h, 65, 90)
        else:
            self._person(h, h.origin, "F" if self.rng.random() < 0.65 else "M", self._birth(65, 95), "IS")


def is_omocode(code: str) -> bool:
    return any(code[i].isalpha() for i in _OMOCODE_POSITIONS)


def base_code(code: str) -> str:
    """The original code of an omocodic one (letters back to digits, CIN recomputed)."""
    digits = str.maketrans("LMNPQRSTUV", "0123456789")
    chars = list(code[:15])
    for pos in _OMOCODE_POSITIONS:
        chars[pos] = chars[pos].translate(digits)
    body = "".join(chars)
    return body + cflib.encode_cin(body)


def random_address(rng: Random) -> Address:
    """A Florence address; historic-centre numbers are sometimes red (``12/R``)."""
    toponimo, street, cap = rng.choice(places.STREETS)
    civico = str(rng.randrange(1, 160))
    x = rng.random()
    if cap in places.CENTRE_CAPS and x < 0.2:
        civico += "/R"
    elif x < 0.06:
        civico += rng.choice("ABC")
    interno = str(rng.randrange(1, 16)) if rng.random() < 0.6 else ""
    return Address(toponimo, street, civico, interno, cap)
