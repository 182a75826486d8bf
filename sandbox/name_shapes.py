"""How often names occur, per origin and sex: the public figures the sandbox's name pools are built to.

A pool (sandbox/name_pools.py) is a ranked list of names with a share each. Its *shape* is either
named shares for the head (``HEADS``: the commonest names of a foreign-born population, in percent of
the people of that origin and sex) followed by a power-law tail over the origin's other names, or a
broken power law over the whole ranked list (``ITALIAN_SURNAMES``, ``ITALIAN_FIRST_NAMES``).
Everything here is a public, rounded figure or a rough reading of one; nothing is fetched at run time.

Sources (the figures are approximate and meant as shapes, not counts):
- Italian surnames: Florence's own registry (Comune di Firenze, Ufficio di statistica, bulletins of
  2017-2019 and 2023 as reported by ANSA, La Nazione, la Repubblica): 377,569 residents bear 68,904-69,245
  distinct surnames; ROSSI 1,415 (0.37% of the residents, ~0.45% of the Italian ones), BIANCHI 908,
  INNOCENTI 864, then CONTI, GORI, RICCI; HU (the first foreign one) 655. A city's surnames are more
  concentrated than the nation's (ROSSI ~0.15-0.2% of Italians, some 340,000 surnames in Italy:
  E. Caffarelli, Rivista italiana di onomastica; Caffarelli & Marcato, *I cognomi d'Italia*, UTET 2008),
  because local surnames (INNOCENTI, GORI, CECCHI) add to the national ones. Modelled as rank ** -0.5 up
  to rank 2,000 and rank ** -1.3 beyond, 150,000 names, the Florentine head first (``FLORENCE_SURNAMES``):
  ROSSI 0.51% of the Italian-born, top ten 2.6%, ~59,000 distinct surnames among 317,000 Italians,
  two random Italians share a surname with probability ~2.3e-4.
- Italian first names: ISTAT, *Natalità e fecondità della popolazione residente* (2021, 2022 editions)
  and its Contanomi data: some 26,000 distinct names for boys and 25,000 for girls, yet the 30 commonest
  cover ~44% of boys and ~38% of girls; the commonest (LEONARDO, SOFIA) ~3-4%. Rankings change with
  the birth cohort (GIUSEPPE, MARIA for people born before 1950; ANDREA, FRANCESCA around 1980;
  LEONARDO, SOFIA after 2005: ISTAT names of residents by year of birth), so each cohort has its own
  head (``ITALIAN_COHORTS``): rank ** -0.4 up to rank 30, rank ** -1.4 beyond for people born since 1990
  (the commonest 3.7%, the top 30 44%), more concentrated before (born before 1950: rank ** -0.6, the
  commonest 6.5%, the top 30 51%), as ISTAT notes the concentration of names falling over time.
- Chinese surnames: the Chinese of Prato and Milan (Comune di Prato and Comune di Milano registry
  statistics as reported in the press, 2013-2023): CHEN, HU, LIN, WANG, ZHANG, HUANG, LI, ZHENG, ZHOU,
  WU, XU lead the rankings (Prato: 2,743 CHEN, 2,291 HU, 1,970 LIN, 1,665 WANG, 1,602 ZHANG; Milan: HU
  4,664, then CHEN and ZHOU; Florence's quarter 5: HU first, then CHEN, WANG, ZHOU). The shares are a
  rough reading: the top five ~30% of the community, as China's own top five cover ~30% of its people.
- Bangladeshi surnames: Forebears 2014 country list (AKTER 14.5 M, ISLAM 10.7 M, KHATUN 10.0 M,
  HOSSAIN 6.9 M, RAHMAN 6.2 M, HASAN 3.4 M, AHMED 2.9 M, BEGUM 2.4 M, KHAN 2.3 M, UDDIN 2.3 M, ALI 2.2 M
  of 165 M people). AKTER, KHATUN, BEGUM, SULTANA... are women's surnames, so they are shares of women
  (AKTER ~18% of women) and the rest of the list shares of men; family members may bear different
  surnames (FamilySearch wiki, *Bangladesh personal names*).
- Names from Muhammad: ``Mohammed`` in its spellings is the commonest male name in Egypt (Egypt's
  Ministry of Health 2018 birth registrations), in Morocco, Pakistan and Bangladesh (a small Egyptian
  sample quoted by Middle East Eye, 2016: AHMED 8%, MOHAMED 4%, in a country where most men carry
  Mohamed as a second or third name); the 10-20% of men of these origins registered with it as first
  name is an estimate. Egyptian surnames
  are the father's or grandfather's given name, so the surname head repeats the male first names,
  flattened; Pakistani women are often registered as BIBI or BEGUM.
- Senegalese surnames: the Wolof and Fula patronyms (NDIAYE, DIOP, FALL, GUEYE, SOW, DIALLO, BA...) are
  few and widely shared (onomastic surveys of Senegal; the four Fula patronyms cover most Fula).
- Romanian, Albanian, Ukrainian, Peruvian and Filipino heads: national surname rankings (Forebears;
  Peru's RENIEC lists QUISPE first at ~2.5%) and given-name rankings; these populations are much less
  concentrated than the Muslim-majority and Chinese ones, so their heads are 0.5-6% per name.
"""

