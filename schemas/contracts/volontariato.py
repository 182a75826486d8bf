"""Contract of Volontariato (SQL, MariaDB): `anagrafiche` and `servizi`; timestamps are naive Europe/Rome.

Lengths are the source's column sizes (shared/source-systems/volontariato.md).
"""

from __future__ import annotations

from pandera.typing import Series

from schemas.contracts.fields import StreamModel, birth_day, day, enum, integer, text, timestamp

ROLES = ("beneficiario", "volontario")
SERVICES = ("pacco_alimentare", "mensa", "doposcuola", "sportello_ascolto", "accompagnamento", "guardaroba")
ISO = "YYYY-MM-DD"
LOCAL = "local YYYY-MM-DD HH:MM:SS without offset"


class Anagrafiche(StreamModel):
    id: Series[object] = integer()
    nominativo: Series[object] = text(200)
    data_nascita: Series[object] = birth_day(ISO)
    codice_fiscale: Series[object] = text(16, nullable=True)
    telefono: Series[object] = text(40, nullable=True)
    email: Series[object] = text(120, nullable=True)
    comune_residenza: Series[object] = text(80, nullable=True)
    ultima_modifica: Series[object] = timestamp(LOCAL)


class Servizi(StreamModel):
    id: Series[object] = integer()
    anagrafica_id: Series[object] = integer()
    associazione: Series[object] = text(120)
    ruolo: Series[object] = enum(ROLES)
    tipo_servizio: Series[object] = enum(SERVICES)
    data_inizio: Series[object] = day(ISO)
    data_fine: Series[object] = day(ISO, nullable=True)
    ultima_modifica: Series[object] = timestamp(LOCAL)

    class Config:
        not_before = {"later": "data_fine", "earlier": "data_inizio", "fmt": ISO}
