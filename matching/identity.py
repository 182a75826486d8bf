"""Stable beneficiary ids: carry ids across runs by overlap, decide merges, splits, revivals, retirements.

Pure computation (no database): `assign_ids` takes this run's clusters (record key -> cluster label),
the previous crosswalk (record key -> beneficiary id) and what is known of every id ever issued, and
returns the new crosswalk plus the changes to announce.

Rules
  * every previous id still holding records *claims* the new cluster holding most of its records
    (ties: the cluster whose smallest record key is smallest);
  * a cluster claimed by one id keeps it; claimed by several -> merge: the survivor is the oldest id
    (created in the earliest run, ties by id), the others become `merged` with `merged_into`;
  * a cluster claimed by nobody is either a part split off an existing id or made of new records:
    it revives a `merged`/`retired` id founded by one of its records (so that undoing a merge gives the
    old id back), else gets a new id: "B" + base32 of a hash of its smallest record key (the founding
    record), collision-checked against every id ever issued;
  * an id whose records are all gone (deleted from staging) is `retired`;
  * changes: created (new ids), merged (with merged_into), split (on the id that lost records, with
    related_ids = every id its previous records now belong to), updated (records added/removed,
    revived), retired.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

ID_PREFIX = "B"
ID_CHARS = 12
MAX_SALT = 50


def mint_id(founding_key: str, salt: int = 0) -> str:
    """Deterministic, opaque id of a cluster founded by `founding_key` (salt > 0 after a collision)."""
    raw = founding_key if salt == 0 else f"{founding_key}#{salt}"
    digest = hashlib.sha256(raw.encode("utf-8")).digest()
    # base32 spells each 5 bytes in 8 characters on their own: the first 10 bytes give the first 16 characters
    return ID_PREFIX + base64.b32encode(digest[:10]).decode("ascii")[:ID_CHARS]


@dataclass
class Known:
    """What is known of an issued id: status, merged_into, created_run_id (for the survivor rule)."""

    status: str
    merged_into: str | None = None
    created_run_id: int = 0


@dataclass
class Assignment:
    crosswalk: pd.Series  # record key -> beneficiary id (current records)
    members: dict[str, list[str]]  # active id -> its record keys
    created: list[str] = field(default_factory=list)
    revived: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    merged: dict[str, str] = field(default_factory=dict)  # absorbed id -> survivor
    split: dict[str, list[str]] = field(default_factory=dict)  # id that lost records -> ids now holding them
    retired: list[str] = field(default_factory=list)

    def changes(self) -> list[dict]:
        """Change-feed entries in announcement order (new ids before the merges that point at them)."""
        out: list[dict[str, Any]] = [
            dict(beneficiary_id=b, kind="created", merged_into=None, related_ids=None) for b in self.created
        ]
        out += [
            dict(beneficiary_id=b, kind="updated", merged_into=None, related_ids=None)
            for b in sorted(set(self.updated) | set(self.revived))
        ]
        out += [
            dict(beneficiary_id=b, kind="merged", merged_into=s, related_ids=None)
            for b, s in sorted(self.merged.items())
        ]
        out += [
            dict(beneficiary_id=b, kind="split", merged_into=None, related_ids=ids)
            for b, ids in sorted(self.split.items())
        ]
        out += [dict(beneficiary_id=b, kind="retired", merged_into=None, related_ids=None) for b in self.retired]
        return out

    def summary(self) -> dict:
        return {
            "beneficiaries": len(self.members),
            "created": len(self.created),
            "revived": len(self.revived),
            "updated": len(self.updated),
            "merged": len(self.merged),
            "split": len(self.split),
            "retired": len(self.retired),
        }


def assign_ids(keys, labels, previous: Mapping[str, str] | pd.Series, known: Mapping[str, Known]) -> Assignment:
    """New crosswalk for records `keys` clustered as `labels` (same length), given the previous crosswalk.

    Steps (the rules of the module docstring): previous ids claim clusters (`_claims`); a cluster claimed by
    several ids keeps the oldest and merges the others (`_settle_claims`); unclaimed clusters revive or mint
    an id (`_name_unclaimed`); then the splits, the updated ids and the retired ids are read off.
    """
    prev = pd.Series(previous, dtype=object) if not isinstance(previous, pd.Series) else previous
    df = _records(keys, labels, prev)
    first_key = df.groupby("label", sort=False)["key"].first()  # founding (smallest) key per cluster
    claims = _claims(df, first_key)

    result = Assignment(crosswalk=pd.Series(dtype=object), members={})
    label_id = _settle_claims(claims, known, result)
    _name_unclaimed(df, first_key, label_id, known, result)

    df["bid"] = df["label"].map(label_id)
    result.crosswalk = pd.Series(df["bid"].to_numpy(), index=df["key"].to_numpy(), dtype=object)
    result.members = _members(df["bid"].to_numpy(dtype=object), df["key"].to_numpy(dtype=object))
    result.split = _splits(claims.scattered, label_id)
    result.updated = _updated(result, _touched(df, prev))
    # retired: previous ids without any current record
    current = set(df["prev"].dropna())
    result.retired = sorted(b for b in set(prev.tolist()) if b not in current and b not in result.merged)
    result.created.sort()
    result.revived.sort()
    return result


def _members(bids: np.ndarray, keys: np.ndarray) -> dict[str, list]:
    """Keys per id, ids sorted, keys in their given order (a groupby's result without its per-group cost)."""
    codes, ids = pd.factorize(bids, sort=True)
    ok = codes >= 0
    codes, keys = codes[ok], keys[ok]
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=len(ids))).tolist()
    ordered = keys[order].tolist()
    return {b: ordered[s:e] for b, s, e in zip(ids.tolist(), [0, *ends[:-1]], ends)}


