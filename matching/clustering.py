"""Clustering: thresholds -> decisions, then constrained union-find over the automatic links.

Decision per scored pair: AUTO_LINK (score >= auto_link), REVIEW (review <= score < auto_link),
NON_LINK (below review), SKIPPED (an automatic link that a constraint refused; worth a review).

Clusters are the connected components of must-links + automatic links, under hard constraints:
  * no cluster holds two different trusted valid codici fiscali (`cf_key`: an integer code per
    record, -1 when the record has no trusted valid code);
  * no cluster holds two distinct records of a one-person-per-record system (default anagrafe), unless
    they are one person registered twice (`same_person`: the same trusted code in the same family);
  * no cluster holds both ends of a cannot-link pair (review decisions).
Links are applied in descending weight, so when a union would break a constraint it is the weakest
link that is skipped. Must-links (human decisions) and double registrations go first and override the
CF and system constraints, never a cannot-link. Components without any possible conflict (almost all)
are taken straight from scipy's connected components; only the conflicting ones run the Python union-find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

NON_LINK, REVIEW, AUTO_LINK, SKIPPED = 0, 1, 2, 3
DECISION_LABELS = {NON_LINK: "non_link", REVIEW: "review", AUTO_LINK: "auto_link", SKIPPED: "skipped"}


@dataclass
class ClusterResult:
    labels: np.ndarray  # per record position: cluster id = smallest record position in the cluster
    decisions: np.ndarray  # per pair: NON_LINK / REVIEW / AUTO_LINK / SKIPPED
    skipped: pd.DataFrame  # i, j, score, reason of the refused automatic links
    conflicted_components: int  # components that needed the constrained union-find

    @property
    def n_clusters(self) -> int:
        return int(np.count_nonzero(np.bincount(self.labels))) if self.labels.size else 0


def classify(scores: np.ndarray, auto_link: float, review: float) -> np.ndarray:
    s = np.asarray(scores)
    return np.where(s >= auto_link, AUTO_LINK, np.where(s >= review, REVIEW, NON_LINK)).astype(np.int8)


def ambiguous_links(
    i: np.ndarray,
    j: np.ndarray,
    weight: np.ndarray,
    candidate: np.ndarray,
    margin: float,
    exclusive: np.ndarray,
    cf_key: np.ndarray | None = None,
) -> np.ndarray:
    """Links that are ambiguous: a record whose best link and another link within `margin` (weight
    units) go to two records that cannot be the same person (two records of a one-person-per-record
    system: `exclusive` >= 0 holds a distinct value per such record; or two different trusted codes).
    Returns a mask over the pairs (only `candidate` pairs can be marked): those links go to review."""
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    sel = np.flatnonzero(candidate)
    out = np.zeros(len(i), dtype=bool)
    if sel.size < 2:
        return out
    exclusive = np.asarray(exclusive, dtype=np.int64)
    cfk = np.full(len(exclusive), -1, np.int64) if cf_key is None else np.asarray(cf_key, dtype=np.int64)
    d = pd.DataFrame(
        {
            "r": np.r_[i[sel], j[sel]],
            "nb": np.r_[j[sel], i[sel]],
            "w": np.r_[weight[sel], weight[sel]],
            "pair": np.r_[sel, sel],
        }
    )
    d["g"], d["cf"] = exclusive[d["nb"].to_numpy()], cfk[d["nb"].to_numpy()]
    multi = d["r"].map(d["r"].value_counts()) > 1
    d = d[multi & ((d["g"] >= 0) | (d["cf"] >= 0))]
    if d.empty:
        return out
    d = d.sort_values(["r", "w"], ascending=[True, False], kind="stable")
    top = d.groupby("r", sort=False).head(1).set_index("r")
    d = d.join(top[["w", "g", "cf"]], on="r", rsuffix="_top")
    close = d["w"] >= d["w_top"] - margin
    other = d["nb"].to_numpy() != d["r"].map(top["nb"]).to_numpy()
    excl = ((d["g"] >= 0) & (d["g_top"] >= 0) & (d["g"] != d["g_top"])) | (
        (d["cf"] >= 0) & (d["cf_top"] >= 0) & (d["cf"] != d["cf_top"])
    )
    hit = d[close & other & excl]
    if hit.empty:
        return out
    rs = set(hit["r"].tolist())
    bad = d[d["r"].isin(rs) & close & (excl | ~other)]
    out[bad["pair"].to_numpy()] = True
    return out


def _pairs(p) -> tuple[np.ndarray, np.ndarray]:
    if p is None:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a, b = p
    return np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)


@dataclass
class _Links:
    """The links clustering applies, as edges: must-links and double registrations first (weight inf, pair -1),
    then the automatic links (weight = score, pair = index into the scored pairs)."""

    a: np.ndarray
    b: np.ndarray
    weight: np.ndarray
    pair: np.ndarray


def _links(i, j, scores, decisions, must_link, same_person) -> _Links:
    """The edges of the must-links, the double registrations (`same_person`) and the automatic links."""
    ml_a, ml_b = _pairs(must_link)
    sp_a, sp_b = _pairs(same_person)
    ml_a, ml_b = np.r_[ml_a, sp_a], np.r_[ml_b, sp_b]
    auto = np.flatnonzero(decisions == AUTO_LINK)
    return _Links(
        a=np.r_[ml_a, i[auto]],
        b=np.r_[ml_b, j[auto]],
        weight=np.r_[np.full(ml_a.size, np.inf), scores[auto]],
        pair=np.r_[np.full(ml_a.size, -1), auto],
    )


def _exclusive_groups(exclusive, system, one_person_systems) -> list[np.ndarray]:
    """The exclusive group arrays (-1 = free), the one-person-per-record systems turned into one more."""
    groups = [np.asarray(g, dtype=np.int64) for g in (exclusive or [])]
    if system is not None and one_person_systems:
        sysv = np.asarray(system, dtype=object)
        codes = pd.factorize(sysv)[0].astype(np.int64)
        groups.append(np.where(np.isin(sysv, list(one_person_systems)), codes, -1))
    return groups


def _conflicted_components(comp, ncomp: int, cf_key, groups: list[np.ndarray], cl_a, cl_b) -> np.ndarray:
    """Per connected component, whether it could break a constraint: two different trusted codes, two
    records of one exclusive group, or both ends of a cannot-link pair."""
    conflict = np.zeros(ncomp, dtype=bool)
    if cf_key is not None:
        has = cf_key >= 0
        cc = pd.DataFrame({"c": comp[has], "k": cf_key[has]}).drop_duplicates()
        per = np.bincount(cc["c"].to_numpy(), minlength=ncomp)
        conflict |= per > 1
    for g in groups:
        on = g >= 0
        if on.any():
            sc = pd.DataFrame({"c": comp[on], "s": g[on]})
            dup = sc.duplicated().to_numpy()
            conflict[np.unique(sc["c"].to_numpy()[dup])] = True
    if cl_a.size:
        same = comp[cl_a] == comp[cl_b]
        conflict[np.unique(comp[cl_a][same])] = True
    return conflict


class _ConstrainedUnion:
    """Union-find over the records of the conflicting components. Each root keeps its members, its trusted
    code and its exclusive-group memberships, so that a union can be refused when it would break a
    constraint (`refusal`) before it is made (`union`: the smaller set joins the larger)."""

    def __init__(self, recs: np.ndarray, cf_key, groups: list[np.ndarray], cannot: dict[int, set[int]]):
        self.parent = {int(r): int(r) for r in recs}
        self.members = {int(r): [int(r)] for r in recs}
        self.cf_of = {int(r): (int(cf_key[r]) if cf_key is not None and cf_key[r] >= 0 else None) for r in recs}
        self.sys_of = {int(r): {(gi, int(g[r])) for gi, g in enumerate(groups) if g[r] >= 0} for r in recs}
        self.cannot = cannot

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def _small_big(self, a: int, b: int) -> tuple[int, int]:
        return (a, b) if len(self.members[a]) <= len(self.members[b]) else (b, a)

    def refusal(self, a: int, b: int, human: bool) -> str | None:
        """Why roots `a` and `b` may not be joined (None: they may). A cannot-link binds every link; the
        code and system constraints bind automatic links only (`human`: a must-link or a double registration)."""
        small, big = self._small_big(a, b)
        if any(self.find(p) == big for x in self.members[small] for p in self.cannot.get(x, ())):
            return "cannot_link"
        if human:
            return None
        if self.cf_of[a] is not None and self.cf_of[b] is not None and self.cf_of[a] != self.cf_of[b]:
            return "cf_conflict"
        if self.sys_of[a] & self.sys_of[b]:
            return "one_person_system"
        return None

    def union(self, a: int, b: int) -> None:
        small, big = self._small_big(a, b)
        self.parent[small] = big
        self.members[big].extend(self.members.pop(small))
        self.cf_of[big] = self.cf_of[big] if self.cf_of[big] is not None else self.cf_of[small]
        self.sys_of[big] = self.sys_of[big] | self.sys_of.pop(small)
        self.cf_of.pop(small, None)


def _link_conflicted(
    comp, conflict, links: _Links, cf_key, groups, cl_a, cl_b, labels, decisions, next_label: int
) -> list[tuple[int, int, float, str]]:
    """Cluster the records of the conflicting components link by link, in descending weight, skipping a link
    that would break a constraint. Relabels those records in `labels` (from `next_label` on), marks the
    skipped automatic links SKIPPED in `decisions` and returns them as (i, j, score, reason) rows."""
    cannot: dict[int, set[int]] = {}
    for a, b in zip(cl_a.tolist(), cl_b.tolist()):
        cannot.setdefault(a, set()).add(b)
        cannot.setdefault(b, set()).add(a)
    in_conf = conflict[comp[links.a]] if links.a.size else np.zeros(0, bool)
    sel = np.flatnonzero(in_conf)
    order = sel[np.argsort(-links.weight[sel], kind="stable")]
    uf = _ConstrainedUnion(np.flatnonzero(conflict[comp]), cf_key, groups, cannot)
    skipped_rows = []
    for e in order.tolist():
        a, b = uf.find(int(links.a[e])), uf.find(int(links.b[e]))
        if a == b:
            continue
        reason = uf.refusal(a, b, human=links.pair[e] < 0)
        if reason:
            if links.pair[e] >= 0:
                decisions[links.pair[e]] = SKIPPED
                skipped_rows.append((int(links.a[e]), int(links.b[e]), float(links.weight[e]), reason))
            continue
        uf.union(a, b)
    for mem in uf.members.values():
        labels[mem] = next_label
        next_label += 1
    return skipped_rows


def _smallest_position_labels(labels: np.ndarray, n: int) -> np.ndarray:
    """Relabel each cluster by the smallest record position in it (deterministic)."""
    mins = np.full(labels.max() + 1 if n else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(mins, labels, np.arange(n, dtype=np.int64))
    return mins[labels]


def cluster_records(
    n: int,
    i: np.ndarray,
    j: np.ndarray,
    scores: np.ndarray,
    *,
    auto_link: float,
    review: float,
    cf_key: np.ndarray | None = None,
    system: np.ndarray | None = None,
    one_person_systems: set | None = None,
    exclusive: list[np.ndarray] | None = None,
    must_link=None,
    cannot_link=None,
    same_person=None,
) -> ClusterResult:
    """Cluster `n` records from scored pairs (positions i, j).

    cf_key : int per record, -1 = no trusted valid code
    system : value per record; `one_person_systems` lists the values whose records are each a
             distinct person (turned into an `exclusive` group array)
    exclusive : extra arrays of int groups per record (-1 = free): two records with the same
             group of one array never share a cluster (e.g. the frame in one-to-one link mode)
    must_link, cannot_link : (a, b) position arrays from review decisions
    same_person : (a, b) position arrays of records that are one person without a review (a registry's
             double registration): joined like must-links

    Steps: decisions by threshold; connected components of the links; the components that could break a
    constraint; those re-clustered link by link under the constraints; labels by smallest position.
    """
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    decisions = classify(scores, auto_link, review)
    links = _links(i, j, scores, decisions, must_link, same_person)
    cl_a, cl_b = _pairs(cannot_link)

    graph = coo_matrix((np.ones(links.a.size, dtype=np.int8), (links.a, links.b)), shape=(n, n))
    ncomp, comp = connected_components(graph, directed=False)
    if cf_key is not None:
        cf_key = np.asarray(cf_key, dtype=np.int64)
    groups = _exclusive_groups(exclusive, system, one_person_systems)
    conflict = _conflicted_components(comp, ncomp, cf_key, groups, cl_a, cl_b)

    labels = comp.astype(np.int64).copy()
    skipped_rows: list[tuple[int, int, float, str]] = []
    n_conf = int(conflict.sum())
    if n_conf:
        skipped_rows = _link_conflicted(comp, conflict, links, cf_key, groups, cl_a, cl_b, labels, decisions, ncomp)
    skipped = pd.DataFrame(skipped_rows, columns=["i", "j", "score", "reason"])
    return ClusterResult(
        labels=_smallest_position_labels(labels, n),
        decisions=decisions,
        skipped=skipped,
        conflicted_components=n_conf,
    )
