"""Reading people for console pages through the API's own repository and redaction: a merged record as the
signed-in user may see it, whether its addresses are protected, the names of beneficiaries, the staged source
records behind them. Pages decide layout only; what a role may see is decided here and in api/redaction.py."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import replace

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api import repository as repo
from api.auth import Caller
from api.console.session import ConsoleError, ConsoleUser
from api.errors import ApiError
from api.redaction import ANALYST_HIDDEN, Pseudonymiser, redact_record
from api.routes import check_scope
from warehouse.models import IDENTITY_TABLES, PROFILE_TABLES, STAGING_TABLES

GOLDEN = PROFILE_TABLES["golden_record"]
XW = IDENTITY_TABLES["beneficiary_crosswalk"]
PROTECTED_PATHS = ("person.address", "residences.address")
PERSON_COLUMNS = [c.name for c in STAGING_TABLES["stg_person"].columns if c.name != "run_id"]


def without_grant(user: ConsoleUser) -> Caller:
    """A case worker without the confidential grant: whatever redaction withholds from it is protected."""
    return Caller(replace(user.client, role="case_worker", grants=()), None, None)


def read_record(
    conn: Connection, beneficiary_id: str, user: ConsoleUser, pseudonym: Pseudonymiser
) -> tuple[dict, bool]:
    """The merged record of an active beneficiary as `user` may see it (repository + redaction), and whether its
    addresses are protected (withheld from a reader without the confidential grant)."""
    _, record = repo.read_record(conn, beneficiary_id, confidential=user.caller.has("confidential"))
    if record is None:
        raise ConsoleError(404, "No active beneficiary has this id.", "Not found")
    probe = redact_record(copy.deepcopy(record), without_grant(user), pseudonym)
    protected = bool(record.get("protected")) or any(p in probe["redactions"] for p in PROTECTED_PATHS)
    return redact_record(record, user.caller, pseudonym), protected


def in_scope(conn: Connection, user: ConsoleUser, beneficiary_id: str, systems: set[str] | None = None) -> bool:
    """Whether the user's client may see this beneficiary (the API's scope rule)."""
    try:
        check_scope(conn, user.caller, beneficiary_id, systems)
    except ApiError:
        return False
    return True


def require_scope(conn: Connection, user: ConsoleUser, beneficiary_id: str, systems: set[str] | None = None) -> None:
    if not in_scope(conn, user, beneficiary_id, systems):
        raise ConsoleError(403, "This person is outside the scope of your key.", "Outside your scope")


def names(conn: Connection, beneficiary_ids: set[str]) -> dict[str, str]:
    """Display names of published beneficiaries (golden record)."""
    if not beneficiary_ids:
        return {}
    rows = conn.execute(
        sa.select(GOLDEN.c.beneficiary_id, GOLDEN.c.first_name, GOLDEN.c.last_name).where(
            GOLDEN.c.beneficiary_id.in_(sorted(beneficiary_ids))
        )
    ).all()
    return {b: " ".join(x for x in (first, last) if x) or b for b, first, last in rows}


def source_records(conn: Connection, keys: list[str]) -> dict[str, dict]:
    """Staged person records by key ("system:id"), every column but the run; missing keys absent."""
    from matching import store

    frame = store.read_persons(conn, None, columns=PERSON_COLUMNS, keys=keys)
    return {key: {c: _value(v) for c, v in row.items()} for key, row in zip(frame.index, frame.to_dict("records"))}


def _value(v):
    """None for the frame's missing markers (None, NaN, NA, NaT)."""
    return None if v is None or (not isinstance(v, (str, bytes, list, dict)) and bool(pd.isna(v))) else v


def hidden_from(user: ConsoleUser, protected: bool) -> set[str]:
    """Person fields withheld from `user`: the analysts' list of the API's redaction, the address when protected
    and the user lacks the grant."""
    hidden = set(ANALYST_HIDDEN) | {"household", "birth_date"} if user.pseudonymised else set()
    if protected and not user.caller.has("confidential"):
        hidden.add("address")
    return hidden


def beneficiaries_of(conn: Connection, keys: list[str]) -> list[str]:
    """The current beneficiaries of some source records (for the audit of an action on them)."""
    from matching.store import split_key

    pairs = sorted({split_key(k) for k in keys})
    if not pairs:
        return []
    q = sa.select(XW.c.beneficiary_id).where(sa.tuple_(XW.c.source_system, XW.c.source_person_id).in_(pairs))
    return sorted(set(conn.execute(q).scalars()))


def audit_ids(ids: Iterable[str]) -> list[str | None]:
    """The beneficiaries a page showed or acted on, for its audit rows (one row without a beneficiary if none)."""
    found: list[str | None] = list(ids)
    return found or [None]
