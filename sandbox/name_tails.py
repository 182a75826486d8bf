"""The long tails of the name pools: names behind the hand-written ones of sandbox/names.py, by origin.

Generated the way the names of each origin are built (Italian stem + suffix: BRANDOLINI, FORTUNATI;
Romanian -ESCU, Ukrainian -ENKO, Albanian -AJ, Moroccan EL/BEN/AIT; two-syllable Chinese given names;
Spanish- and Tagalog-looking surnames) or listed (Chinese, Senegalese, Hispanic surnames; Arabic,
Bangladeshi and Pakistani names). Fixed by their own seed, and in rank order: sandbox/name_pools.py
weights them.
"""

from __future__ import annotations

from random import Random

from sandbox import names

TAIL_SEED = 20261125


def _shuffled(items: list[str], salt: str) -> list[str]:
    items = sorted(set(items))
    Random(f"{TAIL_SEED}:{salt}").shuffle(items)
    return items


def _join(stem: str, suffix: str) -> str:
    """Italian spelling: a hard C/G before I/E keeps its sound with an H (BIANC + INI -> BIANCHINI)."""
    if stem[-1] in "CG" and suffix[:1] in ("I", "E") and not stem.endswith(("SC", "CC", "GG")):
        return f"{stem}H{suffix}"
    return stem + suffix


def _stems(onsets: str, vowels: str, codas: str) -> list[str]:
    return [o + v + c for o in onsets.split() for v in vowels.split() for c in codas.split()]


# --- generators of each origin's tail ---------------------------------------------------------------------
_IT_CODAS = "L LL N NN R RR T TT S SS NT RD RT ST CC ND LD MB RN"
_IT_STEMS = _stems("B C D F G L M N P R S T V BR CR FR GR PR TR ST SC", "A E I O U", _IT_CODAS)
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


def _italian_words(suffixes: tuple[str, ...], count: int, salt: str) -> list[str]:
    """`count` distinct Italian-looking words: one-syllable stems + suffix first (shuffled), then
    two-syllable stems (BART-OL + INI) drawn at random until there are enough."""
    plain = _shuffled([_join(s, x) for s in _IT_STEMS for x in suffixes], salt)
    rng = Random(f"{TAIL_SEED}:{salt}:long")
    vowels, codas = "AEIOU", _IT_CODAS.split()
    seen = set(plain)
    while len(plain) < count:
        word = _join(rng.choice(_IT_STEMS) + rng.choice(vowels) + rng.choice(codas), rng.choice(suffixes))
        if word not in seen:
            seen.add(word)
            plain.append(word)
    return plain[:count]


def italian_surnames(count: int) -> list[str]:
    ranked = _italian_words(_IT_SUFFIXES, count, "it-surname")
    # about one in twenty with a particle (DI BARTOLO, DEL FORTE), as in the hand list
    rng = Random(f"{TAIL_SEED}:it-particle")
    return [
        f"{rng.choice(('DI ', 'DE ', 'DEL ', 'LO '))}{n}" if rng.random() < 0.05 and n[-1] in "OAEI" else n
        for n in ranked
    ]


def italian_first_names(male: bool, count: int) -> list[str]:
    """Rare Italian-looking given names (BRANDINO, FOLCARA): the long tail behind the listed ones."""
    suffixes = ("O", "INO", "ELLO", "IO", "ANO", "ERO") if male else ("A", "INA", "ELLA", "IA", "ANA", "ERA")
    return _italian_words(suffixes, count, "it-given-" + ("m" if male else "f"))


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


ITALIAN_FIRST_NAMES = _FIRST_NAMES["IT"]
"""(male, female) Italian first names behind the hand-written ones, before the generated rare ones."""

