"""The identity engine in memory: DataFrame(s) in -> scored pairs -> clusters.

    result = link_dataframe(stg_person, load_settings("stg_person"))            # dedupe
    result = link_dataframe(df_a, settings, df_link=df_b)                        # link two frames

Steps: prepare (derived columns, shared categoricals) -> blocking passes -> comparison levels
(int8 matrix, chunked) -> model (EM without labels, or supervised from labelled pairs, or a given
FittedModel) -> TF and population adjustments -> weights and probabilities -> decisions and constrained
clusters.
Persistence, the review queue and the CLI live elsewhere; this module only computes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from matching.blocking import BlockingStats, candidate_pairs
from matching.clustering import DECISION_LABELS, ClusterResult, ambiguous_links, cluster_records
from matching.coherence import StrongAttributes
from matching.comparators import LevelComparator, bool_masks, build_comparator, isin_values
from matching.population import population_adjustments
from matching.prepare import prepare_records
from matching.scoring import FittedModel, LevelMeta, fit_supervised, level_frequencies
from matching.settings import LinkageSettings

CHUNK_PAIRS = 2_000_000


@dataclass
class LinkResult:
    """Everything one linkage run computed.

    pairs    : one row per candidate pair: i, j (positions in `records`), id_l, id_r, one int8 level
               column per comparison, match_weight, match_probability, decision (see clustering)
    levels   : the (n_pairs, n_comparisons) int8 level matrix (same order as `pairs`)
    model    : the FittedModel used (JSON-serialisable)
    clusters : cluster label per record; index = input index (dedupe) or (frame, id) (link)
    """

    pairs: pd.DataFrame
    levels: np.ndarray
    tf_adjustments: np.ndarray | None
    population: np.ndarray | None  # per pair: the population adjustment of its weight (matching/population.py)
    model: FittedModel
    clusters: pd.Series
    cluster_result: ClusterResult
    blocking: BlockingStats
    records: pd.DataFrame
    ids: pd.Index
    comparators: list[LevelComparator]
    settings: LinkageSettings
    timings: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"<LinkResult {self.settings.name}: {len(self.ids)} records, {len(self.pairs)} pairs, "
            f"{self.cluster_result.n_clusters} clusters>"
        )

    def explain(self, row: int) -> dict:
        """Explanation of the pair in row `row` of `pairs`: per comparison level, label, weight."""
        tf = self.tf_adjustments[row] if self.tf_adjustments is not None else None
        pop = float(self.population[row]) if self.population is not None else None
        r = self.pairs.iloc[row]
        out = self.model.explain(self.levels[row], tf, self._prior(int(r["i"]), int(r["j"])), pop)
        out.update({"id_l": r["id_l"], "id_r": r["id_r"], "decision": DECISION_LABELS[int(r["decision"])]})
        return out

    def explain_ids(self, id_l: Any, id_r: Any) -> dict:
        """Explanation of any two records (computed on the fly when not a candidate pair)."""
        pos = pd.Series(np.arange(len(self.ids)), index=self.ids)
        a, b = int(pos[id_l]), int(pos[id_r])
        hit = np.flatnonzero(
            ((self.pairs["i"].to_numpy() == a) & (self.pairs["j"].to_numpy() == b))
            | ((self.pairs["i"].to_numpy() == b) & (self.pairs["j"].to_numpy() == a))
        )
        if hit.size:
            return self.explain(int(hit[0]))
        i, j = np.array([min(a, b)]), np.array([max(a, b)])
        lv = compute_levels(self.records, i, j, self.comparators)
        tf = tf_adjustments(self.model, self.records, lv, i, j)
        pop = population_adjustments(self.model, self.settings, self.records, lv, i, j)
        out = self.model.explain(
            lv[0], tf[0] if tf is not None else None, self._prior(a, b), None if pop is None else float(pop[0])
        )
        out.update({"id_l": id_l, "id_r": id_r, "decision": "not_a_candidate"})
        return out

    def _prior(self, a: int, b: int) -> float | None:
        w = self.model.pair_prior_weights(self.records, np.array([a]), np.array([b]))
        return None if w is None else float(w[0])


# --------------------------------------------------------------------------- building blocks
def build_comparators(settings: LinkageSettings) -> list[LevelComparator]:
    return [build_comparator(c, workers=settings.n_jobs) for c in settings.comparisons]


def _gather(col: pd.Series, pos: np.ndarray):
    arr = col.array
    return arr.take(pos) if hasattr(arr, "take") else np.asarray(arr)[pos]


def compute_levels(
    records: pd.DataFrame,
    i: np.ndarray,
    j: np.ndarray,
    comparators: Sequence[LevelComparator],
    chunk: int = CHUNK_PAIRS,
) -> np.ndarray:
    """(n_pairs, n_comparisons) int8 levels for record positions i, j of a prepared frame."""
    n = len(i)
    out = np.empty((n, len(comparators)), dtype=np.int8)
    for start in range(0, n, chunk) if n else []:
        ii, jj = i[start : start + chunk], j[start : start + chunk]
        for k, comp in enumerate(comparators):
            left = {r: _gather(records[comp.columns[r]], ii) for r in comp.role_order}
            right = {r: _gather(records[comp.columns[r]], jj) for r in comp.role_order}
            out[start : start + chunk, k] = comp.compute_levels(left, right)
    return out


def comparison_metas(settings: LinkageSettings, comparators: Sequence[LevelComparator]) -> list[LevelMeta]:
    """Per comparison, what the estimators need to know of its levels (labels, neutral levels, the
    term-frequency adjustment its settings ask for); `comparators` as `build_comparators(settings)` built them."""
    return [LevelMeta.from_comparator(c, spec.tf_adjustment) for c, spec in zip(comparators, settings.comparisons)]


def random_pairs(n: int, size: int, seed: int, side: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Uniform random record pairs (no self pairs; across frames in link mode); none among fewer than two."""
    rng = np.random.default_rng(seed)
    if n < 2:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if side is None:
        a = rng.integers(0, n, size)
        b = rng.integers(0, n, size)
        ok = a != b
        a, b = a[ok], b[ok]
        return np.minimum(a, b), np.maximum(a, b)
    left = np.flatnonzero(side == 0)
    right = np.flatnonzero(side == 1)
    return left[rng.integers(0, left.size, size)], right[rng.integers(0, right.size, size)]


