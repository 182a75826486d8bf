"""Hand-written places and organisations of the sandbox: Florence streets, shelters, associations, providers."""

from __future__ import annotations

STREETS: tuple[tuple[str, str, str], ...] = (
    # (toponym, street name, CAP)
    ("VIA", "DEI NERI", "50122"),
    ("VIA", "DE' GINORI", "50123"),
    ("VIA", "GUELFA", "50129"),
    ("VIA", "FAENZA", "50123"),
    ("VIA", "PALAZZUOLO", "50123"),
    ("VIA", "DELL'AGNOLO", "50122"),
    ("VIA", "PISANA", "50143"),
    ("VIA", "BACCIO DA MONTELUPO", "50142"),
    ("VIA", "DEL PONTE DI MEZZO", "50127"),
    ("VIA", "CAMPANIA", "50127"),
    ("VIA", "DELL'ARCOVATA", "50127"),
    ("VIA", "CANOVA", "50142"),
    ("VIA", "DI NOVOLI", "50127"),
    ("VIA", "DEL GIGLIO", "50123"),
    ("VIA", "GIOVANNI DELLE BANDE NERE", "50126"),
    ("VIA", "ARETINA", "50136"),
    ("VIA", "DEL PAVONE", "50143"),
    ("VIA", "TORCICODA", "50142"),
    ("VIA", "ERBOSA", "50126"),
    ("VIA", "DI CASELLINA", "50143"),
    ("VIA", "SEBASTIANO DEL PIOMBO", "50143"),
    ("VIALE", "MORGAGNI", "50134"),
    ("VIALE", "DEI MILLE", "50131"),
    ("VIALE", "GIANNOTTI", "50126"),
    ("VIALE", "EUROPA", "50126"),
    ("VIALE", "GUIDONI", "50127"),
    ("VIALE", "FRATELLI ROSSELLI", "50123"),
    ("VIALE", "DON MINZONI", "50129"),
    ("VIALE", "DELLE CASCINE", "50144"),
    ("PIAZZA", "SANTO SPIRITO", "50125"),
    ("PIAZZA", "DEI CIOMPI", "50122"),
    ("PIAZZA", "DALMAZIA", "50141"),
    ("PIAZZA", "LEOPOLDO", "50134"),
    ("PIAZZA", "BECCARIA", "50121"),
    ("PIAZZA", "TASSO", "50124"),
    ("BORGO", "SAN FREDIANO", "50124"),
    ("BORGO", "ALLEGRI", "50122"),
    ("BORGO", "LA CROCE", "50121"),
    ("BORGO", "PINTI", "50121"),
    ("BORGO", "OGNISSANTI", "50123"),
    ("LUNGARNO", "DEL TEMPIO", "50121"),
    ("LUNGARNO", "SODERINI", "50124"),
    ("LUNGARNO", "FERRUCCI", "50126"),
    ("VICOLO", "DEL CANNETO", "50125"),
    ("VICOLO", "DELL'ONESTA'", "50122"),
    ("VICOLO", "DEI PANDOLFINI", "50122"),
    ("CORSO", "DEI TINTORI", "50122"),
    ("CORSO", "ITALIA", "50123"),
    ("LARGO", "FRATELLI ALINARI", "50123"),
    ("LARGO", "PIERO CALAMANDREI", "50134"),
)
"""Florence streets of the population's addresses (historic centre streets get red numbers, `12/R`)."""

CENTRE_CAPS = frozenset({"50121", "50122", "50123", "50124", "50125"})
"""Postcodes of the historic centre, where shops and some flats carry red numbers."""

TOPONYM_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "VIA": ("V.", "V"),
    "VIALE": ("V.le", "V.LE", "Vle"),
    "PIAZZA": ("P.zza", "P.za", "P.ZZA"),
    "BORGO": ("B.go", "B.GO"),
    "LUNGARNO": ("L.no", "Lung.no"),
    "VICOLO": ("V.lo", "Vic."),
    "CORSO": ("C.so", "C.SO"),
    "LARGO": ("L.go", "L.GO"),
}
"""How clerks abbreviate a toponym in a one-line address."""

SAT_STRUCTURES: tuple[tuple[str, str, str], ...] = (
    # (name, tipo, address)
    ("Appartamento volano Pisana 1", "appartamento_volano", "Via Pisana 112, 50143 Firenze"),
    ("Appartamento volano Pisana 2", "appartamento_volano", "Via Pisana 114, 50143 Firenze"),
    ("Appartamento volano Novoli", "appartamento_volano", "Via di Novoli 40, 50127 Firenze"),
    ("Alloggio di transizione Canova", "alloggio_transizione", "Via Canova 55, 50142 Firenze"),
    ("Alloggio di transizione Aretina", "alloggio_transizione", "Via Aretina 301, 50136 Firenze"),
    ("Co-housing Le Piagge", "co_housing", "Via dell'Arcovata 8, 50127 Firenze"),
    ("Co-housing San Salvi", "co_housing", "Via di San Salvi 12, 50135 Firenze"),
    ("Accoglienza notturna Pertini", "accoglienza_notturna", "Via del Pavone 4, 50143 Firenze"),
    ("Accoglienza notturna Lupi di Toscana", "accoglienza_notturna", "Viale Guidoni 180, 50127 Firenze"),
    ("Albergo Popolare", "albergo_popolare", "Via della Chiesa 66, 50125 Firenze"),
    ("Casa rifugio 1", "struttura_protetta", "[indirizzo riservato] Firenze"),
    ("Casa rifugio 2", "struttura_protetta", "[indirizzo riservato] Firenze"),
)
"""SAT structures; protected shelters (`struttura_protetta`) are where `riservato` guests stay."""

ASSOCIATIONS = (
    "Caritas Firenze",
    "Banco Alimentare",
    "Misericordia di Firenze",
    "Fratellanza Militare",
    "Comunità di Sant'Egidio",
    "Croce Rossa Firenze",
    "Associazione Il Cenacolo",
    "Ronda della Carità",
)
"""Partner associations of the volunteering network."""

POLIS_PROVIDERS = (
    "Consorzio CO&SO",
    "Fondazione CR Firenze Lavoro",
    "Centro per l'Impiego Firenze",
    "Cooperativa Il Cerro",
    "ENAIP Toscana",
    "Cooperativa Ulisse",
    "Formatica Scarl",
    "Cooperativa Arca",
)
"""Organisations that run POLIS placements."""

OTHER_COMUNI = ("SCANDICCI", "SESTO FIORENTINO", "CAMPI BISENZIO", "BAGNO A RIPOLI", "FIESOLE", "PRATO")
"""Municipalities people sometimes declare as residence to associations instead of Florence."""
