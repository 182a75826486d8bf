"""Clustering: thresholds -> decisions, then constrained union-find over the automatic links.

Decision per scored pair: AUTO_LINK (score >= auto_link), REVIEW (review <= score < auto_link),
NON_LINK (below review), SKIPPED (an automatic link that a constraint refused; worth a review).

Clusters are the connected components of must-links + automatic links, under hard constraints:
  * no cluster holds two different trusted valid codici fiscali (`cf_key`: an integer code per
    record, -1 when the record has no trusted valid code);
  * no cluster holds two distinct records of a one-person-per-record system (default anagrafe), unless
    they are one person registered twice (`same_person`: the same trusted code in the same family);
  * no cluster holds both ends of a cannot-link pair (review decisions);
  * no cluster holds strong attributes that conflict (`attributes`, matching/coherence.py: two full birth
    dates beyond a slip, opposite sexes, a child's and an adult's ages), whichever records carry them: each
    root keeps a summary of its records' attributes, merged on union, so every check is O(1);
  * in a run after another, no automatic link of a changed record joins two previous beneficiaries that are
    both settled (hold a full birth date or a trusted code on a record that did not change).
Links are applied in descending weight, so when a union would break a constraint it is the weakest
link that is skipped. A record that a refused link ties to the other cluster as strongly (within
`bridge_margin`) as to the one it joined is a bridge between two people: all its automatic links are
withdrawn (to review, naming both candidates) and the union-find runs again. Must-links (human decisions)
and double registrations go first and override the conflicts (reported in `human_conflicts`), never a
cannot-link. Components without any possible conflict (almost all) are taken straight from scipy's
connected components; only the conflicting ones run the Python union-find.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matching.coherence import StrongAttributes, conflict, conflicts, maybe_conflicting, waived

NON_LINK, REVIEW, AUTO_LINK, SKIPPED = 0, 1, 2, 3
BRIDGE = "ambiguous_bridge"
DECISION_LABELS = {NON_LINK: "non_link", REVIEW: "review", AUTO_LINK: "auto_link", SKIPPED: "skipped"}


@dataclass
class ClusterResult:
    labels: np.ndarray  # per record position: cluster id = smallest record position in the cluster
    decisions: np.ndarray  # per pair: NON_LINK / REVIEW / AUTO_LINK / SKIPPED
    skipped: pd.DataFrame  # i, j, score, weight, reason of the refused automatic links (the bridges' links too)
    conflicted_components: int  # components that needed the constrained union-find
    human_conflicts: pd.DataFrame = field(  # i, j, reason: the must-links that joined conflicting clusters
        default_factory=lambda: pd.DataFrame(columns=["i", "j", "reason"])
    )
    bridges: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # records whose links went to review

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
    """The links clustering applies, as edges: must-links (pair -1) and double registrations (pair -2) first
    (weight inf), then the automatic links (weight = match weight when given, else score; pair = index into the
    scored pairs)."""

    a: np.ndarray
    b: np.ndarray
    weight: np.ndarray
    pair: np.ndarray


def _links(i, j, weight, decisions, must_link, same_person) -> _Links:
    """The edges of the must-links, the double registrations (`same_person`) and the automatic links."""
    ml_a, ml_b = _pairs(must_link)
    sp_a, sp_b = _pairs(same_person)
    auto = np.flatnonzero(decisions == AUTO_LINK)
    return _Links(
        a=np.r_[ml_a, sp_a, i[auto]],
        b=np.r_[ml_b, sp_b, j[auto]],
        weight=np.r_[np.full(ml_a.size + sp_a.size, np.inf), weight[auto]],
        pair=np.r_[np.full(ml_a.size, -1), np.full(sp_a.size, -2), auto],
    )


def _exclusive_groups(exclusive, system, one_person_systems) -> list[np.ndarray]:
    """The exclusive group arrays (-1 = free), the one-person-per-record systems turned into one more."""
    groups = [np.asarray(g, dtype=np.int64) for g in (exclusive or [])]
    if system is not None and one_person_systems:
        sysv = np.asarray(system, dtype=object)
        codes = pd.factorize(sysv)[0].astype(np.int64)
        groups.append(np.where(np.isin(sysv, list(one_person_systems)), codes, -1))
    return groups


def _conflicted_components(comp, ncomp: int, b: _Bindings, cl_a, cl_b) -> np.ndarray:
    """Per connected component, whether it could break a constraint: two different trusted codes, two
    records of one exclusive group, both ends of a cannot-link pair, strong attributes that may conflict, or
    records of two previous beneficiaries."""
    conflict_mask = np.zeros(ncomp, dtype=bool)
    for key in (b.cf_key, b.previous):
        if key is not None:
            has = key >= 0
            cc = pd.DataFrame({"c": comp[has], "k": key[has]}).drop_duplicates()
            conflict_mask |= np.bincount(cc["c"].to_numpy(), minlength=ncomp) > 1
    for g in b.groups:
        on = g >= 0
        if on.any():
            sc = pd.DataFrame({"c": comp[on], "s": g[on]})
            dup = sc.duplicated().to_numpy()
            conflict_mask[np.unique(sc["c"].to_numpy()[dup])] = True
    if cl_a.size:
        same = comp[cl_a] == comp[cl_b]
        conflict_mask[np.unique(comp[cl_a][same])] = True
    if b.attributes is not None:
        conflict_mask |= maybe_conflicting(comp, ncomp, b.attributes)
    return conflict_mask


@dataclass
class _Bindings:
    """What binds the union-find besides the links: the trusted code per record (-1 none), the exclusive group
    arrays, the cannot-link partners, the strong attributes (coherence.py), the previous beneficiary per record
    (-1 new) and which records changed since the previous run."""

    cf_key: np.ndarray | None
    groups: list[np.ndarray]
    cannot: dict[int, set[int]]
    attributes: StrongAttributes | None = None
    previous: np.ndarray | None = None
    changed: np.ndarray | None = None


class _ConstrainedUnion:
    """Union-find over the records of the conflicting components. Each root keeps its members, its trusted
    code, its exclusive-group memberships, the summary of its strong attributes and its previous beneficiaries,
    so that a union can be refused when it would break a constraint (`refusal`) before it is made (`union`: the
    smaller set joins the larger, the summaries merge)."""

    def __init__(self, recs: np.ndarray, b: _Bindings):
        cf_key, groups, prev = b.cf_key, b.groups, b.previous
        self.parent = {int(r): int(r) for r in recs}
        self.members = {int(r): [int(r)] for r in recs}
        self.cf_of = {int(r): (int(cf_key[r]) if cf_key is not None and cf_key[r] >= 0 else None) for r in recs}
        self.sys_of = {int(r): {(gi, int(g[r])) for gi, g in enumerate(groups) if g[r] >= 0} for r in recs}
        self.summary = {int(r): b.attributes.summary(int(r)) for r in recs} if b.attributes is not None else None
        self.prev_of: dict[int, frozenset[int]] | None = None
        self.settled: dict[int, bool] = {}
        if prev is not None and b.changed is not None:
            self.prev_of = {int(r): frozenset([int(prev[r])] if prev[r] >= 0 else []) for r in recs}
            identified = np.zeros(len(prev), dtype=bool)
            if cf_key is not None:
                identified |= cf_key >= 0
            if b.attributes is not None:
                identified |= b.attributes.date >= 0
            self.settled = {int(r): bool(identified[r] and not b.changed[r]) for r in recs}
        self.changed = b.changed
        self.cannot = b.cannot

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def _small_big(self, a: int, b: int) -> tuple[int, int]:
        return (a, b) if len(self.members[a]) <= len(self.members[b]) else (b, a)

    def conflict(self, a: int, b: int) -> str | None:
        """Which strong attribute, code or one-person system the clusters of roots `a` and `b` disagree on."""
        if self.cf_of[a] is not None and self.cf_of[b] is not None and self.cf_of[a] != self.cf_of[b]:
            return "cf_conflict"
        if self.sys_of[a] & self.sys_of[b]:
            return "one_person_system"
        if self.summary is not None:
            return conflict(self.summary[a], self.summary[b])
        return None

    def refusal(self, a: int, b: int, human: bool, ends: tuple[int, int]) -> str | None:
        """Why roots `a` and `b` may not be joined by a link between records `ends` (None: they may). A cannot-link
        binds every link; the conflicts and the previous beneficiaries bind automatic links only (`human`: a
        must-link or a double registration): an automatic link of a changed record may not join two clusters
        holding records of different previous beneficiaries that are both settled (an unchanged record of each
        carries a full birth date or a trusted code: a name-only beneficiary may still be absorbed)."""
        small, big = self._small_big(a, b)
        if any(self.find(p) == big for x in self.members[small] for p in self.cannot.get(x, ())):
            return "cannot_link"
        if human:
            return None
        reason = self.conflict(a, b)
        if reason:
            return reason
        if self.prev_of is not None and self.changed is not None and (self.changed[ends[0]] or self.changed[ends[1]]):
            pa, pb = self.prev_of[a], self.prev_of[b]
            if pa and pb and not (pa & pb) and self.settled[a] and self.settled[b]:
                return "joins_beneficiaries"
        return None

    def union(self, a: int, b: int, forced: bool = False) -> None:
        """Join roots `a` and `b`; `forced`: a human link over a conflict, whose attributes then bind no more."""
        small, big = self._small_big(a, b)
        self.parent[small] = big
        self.members[big].extend(self.members.pop(small))
        self.cf_of[big] = self.cf_of[big] if self.cf_of[big] is not None else self.cf_of[small]
        self.sys_of[big] = self.sys_of[big] | self.sys_of.pop(small)
        self.cf_of.pop(small, None)
        if self.summary is not None:
            one, other = self.summary[big], self.summary.pop(small)
            merged = one.merge(other)
            self.summary[big] = waived(merged, conflicts(one, other)) if forced else merged
        if self.prev_of is not None:
            self.prev_of[big] = self.prev_of[big] | self.prev_of.pop(small)
            self.settled[big] = self.settled[big] or self.settled.pop(small)


MAX_BRIDGE_ROUNDS = 4
"""Union-find rounds at most: each round takes the bridges the previous one found out of the automatic links."""


@dataclass
class _Round:
    """One union-find round: the union-find, the refused automatic links (edge, reason), the must-links (review
    decisions) that join conflicting clusters (edge, reason), and the best link weight kept per record."""

    uf: _ConstrainedUnion
    refused: list[tuple[int, str]]
    human_conflicts: list[tuple[int, str]]
    kept: dict[int, float]


def _union_round(recs: np.ndarray, order: np.ndarray, links: _Links, b: _Bindings, bridges: set[int]) -> _Round:
    """Apply the links `order` (descending weight) under the bindings, the automatic links of `bridges` left out."""
    uf = _ConstrainedUnion(recs, b)
    rnd = _Round(uf, [], [], {})
    for e in order.tolist():
        x, y = int(links.a[e]), int(links.b[e])
        human = links.pair[e] < 0
        if not human and (x in bridges or y in bridges):
            rnd.refused.append((e, BRIDGE))
            continue
        a, c = uf.find(x), uf.find(y)
        if a == c:
            continue
        reason = uf.refusal(a, c, human, (x, y))
        if reason:
            rnd.refused.append((e, reason))
            continue
        clash = uf.conflict(a, c) if human else None
        if clash and links.pair[e] == -1:
            rnd.human_conflicts.append((e, clash))
        uf.union(a, c, forced=clash is not None)
        w = float(links.weight[e])
        rnd.kept[x] = max(rnd.kept.get(x, -np.inf), w)
        rnd.kept[y] = max(rnd.kept.get(y, -np.inf), w)
    return rnd


def _bridges(rnd: _Round, links: _Links, margin: float) -> set[int]:
    """Records that a refused link ties to a cluster they cannot share with the one they joined, as strongly
    (within `margin`) as the best link they kept: which of the two people they are is a reviewer's call. A link
    refused by a cannot-link makes no bridge: a reviewer already separated those records."""
    out = set()
    for e, reason in rnd.refused:
        if reason in (BRIDGE, "cannot_link"):  # a reviewer's decision settles it
            continue
        w = float(links.weight[e])
        for x in (int(links.a[e]), int(links.b[e])):
            if x in rnd.kept and rnd.kept[x] < w + margin:
                out.add(x)
    return out


def _link_conflicted(
    comp,
    conflict_mask,
    links: _Links,
    b: _Bindings,
    labels,
    decisions,
    next_label: int,
    margin: float | None,
    found: list[int],
) -> tuple[list[tuple[int, int, int, str]], list[tuple[int, int, str]]]:
    """Cluster the records of the conflicting components link by link, in descending weight, skipping a link
    that would break a constraint. With a `margin`, the records a refused link ties as strongly to a conflicting
    cluster as to their own (`_bridges`) lose all their automatic links, and the round runs again (the
    bridges are appended to `found`). Relabels those records in `labels` (from `next_label` on), marks the
    skipped automatic links SKIPPED in `decisions` and returns them as (i, j, pair, reason) rows, and the human
    links that joined conflicting clusters as (i, j, reason) rows."""
    in_conf = conflict_mask[comp[links.a]] if links.a.size else np.zeros(0, bool)
    sel = np.flatnonzero(in_conf)
    order = sel[np.argsort(-links.weight[sel], kind="stable")]
    recs = np.flatnonzero(conflict_mask[comp])
    bridges: set[int] = set()
    for _ in range(MAX_BRIDGE_ROUNDS):
        rnd = _union_round(recs, order, links, b, bridges)
        new = _bridges(rnd, links, margin) - bridges if margin is not None else set()
        if not new:
            break
        bridges |= new
    found.extend(sorted(bridges))
    skipped_rows = []
    for e, reason in rnd.refused:
        if links.pair[e] >= 0:
            decisions[links.pair[e]] = SKIPPED
            skipped_rows.append((int(links.a[e]), int(links.b[e]), int(links.pair[e]), reason))
    for mem in rnd.uf.members.values():
        labels[mem] = next_label
        next_label += 1
    human = [(int(links.a[e]), int(links.b[e]), reason) for e, reason in rnd.human_conflicts]
    return skipped_rows, human


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
    weight: np.ndarray | None = None,
    attributes: StrongAttributes | None = None,
    previous: np.ndarray | None = None,
    changed: np.ndarray | None = None,
    bridge_margin: float | None = None,
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
    weight : match weight per pair: the order links are applied in and the unit of `bridge_margin`
             (default: the scores)
    attributes : strong attributes per record (coherence.py): no automatic link joins clusters they conflict in
    previous, changed : previous beneficiary per record (int, -1 new) and which records changed since: an
             automatic link of a changed record never joins two settled previous beneficiaries
    bridge_margin : a record that a refused link ties to a conflicting cluster within this weight of its best
             kept link loses its automatic links (review, with both candidates); None: never

    Steps: decisions by threshold; connected components of the links; the components that could break a
    constraint; those re-clustered link by link under the constraints; labels by smallest position.
    """
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    weight = scores if weight is None else np.asarray(weight, dtype=np.float64)
    decisions = classify(scores, auto_link, review)
    links = _links(i, j, weight, decisions, must_link, same_person)
    cl_a, cl_b = _pairs(cannot_link)

    graph = coo_matrix((np.ones(links.a.size, dtype=np.int8), (links.a, links.b)), shape=(n, n))
    ncomp, comp = connected_components(graph, directed=False)
    cannot: dict[int, set[int]] = {}
    for a, b in zip(cl_a.tolist(), cl_b.tolist()):
        cannot.setdefault(a, set()).add(b)
        cannot.setdefault(b, set()).add(a)
    bind = _Bindings(
        cf_key=None if cf_key is None else np.asarray(cf_key, dtype=np.int64),
        groups=_exclusive_groups(exclusive, system, one_person_systems),
        cannot=cannot,
        attributes=attributes,
        previous=None if previous is None or changed is None else np.asarray(previous, dtype=np.int64),
        changed=None if changed is None else np.asarray(changed, dtype=bool),
    )
    conflict_mask = _conflicted_components(comp, ncomp, bind, cl_a, cl_b)

    labels = comp.astype(np.int64).copy()
    skipped_rows: list[tuple[int, int, int, str]] = []
    human: list[tuple[int, int, str]] = []
    bridges: list[int] = []
    n_conf = int(conflict_mask.sum())
    if n_conf:
        skipped_rows, human = _link_conflicted(
            comp, conflict_mask, links, bind, labels, decisions, ncomp, bridge_margin, bridges
        )
    rows = pd.DataFrame(skipped_rows, columns=["i", "j", "pair", "reason"])
    at = rows["pair"].to_numpy(dtype=np.int64)
    skipped = pd.DataFrame(
        {"i": rows["i"], "j": rows["j"], "score": scores[at], "weight": weight[at], "reason": rows["reason"]}
    )
    return ClusterResult(
        labels=_smallest_position_labels(labels, n),
        decisions=decisions,
        skipped=skipped,
        conflicted_components=n_conf,
        human_conflicts=pd.DataFrame(human, columns=["i", "j", "reason"]),
        bridges=np.asarray(bridges, dtype=np.int64),
    )
