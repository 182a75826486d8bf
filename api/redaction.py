"""What each caller may see of a merged record.

- case_worker: everything, except protected addresses, withheld unless the client holds the grant
  ``confidential``: the golden address and residences of a protected person and of any address the publish
  marked ``address_protected`` (a protected person's, her household's, one a protected person lives or lived
  at: warehouse/profile/protection.py), and the structure and address of confidential stays (protected guest
  or `struttura_protetta`) and of stays at a protected address. A record not yet published has every address
  marked protected (api/staging.py).
- analyst: pseudonymised: no names, codice fiscale, phone, e-mail or street address; the birth
  date reduced to the year; beneficiary and household ids replaced by a keyed hash
  (``warehouse.pseudonyms``: HMAC-SHA256 with the pseudonym key from the environment, the same pseudonyms
  as the analysts' database schema); source record ids and the quarantine entries of pending versions
  dropped. The rules above apply too.
Withheld values become null and are named in ``redactions``. Any IBAN field is dropped, always.
"""

from __future__ import annotations

from api.auth import Caller
from warehouse.pseudonyms import Pseudonymiser

ANALYST_HIDDEN = ("first_name", "last_name", "codice_fiscale", "phone", "email", "address")
STREET = ("toponym", "street", "number", "interno", "postcode")
EVENT_IDS = {"stays": "stay_id", "placements": "placement_id", "services": "service_id", "payments": "payment_id"}
FLAG = "address_protected"
"""The repository's mark on a record, residence or stay whose address is protected (not served)."""


def drop_ibans(value):
    """The value without any key mentioning an IBAN, at any depth."""
    if isinstance(value, dict):
        return {k: drop_ibans(v) for k, v in value.items() if "iban" not in k.lower()}
    if isinstance(value, list):
        return [drop_ibans(v) for v in value]
    return value


class _Redactor:
    def __init__(self, record: dict, caller: Caller, pseudonym: Pseudonymiser):
        self.r, self.caller, self.pseudonym = record, caller, pseudonym
        self.done: set[str] = set()

    def withhold(self, item: dict, field: str, path: str, always: bool = False) -> None:
        """Null a field; name it in `redactions` when it had a value (or `always`: the repository
        did not even read it for this caller)."""
        if always or item.get(field) is not None:
            self.done.add(path)
        item[field] = None

    def confidential(self) -> None:
        """Protected addresses, wherever they are in the record, unless the caller holds the grant."""
        if self.caller.has("confidential"):
            return
        protected = self.r["protected"]
        if protected or self.r[FLAG]:
            self.withhold(self.r["person"]["address"], "value", "person.address")
            self.r["person"]["address"]["source"] = None
        for res in self.r["residences"]:
            if protected or res[FLAG]:
                for col in (*STREET, "municipality"):
                    self.withhold(res, col, "residences.address")
        for st in self.r["stays"]:
            if protected or st["confidential"] or st[FLAG]:  # places not even read: always named
                self.withhold(st, "structure_name", "stays.structure_name", always=True)
                self.withhold(st, "address", "stays.address", always=True)

    def analyst(self) -> None:
        p = self.pseudonym
        person = self.r["person"]
        for field in ANALYST_HIDDEN:
            if person[field]["value"] is not None:
                self.done.add(f"person.{field}")
            person[field] = {"value": None, "source": None}
        born = person["birth_date"]["value"]
        person["birth_date"] = {"value": None, "source": person["birth_date"]["source"]}
        person["birth_year"] = born.year if born else None
        for item in person.values():
            if isinstance(item, dict) and item.get("source"):
                item["source"] = {**item["source"], "source_person_id": None}
        for res in self.r["residences"]:
            for col in STREET:
                self.withhold(res, col, "residences.address")
        for st in self.r["stays"]:
            self.withhold(st, "address", "stays.address")
        for kind, id_field in EVENT_IDS.items():
            for ev in self.r[kind]:
                ev[id_field] = None
                ev["source_person_id"] = None
        for res in self.r["residences"]:
            res["source_person_id"] = None
            res["household_key"] = p(res["household_key"], "household")
        self.anonymous_sources()
        for hh in self.r["households"]:
            hh["household_key"] = p(hh["household_key"], "household")
            for m in hh["members"]:
                m["beneficiary_id"] = p(m["beneficiary_id"])
        self.r["beneficiary_id"] = p(self.r["beneficiary_id"])

    def anonymous_sources(self) -> None:
        """Source records without their ids, pending versions without record id and quarantine entry."""
        for src in self.r["sources"]:
            src["source_person_id"] = None
            for pending in src["pending_versions"]:
                pending["source_record_id"] = pending["quarantine_id"] = None


def redact_record(record: dict, caller: Caller, pseudonym: Pseudonymiser) -> dict:
    """The merged record as `caller` may see it (the input dict is modified and returned)."""
    red = _Redactor(record, caller, pseudonym)
    red.confidential()
    for item in (record, *record["residences"], *record["stays"]):
        item.pop(FLAG, None)
    record["id_space"] = "beneficiary"
    if caller.role == "analyst":
        red.analyst()
        record["id_space"] = "pseudonym"
    record["redactions"] = sorted(red.done)
    return drop_ibans(record)


def caller_id(caller: Caller, pseudonym: Pseudonymiser, beneficiary_id: str) -> str:
    """A beneficiary id in the caller's id space (pseudonym for analysts)."""
    return pseudonym(beneficiary_id) if caller.role == "analyst" else beneficiary_id
