"""What migration 0011_privacy adds to existing tables, and the analysts' pseudonym table.

Columns are appended to the tables defined in ``access.py`` and ``profile.py`` here (not in their column
functions, which migrations 0005/0006 call and must keep creating the tables as they were):

- ``address_protected`` on ``golden_record``, ``golden_history``, ``fact_residence`` and ``fact_stay``:
  the address on that row is a protected address (rule in warehouse/README.md, "Protected addresses"),
  decided at every publish by ``warehouse.profile.protection``;
- ``prev_hash`` / ``row_hash`` on ``api_audit``: the hash chain over audit rows (``warehouse.audit_chain``).

``analyst_pseudonym`` maps the ids the analysts' schema hides (beneficiary, household, event and registry
record ids) to their keyed pseudonyms (``warehouse.pseudonyms``); the views of schema ``fase_marts`` join
it. It is a re-identification table: never granted to anyone.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.models.access import ACCESS_TABLES
from warehouse.models.base import Base
from warehouse.models.profile import PROFILE_TABLES

ADDRESS_PROTECTED_TABLES = ("golden_record", "golden_history", "fact_residence", "fact_stay")
"""Tables whose rows carry the `address_protected` flag."""

for _name in ADDRESS_PROTECTED_TABLES:
    PROFILE_TABLES[_name].append_column(
        sa.Column("address_protected", sa.Boolean, nullable=False, server_default=sa.false())
    )
for _name in ("prev_hash", "row_hash"):
    ACCESS_TABLES["api_audit"].append_column(sa.Column(_name, sa.String(64)))

ANALYST_PSEUDONYM = sa.Table(
    "analyst_pseudonym",
    Base.metadata,
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("id", sa.String(100), nullable=False),
    sa.Column("pseudonym", sa.String(40), nullable=False),
    sa.PrimaryKeyConstraint("kind", "id", name="pk_analyst_pseudonym"),
)