def term_frequencies(records: pd.DataFrame, column: str, also: Sequence[str] = ()) -> np.ndarray:
    """Per record: share of its value among the non-null values of `column` (nan when null); with `also`,
    the largest of its shares among the non-null values of `column` and of each of those columns."""
    freq = _shares(records[column])
    for other in also:
        counts = records[other].astype(object).dropna().value_counts()
        if len(counts):
            share = records[column].astype(object).map(counts / counts.sum()).to_numpy(dtype=float)
            freq = np.fmax(freq, np.where(np.isnan(freq), np.nan, share))
    return freq


def _codes(col: pd.Series) -> np.ndarray:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return np.asarray(col.cat.codes, dtype=np.int64)
    return pd.factorize(col.astype(object), use_na_sentinel=True)[0].astype(np.int64)


def other_bearers(records: pd.DataFrame, column: str, distinct_by: str, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Per pair agreeing on `column`: share of the records carrying the value that are surely neither of the
    two people — their `distinct_by` (birth date) differs from both records' — among the non-null values.
    Records of the value with the same `distinct_by` as either record, or none, may be those people's own
    other records and do not count (a person with four records does not make their name common)."""
    key = f"__bearers__{column}__{distinct_by}"
    if key not in records.attrs:  # per-record counts, once per frame
        name, other = _codes(records[column]), _codes(records[distinct_by])
        ok = name >= 0
        by_name = np.bincount(name[ok]) if ok.any() else np.zeros(1, dtype=np.int64)
        group = pd.factorize(pd.Series(name * (int(other.max(initial=-1)) + 2) + other + 1))[0]
        records.attrs[key] = (
            name,
            other,
            group,
            by_name,
            np.bincount(group),
            np.bincount(name[ok & (other < 0)], minlength=by_name.size),
            max(int(ok.sum()), 1),
        )
    name, other, group, by_name, by_group, undated, n_values = records.attrs[key]

    def side(a, b):
        v = np.where(name[a] >= 0, name[a], 0)
        same = name[b] == name[a]
        excl = (
            by_group[group[a]]
            + np.where(same & (group[b] != group[a]), by_group[group[b]], 0)
            + np.where((other[a] >= 0) & (~same | (other[b] >= 0)), undated[v], 0)
        )
        return np.where(name[a] >= 0, np.maximum(by_name[v] - excl, 0) / n_values, np.nan)

    return np.fmax(side(i, j), side(j, i))


def _shares(col: pd.Series) -> np.ndarray:
    codes = _codes(col)
    ok = codes >= 0
    counts = np.bincount(codes[ok]) if ok.any() else np.zeros(0)
    freq = np.full(len(codes), np.nan)
    if ok.any():
        freq[ok] = counts[codes[ok]] / ok.sum()
    return freq


def tf_adjustments(
    model: FittedModel, records: pd.DataFrame, levels: np.ndarray, i: np.ndarray, j: np.ndarray
) -> np.ndarray | None:
    """Term-frequency weight adjustments of the pairs (positions i, j of the prepared `records`, at `levels`):
    per comparison with a `tf` spec in the model, the shares of the pair's values among the records (cached in
    `records.attrs`) and, for a joint spec, the share of the value's other bearers, priced by
    `FittedModel.tf_adjustments`. None when no comparison of the model is term-frequency adjusted."""
    tf_l, tf_r = {}, {}
    for c in model.comparisons:
        if c.tf and c.tf.get("column") in records.columns:
            also = [a for a in c.tf.get("also", ()) if a in records.columns]
            key = f"__tf__{c.tf['column']}__{'_'.join(also)}"
            if key not in records.attrs:
                records.attrs[key] = term_frequencies(records, c.tf["column"], also)
            f = records.attrs[key]
            tf_l[c.name], tf_r[c.name] = f[i], f[j]
            joint = c.tf.get("joint")
            if joint and joint["column"] in records.columns and joint["distinct_by"] in records.columns:
                f = other_bearers(records, joint["column"], joint["distinct_by"], i, j)
                tf_l[f"{c.name}:joint"] = tf_r[f"{c.name}:joint"] = f
    if not tf_l:
        return None
    return model.tf_adjustments(levels, tf_l, tf_r)


def _trusted_cf_key(records: pd.DataFrame, settings: LinkageSettings) -> np.ndarray | None:
    con = settings.constraints
    if con.cf_conflict != "cannot_link" or con.cf_column not in records.columns:
        return None
    col = records[con.cf_column]
    codes = pd.factorize(col.astype(object), use_na_sentinel=True)[0].astype(np.int64)
    ok = codes >= 0
    if con.cf_status_column and con.cf_status_column in records.columns:
        ok &= isin_values(records[con.cf_status_column], ("valid", "omocodic"))
    if con.cf_consistent_column and con.cf_consistent_column in records.columns:
        ok &= ~bool_masks(records[con.cf_consistent_column])[1]
    return np.where(ok, codes, -1)


def registered_persons(records: pd.DataFrame, settings: LinkageSettings, system, cf_key) -> np.ndarray:
    """Per record of a one-person-per-record system, the registered person it stands for: its own position,
    or the first record's when records of the system with a trusted code agree on every
    `constraints.double_registration_columns` (one person registered twice: the same code in the same family);
    -1 for the records of the other systems."""
    con = settings.constraints
    n = len(records)
    if system is None or not con.one_person_per_record_systems:
        return np.full(n, -1, dtype=np.int64)
    system = np.asarray(system, dtype=object)
    on = np.isin(system, list(con.one_person_per_record_systems))
    unit = np.where(on, np.arange(n), -1).astype(np.int64)
    cols = con.double_registration_columns
    if cols and cf_key is not None and all(c in records.columns for c in cols):
        keyed = on & (np.asarray(cf_key) >= 0)
        for c in cols:
            keyed &= records[c].notna().to_numpy()
        ok = np.flatnonzero(keyed)
        if ok.size:
            key = pd.Series(system[ok]).astype(str)
            for c in cols:
                key = key + "\x00" + records[c].iloc[ok].astype(str).reset_index(drop=True)
            unit[ok] = pd.Series(ok).groupby(pd.factorize(key)[0]).transform("min").to_numpy()
    return unit


def double_registrations(unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first record, other record) positions of the double registrations in `registered_persons`."""
    pos = np.flatnonzero((unit >= 0) & (unit != np.arange(len(unit))))
    return unit[pos], pos


