"""Contract of POLIS 2.0 (REST/JSON, English): `participants` and `placements`.

The source gives no lengths: names up to 100 characters, fiscal code and phone up to 40, e-mail up to 254
(RFC 5321), the address line and the provider up to 200; at most 100,000 hours.
"""

from __future__ import annotations

from pandera.typing import Series

from schemas.contracts.fields import StreamModel, birth_day, boolean, day, enum, integer, pattern, text, timestamp

PROGRAMMES = ("tirocinio", "formazione", "orientamento", "borsa_lavoro", "inserimento_lavorativo")
STATUSES = ("active", "hired", "completed", "dropped_out")
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
ISO = "YYYY-MM-DD"
TS = "ISO 8601 with offset"


class Participants(StreamModel):
    id: Series[object] = pattern("a UUID", UUID)
    first_name: Series[object] = text(100)
    last_name: Series[object] = text(100)
    fiscal_code: Series[object] = text(40, nullable=True)
    birth_date: Series[object] = birth_day(ISO)
    gender: Series[object] = enum(("male", "female", "other"), nullable=True)
    birth_country: Series[object] = pattern("an ISO 3166-1 alpha-2 code", r"[A-Z]{2}", nullable=True)
    phone: Series[object] = text(40, nullable=True)
    email: Series[object] = text(254, nullable=True)
    address: Series[object] = text(200, nullable=True, line_breaks=True)
    is_active: Series[object] = boolean()
    modified: Series[object] = timestamp(TS)


class Placements(StreamModel):
    id: Series[object] = integer()
    participant: Series[object] = pattern("a UUID", UUID)
    programme: Series[object] = enum(PROGRAMMES)
    provider: Series[object] = text(200)
    start_date: Series[object] = day(ISO)
    end_date: Series[object] = day(ISO, nullable=True)
    status: Series[object] = enum(STATUSES)
    hours_completed: Series[object] = integer(minimum=0, maximum=100_000)
    modified: Series[object] = timestamp(TS)

    class Config:
        not_before = {"later": "end_date", "earlier": "start_date", "fmt": ISO}
