"""Contract of Contabilità (SQL, PostgreSQL): `soggetti` (IBAN already a keyed hash) and `erogazioni`.

`dt_agg` is a timestamp with time zone; a SQLite source hands it back without offset, in UTC.
Amounts arrive as exact decimal text. Lengths are the source's column sizes (source-systems/contabilita.md).
"""

from __future__ import annotations

from pandera.typing import Series

from schemas.contracts.fields import StreamModel, birth_day, day, enum, integer, money, pattern, text, timestamp

CONTRIBUTIONS = (
    "contributo_affitto",
    "morosita_incolpevole",
    "contributo_economico",
    "buono_spesa",
    "deposito_cauzionale",
    "utenze",
)
STATES = ("determinato", "liquidato", "pagato", "revocato")
ISO = "YYYY-MM-DD"
TS = "ISO 8601, offset optional (naive is UTC)"


class Soggetti(StreamModel):
    id_soggetto: Series[object] = integer()
    codice_fiscale: Series[object] = text(16)
    cognome: Series[object] = text(100, nullable=True)
    nome: Series[object] = text(100, nullable=True)
    data_nascita: Series[object] = birth_day(ISO)
    sesso: Series[object] = enum(("M", "F"), nullable=True)
    iban_hash: Series[object] = pattern("a SHA-256 hex digest", r"[0-9a-f]{64}", nullable=True)
    indirizzo: Series[object] = text(200, nullable=True, line_breaks=True)
    dt_agg: Series[object] = timestamp(TS)


class Erogazioni(StreamModel):
    id_erogazione: Series[object] = integer()
    id_soggetto: Series[object] = integer()
    tipo_contributo: Series[object] = enum(CONTRIBUTIONS)
    importo: Series[object] = money()
    numero_determina: Series[object] = text(30)
    data_determina: Series[object] = day(ISO)
    data_pagamento: Series[object] = day(ISO, nullable=True)
    stato: Series[object] = enum(STATES)
    dt_agg: Series[object] = timestamp(TS)

    class Config:
        not_before = {"later": "data_pagamento", "earlier": "data_determina", "fmt": ISO}
        required_when = {"column": "data_pagamento", "when_column": "stato", "when_value": "pagato"}
