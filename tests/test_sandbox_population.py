"""The true population: households, names, codici fiscali, addresses; and the clerks' error rates."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from datetime import date
from random import Random

import pytest
from codicefiscale import codicefiscale as cflib

from sandbox import messiness, name_pools, name_shapes, names
from sandbox.clock import START_DATE
from sandbox.messiness import Clerk
from sandbox.population import CfRegistry, Person, PopulationGenerator, base_code, fiscal_code, iban, is_omocode
from sandbox.rates import DOCUMENTED_JAN1, SYSTEM_RATES
from sandbox.world import COUNTER_START


@pytest.fixture(scope="module")
def households():
    gen = PopulationGenerator(Random("population-test"), START_DATE, dict(COUNTER_START), CfRegistry())
    return [gen.household() for _ in range(8000)]


@pytest.fixture(scope="module")
def people(households):
    return [p for h in households for p in h.members]


def test_fiscal_codes_match_the_library(people):
    sample = [p for p in people if p.codice_fiscale and not is_omocode(p.codice_fiscale)][:300]
    assert any(p.foreign_born for p in sample) and any(not p.foreign_born for p in sample)
    for p in sample:
        place = p.birth_place.title() if not p.foreign_born else names.ORIGINS[p.birth_country].cf_country
        assert p.codice_fiscale == cflib.encode(p.surname, p.first_name, p.sex, p.birth_date.isoformat(), place)


def test_colliding_people_get_the_omocodic_variant():
    registry = CfRegistry()
    a = Person(1, 1, "ROSSI", "MARIA", "F", date(1984, 2, 11), "FIRENZE", "IT", "IT", "IS")
    b = Person(2, 2, "ROSSI", "MARIA", "F", date(1984, 2, 11), "FIRENZE", "IT", "IT", "IS")
    first, second = registry.issue(a), registry.issue(b)
    assert first == "RSSMRA84B51D612" + first[-1] == fiscal_code("ROSSI", "MARIA", "F", date(1984, 2, 11), "Firenze")
    assert second != first and cflib.is_valid(second) and cflib.is_omocode(second)
    assert base_code(second) == first
    assert registry.omocodes == 1


def test_population_has_omocodes_and_unique_codes(people):
    codes = [p.codice_fiscale for p in people if p.codice_fiscale]
    assert len(codes) == len(set(codes))
    assert sum(is_omocode(c) for c in codes) >= 5


def test_some_foreign_born_people_have_only_a_provisional_code(people):
    provisional = [p for p in people if p.provisional_code]
    assert provisional and all(p.foreign_born and p.codice_fiscale is None for p in provisional)
    assert all(re.fullmatch(r"\d{11}", p.provisional_code) for p in provisional)


def test_ibans_have_valid_check_digits_and_national_cin():
    rng = Random(3)
    for _ in range(200):
        code = iban(rng)
        assert re.fullmatch(r"IT\d{2}[A-Z]\d{10}\d{12}", code)
        rearranged = code[4:] + code[:4]
        assert int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def test_household_structures(households):
    twins = father_son = spouses_apart = single_mothers = grandparents = sharing = multi = 0
    for h in households:
        roles = Counter(m.relation for m in h.members)
        head = h.members[0]
        kids = [m for m in h.members if m.relation == "FG"]
        births = Counter((k.birth_date, k.surname) for k in kids)
        if any(n >= 2 for n in births.values()):
            pair = [k for k in kids if births[(k.birth_date, k.surname)] >= 2]
            assert len({k.first_name for k in pair}) == len(pair)
            twins += 1
        if any(
            k.first_name == head.first_name and k.surname == head.surname and k.birth_date != head.birth_date
            for k in kids
        ):
            father_son += 1
        spouse = next((m for m in h.members if m.relation in ("CG", "CV")), None)
        if spouse and spouse.surname != head.surname:
            spouses_apart += 1
        if h.kind == "single_mother":
            assert head.sex == "F" and roles["IS"] == 1 and "CG" not in roles
            assert all(k.age(START_DATE) < 18 for k in kids)
            single_mothers += 1
        grandparents += roles["GE"]
        if h.address is not None and len(h.members) > 1:
            multi += 1
            sharing += max(Counter(m.phone for m in h.members).values()) >= 2
    assert twins >= 20 and father_son >= 20 and single_mothers >= 300 and grandparents >= 200
    assert sharing >= 0.6 * multi  # a household usually shares a phone
    assert spouses_apart >= 0.9 * sum(1 for h in households if any(m.relation == "CG" for m in h.members))


def test_names_origins_and_places(people, households):
    origins = Counter(h.origin for h in households)
    assert set(origins) == {"IT", *names.ORIGINS}
    surnames = {p.surname for p in people}
    assert {"DE LUCA", "D'ANGELO", "DELLA ROCCA"} <= surnames
    firsts = {p.first_name for p in people}
    assert {"MARIA GRAZIA", "GIAN MARCO"} <= firsts
    assert sum(p.foreign_born for p in people) > 0.2 * len(people)
    addresses = [h.address for h in households if h.address]
    assert all(re.fullmatch(r"501\d\d", a.cap) for a in addresses)
    assert {a.toponimo for a in addresses} == {
        "VIA",
        "VIALE",
        "PIAZZA",
        "BORGO",
        "LUNGARNO",
        "VICOLO",
        "CORSO",
        "LARGO",
    }
    assert any(a.civico.endswith("/R") for a in addresses)
    phones = [p.phone for p in people if p.phone]
    assert any(re.fullmatch(r"3\d{9}", x) for x in phones) and any(re.fullmatch(r"055\d{7}", x) for x in phones)


def test_messiness_variants():
    rng = Random(1)
    assert messiness.accent_as_apostrophe("NICCOLÒ") == "NICCOLO'"
    assert messiness.strip_accents("NICCOLÒ") == "NICCOLO"
    assert messiness.to_latin1("MUREȘAN NICCOLÒ") == "MURESAN NICCOLÒ"
    assert {messiness.compound_variant(rng, "DE LUCA") for _ in range(50)} >= {"DELUCA", "DE-LUCA"}
    assert {messiness.compound_variant(rng, "D'ANGELO") for _ in range(50)} >= {"DANGELO", "D ANGELO"}
    assert "MOHAMMED" in names.TRANSLITERATIONS["MOHAMED"] and "XIAO MING" in names.TRANSLITERATIONS["XIAOMING"]
    assert messiness.typo(rng, "ROSSI") != "ROSSI"


@pytest.mark.parametrize("system", sorted(SYSTEM_RATES))
def test_each_configured_rate_is_what_the_clerk_makes(system, households):
    clerk = Clerk(system, Random(f"rates-{system}"))
    for _ in range(3):
        for h in households:
            for p in h.members:
                clerk.names(p)
                clerk.codice_fiscale(p, h.members)
                clerk.birth_date(p)
                clerk.phone(p.phone)
                clerk.address(h.address)
                clerk.duplicate()
    rates = SYSTEM_RATES[system]
    measured = 0
    for kind, n in clerk.eligible.items():
        expected = getattr(rates, kind)
        realised = clerk.applied[kind] / n
        tolerance = 4 * math.sqrt(max(expected * (1 - expected), 1e-4) / n) + 0.002
        assert abs(realised - expected) <= tolerance, (kind, realised, expected, n)
        measured += n >= 200
    assert measured >= 15


def test_clerk_errors_are_the_ones_named(households):
    """A dropped second name keeps the first; a swap exchanges the fields; a Jan 1 date keeps the year."""
    clerk = Clerk("volontariato", Random(5))
    seen = defaultdict(int)
    for h in households[:3000]:
        for p in h.members:
            surname, first = clerk.names(p)
            if (surname, first) == (p.first_name, p.surname):
                seen["swap"] += 1
            if " " in p.first_name and first == p.first_name.split(" ")[0]:
                seen["second_name"] += 1
            d = clerk.birth_date(p)
            if d and d != p.birth_date:
                assert d.year == p.birth_date.year
                seen["date"] += 1
    assert min(seen.values()) >= 10 and len(seen) == 3


def test_name_pools_are_fixed_long_tailed_and_keep_the_hand_written_head():
    it = name_pools.surname_pool("IT")
    assert it.names[: len(name_shapes.FLORENCE_SURNAMES)] == name_shapes.FLORENCE_SURNAMES
    assert set(names.ITALIAN_SURNAMES) <= set(it.names[:100])  # particles, accents: in the head
    assert len(it.names) == name_shapes.ITALIAN_SURNAMES[0] and len(set(it.names)) == len(it.names)
    assert all(re.fullmatch(r"[A-Z' ÀÈÉÌÒÙ]+", n) for n in it.names[::1000])
    for origin in names.ORIGINS:
        assert set(names.ORIGINS[origin].surnames) <= set(name_pools.surname_pool(origin).names)
    # draws depend only on the generator's seed
    draw = lambda seed: [it.draw(Random(seed)) for _ in range(5)]  # noqa: E731
    assert draw(3) == draw(3)
    counts = Counter(it.draw(Random(7 + k)) for k in range(2000))
    assert counts.most_common(1)[0][1] < 25 and len(counts) > 1200


def test_italian_name_shapes_match_the_public_figures():
    shares = name_pools.surname_pool("IT").shares()
    assert shares[0] == max(shares) and 0.0035 <= shares[0] <= 0.006  # ROSSI, as in Florence
    assert 0.015 <= sum(shares[:10]) <= 0.035 and name_pools.surname_pool("IT").collision() < 5e-4
    for year in (1940, 1960, 1980, 1995, 2015):
        for sex in "MF":
            pool = name_pools.first_name_pool("IT", sex, year)
            top = pool.shares()
            assert 0.03 <= top[0] <= 0.07 and 0.35 <= sum(top[:30]) <= 0.55, (year, sex)
    # the commonest names follow the birth cohort
    assert name_pools.first_name_pool("IT", "M", 1940).names[0] == "GIUSEPPE"
    assert name_pools.first_name_pool("IT", "F", 1940).names[0] == "MARIA"
    assert name_pools.first_name_pool("IT", "M", 2015).names[0] == "LEONARDO"
    assert name_pools.first_name_pool("IT", "F", 2015).names[0] == "SOFIA"


def test_foreign_heads_are_heavy_as_documented():
    assert 0.10 <= name_pools.first_name_pool("EG", "M").share("MOHAMED") <= 0.20
    assert 0.10 <= name_pools.first_name_pool("PK", "M").share("MUHAMMAD") <= 0.20
    assert 0.25 <= sum(name_pools.surname_pool("CN").shares()[:5]) <= 0.32
    assert set(name_pools.surname_pool("CN").names[:5]) == {"HU", "CHEN", "ZHOU", "WANG", "ZHANG"}
    women = name_pools.surname_pool("BD", "F")
    assert women.names[:2] == ("AKTER", "KHATUN") and "AKTER" not in name_pools.surname_pool("BD", "M").names
    for origin in ("EG", "BD", "PK", "SN", "CN"):  # far more concentrated than Italian surnames
        assert name_pools.surname_pool(origin).collision() > 100 * name_pools.surname_pool("IT").collision()


def test_mohamed_among_egyptian_born_men_is_within_the_documented_share(people):
    men = [p for p in people if p.birth_country == "EG" and p.sex == "M"]
    share = name_pools.first_name_pool("EG", "M").share("MOHAMED")
    measured = sum(p.first_name == "MOHAMED" for p in men) / len(men)
    assert len(men) >= 150
    assert abs(measured - share) <= 4 * math.sqrt(share * (1 - share) / len(men))


def test_bangladeshi_women_bear_womens_surnames(households):
    women = [m for h in households if h.origin == "BD" for m in h.members if m.sex == "F"]
    female_only = set(names.ORIGINS["BD"].female_surnames)
    assert 0.3 <= sum(w.surname in female_only for w in women) / len(women) <= 0.55
    assert not any(m.surname in female_only for h in households if h.origin == "BD" for m in h.members if m.sex == "M")


def test_homonyms_grow_with_the_population(people):
    def shared(group, key):
        """Share of people whose key someone of another household bears too (a son named after his father
        is a namesake at any population size)."""
        households = defaultdict(set)
        for p in group:
            households[key(p)].add(p.household_id)
        return sum(len(households[key(p)]) > 1 for p in group) / len(group)

    full_name = lambda p: (p.surname, p.first_name)  # noqa: E731
    name_year = lambda p: (p.surname, p.first_name, p.birth_date.year)  # noqa: E731
    small, large = people[:2000], people
    assert len(large) >= 10 * len(small)
    assert shared(large, full_name) > 3 * shared(small, full_name) > 0
    # same name, same year, different days: different people a linker must keep apart
    days = defaultdict(set)
    for p in large:
        days[name_year(p)].add(p.birth_date)
    assert sum(len(d) >= 2 for d in days.values()) >= 2


def test_documented_first_of_january_births_at_the_configured_rates(people):
    born_abroad = [p for p in people if p.foreign_born]
    expected = sum(
        DOCUMENTED_JAN1[p.birth_country] + (1 - DOCUMENTED_JAN1[p.birth_country]) / 365.25 for p in born_abroad
    )
    measured = sum((p.birth_date.month, p.birth_date.day) == (1, 1) for p in born_abroad)
    assert abs(measured - expected) <= 4 * math.sqrt(expected) + 2
    for origin in ("PK", "SN", "BD"):
        group = [p for p in born_abroad if p.birth_country == origin]
        assert sum((p.birth_date.month, p.birth_date.day) == (1, 1) for p in group) / len(group) > 0.03
    italians = [p for p in people if not p.foreign_born]
    assert sum((p.birth_date.month, p.birth_date.day) == (1, 1) for p in italians) / len(italians) < 0.006
