"""Protected addresses: protection belongs to the address, not only to the person.

Decided at every publish, in one place, for every row that carries an address (rule in warehouse/README.md,
"Protected addresses"):

1. **protected people** — a beneficiary flagged `is_protected` (a `riservato` record or a stay in a
   `struttura_protetta`), and everyone who shares a household with one: the same published household
   (`household_member`), the same registry family (golden `household_key`) or the same SAT nucleo. Every
   address of theirs is protected;
2. **protected addresses** — every address of a beneficiary flagged `is_protected`: golden residence and
   every registry residence period (compared as normalised street + house number, the building: flats are
   not told apart), the structure of each of her stays, and the structure of every confidential stay
   (compared by structure name and by structure address text);
3. a row's address is protected (`address_protected`) when it belongs to a protected person or is a
   protected address — whoever it belongs to: a neighbour in the same building, a guest co-hosted in the
   same structure, a family living where she lived before. (A household member's *other* addresses are
   hidden on her own record only: they do not reveal where the protected person is.)

`golden_record`, `golden_history` and `fact_residence` get the flag; a stay whose address is protected is
treated like a confidential one: its structure name and address move to `restricted_stay_address` (and back
when the protection ends). Flags change only where they differ, so a publish with nothing new writes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import PROFILE_TABLES
from warehouse.profile.frames import clean, read

_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
IN_BATCH = 1000


@lru_cache(maxsize=200_000)
def _fold(text) -> str:
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().upper()
    return " ".join(_NON_ALNUM.sub(" ", ascii_text).split())


def residence_key(street, number) -> str | None:
    """The building of a residence: normalised street and house number (no flat); None without a street."""
    if street is None or pd.isna(street) or not _fold(street):
        return None
    house = "" if number is None or pd.isna(number) else _fold(number).replace(" ", "")
    return f"residence:{_fold(street)}|{house}"


def structure_keys(name, address) -> list[str]:
    """The keys of a stay's structure: its name and its address text, normalised."""
    keys = []
    for kind, value in (("structure", name), ("place", address)):
        if value is not None and not pd.isna(value) and _fold(value):
            keys.append(f"{kind}:{_fold(value)}")
    return keys


@dataclass(frozen=True)
class Protection:
    """Who is protected (every address of theirs) and which addresses are protected (whoever's they are)."""

    people: frozenset[str]
    keys: frozenset[str]

    def residence(self, beneficiary_ids: pd.Series, streets: pd.Series, numbers: pd.Series) -> pd.Series:
        """Flags for rows with a residence address."""
        keyed = [residence_key(s, n) in self.keys for s, n in zip(streets, numbers)]
        return beneficiary_ids.isin(self.people) | pd.Series(keyed, index=beneficiary_ids.index, dtype=bool)

    def stays(self, stays: pd.DataFrame) -> pd.Series:
        """Flags for stays (with their places: structure_name, address)."""
        keyed = [
            bool(self.keys.intersection(structure_keys(n, a)))
            for n, a in zip(stays["structure_name"], stays["address"])
        ]
        return stays["beneficiary_id"].isin(self.people) | pd.Series(keyed, index=stays.index, dtype=bool)


def decide(
    golden: pd.DataFrame, members: pd.DataFrame, nuclei: pd.DataFrame, residence: pd.DataFrame, stays: pd.DataFrame
) -> Protection:
    """The protected people and addresses. `stays` carry their places (confidential ones included)."""
    first = set(golden.loc[golden["is_protected"].astype(bool), "beneficiary_id"])
    people = set(first)
    households = set(members.loc[members["beneficiary_id"].isin(first), "household_id"])
    people |= set(members.loc[members["household_id"].isin(households), "beneficiary_id"])
    nucleus = set(nuclei.loc[nuclei["beneficiary_id"].isin(first), "household_key"].dropna())
    people |= set(nuclei.loc[nuclei["household_key"].isin(nucleus), "beneficiary_id"])
    family = set(golden.loc[golden["beneficiary_id"].isin(first), "household_key"].dropna())
    people |= set(golden.loc[golden["household_key"].isin(family), "beneficiary_id"])

    keys: set[str | None] = set()
    own = golden[golden["beneficiary_id"].isin(first)]
    keys.update(residence_key(s, n) for s, n in zip(own["residence_street"], own["residence_number"]))
    lived = residence[residence["beneficiary_id"].isin(first)]
    keys.update(residence_key(s, n) for s, n in zip(lived["street"], lived["number"]))
    stayed = stays[stays["beneficiary_id"].isin(first) | stays["confidential"].astype(bool)]
    for name, address in zip(stayed["structure_name"], stayed["address"]):
        keys.update(structure_keys(name, address))
    keys.discard(None)
    return Protection(frozenset(people), frozenset(k for k in keys if k))


