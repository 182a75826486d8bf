"""Weighted name pools of the synthetic population: how often each first name and surname occurs.

A city's names are not a short list drawn uniformly. Surnames have a long tail (Italy has some 350,000
of them; the commonest, ROSSI, is about 0.15% of the people) and first names a steeper head (the
commonest male names are 2-4% each). Each pool here is the hand-written list of sandbox/names.py at
its head (the names with particles, accents, compound forms and known transliterations) followed by a
generated tail built the way the names of its origin are built (Italian stem + patronymic suffix:
BRANDOLINI, FORTUNATI; Romanian -ESCU, Ukrainian -ENKO, Albanian -AJ...), ranked by a fixed shuffle and
weighted by a Zipf law ``rank ** -exponent``. The pools are fixed (their own seed), so a world depends
only on its seed.

Figures (``collision``: the chance that two people of the origin share the name; for Italian
surnames about 3e-4, i.e. two Italian-born beneficiaries of the same sex share a full name with
probability ~4e-6): `python -m sandbox.name_pools` prints them.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from functools import cache
from random import Random

from sandbox import names

POOL_SEED = 20261125


@dataclass(frozen=True)
class Pool:
    """Names with cumulative weights; `draw` picks one by weight."""

    names: tuple[str, ...]
    cum_weights: tuple[float, ...]

    def draw(self, rng: Random) -> str:
        return self.names[bisect.bisect_right(self.cum_weights, rng.random() * self.cum_weights[-1])]

    def share(self, name: str) -> float:
        i = self.names.index(name)
        return (self.cum_weights[i] - (self.cum_weights[i - 1] if i else 0.0)) / self.cum_weights[-1]

    def collision(self) -> float:
        """Probability that two independent draws give the same name (sum of squared shares)."""
        total = self.cum_weights[-1]
        prev, s = 0.0, 0.0
        for c in self.cum_weights:
            s += ((c - prev) / total) ** 2
            prev = c
        return s


def zipf_pool(head: tuple[str, ...], tail: list[str], size: int, exponent: float) -> Pool:
    """`head` first, then `tail` (already in rank order) without repeats, up to `size` names."""
    seen, ranked = set(), []
    for name in itertools.chain(head, tail):
        if name not in seen:
            seen.add(name)
            ranked.append(name)
        if len(ranked) == size:
            break
    cum = list(itertools.accumulate((r + 1) ** -exponent for r in range(len(ranked))))
    return Pool(tuple(ranked), tuple(cum))


def _shuffled(items: list[str], salt: str) -> list[str]:
    items = sorted(set(items))
    Random(f"{POOL_SEED}:{salt}").shuffle(items)
    return items


def _join(stem: str, suffix: str) -> str:
    """Italian spelling: a hard C/G before I/E keeps its sound with an H (BIANC + INI -> BIANCHINI)."""
    if stem[-1] in "CG" and suffix[:1] in ("I", "E") and not stem.endswith(("SC", "CC", "GG")):
        return f"{stem}H{suffix}"
    return stem + suffix


def _stems(onsets: str, vowels: str, codas: str) -> list[str]:
    return [o + v + c for o in onsets.split() for v in vowels.split() for c in codas.split()]


# --- generators of each origin's tail ---------------------------------------------------------------------
_IT_STEMS = _stems(
    "B C D F G L M N P R S T V BR CR FR GR PR TR ST SC",
    "A E I O U",
    "L LL N NN R RR T TT S SS NT RD RT ST CC ND LD MB RN",
)
_IT_SUFFIXES = (
    "I",
    "INI",
    "ELLI",
    "ETTI",
    "UCCI",
    "ACCI",
    "OTTI",
    "ONI",
    "ONE",
    "IELLO",
    "ATI",
    "ESI",
    "ERI",
    "OLI",
    "UZZI",
    "ANTI",
    "O",
    "A",
    "ARI",
    "IGNI",
)


def _italian_surnames() -> list[str]:
    plain = [_join(s, x) for s in _IT_STEMS for x in _IT_SUFFIXES]
    ranked = _shuffled(plain, "it-surname")
    # about one in twenty with a particle (DI BARTOLO, DEL FORTE), as in the hand list
    rng = Random(f"{POOL_SEED}:it-particle")
    return [
        f"{rng.choice(('DI ', 'DE ', 'DEL ', 'LO '))}{n}" if rng.random() < 0.05 and n[-1] in "OAEI" else n
        for n in ranked
    ]


def _suffixed(onsets: str, vowels: str, codas: str, suffixes: tuple[str, ...], salt: str) -> list[str]:
    return _shuffled([s + x for s in _stems(onsets, vowels, codas) for x in suffixes], salt)


def _moroccan_surnames() -> list[str]:
    roots = [
        o + v + c
        for o in ("B", "H", "K", "M", "R", "S", "T", "Z", "CH", "KH", "GH", "L", "N", "D", "F")
        for v in ("A", "I", "OU")
        for c in ("L", "R", "M", "D", "B", "N", "Z", "S", "T", "K")
    ]
    out = []
    for root in roots:
        out += [f"EL {root}I", f"BEN{root}", f"{root}I", f"{root}AOUI", f"AIT {root}"]
    return _shuffled(out, "ma")


def _chinese_given(syllables: tuple[str, ...], salt: str) -> list[str]:
    return _shuffled([a + b for a in syllables for b in syllables if a != b] + list(syllables), salt)


_CN_MALE_SYL = (
    "WEI",
    "JUN",
    "HAO",
    "JIAN",
    "MING",
    "QIANG",
    "LEI",
    "YONG",
    "JIE",
    "TAO",
    "PENG",
    "BO",
    "CHENG",
    "GANG",
    "HUA",
    "GUO",
    "LONG",
    "ZHI",
    "XIAO",
    "FENG",
    "HUI",
    "BIN",
    "KAI",
    "LIANG",
)
_CN_FEMALE_SYL = (
    "LI",
    "MEI",
    "YAN",
    "JING",
    "LING",
    "XIU",
    "LAN",
    "HONG",
    "YING",
    "HUI",
    "FANG",
    "XIAO",
    "NA",
    "QIAN",
    "JUAN",
    "XIA",
    "YUN",
    "LIN",
    "DAN",
    "PING",
    "YU",
    "ZHEN",
    "QIN",
    "WEN",
)

# real surnames of origins whose surnames are few and shared by many (Chinese, Senegalese, Hispanic)
_CN_SURNAMES = (
    "LI",
    "LIU",
    "YANG",
    "ZHAO",
    "SUN",
    "MA",
    "ZHU",
    "GUO",
    "HE",
    "GAO",
    "LUO",
    "LIANG",
    "XIE",
    "SONG",
    "TANG",
    "HAN",
    "FENG",
    "DENG",
    "CAO",
    "PENG",
    "ZENG",
    "XIAO",
    "TIAN",
    "DONG",
    "YUAN",
    "CAI",
    "JIANG",
    "YU",
    "DU",
    "CHENG",
    "WEI",
    "SU",
    "LU",
    "DING",
    "REN",
    "SHEN",
    "YAO",
    "FU",
    "ZHONG",
    "CUI",
    "QIU",
    "JI",
    "MIAO",
    "LAI",
    "SHI",
    "QIAN",
    "KONG",
    "MAO",
    "DAI",
    "FANG",
)
_SN_SURNAMES = (
    "BA",
    "KANE",
    "SY",
    "DIENG",
    "TOURE",
    "CAMARA",
    "NIANG",
    "WADE",
    "SALL",
    "DIAGNE",
    "MBENGUE",
    "KA",
    "DIA",
    "LO",
    "GAYE",
    "SENE",
    "SAMB",
    "NDOYE",
    "DIATTA",
    "BADJI",
    "MANE",
    "TALL",
    "NDAO",
    "BEYE",
    "DIAW",
    "POUYE",
    "DIOUM",
    "NDIAYE",
    "KEBE",
    "DRAME",
    "SAKHO",
    "LY",
    "DEME",
    "SOUMARE",
)
_HISPANIC_SURNAMES = (
    "LOPEZ",
    "GONZALEZ",
    "PEREZ",
    "DIAZ",
    "ROJAS",
    "CRUZ",
    "ROMERO",
    "GUTIERREZ",
    "MORALES",
    "HERRERA",
    "MEDINA",
    "AGUILAR",
    "VASQUEZ",
    "SALAZAR",
    "CASTRO",
    "ORTIZ",
    "RUIZ",
    "SILVA",
    "NUNEZ",
    "ESPINOZA",
    "CORDOVA",
    "PAREDES",
    "LEON",
    "VEGA",
    "CARDENAS",
    "HUAMANI",
    "CONDORI",
    "PALOMINO",
    "POMA",
    "TICONA",
    "GUERRERO",
    "NAVARRO",
    "CABRERA",
    "CAMPOS",
    "DELGADO",
    "FERNANDEZ",
    "JIMENEZ",
    "MARTINEZ",
    "ALVAREZ",
    "SOTO",
    "ROSALES",
    "MIRANDA",
    "PACHECO",
    "QUISPE",
    "CHOQUE",
    "ACOSTA",
    "BENITES",
    "LUNA",
    "ARIAS",
    "VILLEGAS",
    "FIGUEROA",
    "CAMACHO",
    "ESPINOSA",
    "PASCUAL",
    "DOMINGO",
    "SANTIAGO",
    "AQUINO",
    "NAVARRO",
    "VILLAREAL",
    "SORIANO",
    "SALVADOR",
    "DIMACULANGAN",
    "MALLARI",
    "DIZON",
    "TOLENTINO",
    "LACSON",
    "CAPUNO",
    "LAGMAN",
    "MANALANG",
    "PANGILINAN",
    "SISON",
    "TAN",
    "LIM",
    "GO",
    "CRUZADO",
    "ESTRADA",
    "FRANCISCO",
)

_FIRST_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "IT": (
        (
            "ALBERTO",
            "ALDO",
            "ANGELO",
            "ARMANDO",
            "BRUNO",
            "CARLO",
            "CESARE",
            "CORRADO",
            "CRISTIANO",
            "DANIELE",
            "DARIO",
            "DIEGO",
            "DOMENICO",
            "EDOARDO",
            "ELIA",
            "ENZO",
            "ETTORE",
            "FABRIZIO",
            "FEDERICO",
            "FRANCO",
            "GABRIELE",
            "GIACOMO",
            "GIANNI",
            "GIORGIO",
            "GIULIO",
            "GREGORIO",
            "IGNAZIO",
            "LIVIO",
            "LUIGI",
            "MASSIMO",
            "MAURIZIO",
            "MAURO",
            "MICHELE",
            "MIRKO",
            "NICOLA",
            "OTTAVIO",
            "PASQUALE",
            "PIERO",
            "RAFFAELE",
            "RENATO",
            "RENZO",
            "ROCCO",
            "ROMANO",
            "SALVATORE",
            "SAMUELE",
            "SANDRO",
            "SAVERIO",
            "SILVIO",
            "TIZIANO",
            "UGO",
            "UMBERTO",
            "VALERIO",
            "VINCENZO",
            "VITTORIO",
            "WALTER",
            "ALESSIO",
            "CHRISTIAN",
            "GIANCARLO",
            "GIANFRANCO",
            "LAPO",
            "NERI",
            "BERNARDO",
            "FOLCO",
            "OSCAR",
            "IVO",
            "IVANO",
            "ADRIANO",
            "ALFREDO",
            "ARTURO",
            "ATTILIO",
            "BENEDETTO",
            "CARMINE",
            "COSIMO",
            "EMILIO",
            "ERMANNO",
            "EUGENIO",
            "FAUSTO",
            "FLAVIO",
            "GERMANO",
            "LUCIANO",
            "MARCELLO",
            "NELLO",
            "ORLANDO",
            "REMO",
            "RODOLFO",
            "SEBASTIANO",
            "SILVANO",
            "TULLIO",
            "VASCO",
            "AMEDEO",
            "ARNALDO",
            "DINO",
            "ELIO",
            "FERRUCCIO",
            "GUGLIELMO",
            "OLIVIERO",
        ),
        (
            "ALICE",
            "ANGELA",
            "ANTONELLA",
            "AURORA",
            "BIANCA",
            "CAMILLA",
            "CARLA",
            "CECILIA",
            "CLAUDIA",
            "DANIELA",
            "DONATELLA",
            "EMMA",
            "ERICA",
            "FRANCA",
            "GAIA",
            "GINEVRA",
            "GIOVANNA",
            "GIUSEPPINA",
            "GRAZIA",
            "IRENE",
            "ISABELLA",
            "LISA",
            "LORENZA",
            "LUISA",
            "MARGHERITA",
            "MARINA",
            "MARTA",
            "MATILDE",
            "MICHELA",
            "MONICA",
            "NADIA",
            "NICOLETTA",
            "ORNELLA",
            "PATRIZIA",
            "RAFFAELLA",
            "REBECCA",
            "RENATA",
            "RITA",
            "ROBERTA",
            "ROSSELLA",
            "SABRINA",
            "SERENA",
            "SOFIA",
            "STEFANIA",
            "TERESA",
            "TIZIANA",
            "VALERIA",
            "VERONICA",
            "VIOLA",
            "ADA",
            "AGNESE",
            "ALBA",
            "ANNALISA",
            "ASSUNTA",
            "BRUNA",
            "CARMELA",
            "CINZIA",
            "CONCETTA",
            "DEBORA",
            "DIANA",
            "EDDA",
            "ELEONORA",
            "EMANUELA",
            "FIAMMETTA",
            "FIORELLA",
            "GEMMA",
            "GLORIA",
            "IDA",
            "IOLANDA",
            "LAVINIA",
            "LICIA",
            "LOREDANA",
            "LUCIANA",
            "MADDALENA",
            "MARISA",
            "MIRELLA",
            "NORMA",
            "OLGA",
            "PIERA",
            "ROSANNA",
            "SANDRA",
            "SONIA",
            "TOSCA",
            "VANDA",
            "VIRGINIA",
        ),
    ),
    "RO": (
        (
            "NICOLAE",
            "IOAN",
            "DANIEL",
            "MARIUS",
            "CRISTIAN",
            "BOGDAN",
            "CATALIN",
            "VALENTIN",
            "SORIN",
            "LUCIAN",
            "OVIDIU",
            "PETRU",
            "RAZVAN",
            "STEFAN",
            "VIOREL",
            "EMIL",
            "CLAUDIU",
            "DORIN",
            "TUDOR",
            "ROBERT",
            "LIVIU",
            "SILVIU",
            "COSMIN",
            "DRAGOS",
        ),
        (
            "DANIELA",
            "CAMELIA",
            "MONICA",
            "CORINA",
            "LAURA",
            "OANA",
            "ROXANA",
            "SIMONA",
            "DIANA",
            "ADRIANA",
            "CARMEN",
            "LILIANA",
            "VIORICA",
            "MIRELA",
            "GEORGIANA",
            "ANCA",
            "IULIANA",
            "LUMINITA",
            "RODICA",
            "NICOLETA",
            "DELIA",
            "LAVINIA",
            "ALEXANDRA",
            "BIANCA",
        ),
    ),
    "AL": (
        (
            "ALTIN",
            "ARTAN",
            "BLEDAR",
            "DRITON",
            "EDMOND",
            "ERION",
            "FATOS",
            "GEZIM",
            "KLEVIS",
            "LULZIM",
            "MARJAN",
            "NERTIL",
            "ORGES",
            "PETRIT",
            "REDON",
            "SAIMIR",
            "SOKOL",
            "TEUTA",
            "VALMIR",
            "XHEVAT",
            "AGRON",
            "BUJAR",
            "DASHNOR",
            "ENEA",
        ),
        (
            "ALMA",
            "ANXHELA",
            "BESA",
            "DRITA",
            "EGLANTINA",
            "ELIRA",
            "ENTELA",
            "FLUTURA",
            "GENTIANA",
            "IRIS",
            "JULIANA",
            "LEDIA",
            "LULE",
            "MANJOLA",
            "MIMOZA",
            "ORNELA",
            "SUELA",
            "VJOLLCA",
            "XHENI",
            "ZANA",
            "ALBANA",
            "BORA",
            "DAFINA",
            "ERJONA",
        ),
    ),
    "MA": (
        (
            "ABDELKADER",
            "ABDELAZIZ",
            "ADIL",
            "AZIZ",
            "BRAHIM",
            "DRISS",
            "FOUAD",
            "HICHAM",
            "IDRISS",
            "ISMAIL",
            "JAMAL",
            "KHALID",
            "LAHCEN",
            "MEHDI",
            "MOURAD",
            "NABIL",
            "NOUREDDINE",
            "REDOUANE",
            "SAMIR",
            "TARIK",
            "YASSINE",
            "ZAKARIA",
            "ANAS",
            "BILAL",
        ),
        (
            "ASMAE",
            "BOUCHRA",
            "DOUNIA",
            "GHIZLANE",
            "HAJAR",
            "IMANE",
            "JAMILA",
            "KARIMA",
            "LAILA",
            "MERYEM",
            "NADIA",
            "NAWAL",
            "OUAFAE",
            "RACHIDA",
            "SANAE",
            "SALMA",
            "SOUKAINA",
            "WAFAE",
            "YAMINA",
            "ZAHRA",
            "AMAL",
            "FOUZIA",
            "HOUDA",
            "KAWTAR",
        ),
    ),
    "PE": (
        (
            "ALBERTO",
            "ANGEL",
            "CRISTIAN",
            "DANIEL",
            "DIEGO",
            "EDUARDO",
            "ERNESTO",
            "FERNANDO",
            "FRANCISCO",
            "GUSTAVO",
            "HUGO",
            "JAVIER",
            "JULIO",
            "LUIS ALBERTO",
            "MANUEL",
            "MARIO",
            "OSCAR",
            "PEDRO",
            "RICARDO",
            "ROBERTO",
            "SEGUNDO",
            "WILMER",
            "ALEJANDRO",
            "JHON",
        ),
        (
            "ELIZABETH",
            "ERIKA",
            "GIOVANNA",
            "ISABEL",
            "JESSICA",
            "KAREN",
            "LILIANA",
            "LOURDES",
            "LUCIA",
            "MARIBEL",
            "MERCEDES",
            "NANCY",
            "NELLY",
            "PILAR",
            "RUTH",
            "SANDRA",
            "SONIA",
            "TERESA",
            "VERONICA",
            "YOLANDA",
            "ZULEMA",
            "DELIA",
            "MARLENE",
            "ROSARIO",
        ),
    ),
    "PH": (
        (
            "ALDRIN",
            "ANTONIO",
            "BENJAMIN",
            "CHRISTOPHER",
            "DANILO",
            "ERNESTO",
            "FERDINAND",
            "GERALD",
            "JAYSON",
            "JOMAR",
            "JUNREY",
            "LEONARDO",
            "MARLON",
            "NESTOR",
            "NOEL",
            "RANDY",
            "RICHARD",
            "RODEL",
            "ROGELIO",
            "RUEL",
            "VIRGILIO",
            "WILFREDO",
            "ARIEL",
            "DENNIS",
        ),
        (
            "AILEEN",
            "ANGELICA",
            "CHERRY",
            "DIVINA",
            "EMELYN",
            "FLORDELIZA",
            "GEMMA",
            "GLORIA",
            "HAZEL",
            "IMELDA",
            "JANET",
            "JOY",
            "LEONORA",
            "LOVELY",
            "MARITES",
            "MYRNA",
            "NORMA",
            "PRECIOUS",
            "REMEDIOS",
            "ROWENA",
            "SHIRLEY",
            "TERESITA",
            "VILMA",
            "WENDY",
        ),
    ),
    "SN": (
        (
            "ALIOU",
            "AMADOU",
            "ASSANE",
            "BOUBACAR",
            "DJIBRIL",
            "ELHADJI",
            "FALLOU",
            "IBOU",
            "IDRISSA",
            "LAMINE",
            "MALICK",
            "MASSAMBA",
            "MOMAR",
            "NDIAGA",
            "OUMAR",
            "SALIOU",
            "SAMBA",
            "SEYDOU",
            "SOULEYMANE",
            "TAPHA",
            "YOUSSOUPHA",
            "ABLAYE",
            "BIRANE",
            "DAOUDA",
        ),
        (
            "AMY",
            "ANTA",
            "ARAME",
            "BOUSSO",
            "DIARRA",
            "DIEYNABA",
            "FARMATA",
            "FATIMATA",
            "GNAGNA",
            "HAWA",
            "KINE",
            "MAIMOUNA",
            "MAME",
            "NAFISSATOU",
            "NDEYE FATOU",
            "OUMY",
            "RAMA",
            "SALIMATA",
            "SEYNABOU",
            "SOKHNA DIARRA",
            "YACINE",
            "AIDA",
            "COUMBA",
            "DIOR",
        ),
    ),
    "UA": (
        (
            "ARTEM",
            "BORYS",
            "DENYS",
            "HRYHORII",
            "IHOR",
            "MAKSYM",
            "MYKHAILO",
            "OLEKSII",
            "PAVLO",
            "PETRO",
            "ROMAN",
            "RUSLAN",
            "STEPAN",
            "VIKTOR",
            "VITALII",
            "YAROSLAV",
            "YEVHEN",
            "ANATOLII",
            "BOHDAN",
            "KOSTIANTYN",
            "LEONID",
            "OSTAP",
            "ROSTYSLAV",
            "VADYM",
        ),
        (
            "ALLA",
            "ANNA",
            "DARIIA",
            "HANNA",
            "INNA",
            "KHRYSTYNA",
            "LARYSA",
            "LESIA",
            "LIUBOV",
            "MARYNA",
            "NINA",
            "OLHA",
            "POLINA",
            "RAISA",
            "SOFIIA",
            "TAMARA",
            "VALENTYNA",
            "VIKTORIIA",
            "YANA",
            "ZOIA",
            "ALINA",
            "IVANNA",
            "LILIIA",
            "VIRA",
        ),
    ),
}

# size and Zipf exponent of each kind of pool
SURNAME_POOL = (20_000, 0.5)
FIRST_NAME_POOL = (200, 0.7)


@cache
def surname_pool(origin: str) -> Pool:
    size, exponent = SURNAME_POOL
    if origin == "IT":
        return zipf_pool(names.ITALIAN_SURNAMES, _italian_surnames(), size, exponent)
    head = names.ORIGINS[origin].surnames
    tail = {
        "RO": lambda: _suffixed(
            "B C D G M N P R S T V BR CR GR PR ST",
            "A E I O U",
            "N R L T D S",
            ("ESCU", "EANU", "ARU", "U", "OIU", "ACHE", "AN", "ETE"),
            "ro",
        ),
        "AL": lambda: _suffixed(
            "B D G K L M N P R S T V ZH SH DH GJ",
            "A E I O U",
            "L R N K T S Z J",
            ("AJ", "I", "ANI", "OLLI", "UKA", "ESHI", "ALLI", "A"),
            "al",
        ),
        "UA": lambda: _suffixed(
            "B D H K L M P R S T V Z KH SH CH",
            "A E I O U Y",
            "L R N K T S D V",
            ("ENKO", "CHUK", "UK", "YK", "OVYCH", "SKYI", "ETS", "YSHYN"),
            "ua",
        ),
        "MA": _moroccan_surnames,
        "CN": lambda: list(_CN_SURNAMES),
        "SN": lambda: list(_SN_SURNAMES),
        "PE": lambda: list(_HISPANIC_SURNAMES),
        "PH": lambda: list(_HISPANIC_SURNAMES),
    }[origin]()
    return zipf_pool(head, tail, size, exponent)


@cache
def first_name_pool(origin: str, sex: str) -> Pool:
    size, exponent = FIRST_NAME_POOL
    male = sex == "M"
    head: tuple[str, ...]
    if origin == "IT":
        head = names.ITALIAN_MALE if male else names.ITALIAN_FEMALE
    else:
        o = names.ORIGINS[origin]
        head = o.male if male else o.female
    if origin == "CN":
        tail = _chinese_given(_CN_MALE_SYL if male else _CN_FEMALE_SYL, f"cn-{sex}")
    else:
        tail = list(_FIRST_NAMES[origin][0 if male else 1])
    return zipf_pool(head, tail, size, exponent)


def report() -> list[str]:
    lines = []
    for origin in ("IT", *names.ORIGINS):
        s = surname_pool(origin)
        m, f = first_name_pool(origin, "M"), first_name_pool(origin, "F")
        lines.append(
            f"{origin}: {len(s.names):>6,} surnames (top {s.share(s.names[0]):.2%}, collision {s.collision():.1e}); "
            f"first names {len(m.names)} M / {len(f.names)} F (collision {m.collision():.3f} / {f.collision():.3f})"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(report()))