_ARABIC_GIVEN = names.words(
    "ABDALLAH ABDELAZIZ ABDELHAMID ABDELKADER ABDELLATIF ABDELMONEIM ABDELNASSER ADEL AMR ASHRAF ATEF ATTIA "
    "AYMAN BASSEM ESSAM EMAD EID FARAG FAROUK FATHY GAMAL GOMAA HAMADA HAMDY HANY HASSANEIN HAZEM HESHAM HOSNY "
    "HUSSEIN ISMAIL KAMAL KARIM KHALIL MAGDY MAHER MEDHAT MOHSEN MONTASER NABIL NASSER OSAMA RAMADAN RAMY REDA "
    "SABRY SALAH SALEH SAMEH SAMIR SAYED SHAABAN SHERIF SOBHY TAMER TAREK WAEL WALEED YASSER YOUSSEF ZAKARIA ZAKI"
)
_TAILS: dict[tuple[str, str], tuple[str, ...]] = {
    # (origin, kind) -> more names behind the hand-written lists of sandbox/names.py
    ("EG", "M"): _ARABIC_GIVEN,
    ("EG", "F"): names.words(
        "DOAA SHAIMAA NADIA HAGAR ESRAA REHAB SAMAH YASMIN NESMA HANAA EMAN RANIA DINA NAGLAA SAMIRA WAFAA NAHLA "
        "AZZA ABEER GHADA HALA SAFAA AMAL MAI NOURA RASHA ZEINAB HODA"
    ),
    ("EG", "S"): _ARABIC_GIVEN,
    ("MA", "M"): _ARABIC_GIVEN,
    ("BD", "M"): names.words(
        "RAJU SAIFUL JAMAL HABIB FARUK MASUD NAZRUL SHAFIQUL TANVIR JASIM MOSTAFIZUR ANWAR SHAMIM BABUL LITON "
        "MAMUN SAIDUL JAHID RIPON SOHAG HRIDOY ARIF RAKIB SHAKIL NURUL MOKBUL RAFIQ SELIM KAWSAR MONIR"
    ),
    ("BD", "F"): names.words(
        "RINA MUNNI SHAPLA LIPI MARIUM ROKSANA SHAMIMA HALIMA AMENA KULSUM ROJINA MORIUM SHILPI PAPIA LAILA "
        "NUSRAT TANIA SUMI POPY RIMA KHADIZA SABINA JHUMA MITU"
    ),
    ("BD", "S"): names.words(
        "MAHMUD BISWAS KABIR SARKER HOQUE HASSAN KARIM AMIN RASHID ULLAH ZAMAN SHEIKH BHUIYAN MONDAL SARKAR "
        "MOLLA TALUKDER PATWARY HOWLADER MRIDHA MATUBBAR SIKDER KHANDAKER MUNSHI DEWAN GAZI BEPARI FAKIR"
    ),
    ("PK", "M"): names.words(
        "ZAHID WASEEM IRFAN SHAHID SAJID KHALID AMJAD ASHFAQ NAVEED SHAHZAD USMAN BILAL HAMZA UMAR ADNAN FAISAL "
        "KAMRAN RIZWAN ZEESHAN NASIR SAQIB JUNAID ABID AAMIR MUHAMMAD_USMAN MUHAMMAD_BILAL MUHAMMAD_NAVEED"
    ),
    ("PK", "F"): names.words(
        "SAMINA SHABANA RIZWANA PARVEEN SONIA ZAINAB IQRA MEHWISH HUMA ASMA RABIA SOBIA UZMA ANEELA TAHIRA "
        "NOREEN KOUSAR SAFIA ZAHIDA RUBINA NADIA SHAHEEN"
    ),
    ("PK", "S"): names.words(
        "QURESHI SIDDIQUI BHATTI AWAN GONDAL CHEEMA BAJWA GILL WARRAICH RANA NAWAZ IRSHAD AKRAM AZAM ZAFAR "
        "ASHRAF HAIDER RAFIQ SADIQ SHAFIQ YOUSAF RASHID MIRZA"
    ),
}


def surnames(origin: str) -> list[str]:
    """The generated or listed surnames behind an origin's hand-written ones."""
    if origin in _TAILS_BY_RULE:
        return _TAILS_BY_RULE[origin]()
    return list(_TAILS.get((origin, "S"), ()))


_TAILS_BY_RULE = {
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
    "PE": lambda: [*_HISPANIC_SURNAMES, *_hispanic_surnames("pe")],
    "PH": lambda: [*_HISPANIC_SURNAMES, *_shuffled(_hispanic_surnames("ph") + _tagalog_surnames(), "ph")],
}


def _hispanic_surnames(salt: str) -> list[str]:
    """Spanish-looking surnames (BARTEDA, MOLINEZ): the long tail of Peruvian and Filipino surnames."""
    suffixes = ("EZ", "ES", "ERO", "ADO", "ILLO", "ANO", "EDA", "ALES", "ON", "IZ")
    return _suffixed("B C D F G L M N P R S T V BR CR GR PR TR", "A E I O U", "L N R S T D", suffixes, salt)


def _tagalog_surnames() -> list[str]:
    """Tagalog-looking surnames (MANALANG, DIMAPILIS)."""
    roots = _stems("B D G L P S T", "A I U", "L N NG")
    return [p + r + x for p in ("MA", "DI", "PA", "") for r in roots for x in ("AN", "ANG", "ON", "IT", "AO")]


def first_names(origin: str, male: bool) -> list[str]:
    """The listed or generated first names behind an origin's hand-written ones."""
    if origin == "CN":
        return chinese_given(male)
    more = _FIRST_NAMES.get(origin, ((), ()))[0 if male else 1]
    return [*more, *_TAILS.get((origin, "M" if male else "F"), ())]


def chinese_given(male: bool) -> list[str]:
    """Chinese given names: one or two syllables of the sex's usual ones (XIAOMING, JUN)."""
    return _chinese_given(_CN_MALE_SYL if male else _CN_FEMALE_SYL, "cn-" + ("M" if male else "F"))
