"""The last valid version of records whose current version fails its contract: a bad update keeps the good data.

The raw layer keeps every version of a record. For the records of a batch whose current version failed,
`last_valid` reads their earlier versions, validates them with the same contract and returns, per record,
the latest one that passes. Only versions after the record's last deletion count: a record the source
deleted and then sent again with bad data has nothing valid to keep.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from schemas.contracts import validate_payloads
from schemas.staging import reader


def last_valid(
    conn: Connection, table: sa.Table, model: type[pa.DataFrameModel], ids: Iterable[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(payload frame, raw lineage) of the latest earlier version of each of `ids` that passes `model`,
    for the records that have one; one row per record, in the same order in both frames."""
    versions = reader.older_versions(conn, table, ids)
    deleted = versions["deleted"].astype(bool)
    last_deletion = versions[deleted].groupby("source_id")["version"].max()
    after = versions["version"] > versions["source_id"].map(last_deletion).fillna(0)
    candidates = versions[after & ~deleted].reset_index(drop=True)
    checked = validate_payloads(model, list(candidates["payload"]))
    passed = checked.passed()
    meta = candidates[passed].sort_values(["source_id", "version"]).drop_duplicates("source_id", keep="last")
    return checked.frame.loc[meta.index].reset_index(drop=True), meta.reset_index(drop=True)
