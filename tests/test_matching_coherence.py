"""Cluster coherence and population priors on constructed homonyms: a weak record linked to two people who
cannot be one never merges them (review, naming both); the same weak evidence weighs less in a bigger world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matching.clustering import AUTO_LINK, BRIDGE, SKIPPED, cluster_records
from matching.coherence import StrongAttributes, Summary, conflict, dates_compatible
from matching.population import population_adjustments
from matching.review import evidence_from
from matching.scoring import ComparisonParams, FittedModel
from matching.settings import Coherence, load_settings

MARGIN = 4.0


def attrs(*recs: dict) -> StrongAttributes:
    """Strong attributes of records given as dicts of stg_person-like columns."""
    cols = ["birth_date", "birth_date_is_default", "sex", "born_after", "born_before", "cf_birth_date", "cf_status"]
    df = pd.DataFrame([{c: r.get(c) for c in cols} for r in recs])
    df["birth_date_is_default"] = [bool(r.get("birth_date_is_default")) for r in recs]
    return StrongAttributes.from_records(df, Coherence())


def cluster(recs, i, j, w, **kw):
    return cluster_records(
        len(recs), i, j, w, auto_link=1, review=0, attributes=attrs(*recs), bridge_margin=MARGIN, **kw
    )


def same(labels, a, b) -> bool:
    return labels[a] == labels[b]


def test_clerk_slips_are_one_date_and_months_apart_are_two():
    assert dates_compatible(19800312, 19801203)  # day and month swapped
    assert dates_compatible(19800312, 19800313) and dates_compatible(19800312, 19900312)  # one component
    assert not dates_compatible(19800312, 19800925)  # months apart
    assert not dates_compatible(19520312, 19800925)  # decades apart
    a, b = Summary((19800312,), 2, -1, -1), Summary((19800925,), 0, -1, -1)
    assert conflict(a, b) == "birth_date_conflict"
    assert conflict(a, Summary((), 1, -1, -1)) == "sex_conflict"
    assert conflict(a, Summary((), 0, -1, -1)) is None


def test_a_name_only_record_between_two_maria_rossi_goes_to_review_with_both():
    # 0, 1: MARIA ROSSI born 1980, full dates months apart; 2: a name only, linked to both almost equally
    recs = [{"birth_date": "1980-03-12", "sex": "F"}, {"birth_date": "1980-09-25", "sex": "F"}, {}]
    r = cluster(recs, [0, 1], [2, 2], [12.0, 11.0])
    assert len(set(r.labels.tolist())) == 3  # no merge of the two, and the bridge joins neither
    assert r.decisions.tolist() == [SKIPPED, SKIPPED]
    assert r.skipped["reason"].tolist() == [BRIDGE, BRIDGE]
    assert r.bridges.tolist() == [2]
    # far stronger to one of them: it joins that one, the other link is refused as a conflict
    r = cluster(recs, [0, 1], [2, 2], [30.0, 11.0])
    assert same(r.labels, 0, 2) and not same(r.labels, 1, 2)
    assert r.decisions.tolist() == [AUTO_LINK, SKIPPED] and r.skipped["reason"].tolist() == ["birth_date_conflict"]


def test_conflicts_bind_however_the_records_were_linked():
    # 0 -- 3 -- 4 -- 1: the full dates of 0 and 1 conflict through two weak records; the weakest link breaks
    recs = [{"birth_date": "1980-03-12"}, {"birth_date": "1980-09-25"}, {}, {}, {}]
    r = cluster(recs, [0, 3, 1], [3, 4, 4], [30.0, 29.0, 5.0])
    assert same(r.labels, 0, 4) and not same(r.labels, 0, 1)
    assert r.skipped["reason"].tolist() == ["birth_date_conflict"]
    # a slip is no conflict: swapped day and month stay one person
    recs[1] = {"birth_date": "1980-12-03"}
    r = cluster(recs, [0, 3, 1], [3, 4, 4], [30.0, 29.0, 5.0])
    assert len(set(r.labels[[0, 1, 3, 4]].tolist())) == 1 and r.skipped.empty


def test_a_january_default_is_weak_not_a_full_date():
    # 2: born "1 January 1980" (a placeholder): no conflict with either full date, so a bridge between them
    recs = [{"birth_date": "1980-05-10"}, {"birth_date": "1980-11-20"}, {"birth_date": "1980-01-01"}]
    recs[2]["birth_date_is_default"] = True
    r = cluster(recs, [0, 1], [2, 2], [10.0, 9.0])
    assert not same(r.labels, 0, 1) and r.bridges.tolist() == [2]
    # alone with one full date, it links
    r = cluster(recs, [0], [2], [10.0])
    assert same(r.labels, 0, 2) and r.skipped.empty


def test_a_trusted_code_gives_a_placeholder_record_its_full_date():
    coded = {"birth_date": "1997-01-01", "birth_date_is_default": True, "cf_birth_date": "1997-11-04"}
    recs = [dict(coded, cf_status="valid"), {"birth_date": "1997-03-02"}]
    r = cluster(recs, [0], [1], [10.0])
    assert not same(r.labels, 0, 1) and r.skipped["reason"].tolist() == ["birth_date_conflict"]
    recs[0]["cf_status"] = "invalid"  # an untrusted code says nothing
    assert same(cluster(recs, [0], [1], [10.0]).labels, 0, 1)


def test_opposite_sexes_through_a_bridge():
    recs = [{"sex": "M"}, {"sex": "F"}, {"sex": None}]
    r = cluster(recs, [0, 1], [2, 2], [10.0, 9.0])
    assert not same(r.labels, 0, 1) and r.skipped["reason"].tolist() == [BRIDGE, BRIDGE]
    # unknown sexes conflict with nothing
    r = cluster([{"sex": "M"}, {"sex": "X"}, {}], [0, 1], [2, 2], [10.0, 9.0])
    assert len(set(r.labels.tolist())) == 1


def test_two_valid_codes_through_a_bridge():
    recs = [{}, {}, {}]
    r = cluster(recs, [0, 1], [2, 2], [10.0, 9.0], cf_key=np.array([7, 9, -1]))
    assert not same(r.labels, 0, 1) and r.bridges.tolist() == [2]
    assert r.skipped["reason"].tolist() == [BRIDGE, BRIDGE]


def test_a_child_and_an_adult_by_their_service_ages():
    # 0: a child at after-school in 2023 (born after 2005); 1: a volunteer in 2016 (born before 2000)
    recs = [{"born_after": "2005-09-01"}, {"born_before": "2000-03-01"}, {}]
    r = cluster(recs, [0, 1], [2, 2], [10.0, 9.0])
    assert not same(r.labels, 0, 1) and r.bridges.tolist() == [2]
    # a full date far outside the window conflicts too
    r = cluster([{"born_after": "2005-09-01"}, {"birth_date": "1970-06-06"}], [0], [1], [10.0])
    assert r.skipped["reason"].tolist() == ["age_conflict"]


def test_a_stewards_must_link_wins_and_is_reported():
    recs = [{"birth_date": "1980-03-12"}, {"birth_date": "1950-09-25"}]
    r = cluster(recs, [], [], [], must_link=([0], [1]))
    assert same(r.labels, 0, 1)
    assert r.human_conflicts[["i", "j", "reason"]].values.tolist() == [[0, 1, "birth_date_conflict"]]
    # the dates the reviewer overrode bind no further link of that person; a third record joins
    recs.append({"birth_date": "1980-03-12"})
    r = cluster(recs, [1], [2], [10.0], must_link=([0], [1]))
    assert len(set(r.labels.tolist())) == 1 and r.skipped.empty


def test_a_new_record_does_not_glue_two_settled_beneficiaries():
    # 0 and 1: beneficiaries of the previous run (same name, compatible dates, never linked); 2: new
    recs = [{"birth_date": "1980-03-12"}, {"birth_date": "1980-03-12"}, {}]
    kw = dict(previous=np.array([0, 1, -1]), changed=np.array([False, False, True]))
    r = cluster(recs, [0, 1], [2, 2], [20.0, 10.0], **kw)
    assert same(r.labels, 0, 2) and not same(r.labels, 0, 1)
    assert r.skipped["reason"].tolist() == ["joins_beneficiaries"]
    r = cluster(recs, [0, 1], [2, 2], [10.0, 9.0], **kw)  # as close to both: review with both
    assert r.bridges.tolist() == [2] and len(set(r.labels.tolist())) == 3
    # a name-only beneficiary is not settled: a new record may bring it to its person
    recs[1] = {}
    r = cluster(recs, [0, 1], [2, 2], [20.0, 10.0], **kw)
    assert len(set(r.labels.tolist())) == 1


# ---------------------------------------------------------------------------------------- population
def _model() -> FittedModel:
    s = load_settings("stg_person")
    from matching.engine import build_comparators

    comps = []
    for c in build_comparators(s):
        n = len(c.labels)
        comps.append(
            ComparisonParams(c.label, list(c.labels), list(c.neutral_codes), [None] * n, [None] * n, [0.0] * n)
        )
    return FittedModel(comps, prior=0.01)


def _world(others: int, seed: int) -> pd.DataFrame:
    """Two MARIA ROSSI records (1 January 1980 placeholder, 1980-05-10) among `others` other MARIA ROSSI born in
    1980 (distinct full dates) and other names."""
    rng = np.random.default_rng(seed)
    days = rng.choice(np.arange(1, 360), size=others, replace=False)
    dates = [pd.Timestamp("1980-01-01") + pd.Timedelta(days=int(d)) for d in days]
    rows = [("MARIA|ROSSI", "1980", "1980-01-01", True), ("MARIA|ROSSI", "1980", "1980-05-10", False)]
    rows += [("MARIA|ROSSI", "1980", d.strftime("%Y-%m-%d"), False) for d in dates if d != pd.Timestamp("1980-05-10")]
    rows += [(f"N{k}|X", "1970", "1970-02-02", False) for k in range(10 * others)]
    return pd.DataFrame(rows, columns=["name_pair", "birth_year", "birth_date", "birth_date_is_default"])


@pytest.mark.parametrize("seed", [1, 2])
def test_the_same_evidence_weighs_less_in_a_bigger_world(seed):
    s, model = load_settings("stg_person"), _model()
    names = [c.name for c in model.comparisons]
    levels = np.zeros((1, len(names)), dtype=np.int8)
    levels[0, names.index("birth_date")] = model.comparisons[names.index("birth_date")].labels.index("default_year")
    small = population_adjustments(model, s, _world(3, seed), levels, np.array([0]), np.array([1]))
    big = population_adjustments(model, s, _world(30, seed), levels, np.array([0]), np.array([1]))
    assert small is not None and big is not None
    assert big[0] < small[0] < 0
    base = 12.0
    assert model.probability(base + big[0]) < model.probability(base + small[0]) < model.probability(base)
    # an agreeing code settles it: no adjustment
    cf = names.index("codice_fiscale")
    strong = levels.copy()
    strong[0, cf] = model.comparisons[cf].labels.index("exact")
    assert population_adjustments(model, s, _world(30, seed), strong, np.array([0]), np.array([1]))[0] == 0
    # explanation and review evidence show it
    e = model.explain(levels[0], None, None, float(big[0]))
    assert e["population_adjustment"] == pytest.approx(big[0]) and e["other_bearers"] >= 28
    ev = evidence_from(e, "review band")
    assert ev["population_adjustment"] == pytest.approx(float(big[0]), abs=1e-4) and ev["other_bearers"] >= 28