from __future__ import annotations

from sandbox.names import words


def _shares(text: str) -> tuple[tuple[str, float], ...]:
    """``"MOHAMED:18 AHMED:8"`` (percent) -> (("MOHAMED", 0.18), ("AHMED", 0.08)); ``_`` joins words."""
    out = []
    for item in text.split():
        name, pct = item.rsplit(":", 1)
        out.append((name.replace("_", " "), float(pct) / 100))
    return tuple(out)


HEADS: dict[tuple[str, str], tuple[tuple[str, float], ...]] = {
    # (origin, kind) -> named shares; kind: "M"/"F" first names, "S" surnames, "SF" women's surnames
    ("MA", "M"): _shares(
        "MOHAMED:12 AHMED:4 YOUSSEF:3.5 HASSAN:3 ABDELLAH:2.5 RACHID:2.5 MUSTAPHA:2 SAID:2 OMAR:2 KARIM:1.5"
    ),
    ("MA", "F"): _shares("FATIMA:8 KHADIJA:4 AICHA:3 NAIMA:2.5 SAIDA:2 MARIAM:2 ZINEB:2 HIND:1.5 LATIFA:1.5"),
    ("MA", "S"): _shares("EL_IDRISSI:0.8 EL_AMRANI:0.7 BENALI:0.6 EL_FASSI:0.4 BENNANI:0.4 TAHIRI:0.3"),
    ("EG", "M"): _shares(
        "MOHAMED:18 AHMED:8 MAHMOUD:4 MOSTAFA:3 ALI:2.5 HASSAN:2 IBRAHIM:2 OMAR:2 KHALED:1.5 ABDELRAHMAN:1.5"
    ),
    ("EG", "F"): _shares("FATMA:5 MARWA:3 AYA:3 ASMAA:3 HEBA:3 MONA:2.5 SARA:2.5 MARIAM:2.5 AMIRA:2"),
    ("EG", "S"): _shares(
        "MOHAMED:10 AHMED:6 ALI:4 HASSAN:3.5 IBRAHIM:3 MAHMOUD:3 MOSTAFA:2 ELSAYED:2 ABDELRAHMAN:1.5 SALEH:1.5"
    ),
    ("BD", "M"): _shares("MOHAMMAD:10 ABDUL:4 RASEL:2 SHAHIN:2 JAHANGIR:1.5 ALAMGIR:1.5 KAMRUL:1.5 SUMON:1.5"),
    ("BD", "F"): _shares("FATEMA:4 NASRIN:3 SHIRIN:2.5 RUMA:2 SHAHNAZ:2 NAZMA:2 RAHIMA:2 SALMA:2"),
    ("BD", "S"): _shares(
        "ISLAM:11 HOSSAIN:7.5 RAHMAN:6.8 HASAN:3.7 AHMED:3.1 UDDIN:2.8 ALI:2.7 KHAN:2.5 ALAM:2.3 MIA:2.2 "
        "HOSSEN:1.8 HAQUE:1.5 RANA:1.4 MIAH:1.4"
    ),
    ("BD", "SF"): _shares(
        "AKTER:17.7 KHATUN:12.2 BEGUM:3 SULTANA:2 AKHTER:1.3 AKTAR:1.2 AKTHER:1.2 JAHAN:0.8 NAHAR:0.7 PARVIN:0.6"
    ),
    ("PK", "M"): _shares(
        "MUHAMMAD:15 ALI:3 IMRAN:2 ASIF:2 MUHAMMAD_IMRAN:1.5 ARSHAD:1.5 TARIQ:1.5 MUHAMMAD_ASIF:1.2 NADEEM:1.5"
    ),
    ("PK", "F"): _shares("FATIMA:4 AYESHA:3 SHAZIA:2.5 NASREEN:2.5 RUKHSANA:2 SADIA:2 SAIMA:2 NAZIA:2"),
    ("PK", "S"): _shares("KHAN:9 ALI:7 AHMED:5 HUSSAIN:4.5 SHAH:3 IQBAL:2.5 BUTT:2 MALIK:2 ASLAM:1.5 RAZA:1.5"),
    ("PK", "SF"): _shares("BIBI:14 BEGUM:3 KAUSAR:2 AKHTAR:2 PARVEEN:1.5"),
    ("SN", "M"): _shares(
        "MAMADOU:6 MOUHAMED:4 ABDOULAYE:4 CHEIKH:3.5 MODOU:3.5 IBRAHIMA:3 OUSMANE:3 MOUSTAPHA:3 PAPE:2.5"
    ),
    ("SN", "F"): _shares("FATOU:7 AWA:5 AMINATA:4 MARIAMA:3.5 KHADY:3 NDEYE:3 COUMBA:3 ASTOU:2.5 BINTA:2.5"),
    ("SN", "S"): _shares(
        "NDIAYE:8 DIOP:7 FALL:4 SOW:3.5 GUEYE:3.5 DIALLO:3.5 FAYE:3 SECK:3 MBAYE:3 BA:2.5 SARR:2.5 DIOUF:2 THIAM:2"
    ),
    ("CN", "S"): _shares(
        "HU:8 CHEN:8 ZHOU:5 WANG:5 ZHANG:4.5 LIN:4.5 HUANG:3.5 ZHENG:3 JIN:3 YE:2.5 XU:2.5 WU:2.5 LI:2.5 PAN:2 YANG:2"
    ),
    ("RO", "M"): _shares(
        "ION:4 ANDREI:3.5 MIHAI:3.5 ALEXANDRU:3.5 GHEORGHE:3 VASILE:3 CONSTANTIN:3 IOAN:3 NICOLAE:2.5 DANIEL:2.5"
    ),
    ("RO", "F"): _shares("MARIA:6 ELENA:5 IOANA:3.5 ANA:3 MIHAELA:3 ANDREEA:3 GABRIELA:2.5 CRISTINA:2.5"),
    ("RO", "S"): _shares(
        "POPA:1.2 POPESCU:0.8 RADU:0.5 DUMITRU:0.5 STAN:0.45 STOICA:0.4 GHEORGHE:0.4 MATEI:0.35 CIOBANU:0.35"
    ),
    ("AL", "M"): _shares("ARBEN:3 ERMAL:3 GENTI:2.5 ARDIT:2.5 BLERIM:2 ILIR:2 FATMIR:2 KLODIAN:2"),
    ("AL", "F"): _shares("ERMIRA:3 ANILA:3 BLERINA:2.5 DORINA:2.5 ELONA:2 JONIDA:2 KLEA:2 MIRELA:2"),
    ("AL", "S"): _shares("HOXHA:1.5 SHEHU:0.8 LEKA:0.6 KOLA:0.6 DOKA:0.5 GJONI:0.5 ÇELA:0.5 BASHA:0.5"),
    ("UA", "M"): _shares("OLEKSANDR:6 SERHII:4.5 ANDRII:4 VOLODYMYR:4 MYKOLA:3.5 IURII:3 DMYTRO:3 VASYL:3"),
    ("UA", "F"): _shares("OLENA:6 NATALIIA:5 IRYNA:4.5 TETIANA:4 SVITLANA:4 OKSANA:4 HALYNA:3 LIUDMYLA:3 YULIIA:2.5"),
    ("UA", "S"): _shares("MELNYK:0.8 SHEVCHENKO:0.7 KOVALENKO:0.6 BONDARENKO:0.6 TKACHENKO:0.5 KRAVCHENKO:0.5"),
    ("PE", "M"): _shares("JOSÉ:4 LUIS:3.5 JUAN_CARLOS:3 CARLOS:3 JORGE:2.5 MIGUEL_ÁNGEL:2 CÉSAR:2 VÍCTOR:2"),
    ("PE", "F"): _shares("MARÍA:4 ROSA:3.5 CARMEN:2.5 ANA_MARÍA:2 LUZ:2 GLADYS:2 JULIA:2 MILAGROS:2"),
    ("PE", "S"): _shares(
        "QUISPE:2.5 FLORES:1.6 SÁNCHEZ:1.4 RODRÍGUEZ:1.3 GARCÍA:1.2 MAMANI:1.1 HUAMÁN:1 CHÁVEZ:1 RAMÍREZ:0.9"
    ),
    ("PH", "M"): _shares("JOSE:2.5 MARK_ANTHONY:2 JOHN_PAUL:1.5 MICHAEL:1.5 RAMON:1.2 JOEL:1.2"),
    ("PH", "F"): _shares("MARICEL:1.5 MARY_GRACE:1.5 JOCELYN:1.2 ROSALIE:1.2 CRISTINA:1.2 MA._THERESA:1.2"),
    ("PH", "S"): _shares("DELA_CRUZ:1.4 SANTOS:1.3 REYES:1.2 GARCIA:1 BAUTISTA:0.9 MENDOZA:0.8 RAMOS:0.7"),
}
"""Named head shares per (origin, kind); the rest of each pool shares what is left on a power-law tail."""