def _records(keys, labels, prev: pd.Series) -> pd.DataFrame:
    """One row per record, sorted by key: key, cluster label, previous id (None for a new record)."""
    keys = np.asarray(keys, dtype=object)
    labels = np.asarray(labels)
    df = pd.DataFrame({"key": keys, "label": labels})
    df["prev"] = prev.reindex(keys).to_numpy(dtype=object) if len(prev) else None
    return df.sort_values("key", kind="stable")


@dataclass
class _Claims:
    """What the previous ids claim: each cluster claimed by one id (label -> id), each cluster claimed by several
    (label -> the ids), and the ids whose records lie in several clusters (id -> the labels of those)."""

    sole: dict[object, str] = field(default_factory=dict)
    contested: dict[object, list[str]] = field(default_factory=dict)
    scattered: dict[str, list[object]] = field(default_factory=dict)


def _claims(df: pd.DataFrame, first_key: pd.Series) -> _Claims:
    """Each previous id claims the cluster holding most of its records (ties: the smallest founding key). Only
    the ids whose records lie in several clusters are sorted to find it (the others claim their one cluster)."""
    held = df[df["prev"].notna()]
    claims = _Claims()
    if len(held):
        ov = held.groupby(["prev", "label"], sort=False).size().rename("n").reset_index()
        apart = ov["prev"].duplicated(keep=False).to_numpy()
        parts = ov[apart].assign(fk=first_key.reindex(ov["label"][apart]).to_numpy())
        parts = parts.sort_values(["prev", "n", "fk"], ascending=[True, False, True], kind="stable")
        best = pd.concat([ov[~apart], parts.drop_duplicates("prev")], ignore_index=True)
        several = best["label"].duplicated(keep=False).to_numpy()
        sole = best[~several]
        claims.sole = dict(zip(sole["label"].tolist(), sole["prev"].tolist()))
        contested = best[several].sort_values("prev", kind="stable")
        for pid, lab in zip(contested["prev"].tolist(), contested["label"].tolist()):
            claims.contested.setdefault(lab, []).append(pid)
        for pid, lab in zip(parts["prev"].tolist(), parts["label"].tolist()):
            claims.scattered.setdefault(pid, []).append(lab)
    return claims