def ambiguity_adjusted(settings: LinkageSettings, unit, cf_key, i, j, weight, score) -> tuple[np.ndarray, np.ndarray]:
    """Scores for clustering with ambiguous automatic links pushed just below auto_link (-> review); `unit` is
    the registered person of each record (`registered_persons`)."""
    th = settings.thresholds
    score = np.asarray(score, dtype=np.float64)
    if th.ambiguity_margin is None or len(score) == 0 or not (np.asarray(unit) >= 0).any():
        return score, np.zeros(len(score), dtype=bool)
    amb = ambiguous_links(
        i, j, np.asarray(weight, dtype=np.float64), score >= th.auto_link, th.ambiguity_margin, unit, cf_key
    )
    below = np.nextafter(th.auto_link, -np.inf)
    return np.where(amb, np.minimum(score, below), score), amb


def constrained_clusters(
    records: pd.DataFrame,
    settings: LinkageSettings,
    i,
    j,
    weight,
    score,
    *,
    exclusive=None,
    must_link=None,
    cannot_link=None,
    previous=None,
    changed=None,
):
    """Clusters of the scored pairs under the settings' hard constraints (with `constraints.coherence`, the
    strong attributes of `records` too), ambiguous links sent to review; `previous` / `changed` as
    `cluster_records` takes them (a run after another). Returns (ClusterResult, ambiguous-link mask over the
    pairs, number of double registrations joined)."""
    con, th = settings.constraints, settings.thresholds
    system = records[con.system_column].astype(object).to_numpy() if con.system_column in records.columns else None
    cf_key = _trusted_cf_key(records, settings)
    unit = registered_persons(records, settings, system, cf_key)
    score, ambiguous = ambiguity_adjusted(settings, unit, cf_key, i, j, weight, score)
    twice = double_registrations(unit)
    cres = cluster_records(
        len(records),
        i,
        j,
        score,
        auto_link=th.auto_link,
        review=th.review,
        cf_key=cf_key,
        system=system,
        one_person_systems=set(con.one_person_per_record_systems),
        exclusive=exclusive,
        must_link=must_link,
        cannot_link=cannot_link,
        same_person=twice,
        weight=weight,
        attributes=None if con.coherence is None else StrongAttributes.from_records(records, con.coherence),
        previous=previous,
        changed=changed,
        bridge_margin=th.ambiguity_margin if con.coherence is not None else None,
    )
    return cres, ambiguous, int(twice[0].size)


