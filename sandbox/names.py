"""Hand-written name lists of the synthetic population, by origin, and their known spelling variants.

All names are upper case, as the true (registry) spelling. ``ORIGINS`` maps an origin key
(ISO 3166-1 alpha-2 of the country of birth of the family) to its lists; ``TRANSLITERATIONS``
maps a true spelling to the variants clerks type for it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    """Names and places of one origin."""

    iso2: str
    country_it: str        # Italian country name, upper case (CITTADINANZA, COMUNE_NASCITA of foreign-born)
    cf_country: str        # the name python-codicefiscale knows the country by
    cities: tuple[str, ...]  # birth cities typed as luogo_nascita by some clerks
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]


ITALIAN_MALE = (
    "MARCO", "LUCA", "ANDREA", "FRANCESCO", "ALESSANDRO", "MATTEO", "LORENZO", "GIOVANNI", "PAOLO",
    "STEFANO", "ROBERTO", "GIUSEPPE", "ANTONIO", "FABIO", "SIMONE", "RICCARDO", "TOMMASO", "FILIPPO",
    "LEONARDO", "EMANUELE", "NICCOLÒ", "GIOSUÈ", "MOSÈ", "GIAN MARCO", "PIER PAOLO", "GIAN LUCA",
    "MARIO", "SERGIO", "CLAUDIO", "DAVIDE", "ENRICO", "PIETRO", "JACOPO", "DUCCIO", "GUIDO",
)
ITALIAN_FEMALE = (
    "MARIA", "GIULIA", "FRANCESCA", "CHIARA", "SARA", "ELENA", "ANNA", "LAURA", "VALENTINA", "SILVIA",
    "FEDERICA", "MARTINA", "ALESSIA", "ELISA", "GIORGIA", "BEATRICE", "CATERINA", "COSTANZA", "ILARIA",
    "MARIA GRAZIA", "ANNA MARIA", "MARIA TERESA", "ROSA MARIA", "ZOÈ", "NOEMI", "LUCIA", "PAOLA",
    "SIMONETTA", "CRISTINA", "BARBARA", "GABRIELLA", "LETIZIA", "VITTORIA", "ARIANNA",
)
ITALIAN_SURNAMES = (
    "ROSSI", "BIANCHI", "RUSSO", "FERRARI", "ESPOSITO", "ROMANO", "COLOMBO", "RICCI", "MARINO", "GRECO",
    "BRUNO", "GALLO", "CONTI", "COSTA", "GIORDANO", "MANCINI", "LOMBARDI", "MORETTI", "BARBIERI",
    "FONTANA", "SANTORO", "MARIANI", "RINALDI", "CARUSO", "FERRARA", "GALLI", "MARTINI", "LEONE",
    "BARONI", "BARTOLINI", "INNOCENTI", "NICCOLAI", "BECATTINI", "CAPPELLINI", "FANTONI", "GUERRINI",
    "DE LUCA", "D'ANGELO", "DELLA ROCCA", "DI STEFANO", "DE SANTIS", "DEL BENE", "LO PRESTI",
    "D'AMICO", "DELL'ORTO", "DE ANGELIS", "DI GIOVANNI", "DALLA VALLE", "NICCOLÒ", "CANTÙ", "DONÀ",
)
ITALIAN_BIRTHPLACES = (
    # (comune, weight): most Italian-born people of the population were born in Florence.
    ("FIRENZE", 60), ("PRATO", 5), ("PISTOIA", 3), ("EMPOLI", 3), ("SCANDICCI", 3), ("NAPOLI", 6),
    ("PALERMO", 5), ("BARI", 3), ("ROMA", 4), ("CATANIA", 3), ("TARANTO", 2), ("LECCE", 2), ("AREZZO", 1),
)

ORIGINS: dict[str, Origin] = {
    "RO": Origin(
        "RO", "ROMANIA", "Romania", ("BUCAREST", "IAȘI", "CLUJ-NAPOCA", "CONSTANȚA", "BACĂU", "SUCEAVA"),
        ("ION", "ANDREI", "MIHAI", "ALEXANDRU", "GHEORGHE", "VASILE", "CONSTANTIN", "FLORIN", "IONUȚ",
         "COSTEL", "DUMITRU", "ADRIAN"),
        ("MARIA", "ELENA", "IOANA", "ANA", "MIHAELA", "ANDREEA", "GABRIELA", "CRISTINA", "ALINA",
         "FLORENTINA", "LOREDANA", "RALUCA"),
        ("POPESCU", "IONESCU", "POPA", "RADU", "DUMITRU", "STAN", "STOICA", "GHEORGHE", "MATEI", "CIOBANU",
         "RUSU", "MUNTEANU", "MUREȘAN", "LUNGU", "CONSTANTIN", "TUDOR", "BĂLAN", "SANDU"),
    ),
    "AL": Origin(
        "AL", "ALBANIA", "Albania", ("TIRANA", "DURAZZO", "VALONA", "SCUTARI", "ELBASAN", "FIER"),
        ("ARBEN", "ERMAL", "GENTI", "ARDIT", "BLERIM", "ILIR", "FATMIR", "KLODIAN", "ENDRIT", "DRITAN",
         "ALBAN", "BESNIK"),
        ("ERMIRA", "ANILA", "BLERINA", "DORINA", "ELONA", "JONIDA", "KLEA", "MIRELA", "ROVENA", "ENKELEJDA",
         "LINDITA", "ARJOLA"),
        ("HOXHA", "SHEHU", "LEKA", "KOLA", "DOKA", "GJONI", "ÇELA", "BASHA", "MUÇA", "PRENGA", "DEDA",
         "KRASNIQI", "BERISHA", "MALAJ", "TOTA"),
    ),
    "MA": Origin(
        "MA", "MAROCCO", "Marocco", ("CASABLANCA", "RABAT", "FES", "MARRAKECH", "KHOURIBGA", "BENI MELLAL"),
        ("MOHAMED", "AHMED", "YOUSSEF", "HASSAN", "RACHID", "KARIM", "ABDELLAH", "OMAR", "MUSTAPHA",
         "SAID", "HAMID", "AYOUB"),
        ("FATIMA", "KHADIJA", "AICHA", "NAIMA", "SAIDA", "MARIAM", "ZINEB", "HIND", "LATIFA", "SOUAD",
         "MALIKA", "HAFSA"),
        ("EL AMRANI", "BENALI", "EL IDRISSI", "BOUZID", "CHAKIR", "EL KHATIB", "AIT BENHADDOU", "OUALI",
         "TAHIRI", "HAMDI", "RAHMOUNI", "EL FASSI", "BENNANI", "ZAHIRI"),
    ),
    "CN": Origin(
        "CN", "CINA", "Cinese Repubblica Popolare", ("WENZHOU", "QINGTIAN", "FUQING", "SHANGHAI", "PECHINO"),
        ("XIAOMING", "WEI", "JIANHUA", "HAO", "JUN", "ZHIWEI", "LEI", "YONG", "JIANGUO", "MING", "BO",
         "XIAOLONG"),
        ("XIAOHONG", "LI", "MEI", "YAN", "JING", "LING", "XIULAN", "HUI", "YING", "XIAOYAN", "FANG", "LIN"),
        ("HU", "CHEN", "WANG", "ZHANG", "LIN", "ZHOU", "HUANG", "ZHENG", "JIN", "YE", "PAN", "XU", "WU",
         "YANG"),
    ),
    "PE": Origin(
        "PE", "PERU'", "Perù", ("LIMA", "AREQUIPA", "TRUJILLO", "CHICLAYO", "CUSCO"),
        ("JOSÉ", "LUIS", "CARLOS", "JUAN CARLOS", "JORGE", "MIGUEL ÁNGEL", "CÉSAR", "VÍCTOR", "JESÚS",
         "EDGAR", "RAÚL", "WILLY"),
        ("ROSA", "MARÍA", "ANA MARÍA", "CARMEN", "LUZ", "GLADYS", "JULIA", "MILAGROS", "ROCÍO", "PATRICIA",
         "YESENIA", "FLOR"),
        ("QUISPE", "FLORES", "SÁNCHEZ", "RODRÍGUEZ", "GARCÍA", "MAMANI", "HUAMÁN", "CHÁVEZ", "RAMÍREZ",
         "TORRES", "VARGAS", "MENDOZA", "DE LA CRUZ", "CASTILLO"),
    ),
    "PH": Origin(
        "PH", "FILIPPINE", "Filippine", ("MANILA", "QUEZON CITY", "BATANGAS", "CEBU", "DAVAO"),
        ("JOSE", "MARK ANTHONY", "JOHN PAUL", "ROMMEL", "JERICHO", "RAMON", "ARNEL", "JOEL", "RONALDO",
         "MICHAEL", "REYNALDO", "EDWIN"),
        ("MARICEL", "MARY GRACE", "JOCELYN", "ROSALIE", "MARILOU", "LORNA", "CRISTINA", "JENNILYN",
         "ANALYN", "MA. THERESA", "EVANGELINE", "LIZA"),
        ("DELA CRUZ", "SANTOS", "REYES", "GARCIA", "BAUTISTA", "MENDOZA", "VILLANUEVA", "CASTILLO",
         "AQUINO", "RAMOS", "DE GUZMAN", "MACARAEG", "PASCUAL", "MANALO"),
    ),
    "SN": Origin(
        "SN", "SENEGAL", "Senegal", ("DAKAR", "TOUBA", "THIÈS", "KAOLACK", "SAINT-LOUIS", "DIOURBEL"),
        ("MAMADOU", "ABDOULAYE", "CHEIKH", "MOUSTAPHA", "IBRAHIMA", "OUSMANE", "MODOU", "PAPE", "ALIOUNE",
         "BABACAR", "SERIGNE", "MOUHAMED"),
        ("FATOU", "AWA", "AMINATA", "MARIAMA", "KHADY", "NDEYE", "COUMBA", "ASTOU", "BINTA", "SOKHNA",
         "ROKHAYA", "ADAMA"),
        ("DIOP", "NDIAYE", "FALL", "SOW", "GUEYE", "DIALLO", "FAYE", "SECK", "MBAYE", "SARR", "CISSE",
         "THIAM", "NDOUR", "DIOUF"),
    ),
    "UA": Origin(
        "UA", "UCRAINA", "Ucraina", ("KIEV", "LEOPOLI", "ODESSA", "KHARKIV", "TERNOPIL", "IVANO-FRANKIVSK"),
        ("OLEKSANDR", "IURII", "MYKOLA", "ANDRII", "SERHII", "VOLODYMYR", "DMYTRO", "TARAS", "VASYL",
         "OLEH", "BOHDAN", "IVAN"),
        ("OLENA", "OKSANA", "NATALIIA", "IRYNA", "TETIANA", "HALYNA", "SVITLANA", "LIUDMYLA", "YULIIA",
         "KATERYNA", "MARIIA", "NADIIA"),
        ("SHEVCHENKO", "KOVALENKO", "BONDARENKO", "TKACHENKO", "KRAVCHENKO", "MELNYK", "OLIINYK",
         "POLISHCHUK", "LYSENKO", "HONCHARENKO", "SAVCHUK", "MOROZ", "PAVLENKO", "KOVALCHUK"),
    ),
}
"""Foreign origins; the population's Italian-born families use the ITALIAN_* lists."""