FOREIGN_TAIL_EXPONENT = 0.6
"""Zipf exponent of the tail after a foreign head (the origin's other names, in list order)."""
CHINESE_GIVEN_EXPONENT = 0.4
"""Chinese given names are two free syllables: no name is common (the commonest ~1%)."""

ITALIAN_SURNAMES = (150_000, 0.5, 2_000, 1.3)
"""(pool size, exponent up to the knee, knee rank, exponent beyond): see the module docstring."""
FLORENCE_SURNAMES = words(
    "ROSSI BIANCHI INNOCENTI CONTI GORI RICCI CECCHI MANETTI FABBRI MARTINI BALDI BARTOLINI GIANNINI "
    "LOMBARDI MANCINI ROMANO RUSSO FERRARI ESPOSITO COLOMBO"
)
"""The commonest surnames of Florence's residents (Comune di Firenze rankings, by quarter), in rank order."""
ITALIAN_FIRST_NAMES = (1_500, 30, 1.4)
"""(pool size, knee rank, exponent beyond the knee) of each Italian cohort's pool; the exponent up to the
knee is the cohort's own (names were more concentrated in older cohorts)."""

ITALIAN_COHORTS: tuple[tuple[int, float, tuple[str, ...], tuple[str, ...]], ...] = (
    # (born before this year, exponent up to rank 30, male head, female head): ISTAT rankings by year of birth
    (
        1950,
        0.6,
        words(
            "GIUSEPPE GIOVANNI ANTONIO MARIO LUIGI FRANCESCO ANGELO VINCENZO PIETRO SALVATORE CARLO FRANCO "
            "DOMENICO BRUNO PAOLO GIORGIO ALDO SERGIO RENATO ENZO"
        ),
        words(
            "MARIA ANNA GIUSEPPINA ROSA ANGELA GIOVANNA TERESA LUCIA CARMELA CATERINA FRANCESCA ANNA_MARIA "
            "ANTONIETTA CARLA ELENA CONCETTA RITA MARGHERITA FRANCA PAOLA"
        ),
    ),
    (
        1970,
        0.5,
        words(
            "GIUSEPPE GIOVANNI ANTONIO FRANCO MARIO ROBERTO PAOLO GIORGIO CLAUDIO SERGIO MAURIZIO LUIGI "
            "FRANCESCO MASSIMO STEFANO BRUNO FABRIZIO MARCO LUCIANO ALESSANDRO"
        ),
        words(
            "MARIA ANNA GIUSEPPINA PATRIZIA GIOVANNA ROSSELLA DANIELA MARIA_GRAZIA LUCIA ANTONELLA GABRIELLA "
            "LAURA FRANCESCA TIZIANA RITA PAOLA ROBERTA CINZIA LOREDANA SANDRA"
        ),
    ),
    (
        1990,
        0.45,
        words(
            "ANDREA MARCO ALESSANDRO MASSIMO LUCA ROBERTO STEFANO FRANCESCO PAOLO GIUSEPPE DAVIDE MATTEO "
            "ANTONIO SIMONE FABIO DANIELE CLAUDIO RICCARDO MAURIZIO CRISTIANO"
        ),
        words(
            "FRANCESCA SILVIA LAURA ELENA SIMONA BARBARA PAOLA VALENTINA MONICA CHIARA SARA ALESSANDRA "
            "CRISTINA ROBERTA FEDERICA ELISA MARTINA GIULIA SABRINA DANIELA"
        ),
    ),
    (
        2005,
        0.4,
        words(
            "ANDREA FRANCESCO ALESSANDRO MATTEO LORENZO LUCA MARCO SIMONE DAVIDE FEDERICO GABRIELE RICCARDO "
            "TOMMASO GIUSEPPE NICCOLÒ EDOARDO GIACOMO FILIPPO MATTIA DANIELE"
        ),
        words(
            "GIULIA CHIARA FRANCESCA SARA MARTINA VALENTINA FEDERICA ALESSIA ELISA ELENA SILVIA GIORGIA "
            "ILARIA SOFIA ALICE BEATRICE ARIANNA NOEMI CATERINA LAURA"
        ),
    ),
    (
        10_000,
        0.4,
        words(
            "LEONARDO FRANCESCO ALESSANDRO LORENZO TOMMASO MATTIA EDOARDO ANDREA GABRIELE RICCARDO MATTEO "
            "NICCOLÒ DIEGO FEDERICO PIETRO GIOVANNI FILIPPO SAMUELE ELIA JACOPO"
        ),
        words(
            "SOFIA GIULIA AURORA GINEVRA ALICE EMMA VITTORIA BEATRICE MATILDE CHIARA GIORGIA MARTINA "
            "LUDOVICA ANNA SARA CAMILLA BIANCA NOEMI REBECCA GAIA"
        ),
    ),
)
"""Italian first-name heads by birth cohort (born before the year given, after the previous one)."""


def cohort(year: int) -> int:
    """Index in ITALIAN_COHORTS of the cohort of people born in ``year``."""
    return next(i for i, (before, *_) in enumerate(ITALIAN_COHORTS) if year < before)
