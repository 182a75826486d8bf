"""EM on a generated frame, TF adjustment, supervised fitting, JSON, explain, recordlinkage classifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import recordlinkage

from matching.comparators import DateComparator, NameComparator
from matching.engine import link_dataframe
from matching.rl_classifier import FSClassifier
from matching.scoring import FittedModel, LevelMeta, fit_em, fit_supervised, level_frequencies
from matching.settings import load_settings
from tests.test_matching_helpers import generate_population


@pytest.fixture(scope="module")
def population():
    return generate_population(600, seed=11)


def candidates_em_settings():
    """stg_person with the single EM over all candidate pairs (the bundled settings train by sessions)."""
    s = load_settings("stg_person")
    return s.model_copy(
        update={
            "em": s.em.model_copy(update={"training": "candidates"}),
            "thresholds": s.thresholds.model_copy(update={"auto_link": 0.95}),
        }
    )


@pytest.fixture(scope="module")
def result(population):
    return link_dataframe(population, candidates_em_settings())


def test_em_converges_and_m_exceeds_u_on_agreement(result):
    model = result.model
    assert model.method == "em" and model.converged and model.iterations < 200
    hist = np.array(model.history)
    assert (np.diff(hist) > -1e-6 * np.abs(hist[1:])).all()  # EM never decreases the likelihood
    for c in model.comparisons:
        if c.name in ("iban", "minor_at_service", "adult_at_service"):  # never filled in the generator
            continue
        ex = c.labels.index("exact")
        # against random pairs every exact agreement is evidence of a match
        assert c.m[ex] > c.u_random[ex], c.name
        # u is re-estimated among the candidate pairs: there the surname (a blocking key, shared by
        # household members) agrees for most non-matches too, so only for it m ~ u is allowed
        if c.name != "last_name":
            assert c.m[ex] > c.u[ex], c.name
        assert c.m[c.labels.index("else")] < c.u[c.labels.index("else")], c.name
    cf = next(c for c in model.comparisons if c.name == "codice_fiscale")
    assert cf.weights[cf.labels.index("different_valid")] < -5
    assert cf.weights[cf.labels.index("untrusted")] == 0 and cf.weights[0] == 0


def test_em_recovers_truth_on_generated_frame(result, population):
    from matching.evaluate import pairwise_scores

    sc = pairwise_scores(result.clusters.to_numpy(), population["true_id"].to_numpy())
    assert sc.precision > 0.99 and sc.recall > 0.97


def test_u_initialised_from_random_pairs_is_near_u_random(result):
    for c in result.model.comparisons:
        assert c.u_random is not None
        assert abs(sum(x for x in c.u_random if x is not None) - 1) < 1e-9


def test_tf_adjustment_lowers_frequent_name_weight():
    rows = []
    for k in range(200):  # 200 MARIO, 2 EUSEBIO, other names unique-ish
        rows.append({"first": "MARIO" if k < 100 else f"N{k}", "dob": "1980-01-0" + str(1 + k % 9)})
    rows += [{"first": "EUSEBIO", "dob": "1980-01-01"}, {"first": "EUSEBIO", "dob": "1980-01-01"}]
    df = pd.DataFrame(rows)
    from matching.settings import parse_settings

    s = parse_settings(
        {
            "name": "t",
            "blocking": {"passes": [{"name": "f", "keys": ["first"]}]},
            "comparisons": [
                {
                    "name": "first",
                    "kind": "name",
                    "columns": {"value": "first"},
                    "levels": ["exact"],
                    "tf_adjustment": {},
                },
                {"name": "dob", "kind": "date", "columns": {"value": "dob"}, "levels": ["exact"]},
            ],
            "thresholds": {"auto_link": 0.9, "review": 0.5},
            "constraints": {"system_column": None},
        }
    )
    res = link_dataframe(df, s)
    w = res.pairs.set_index(["i", "j"])["match_weight"]
    mario_pair = w.loc[(0, 9)]  # two MARIO, same dob
    rare_pair = w.loc[(200, 201)]  # two EUSEBIO, same dob
    assert rare_pair > mario_pair + 5
    e = res.explain(int(np.flatnonzero((res.pairs.i == 0) & (res.pairs.j == 9))[0]))
    assert e["comparisons"][0]["tf_adjustment"] < 0


def test_tf_adjustment_of_fuzzy_levels_uses_the_more_common_value():
    rows = [
        {"first": "MARIO" if k < 100 else f"NAME{k:03d}X", "dob": f"19{50 + k % 40}-0{1 + k % 9}-1{k % 10}"}
        for k in range(200)
    ]
    rows += [
        {"first": "MARIA", "dob": rows[0]["dob"]},
        {"first": "EUSEBIO", "dob": "1930-05-05"},
        {"first": "EUSEBIA", "dob": "1930-05-05"},
    ]
    df = pd.DataFrame(rows)
    from matching.settings import parse_settings

    s = parse_settings(
        {
            "name": "t",
            "blocking": {"passes": [{"name": "d", "keys": ["dob"]}]},
            "comparisons": [
                {
                    "name": "first",
                    "kind": "name",
                    "columns": {"value": "first"},
                    "levels": ["exact", {"jw": 0.85}],
                    "tf_adjustment": {"fuzzy": ["jw_0.85"]},
                },
                {"name": "dob", "kind": "date", "columns": {"value": "dob"}, "levels": ["exact"]},
            ],
            "thresholds": {"auto_link": 0.9, "review": 0.5},
            "constraints": {"system_column": None},
        }
    )
    res = link_dataframe(df, s)
    p = res.pairs
    pos = lambda a, b: int(np.flatnonzero((p.i == a) & (p.j == b))[0])  # noqa: E731
    common, rare = res.explain(pos(0, 200)), res.explain(pos(201, 202))  # MARIO ~ MARIA, EUSEBIO ~ EUSEBIA
    assert common["comparisons"][0]["label"] == rare["comparisons"][0]["label"] == "jw_0.85"
    assert common["comparisons"][0]["tf_adjustment"] < 0 < rare["comparisons"][0]["tf_adjustment"]
    assert rare["match_weight"] > common["match_weight"] + 5
    with pytest.raises(Exception, match="tf_adjustment.fuzzy"):
        parse_settings(
            {
                "name": "t",
                "blocking": {"passes": [{"name": "d", "keys": ["dob"]}]},
                "comparisons": [
                    {
                        "name": "first",
                        "kind": "name",
                        "columns": {"value": "first"},
                        "levels": ["exact"],
                        "tf_adjustment": {"fuzzy": ["jw_0.85"]},
                    }
                ],
                "thresholds": {"auto_link": 0.9, "review": 0.5},
            }
        )


def test_supervised_counts_and_logistic(result, population):
    truth = population["true_id"].to_numpy()
    P = result.pairs
    y = truth[P.i] == truth[P.j]
    metas = [LevelMeta.from_comparator(c) for c in result.comparators]
    for method in ("counts", "logistic"):
        m = fit_supervised(result.levels, y, metas, method=method)
        p = m.probability(m.match_weight(result.levels))
        acc = ((p >= 0.5) == y).mean()
        assert acc > 0.97, method
    labelled = pd.DataFrame({"a": P.id_l, "b": P.id_r, "is_match": y}).sample(400, random_state=0)
    res2 = link_dataframe(population, load_settings("stg_person"), labelled_pairs=labelled)
    assert res2.model.method == "counts"


def test_model_json_roundtrip_and_explain(result):
    js = result.model.to_json()
    back = FittedModel.from_json(js)
    np.testing.assert_allclose(back.match_weight(result.levels), result.model.match_weight(result.levels))
    row = int(np.argmax(result.pairs["match_weight"].to_numpy()))
    e = result.explain(row)
    assert [c["comparison"] for c in e["comparisons"]] == [c.name for c in result.model.comparisons]
    assert abs(e["prior_weight"] + sum(c["weight"] for c in e["comparisons"]) - e["match_weight"]) < 1e-6
    assert abs(e["match_weight"] - float(result.pairs["match_weight"].iloc[row])) < 1e-3
    assert e["decision"] == "auto_link"
    a, b = result.ids[0], result.ids[1]
    assert "match_probability" in result.explain_ids(a, b)


def test_fs_classifier_in_recordlinkage_api():
    df = pd.DataFrame(
        {
            "first": ["MARIO", "MARIO", "LUIGI", "LUIGI", "ANNA", "ANNA", "PIA", "EVA"] * 5,
            "dob": [
                "1980-01-01",
                "1980-01-01",
                "1970-02-02",
                "1970-02-02",
                "1990-03-03",
                "1990-03-30",
                "1960-04-04",
                "1961-05-05",
            ]
            * 5,
        }
    )
    pairs = recordlinkage.Index()
    pairs.full()
    idx = pairs.index(df)
    comps = [
        NameComparator({"value": "first"}, levels=["exact", {"jw": 0.9}], label="first"),
        DateComparator({"value": "dob"}, levels=["exact", "one_off"], label="dob"),
    ]
    cmp = recordlinkage.Compare()
    cmp.add(comps)
    feats = cmp.compute(idx, df)
    clf = FSClassifier(comps)
    links = clf.fit_predict(feats)
    prob = clf.prob(feats)
    assert prob.loc[(1, 0)] > 0.5 > prob.loc[(2, 0)]
    assert len(links) > 0
    u = level_frequencies(feats.to_numpy(), clf.metas)
    m = fit_em(feats.to_numpy(), clf.metas, u, prior=0.1)
    assert m.converged


def test_tf_also_counts_a_value_where_it_is_common():
    from matching.engine import term_frequencies

    df = pd.DataFrame(
        {"first": ["ROSSI", "ANNA", "ANNA", "LUCA", None], "last": ["ROSSI", "ROSSI", "ROSSI", "BIANCHI", "VERDI"]}
    )
    alone = term_frequencies(df, "first")
    np.testing.assert_allclose(alone[:4], [0.25, 0.5, 0.5, 0.25])
    both = term_frequencies(df, "first", ["last"])
    # ROSSI typed as a first name is as common as the surname (3 of 5), not rare; ANNA is no surname
    np.testing.assert_allclose(both[:4], [0.6, 0.5, 0.5, 0.25])
    assert np.isnan(both[4])


def test_group_priors_give_each_pair_of_systems_its_prior():
    from matching.scoring import ComparisonParams, group_key

    c = ComparisonParams(
        name="x",
        labels=["missing", "exact", "else"],
        neutral=[0],
        m=[None, 0.9, 0.1],
        u=[None, 0.01, 0.99],
        weights=[0.0, np.log2(90), np.log2(0.1 / 0.99)],
    )
    model = FittedModel(
        [c],
        prior=1e-5,
        group_column="system",
        group_priors={group_key("sat", "anagrafe"): 1e-3, "anagrafe|anagrafe": 1e-7},
    )
    records = pd.DataFrame({"system": ["anagrafe", "anagrafe", "sat", "polis"]})
    i, j = np.array([0, 0, 2, 0]), np.array([1, 2, 3, 3])
    w = model.pair_prior_weights(records, i, j)
    np.testing.assert_allclose(
        w, [np.log2(1e-7 / (1 - 1e-7)), np.log2(1e-3 / (1 - 1e-3)), model.prior_weight, model.prior_weight]
    )
    levels = np.ones((4, 1), dtype=np.int64)
    np.testing.assert_allclose(model.match_weight(levels, prior_weights=w), w + np.log2(90))
    back = FittedModel.from_json(model.to_json())
    np.testing.assert_allclose(back.pair_prior_weights(records, i, j), w)
    assert FittedModel([c], prior=1e-5).pair_prior_weights(records, i, j) is None


def test_trained_group_priors_rank_registry_duplicates_below_cross_system_links():
    pop = generate_population(400, seed=5)
    res = link_dataframe(pop, load_settings("stg_person"))
    priors = res.model.group_priors
    assert res.model.group_column == "source_system" and priors
    assert all(0 < p < 0.5 for p in priors.values())
    cross = [p for k, p in priors.items() if len(set(k.split("|"))) == 2]
    same = [p for k, p in priors.items() if len(set(k.split("|"))) == 1]
    assert cross and (not same or max(same) < min(cross))
    e = res.explain(0)
    i, j = int(res.pairs["i"].iloc[0]), int(res.pairs["j"].iloc[0])
    assert e["prior_weight"] == pytest.approx(
        res.model.pair_prior_weights(res.records, np.array([i]), np.array([j]))[0]
    )


def test_joint_tf_prices_a_shared_full_name_by_its_other_bearers():
    from matching.scoring import ComparisonParams

    def comp(name, joint=None):
        tf = {"column": name, "also": [], "weight": 1.0, "min_frequency": 1e-6, "exact_level": 1, "joint": joint}
        return ComparisonParams(
            name=name,
            labels=["missing", "exact", "else"],
            neutral=[0],
            m=[None, 0.9, 0.1],
            u=[None, 0.01, 0.99],
            weights=[0.0, 6.5, -3.3],
            u_random=[None, 0.01, 0.99],
            tf=tf,
        )

    model = FittedModel([comp("first"), comp("last", {"comparison": "first", "column": "pair"})], prior=1e-4)
    levels = np.array([[1, 1], [1, 1], [1, 2]])
    tf_first, tf_last = np.array([0.02, 0.02, 0.02]), np.array([0.001, 0.001, 0.001])
    together = np.array([1e-3, 0.0, 0.0])  # a common full name; a name no one else carries (other_bearers)
    adj = model.tf_adjustments(
        levels,
        {"first": tf_first, "last": tf_last, "last:joint": together},
        {"first": tf_first, "last": tf_last, "last:joint": together},
    )
    # both exact: one adjustment by the full name's frequency, never rarer than the product of the two
    assert adj[0, 0] == 0 and adj[0, 1] == pytest.approx(np.log2(0.01 * 0.01 / 1e-3))
    assert adj[1, 0] == 0 and adj[1, 1] == pytest.approx(np.log2(0.01 * 0.01 / (0.02 * 0.001)))
    # only the first name agrees: its own adjustment as before
    assert adj[2, 0] == pytest.approx(np.log2(0.01 / 0.02)) and adj[2, 1] == 0


def test_other_bearers_do_not_count_the_pair_own_records():
    from matching.engine import other_bearers

    df = pd.DataFrame(
        {
            "pair": ["ANNA|ROSSI"] * 6 + ["LUCA|NERI"] * 2,
            "dob": ["1980-01-01", "1980-01-01", None, "1990-05-05", "1970-07-07", None, "1950-01-01", None],
        }
    )
    i, j = np.array([0, 0, 2, 6]), np.array([1, 2, 5, 7])
    share = other_bearers(df, "pair", "dob", i, j)
    # (0, 1): same date; the undated two and the 1980 pair may be her -> others are 1990 and 1970
    # (0, 2): one undated; others are again 1990 and 1970 (the other undated record may be either)
    # (2, 5): both undated -> every dated bearer could be someone else: 4 of them, minus none
    # (6, 7): LUCA NERI has no other bearer
    np.testing.assert_allclose(share * len(df), [2, 2, 4, 0])
