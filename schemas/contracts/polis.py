"""Contract of POLIS 2.0 (REST/JSON, English): `participants` and `placements`."""

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
    first_name: Series[object] = text()
    last_name: Series[object] = text()
    fiscal_code: Series[object] = text(nullable=True)
    birth_date: Series[object] = birth_day(ISO)
    gender: Series[object] = enum(("male", "female", "other"), nullable=True)
    birth_country: Series[object] = pattern("an ISO 3166-1 alpha-2 code", r"[A-Z]{2}", nullable=True)
    phone: Series[object] = text(nullable=True)
    email: Series[object] = text(nullable=True)
    address: Series[object] = text(nullable=True)
    is_active: Series[object] = boolean()
    modified: Series[object] = timestamp(TS)


class Placements(StreamModel):
    id: Series[object] = integer()
    participant: Series[object] = pattern("a UUID", UUID)
    programme: Series[object] = enum(PROGRAMMES)
    provider: Series[object] = text()
    start_date: Series[object] = day(ISO)
    end_date: Series[object] = day(ISO, nullable=True)
    status: Series[object] = enum(STATUSES)
    hours_completed: Series[object] = integer(minimum=0)
    modified: Series[object] = timestamp(TS)

    class Config:
        not_before = {"later": "end_date", "earlier": "start_date", "fmt": ISO}