def _positions(ids: pd.Index, pairs) -> tuple[np.ndarray, np.ndarray] | None:
    if pairs is None or len(pairs) == 0:
        return None
    pos = pd.Series(np.arange(len(ids)), index=ids)
    if isinstance(pairs, pd.DataFrame):
        a, b = pairs.iloc[:, 0].tolist(), pairs.iloc[:, 1].tolist()
    else:
        a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    return pos.loc[a].to_numpy(), pos.loc[b].to_numpy()


# --------------------------------------------------------------------------- the engine
def link_dataframe(
    df: pd.DataFrame,
    settings: LinkageSettings,
    df_link: pd.DataFrame | None = None,
    *,
    model: FittedModel | None = None,
    labelled_pairs: pd.DataFrame | None = None,
    supervised_method: str = "counts",
    must_link=None,
    cannot_link=None,
) -> LinkResult:
    """Block, compare, score and cluster one frame (dedupe) or two frames (link).

    model          : a FittedModel to reuse (no training)
    labelled_pairs : DataFrame [id_l, id_r, is_match] of reviewed decisions -> supervised model
                     (`supervised_method` counts | logistic) instead of EM
    must_link, cannot_link : pairs of ids (DataFrame with two columns or list of tuples); in link
                     mode ids are (frame, id) tuples with frame 0 (df) or 1 (df_link)
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    if settings.id_column:
        df = df.set_index(settings.id_column, drop=False)
        if df_link is not None:
            df_link = df_link.set_index(settings.id_column, drop=False)
    side = None
    if df_link is None:
        ids = df.index
        combined = df
    else:
        ids = pd.MultiIndex.from_arrays(
            [
                np.r_[np.zeros(len(df), np.int8), np.ones(len(df_link), np.int8)],
                np.r_[df.index.to_numpy(dtype=object), df_link.index.to_numpy(dtype=object)],
            ],
            names=["frame", "id"],
        )
        combined = pd.concat([df, df_link], ignore_index=True)
        side = np.r_[np.zeros(len(df), np.int8), np.ones(len(df_link), np.int8)]
    if not ids.is_unique:
        raise ValueError("record ids (the index, or settings.id_column) must be unique")
    records = prepare_records(combined, settings)
    timings["prepare"] = time.perf_counter() - t0

    t = time.perf_counter()
    i, j, bstats = candidate_pairs(records, settings, side)
    timings["blocking"] = time.perf_counter() - t

    comparators = build_comparators(settings)
    metas = comparison_metas(settings, comparators)
    t = time.perf_counter()
    levels = compute_levels(records, i, j, comparators)
    timings["compare"] = time.perf_counter() - t

    t = time.perf_counter()
    em = settings.em
    ri, rj = random_pairs(len(records), em.u_sample_pairs, em.seed, side)
    u_random = level_frequencies(compute_levels(records, ri, rj, comparators), metas, em.pseudo_count)
    if model is None:
        pos = _positions(ids, labelled_pairs[list(labelled_pairs.columns[:2])]) if labelled_pairs is not None else None
        if labelled_pairs is not None and pos is not None:
            lv = compute_levels(records, pos[0], pos[1], comparators)
            model = fit_supervised(
                lv,
                labelled_pairs.iloc[:, 2].to_numpy(bool),
                metas,
                method=supervised_method,
                u_random=u_random,
                pseudo_count=em.pseudo_count,
                settings_name=settings.name,
            )
        else:
            from matching.training import train_model

            model = train_model(records, settings, comparators, metas, levels, u_random, compute_levels, (i, j))
    timings["train"] = time.perf_counter() - t

    t = time.perf_counter()
    tf_adj = tf_adjustments(model, records, levels, i, j)
    population = population_adjustments(model, settings, records, levels, i, j)
    weight = model.match_weight(levels, tf_adj, model.pair_prior_weights(records, i, j))
    if population is not None:
        weight = weight + population
    prob = model.probability(weight)
    score = prob if settings.thresholds.scale == "probability" else weight
    timings["score"] = time.perf_counter() - t

    t = time.perf_counter()
    exclusive = []
    if side is not None and settings.constraints.one_to_one_link:
        exclusive.append(side.astype(np.int64))
    cres, _, _ = constrained_clusters(
        records,
        settings,
        i,
        j,
        weight,
        score,
        exclusive=exclusive,
        must_link=_positions(ids, must_link),
        cannot_link=_positions(ids, cannot_link),
    )
    timings["cluster"] = time.perf_counter() - t

    if isinstance(ids, pd.MultiIndex):
        id_values = np.empty(len(ids), dtype=object)
        id_values[:] = list(ids)
    else:
        id_values = ids.to_numpy()
    pairs = pd.DataFrame({"i": i, "j": j, "id_l": id_values[i], "id_r": id_values[j]})
    for k, c in enumerate(comparators):
        pairs[c.label] = levels[:, k]
    pairs["match_weight"] = weight.astype(np.float32)
    pairs["match_probability"] = prob
    pairs["decision"] = cres.decisions
    clusters = pd.Series(cres.labels, index=ids, name="cluster")
    timings["total"] = time.perf_counter() - t0
    return LinkResult(
        pairs=pairs,
        levels=levels,
        tf_adjustments=tf_adj,
        population=population,
        model=model,
        clusters=clusters,
        cluster_result=cres,
        blocking=bstats,
        records=records,
        ids=ids,
        comparators=comparators,
        settings=settings,
        timings=timings,
    )