TRANSLITERATIONS: dict[str, tuple[str, ...]] = {
    "MOHAMED": ("MOHAMMED", "MUHAMMAD", "MOHAMMAD", "MOHAMAD"),
    "MOUHAMED": ("MOHAMED", "MUHAMMED"),
    "AHMED": ("AHMAD", "AHMET"),
    "YOUSSEF": ("YOUSEF", "YUSUF", "JOUSSEF"),
    "MUSTAPHA": ("MUSTAFA", "MOSTAFA"),
    "MOUSTAPHA": ("MUSTAPHA", "MOUSTAFA"),
    "ABDELLAH": ("ABDALLAH", "ABDULLAH"),
    "RACHID": ("RASHID", "RACHIDE"),
    "SAID": ("SAÏD", "SAYED"),
    "AICHA": ("AISHA", "AÏCHA"),
    "KHADIJA": ("KHADIDJA", "HADIJA"),
    "FATIMA": ("FATMA", "FATIMAH"),
    "ZINEB": ("ZAINAB", "ZEINAB"),
    "EL AMRANI": ("ELAMRANI", "AMRANI"),
    "EL IDRISSI": ("IDRISSI", "ELIDRISSI"),
    "EL KHATIB": ("ELKHATIB", "KHATIB"),
    "OLENA": ("ELENA", "ALENA", "OLENA"),
    "IURII": ("YURI", "YURII", "IURI", "JURIJ"),
    "OLEKSANDR": ("ALEKSANDR", "OLEXANDR", "ALEXANDR"),
    "SERHII": ("SERGEI", "SERHIY", "SERGHEI"),
    "ANDRII": ("ANDRIY", "ANDREI"),
    "NATALIIA": ("NATALIA", "NATALYA"),
    "YULIIA": ("YULIA", "IULIIA", "JULIA"),
    "TETIANA": ("TATIANA", "TETYANA"),
    "SHEVCHENKO": ("SEVCENKO", "SHEVCENKO"),
    "KOVALENKO": ("KOVALENCO", "COVALENCO"),
    "OLIINYK": ("OLIYNYK", "OLEINIK"),
    "XIAOMING": ("XIAO MING", "XIAO-MING"),
    "XIAOHONG": ("XIAO HONG", "XIAO-HONG"),
    "XIAOYAN": ("XIAO YAN",),
    "XIAOLONG": ("XIAO LONG",),
    "JIANHUA": ("JIAN HUA",),
    "ZHANG": ("CHANG",),
    "ZHOU": ("CHOU", "ZHOU"),
    "HOXHA": ("HOXA", "HOGIA", "HOXHAJ"),
    "ÇELA": ("CELA", "CHELA"),
    "MUÇA": ("MUCA", "MUCHA"),
    "GJONI": ("GIONI", "JONI"),
    "ABDOULAYE": ("ABDULAYE", "ABDOULAY"),
    "CHEIKH": ("CHEICK", "SHEIKH"),
    "MAMADOU": ("MAMADU", "MAMADOUH"),
    "NDIAYE": ("N'DIAYE", "NDIAYÈ"),
    "MBAYE": ("M'BAYE",),
    "CISSE": ("CISSÉ", "SISSE"),
    "GUEYE": ("GUEY", "GAYE"),
    "DELA CRUZ": ("DE LA CRUZ", "DELACRUZ"),
    "MA. THERESA": ("MARIA THERESA", "MA THERESA"),
    "IONUȚ": ("IONUT", "IONUTZ"),
    "POPESCU": ("POPESKU",),
}
"""True spelling -> spellings other clerks type (transliteration from Arabic, Cyrillic, Chinese...)."""

PARTICLES = ("DE ", "D'", "DELLA ", "DI ", "DEL ", "LO ", "DELL'", "DALLA ", "DE LA ", "DELA ", "EL ", "AIT ")
"""Leading surname particles whose spacing clerks vary (De Luca / DELUCA / Deluca)."""
