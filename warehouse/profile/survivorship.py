"""Survivorship: which source record's value each golden-record attribute takes, and why.

The rules live in one table, `RULES` (documented in warehouse/README.md). Each rule names the
`stg_person` columns it carries together (a name is first + last name from the same record, a residence
is the whole address), a validity test, and an ordered list of criteria:

  authority:<system>   records of that system first (anagrafe for CF, residence, household)
  prefer:<column>      records where that boolean column is true first (a CF consistent with the record)
  most_recent          the latest `source_updated_at` first
  most_complete        more non-empty carried columns first, then the longer text

Ties after every criterion go to the smallest (source_system, source_person_id), so the result never
depends on row order. Provenance says which criterion separated the winner from the runner-up
(`decided_by`): `only_candidate` when a single record had a valid value, `tie_break` when none did.
Everything is set-based: one sort and one drop_duplicates per rule over all candidates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from warehouse.profile.frames import canon, row_hashes


def _present(*columns: str) -> Callable[[pd.DataFrame], pd.Series]:
    def test(df: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=df.index)
        for c in columns:
            ok &= df[c].notna() & (df[c].astype(str).str.strip() != "")
        return ok

    return test


def _valid_cf(df: pd.DataFrame) -> pd.Series:
    return df["cf_base"].notna() & df["cf_status"].isin(["valid", "omocodic"])


def _valid_birth_date(df: pd.DataFrame) -> pd.Series:
    return df["birth_date"].notna() & ~df["birth_date_is_default"].astype(bool)


def _valid_sex(df: pd.DataFrame) -> pd.Series:
    return df["sex"].isin(["M", "F"])


def _valid_name(df: pd.DataFrame) -> pd.Series:
    return _present("first_name", "last_name")(df) & ~df["name_split_ambiguous"].astype(bool)


@dataclass(frozen=True)
class Rule:
    """How one golden attribute (group) survives."""

    columns: dict[str, str]  # golden column -> stg_person column carried
    valid: Callable[[pd.DataFrame], pd.Series]
    criteria: tuple[str, ...]
    note: str


RULES: dict[str, Rule] = {
    "codice_fiscale": Rule(
        {"codice_fiscale": "codice_fiscale", "cf_status": "cf_status"},
        _valid_cf,
        ("authority:anagrafe", "prefer:cf_consistent", "most_recent"),
        "anagrafe is the authority; only well-formed codes (valid or omocodic), "
        "preferring one consistent with its own record's name, sex and birth data",
    ),
    "name": Rule(
        {"first_name": "first_name", "last_name": "last_name"},
        _valid_name,
        ("prefer:cf_consistent", "most_recent", "most_complete"),
        "first and last name from the same record; one-field names with an ambiguous split are not "
        "valid; a record whose CF agrees with its own name (not swapped, not mistyped) first",
    ),
    "sex": Rule({"sex": "sex"}, _valid_sex, ("prefer:cf_consistent", "most_recent"), "M or F"),
    "birth_date": Rule(
        {"birth_date": "birth_date"},
        _valid_birth_date,
        ("prefer:cf_consistent", "most_recent"),
        "1 January placeholders are not valid values; a date agreeing with the record's CF first",
    ),
    "birthplace": Rule(
        {"birthplace": "birthplace_norm", "birth_country": "birth_country"},
        _present("birthplace_norm"),
        ("most_recent", "most_complete"),
        "municipality or country",
    ),
    "citizenship": Rule({"citizenship": "citizenship"}, _present("citizenship"), ("most_recent",), "ISO code"),
    "phone": Rule({"phone": "phone"}, _present("phone"), ("most_recent",), "E.164 numbers only"),
    "email": Rule({"email": "email"}, _present("email"), ("most_recent",), ""),
    "residence": Rule(
        {
            "residence_toponym": "address_toponym",
            "residence_street": "address_street",
            "residence_number": "address_number",
            "residence_postcode": "address_postcode",
            "residence_municipality": "address_municipality",
        },
        _present("address_street"),
        ("authority:anagrafe", "most_recent", "most_complete"),
        "anagrafe is the authority; else the latest address any system gave",
    ),
    "household": Rule(
        {"household_key": "household_key", "household_role": "household_role"},
        _present("household_key"),
        ("authority:anagrafe", "most_recent"),
        "anagrafe ID_FAMIGLIA is the authority; else SAT's nucleo",
    ),
}
"""Golden attribute group -> rule. The single place where survivorship is declared."""

GOLDEN_COLUMNS = [c for rule in RULES.values() for c in rule.columns] + ["is_protected", "systems", "record_count"]
"""Content columns of the golden record (row_hash covers exactly these)."""
SYSTEM_ORDER = ("anagrafe", "sat", "polis", "volontariato", "contabilita")


def _keys(df: pd.DataFrame, rule: Rule) -> list[tuple[str, str, bool]]:
    """Add one sort key column per criterion; returns (criterion, column, ascending)."""
    keys = []
    for i, criterion in enumerate(rule.criteria):
        col = f"_k{i}"
        if criterion.startswith("authority:"):
            df[col] = (df["source_system"] == criterion.split(":", 1)[1]).astype(int)
        elif criterion.startswith("prefer:"):
            df[col] = df[criterion.split(":", 1)[1]].map(lambda v: 1 if v is True or v == 1 else 0)
        elif criterion == "most_recent":
            df[col] = pd.to_datetime(df["source_updated_at"], utc=True).fillna(pd.Timestamp(0, tz="UTC"))
        elif criterion == "most_complete":
            carried = list(rule.columns.values())
            filled = sum(df[c].notna().astype(int) for c in carried)
            length = sum(df[c].map(lambda v: len(str(v)) if v is not None else 0) for c in carried)
            df[col] = filled * 10_000 + length
        else:
            raise ValueError(f"unknown survivorship criterion {criterion!r}")
        keys.append((criterion, col, False))
    return keys


def survive(candidates: pd.DataFrame, protected_stays: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Golden records and provenance from candidate rows (stg_person columns + beneficiary_id).

    `protected_stays` (beneficiary_id, source_person_id, source_updated_at): SAT records with a stay in
    a protected structure; they make the person protected like a `riservato` record does.

    Returns (golden, provenance): golden has one row per beneficiary with GOLDEN_COLUMNS, row_hash and
    source_updated_at; provenance one row per (beneficiary, golden column) that has a value."""
    bids = sorted(candidates["beneficiary_id"].unique())
    golden = pd.DataFrame({"beneficiary_id": bids}, dtype=object)
    provenance = []
    base = candidates.sort_values(["beneficiary_id", "source_system", "source_person_id"]).reset_index(drop=True)
    for name, rule in RULES.items():
        valid = base[rule.valid(base)].copy()
        keys = _keys(valid, rule)
        order = ["beneficiary_id"] + [k[1] for k in keys] + ["source_system", "source_person_id"]
        ranked = valid.sort_values(order, ascending=[True] + [k[2] for k in keys] + [True, True], kind="stable")
        ranked["_rank"] = ranked.groupby("beneficiary_id").cumcount()
        winners = ranked[ranked["_rank"] == 0].set_index("beneficiary_id")
        runners = ranked[ranked["_rank"] == 1].set_index("beneficiary_id")
        counts = ranked.groupby("beneficiary_id").size()
        decided = pd.Series("tie_break", index=winners.index, dtype=object)
        decided[~winners.index.isin(runners.index)] = "only_candidate"
        both = winners.index[winners.index.isin(runners.index)]
        undecided = pd.Series(True, index=both)
        for criterion, col, _ in keys:
            differs = winners.loc[both, col].values != runners.loc[both, col].values
            hit = undecided & differs
            decided[hit[hit].index] = criterion
            undecided &= ~differs
        for golden_col, source_col in rule.columns.items():
            golden[golden_col] = golden["beneficiary_id"].map(winners[source_col]).astype(object)
            golden[golden_col] = golden[golden_col].where(golden[golden_col].notna(), None)
            has = winners[winners[source_col].notna()]
            if len(has):
                provenance.append(
                    pd.DataFrame(
                        {
                            "beneficiary_id": has.index,
                            "attribute": golden_col,
                            "value": has[source_col].map(canon).values,
                            "source_system": has["source_system"].values,
                            "source_person_id": has["source_person_id"].values,
                            "source_date": has["source_updated_at"].values,
                            "rule": f"{name}: " + " > ".join(rule.criteria),
                            "decided_by": decided[has.index].values,
                            "candidates": counts[has.index].values,
                        },
                        dtype=object,
                    )
                )
    _derived(golden, base, provenance, protected_stays)
    golden["row_hash"] = row_hashes(golden, GOLDEN_COLUMNS) if len(golden) else []
    stamps = pd.to_datetime(base["source_updated_at"], utc=True).groupby(base["beneficiary_id"])
    golden["source_updated_at"] = golden["beneficiary_id"].map(stamps.max()).astype(object)
    golden["first_source_at"] = golden["beneficiary_id"].map(stamps.min()).astype(object)
    for c in ("source_updated_at", "first_source_at"):
        golden[c] = [None if pd.isna(v) else v.to_pydatetime() for v in golden[c]]
    prov = pd.concat(provenance, ignore_index=True) if provenance else pd.DataFrame()
    return golden, prov