def _settle_claims(claims: _Claims, known: Mapping[str, Known], result: Assignment) -> dict:
    """Cluster label -> id for the claimed clusters: a sole claimant keeps its cluster; of several, the oldest
    (created in the earliest run, ties by id) survives and the others are recorded in `result.merged`."""

    def age(b: str):
        k = known.get(b)
        return (k.created_run_id if k else 0, b)

    label_id: dict[object, str] = dict(claims.sole)
    for lab, ids in claims.contested.items():
        ids = sorted(ids, key=age)
        label_id[lab] = ids[0]
        for other in ids[1:]:
            result.merged[other] = ids[0]
    return label_id


def _name_unclaimed(
    df: pd.DataFrame, first_key: pd.Series, label_id: dict, known: Mapping[str, Known], result: Assignment
) -> None:
    """Give every unclaimed cluster an id in `label_id`: a merged or retired id founded by one of its records
    (revived), else a new id minted from its founding key (created)."""
    unclaimed = [lab for lab in first_key.index if lab not in label_id]
    if not unclaimed:
        return
    issued = set(known)
    revivable = {b for b, k in known.items() if k.status in ("merged", "retired")}
    first_keys = first_key.to_dict()
    candidates = _revival_candidates(df[df["label"].isin(unclaimed)], revivable)
    for lab in unclaimed:
        b = candidates.get(lab)
        if b is not None and b in revivable:
            revivable.discard(b)
            label_id[lab] = b
            result.revived.append(b)
            continue
        b = _mint_unissued(first_keys[lab], issued)
        issued.add(b)
        label_id[lab] = b
        result.created.append(b)


def _revival_candidates(members: pd.DataFrame, revivable: set[str]) -> dict[object, str]:
    """Per cluster, the first revivable id (in key order) that one of its records founded."""
    candidates: dict[object, str] = {}
    if revivable:
        for lab, key in zip(members["label"], members["key"]):
            if lab in candidates:
                continue
            b = mint_id(key)
            if b in revivable:
                candidates[lab] = b
    return candidates


def _mint_unissued(founding_key: str, issued: set[str]) -> str:
    """The id minted from `founding_key` with the smallest salt that no issued id holds."""
    for salt in range(MAX_SALT):
        b = mint_id(founding_key, salt)
        if b not in issued:
            return b
    raise RuntimeError(f"cannot mint an id for {founding_key}")  # pragma: no cover - 50 collisions of 60-bit hashes


def _splits(scattered: dict[str, list[object]], label_id: dict) -> dict[str, list[str]]:
    """Previous ids whose records now sit under several ids -> those ids (sorted); `scattered`: the previous ids
    whose records lie in several clusters, with those clusters."""
    split: dict[str, list[str]] = {}
    for pid, labs in scattered.items():
        holders = sorted({label_id[lab] for lab in labs})
        if len(holders) > 1:
            split[pid] = holders
    return split


def _touched(df: pd.DataFrame, prev: pd.Series) -> set:
    """Ids whose record set changed: an id held by a record that held another id before (or none), or that a
    record held before and holds no more (moved on, or gone from the records)."""
    bid, old = df["bid"].to_numpy(dtype=object), df["prev"].to_numpy(dtype=object)
    moved = old != bid  # a new record's previous id is missing: its id is touched
    gone = ~prev.index.isin(pd.Index(df["key"].to_numpy(dtype=object)))
    ids = np.concatenate([bid[moved], old[moved], prev.to_numpy(dtype=object)[gone]])
    return set(ids[pd.notna(ids)].tolist())


def _updated(result: Assignment, touched: set) -> list[str]:
    """Surviving ids (neither created nor revived in this run) whose record set changed, sorted."""
    fresh = set(result.created) | set(result.revived)
    return sorted(b for b in result.members if b not in fresh and b in touched)
