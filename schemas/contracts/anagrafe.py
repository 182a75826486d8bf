"""Contract of the Anagrafe nightly CSV (`residenti`): every field is text; empty means unknown.

The source gives no lengths: names, places and the street up to 100 characters, the codice fiscale and
the household id up to 40, the flat (`INTERNO`) up to 20.
"""

from __future__ import annotations

from pandera.typing import Series

from schemas.contracts.fields import StreamModel, birth_day, day, enum, pattern, text

RELATIONS = ("IS", "CG", "CV", "FG", "GE", "FR", "NI", "AL")
TOPONYMS = ("VIA", "VIALE", "PIAZZA", "BORGO", "LUNGARNO", "VICOLO", "CORSO", "LARGO")
POSITIONS = ("RESIDENTE", "EMIGRATO", "DECEDUTO", "IRREPERIBILE")
DMY = "DD/MM/YYYY"


class Residenti(StreamModel):
    ID_INDIVIDUO: Series[object] = pattern("a numeric registry id", r"\d{1,18}")
    COGNOME: Series[object] = text(100)
    NOME: Series[object] = text(100)
    SESSO: Series[object] = enum(("M", "F"))
    DATA_NASCITA: Series[object] = birth_day(DMY)
    COMUNE_NASCITA: Series[object] = text(100, nullable=True)
    CODICE_FISCALE: Series[object] = text(40, nullable=True)
    CITTADINANZA: Series[object] = text(100, nullable=True)
    ID_FAMIGLIA: Series[object] = text(40)
    RELAZIONE_PARENTELA: Series[object] = enum(RELATIONS)
    TOPONIMO: Series[object] = enum(TOPONYMS)
    INDIRIZZO: Series[object] = text(100)
    CIVICO: Series[object] = pattern("a house number (12, 12A, 3/R)", r"\d{1,5}\s*[A-Za-z]{0,3}(/\s*[A-Za-z0-9]{1,4})?")
    INTERNO: Series[object] = text(20, nullable=True)
    CAP: Series[object] = pattern("a 5-digit postcode", r"\d{5}")
    DATA_ISCRIZIONE: Series[object] = day(DMY)
    POSIZIONE: Series[object] = enum(POSITIONS)
    DATA_VARIAZIONE: Series[object] = day(DMY, nullable=True)

    class Config:
        not_before = {"later": "DATA_ISCRIZIONE", "earlier": "DATA_NASCITA", "fmt": DMY}