def _derived(
    golden: pd.DataFrame, base: pd.DataFrame, provenance: list[pd.DataFrame], protected_stays: pd.DataFrame | None
) -> None:
    """is_protected (a riservato record or a stay in a protected structure), systems, record_count."""
    flagged = base[base["riservato"].astype(bool)][
        ["beneficiary_id", "source_system", "source_person_id", "source_updated_at"]
    ].assign(_why="riservato")
    if protected_stays is not None and len(protected_stays):
        flagged = pd.concat(
            [flagged, protected_stays.assign(source_system="sat", _why="struttura_protetta")[list(flagged.columns)]],
            ignore_index=True,
        )
    riservato = (
        flagged.sort_values(["beneficiary_id", "_why", "source_system", "source_person_id"])
        .drop_duplicates("beneficiary_id")
        .set_index("beneficiary_id")
    )
    golden["is_protected"] = golden["beneficiary_id"].isin(riservato.index)
    if len(riservato):
        provenance.append(
            pd.DataFrame(
                {
                    "beneficiary_id": riservato.index,
                    "attribute": "is_protected",
                    "value": "1",
                    "source_system": riservato["source_system"].values,
                    "source_person_id": riservato["source_person_id"].values,
                    "source_date": riservato["source_updated_at"].values,
                    "rule": "any riservato record or protected stay",
                    "decided_by": riservato["_why"].values,
                    "candidates": 1,
                },
                dtype=object,
            )
        )
    rank = {s: i for i, s in enumerate(SYSTEM_ORDER)}
    pairs = base[["beneficiary_id", "source_system"]].drop_duplicates()
    pairs = pairs.assign(_r=pairs["source_system"].map(lambda x: rank.get(x, 99))).sort_values(["beneficiary_id", "_r"])
    systems = pairs.groupby("beneficiary_id")["source_system"].agg(",".join)
    golden["systems"] = golden["beneficiary_id"].map(systems)
    golden["record_count"] = golden["beneficiary_id"].map(base.groupby("beneficiary_id").size()).astype(int)
