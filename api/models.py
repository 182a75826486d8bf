"""Response models: they document the API in /openapi.json and shape every answer.

Ids are in the caller's id space (``id_space``): beneficiary ids, or pseudonyms for analysts.
Money is a decimal string (exact), dates ``YYYY-MM-DD``, times ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    field: str = Field(description="the offending field, dotted (e.g. `page_size`, `query.limit`)")
    message: str = Field(description="the rule it broke (never the value given)")


class Problem(BaseModel):
    """RFC 9457 problem details, served as `application/problem+json`."""

    type: str = Field(description="`about:blank`: the status code says what kind of problem it is")
    title: str = Field(description="the status code's reason phrase")
    status: int
    detail: str = Field(description="what went wrong in this request")
    instance: str = Field(description="the request's path")
    errors: list[FieldError] | None = Field(None, description="validation problems only: each offending field")


class SourceRef(BaseModel):
    system: str
    source_person_id: str | None = Field(description="the system's own id (null for analysts)")
    rule: str | None = Field(None, description="survivorship rule that chose the value")
    decided_by: str | None = Field(None, description="how the rule decided (authority, recency, ...)")


class Sourced(BaseModel):
    value: Any = Field(description="the surviving value (null when unknown or withheld)")
    source: SourceRef | None = Field(description="the source record the value comes from (provenance)")


class GoldenRecord(BaseModel):
    first_name: Sourced
    last_name: Sourced
    sex: Sourced
    birth_date: Sourced
    birth_year: int | None = Field(None, description="analysts only: the year of birth")
    birthplace: Sourced
    birth_country: Sourced
    citizenship: Sourced
    codice_fiscale: Sourced
    phone: Sourced
    email: Sourced
    address: Sourced = Field(description="residence address: toponym, street, number, postcode, municipality")


class HouseholdMember(BaseModel):
    beneficiary_id: str
    role: str | None


class Household(BaseModel):
    household_key: str
    source_system: str
    role: str | None
    size: int | None
    adults: int | None
    minors: int | None
    members: list[HouseholdMember] = Field(description="the other members (their records are separate reads)")


class Residence(BaseModel):
    source_person_id: str | None
    valid_from: date
    valid_to: date | None
    toponym: str | None
    street: str | None
    number: str | None
    interno: str | None
    postcode: str | None
    municipality: str | None
    household_key: str | None
    household_role: str | None
    posizione: str


class Stay(BaseModel):
    stay_id: str | None
    source_person_id: str | None
    structure_name: str | None
    structure_type: str
    address: str | None
    entry_date: date
    exit_date: date | None
    exit_reason: str | None
    confidential: bool = Field(
        description="protected guest or protected structure: name and address need the `confidential` grant "
        "(so do those of any stay at a protected address: see `redactions`)"
    )


class Placement(BaseModel):
    placement_id: str | None
    source_person_id: str | None
    programme: str
    provider: str | None
    start_date: date
    end_date: date | None
    status: str
    hours_completed: int | None


class Service(BaseModel):
    service_id: str | None
    source_person_id: str | None
    association: str | None
    role: str
    service_type: str
    start_date: date
    end_date: date | None


class PaymentStatus(BaseModel):
    status: str
    reached_on: date
    reached_at: datetime | None
    evidence: str = Field(description="observed in the source, or inferred from the act/payment date")


class Payment(BaseModel):
    payment_id: str | None
    source_person_id: str | None
    benefit_type: str
    amount: Decimal
    determina_number: str | None
    status: str
    status_history: list[PaymentStatus]


class PendingVersion(BaseModel):
    """A newer version of a source record that failed its contract: the record shows the last valid one."""

    stream: str = Field(description="the source stream: the person record's own, or one of its events' streams")
    source_record_id: str | None = Field(description="the record's id in its system (null for analysts)")
    quarantine_id: int | None = Field(description="the quarantine entry holding that version (null for analysts)")
    rules: list[str] = Field(description="the rules it failed, without its values")
    since: datetime = Field(description="when it was quarantined")


class SourceRecord(BaseModel):
    source_system: str
    source_person_id: str | None
    match_probability: float | None
    linked_at: datetime
    pending_versions: list[PendingVersion] = Field(
        default_factory=list,
        description="newer versions of this record or of its events (stays, placements, services, payments) "
        "waiting in quarantine; what is served is their last valid version",
    )


class MergedRecord(BaseModel):
    beneficiary_id: str
    id_space: Literal["beneficiary", "pseudonym"]
    status: str
    published: bool = Field(
        description="from the published profile; false: linked since the last publish, assembled from staging"
    )
    protected: bool = Field(description="a protected person (riservato or in a protected structure)")
    person: GoldenRecord
    households: list[Household]
    residences: list[Residence]
    stays: list[Stay]
    placements: list[Placement]
    services: list[Service]
    payments: list[Payment]
    sources: list[SourceRecord]
    redactions: list[str] = Field(description="fields withheld from this caller (their values are null)")


class MergedRedirect(BaseModel):
    beneficiary_id: str
    status: Literal["merged"]
    merged_into: str
    location: str


class CrosswalkEntry(BaseModel):
    source_system: str
    source_person_id: str
    beneficiary_id: str
    linked_at: datetime


class SourceLink(BaseModel):
    source_system: str
    source_person_id: str
    beneficiary_id: str
    id_space: Literal["beneficiary", "pseudonym"]
    beneficiary: str = Field(description="path of the merged record")


NEXT_CURSOR = "pass back as `cursor` for the next page; null when the list has no more"
HAS_MORE = "more items are there now: ask for `next_cursor` at once"


class CrosswalkPage(BaseModel):
    items: list[CrosswalkEntry]
    next_cursor: str | None = Field(description=NEXT_CURSOR)
    has_more: bool = Field(description=HAS_MORE)


class BeneficiarySources(BaseModel):
    beneficiary_id: str
    sources: list[CrosswalkEntry]


class CfMatch(BaseModel):
    beneficiary_id: str
    matched: list[dict[str, str]]
    beneficiary: str


class CfLookupResult(BaseModel):
    codice_fiscale: str = Field(description="the code looked up (de-omocoded base)")
    matches: list[CfMatch]


class SearchHit(BaseModel):
    beneficiary_id: str
    score: float = Field(description="0-100, higher is closer")
    first_name: str | None
    last_name: str | None
    birth_date: date | None
    beneficiary: str


class SearchPage(BaseModel):
    items: list[SearchHit]
    next_cursor: str | None = Field(description=NEXT_CURSOR)
    has_more: bool = Field(description=HAS_MORE)
    total: int = Field(description="hits in all pages")
    page: int | None = Field(default=None, deprecated=True, description="only when asked with the deprecated `page`")
    page_size: int | None = Field(
        default=None, deprecated=True, description="only when asked with the deprecated `page`"
    )


class Change(BaseModel):
    beneficiary_id: str
    kind: Literal["created", "updated", "merged", "split", "retired"]
    merged_into: str | None
    related_ids: list[str] | None
    changed_at: datetime


class ChangePage(BaseModel):
    items: list[Change]
    next_cursor: str = Field(description="pass back as `cursor` to continue; returned even when nothing is new")
    has_more: bool = Field(description=HAS_MORE)
    changes: list[Change] | None = Field(
        default=None, deprecated=True, description="the same as `items`, only when asked with the deprecated `since`"
    )


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    revision: str | None
    head: str | None
