"""Contract of S.A.T. (REST/JSON): `ospiti` and `accoglienze` (see shared/source-systems/sat.md).

The source gives no lengths: names and places up to 100 characters, codes up to 40 (the staging column),
the household code up to 40, structure name and address up to 200.
"""

from __future__ import annotations

from pandera.typing import Series

from schemas.contracts.fields import StreamModel, birth_day, boolean, day, enum, integer, text, timestamp

STAY_TYPES = (
    "appartamento_volano",
    "alloggio_transizione",
    "co_housing",
    "accoglienza_notturna",
    "albergo_popolare",
    "struttura_protetta",
)
EXIT_REASONS = ("autonomia_abitativa", "alloggio_erp", "rientro_famiglia", "trasferimento", "allontanamento", "altro")
ISO = "YYYY-MM-DD"
TS = "ISO 8601 with offset"


class Ospiti(StreamModel):
    id_ospite: Series[object] = integer()
    cognome: Series[object] = text(100)
    nome: Series[object] = text(100)
    sesso: Series[object] = enum(("M", "F"), nullable=True)
    data_nascita: Series[object] = birth_day(ISO)
    luogo_nascita: Series[object] = text(100, nullable=True)
    codice_fiscale: Series[object] = text(40, nullable=True)
    cittadinanza: Series[object] = text(100, nullable=True)
    telefono: Series[object] = text(40, nullable=True)
    nucleo: Series[object] = text(40, nullable=True)
    riservato: Series[object] = boolean()
    updated_at: Series[object] = timestamp(TS)
    deleted: Series[object] = boolean()


class Accoglienze(StreamModel):
    id_accoglienza: Series[object] = integer()
    id_ospite: Series[object] = integer()
    struttura: Series[object] = text(200)
    tipo: Series[object] = enum(STAY_TYPES)
    indirizzo: Series[object] = text(200, line_breaks=True)
    data_ingresso: Series[object] = day(ISO)
    data_uscita: Series[object] = day(ISO, nullable=True)
    motivo_uscita: Series[object] = enum(EXIT_REASONS, nullable=True)
    updated_at: Series[object] = timestamp(TS)
    deleted: Series[object] = boolean()

    class Config:
        not_before = {"later": "data_uscita", "earlier": "data_ingresso", "fmt": ISO}