def _update(conn: Connection, table: sa.Table, rows: pd.DataFrame, pk: list[str], values: dict[str, str]) -> int:
    """UPDATE `table` SET column = frame column (values: column -> frame column) for each row, by primary key."""
    if not len(rows):
        return 0
    stmt = (
        sa.update(table)
        .where(*(table.c[c] == sa.bindparam(f"k_{c}") for c in pk))
        .values({col: sa.bindparam(f"v_{col}") for col in values})
    )
    params = [
        {**{f"k_{c}": clean(r[c]) for c in pk}, **{f"v_{col}": clean(r[src]) for col, src in values.items()}}
        for r in rows.to_dict("records")
    ]
    for i in range(0, len(params), IN_BATCH):
        conn.execute(stmt, params[i : i + IN_BATCH])
    return len(params)


def _flag(conn: Connection, name: str, frame: pd.DataFrame, flags: pd.Series, pk: list[str]) -> int:
    """Write `flags` as address_protected where they differ from the frame's; the frame is updated too."""
    differs = frame["address_protected"].map(bool) != flags
    changed = frame[differs].assign(address_protected=flags[differs])
    frame.loc[differs, "address_protected"] = flags[differs]
    return _update(conn, PROFILE_TABLES[name], changed, pk, {"address_protected": "address_protected"})


def _stays(conn: Connection, stays: pd.DataFrame, restricted: pd.DataFrame, flags: pd.Series) -> dict:
    """Flag stays; move the places of stays now hidden to restricted_stay_address, and back for those no longer."""
    fact, held = PROFILE_TABLES["fact_stay"], PROFILE_TABLES["restricted_stay_address"]
    hidden = stays["confidential"].astype(bool) | flags
    in_restricted = stays["stay_id"].isin(set(restricted["stay_id"]))
    hide = stays[hidden & ~in_restricted]
    show = stays[~hidden & in_restricted]
    if len(hide):
        rows = hide[["stay_id", "beneficiary_id", "structure_name", "address"]]
        conn.execute(sa.insert(held), [{k: clean(v) for k, v in r.items()} for r in rows.to_dict("records")])
    places = restricted.set_index("stay_id")
    moved = _update(
        conn,
        fact,
        hide.assign(_none=None, address_protected=flags[hide.index]),
        ["stay_id"],
        {"structure_name": "_none", "address": "_none", "address_protected": "address_protected"},
    )
    back = show.assign(
        structure_name=show["stay_id"].map(places["structure_name"]),
        address=show["stay_id"].map(places["address"]),
        address_protected=False,
    )
    moved += _update(
        conn,
        fact,
        back,
        ["stay_id"],
        {"structure_name": "structure_name", "address": "address", "address_protected": "address_protected"},
    )
    _delete(conn, held, back["stay_id"])
    stays.loc[hide.index, ["structure_name", "address"]] = None
    stays.loc[back.index, ["structure_name", "address"]] = back[["structure_name", "address"]]
    rest = stays.index.difference(hide.index).difference(back.index)
    flagged = _flag(conn, "fact_stay", stays.loc[rest].copy(), flags[rest], ["stay_id"])
    stays["address_protected"] = flags
    return {"hidden": len(hide), "shown": len(back), "flagged": moved + flagged}


def _delete(conn: Connection, table: sa.Table, ids: Iterable) -> None:
    ids = list(ids)
    for i in range(0, len(ids), IN_BATCH):
        conn.execute(sa.delete(table).where(table.c.stay_id.in_(ids[i : i + IN_BATCH])))


def protect(conn: Connection, golden: pd.DataFrame, members: pd.DataFrame, nuclei: pd.DataFrame, facts: dict) -> dict:
    """Decide protection over the published rows and write it; `golden` and the frames in `facts`
    (fact_residence, fact_stay) are brought up to date in place. Returns counts of what changed."""
    residence, stays = facts["fact_residence"], facts["fact_stay"]
    restricted = read(conn, sa.select(PROFILE_TABLES["restricted_stay_address"]))
    places = restricted.set_index("stay_id")
    with_places = stays.assign(
        structure_name=stays["structure_name"].where(
            stays["structure_name"].notna(), stays["stay_id"].map(places["structure_name"])
        ),
        address=stays["address"].where(stays["address"].notna(), stays["stay_id"].map(places["address"])),
    )
    decision = decide(golden, members, nuclei, residence, with_places)
    h = PROFILE_TABLES["golden_history"]
    history = read(
        conn,
        sa.select(
            h.c.beneficiary_id, h.c.valid_from, h.c.residence_street, h.c.residence_number, h.c.address_protected
        ),
    )
    out: dict[str, int | dict] = {
        "people": len(decision.people),
        "addresses": len(decision.keys),
        "golden_record": _flag(
            conn,
            "golden_record",
            golden,
            decision.residence(golden["beneficiary_id"], golden["residence_street"], golden["residence_number"]),
            ["beneficiary_id"],
        ),
        "golden_history": _flag(
            conn,
            "golden_history",
            history,
            decision.residence(history["beneficiary_id"], history["residence_street"], history["residence_number"]),
            ["beneficiary_id", "valid_from"],
        ),
        "fact_residence": _flag(
            conn,
            "fact_residence",
            residence,
            decision.residence(residence["beneficiary_id"], residence["street"], residence["number"]),
            ["source_person_id", "valid_from"],
        ),
    }
    out["fact_stay"] = _stays(conn, stays, restricted, decision.stays(with_places))
    return out
