"""Validate a batch of payloads against its stream's contract, lazily, and explain every failure in words.

`validate_payloads` returns a `ContractResult`: the payload frame (blank strings made null) and one
row per failed rule and record (`failures`: row, column, rule, message); a contract column absent
from a payload is a failure of its own, never a silent null. `check_drift` raises
`SchemaDriftError` when a column is missing from every payload, or when the share of failing records
in a batch of at least DRIFT_MIN_ROWS exceeds the threshold: that is a changed source, not bad records.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from schemas.contracts.checks import DESCRIBE, FRAME_CHECK_COLUMN, rule_label

DRIFT_MIN_ROWS = 20
FAILURE_COLUMNS = ["row", "column", "rule", "message"]


class SchemaDriftError(RuntimeError):
    """A batch failed its contract wholesale (renamed column, new date format): nothing of it was staged."""


@dataclass
class ContractResult:
    frame: pd.DataFrame  # payload values, one row per record (RangeIndex = position in the batch);
    # every contract column present (None where a payload lacks it)
    failures: pd.DataFrame  # FAILURE_COLUMNS, one row per record and failed rule
    missing_columns: list[str]  # contract columns absent from every payload (a renamed column)

    @property
    def failed_rows(self) -> pd.Index:
        return pd.Index(self.failures["row"].unique())

    def passed(self) -> pd.Series:
        """Boolean mask over `frame`: the record passed every rule."""
        return ~self.frame.index.isin(self.failed_rows)

    def rules_by_row(self) -> dict[int, list[str]]:
        """Row position -> the failed rules in words, in contract order."""
        return {int(row): list(group) for row, group in self.failures.groupby("row", sort=False)["message"]}

    def labels_by_row(self) -> dict[int, list[str]]:
        """Row position -> the failed rules without the values ('DATA_NASCITA: date_format(fmt=DD/MM/YYYY)'):
        what may be shown to a reader who must not see the failing payload."""
        labels = self.failures["column"].astype(str) + ": " + self.failures["rule"].astype(str)
        return {int(row): list(group) for row, group in labels.groupby(self.failures["row"], sort=False)}


def payload_frame(payloads: list[dict]) -> pd.DataFrame:
    """Payloads as an object frame, values untouched except blank strings, which become None."""
    frame = pd.DataFrame(payloads, dtype=object).reset_index(drop=True)
    for col in frame.columns:
        try:
            blank = frame[col].str.strip().eq("").fillna(False).astype(bool)
        except AttributeError:  # no strings in the column
            continue
        if blank.any():
            frame.loc[blank, col] = None
    return frame


def _describe(schema: pa.DataFrameSchema, frame: pd.DataFrame, case: dict) -> tuple[str, str, str]:
    """(column, rule, message) of one pandera failure case."""
    name, column, value = case["check"], case["column"], case["failure_case"]
    if case["schema_context"] == "DataFrameSchema":
        check = schema.checks[int(case["check_number"])]
        stats = check.statistics
        row = frame.loc[case["index"]]
        return (
            stats[FRAME_CHECK_COLUMN[check.name]],
            rule_label(check.name, stats),
            DESCRIBE[check.name](column, value, stats, row),
        )
    if name == "not_nullable":
        return column, name, DESCRIBE[name](column, value, {}, None)
    check = schema.columns[column].checks[int(case["check_number"])]
    return column, rule_label(check.name, check.statistics), DESCRIBE[check.name](column, value, check.statistics, None)


def _missing_keys(payloads: list[dict], columns: list[str]) -> list[tuple[int, str]]:
    """(row, column) for every contract column absent from a payload (computed once per distinct key set)."""
    codes, keysets = pd.factorize(pd.Series([frozenset(p) for p in payloads], dtype=object))
    absent = [[c for c in columns if c not in keys] for keys in keysets]
    return [(row, column) for row, code in enumerate(codes) for column in absent[code]]


def validate_payloads(model: type[pa.DataFrameModel], payloads: list[dict]) -> ContractResult:
    schema = model.to_schema()
    frame = payload_frame(payloads)
    for column in schema.columns:
        if column not in frame:
            frame[column] = pd.Series(None, index=frame.index, dtype=object)
    try:
        schema.validate(frame, lazy=True)
        cases = []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.to_dict("records")
    missing = _missing_keys(payloads, list(schema.columns))
    absent = set(missing)
    rows = [
        (row, column, "column_in_dataframe", DESCRIBE["column_in_dataframe"](column, column, {}, None))
        for row, column in missing
    ]
    for case in cases:
        column, rule, message = _describe(schema, frame, case)
        row = int(case["index"])
        if (row, column) not in absent:
            rows.append((row, column, rule, message))
    failures = pd.DataFrame(rows, columns=FAILURE_COLUMNS).drop_duplicates(["row", "column", "rule"])
    failures["order"] = failures["column"].map({c: i for i, c in enumerate(schema.columns)})
    failures = failures.sort_values(["row", "order"], kind="stable").drop(columns="order").reset_index(drop=True)
    counts = pd.Series([column for _, column in missing], dtype=object).value_counts()
    everywhere = sorted(c for c, n in counts.items() if n == len(frame))
    return ContractResult(frame, failures, everywhere)


def check_drift(system: str, stream: str, result: ContractResult, threshold: float) -> None:
    """Raise SchemaDriftError naming system, stream, column and rule when the batch failed wholesale."""
    total = len(result.frame)
    failed = len(result.failed_rows)
    if not result.missing_columns and (total < DRIFT_MIN_ROWS or failed <= threshold * total):
        return
    top = result.failures.groupby(["column", "rule"]).size().sort_values(ascending=False, kind="stable")
    (column, rule), count = next(iter(top.items()))
    example = result.failures.loc[
        (result.failures["column"] == column) & (result.failures["rule"] == rule), "message"
    ].iloc[0]
    raise SchemaDriftError(
        f"schema drift in {system}.{stream}: {failed} of {total} records fail their contract "
        f"(threshold {threshold:.0%}); most frequent: column {column}, rule {rule} ({count} records), "
        f'e.g. "{example}". Nothing of this batch was staged or quarantined.'
    )
