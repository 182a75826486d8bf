"""Constrained clustering and evaluation metrics on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest

from matching.clustering import AUTO_LINK, NON_LINK, REVIEW, SKIPPED, cluster_records
from matching.evaluate import (
    bcubed_scores,
    cluster_counts,
    evaluate_clusters,
    pairwise_scores,
    per_system_scores,
    worst_false_merges,
    worst_missed_links,
)


def same(labels, a, b):
    return labels[a] == labels[b]


def test_cf_conflict_breaks_the_weakest_link():
    # 0 (code A) -10- 1 (no code) -5- 2 (code B): the weaker 1-2 link is skipped
    r = cluster_records(3, [0, 1], [1, 2], [10.0, 5.0], auto_link=1, review=0, cf_key=np.array([7, -1, 9]))
    assert same(r.labels, 0, 1) and not same(r.labels, 1, 2)
    assert r.decisions.tolist() == [AUTO_LINK, SKIPPED]
    assert r.skipped["reason"].tolist() == ["cf_conflict"]
    # same links, weights reversed: now 0-1 breaks
    r = cluster_records(3, [0, 1], [1, 2], [5.0, 10.0], auto_link=1, review=0, cf_key=np.array([7, -1, 9]))
    assert same(r.labels, 1, 2) and not same(r.labels, 0, 1)


def test_one_person_system_records_never_share_a_cluster():
    system = np.array(["anagrafe", "sat", "anagrafe", "polis"])
    r = cluster_records(
        4, [0, 1, 2], [1, 2, 3], [3.0, 8.0, 9.0], auto_link=1, review=0, system=system, one_person_systems={"anagrafe"}
    )
    assert same(r.labels, 1, 2) and same(r.labels, 2, 3) and not same(r.labels, 0, 1)
    assert r.skipped["reason"].tolist() == ["one_person_system"]
    assert r.labels.tolist() == [0, 1, 1, 1]  # label = smallest position of the cluster


def test_double_registration_joins_but_stays_one_registry_person():
    # 0 and 1: one person registered twice; 2: another registry person; 3 links to 1 and (more weakly) to 2
    system = np.array(["anagrafe", "anagrafe", "anagrafe", "sat"])
    r = cluster_records(
        4,
        [1, 2],
        [3, 3],
        [9.0, 4.0],
        auto_link=1,
        review=0,
        system=system,
        one_person_systems={"anagrafe"},
        same_person=([0], [1]),
    )
    assert same(r.labels, 0, 1) and same(r.labels, 1, 3) and not same(r.labels, 2, 3)
    assert r.skipped["reason"].tolist() == ["one_person_system"]
    # a reviewer's cannot-link still wins over a double registration
    r = cluster_records(
        2,
        [],
        [],
        [],
        auto_link=1,
        review=0,
        system=system[:2],
        one_person_systems={"anagrafe"},
        same_person=([0], [1]),
        cannot_link=([0], [1]),
    )
    assert not same(r.labels, 0, 1)


def test_must_and_cannot_link_and_review_band():
    r = cluster_records(
        4,
        [0, 2],
        [1, 3],
        [0.97, 0.6],
        auto_link=0.95,
        review=0.5,
        cf_key=np.array([1, 2, -1, -1]),
        must_link=([0], [1]),
        cannot_link=([2], [3]),
    )
    assert same(r.labels, 0, 1)  # must-link wins over the CF conflict (human decision)
    assert not same(r.labels, 2, 3)
    assert r.decisions.tolist() == [AUTO_LINK, REVIEW]
    r = cluster_records(3, [0, 1], [1, 2], [0.99, 0.99], auto_link=0.95, review=0.5, cannot_link=([0], [2]))
    assert not same(r.labels, 0, 2) and r.skipped["reason"].tolist() == ["cannot_link"]
    r = cluster_records(2, [0], [1], [0.1], auto_link=0.95, review=0.5)
    assert r.decisions.tolist() == [NON_LINK] and r.n_clusters == 2


def test_unconstrained_components_match_scipy_path():
    rng = np.random.default_rng(0)
    n = 200
    i = rng.integers(0, n, 300)
    j = rng.integers(0, n, 300)
    keep = i != j
    r = cluster_records(n, i[keep], j[keep], np.ones(keep.sum()), auto_link=0.5, review=0.1)
    # every auto link ends inside one cluster when nothing constrains
    assert (r.labels[i[keep]] == r.labels[j[keep]]).all()


PRED = [1, 1, 1, 2, 2, 3]
TRUE = ["a", "a", "b", "b", "b", "c"]
SYS = ["s", "t", "s", "t", "s", "t"]


def test_pairwise_hand_computed():
    sc = pairwise_scores(PRED, TRUE)
    assert (sc.true_positive_pairs, sc.predicted_pairs, sc.true_pairs) == (2, 4, 4)
    assert sc.precision == pytest.approx(0.5) and sc.recall == pytest.approx(0.5) and sc.f1 == pytest.approx(0.5)
    perfect = pairwise_scores([5, 5, 6], ["x", "x", "y"])
    assert perfect.f1 == 1.0


def test_bcubed_hand_computed():
    b = bcubed_scores(PRED, TRUE)
    assert b["precision"] == pytest.approx(14 / 18) and b["recall"] == pytest.approx(14 / 18)


def test_counts_per_system_and_worst_lists():
    c = cluster_counts(PRED, TRUE)
    assert (c["predicted_clusters"], c["true_entities"], c["predicted_singletons"], c["true_singletons"]) == (
        3,
        3,
        1,
        1,
    )
    ps = per_system_scores(PRED, TRUE, SYS)
    assert ps.loc["s", "true_positive_pairs"] == 2 and ps.loc["s", "predicted_pairs"] == 4
    assert ps.loc["s", "true_pairs"] == 4 and ps.loc["t", "predicted_pairs"] == 3  # 2 in {0,1,2} + 1 in {3,4}
    fm = worst_false_merges(PRED, TRUE, ids=list("uvwxyz"))
    assert fm["false_pairs"].tolist() == [2] and fm["records"].tolist() == [["u", "v", "w"]]
    ml = worst_missed_links(PRED, TRUE, ids=list("uvwxyz"))
    assert ml["missed_pairs"].tolist() == [2] and ml["records"].tolist() == [["w", "x", "y"]]
    ev = evaluate_clusters(PRED, TRUE, system=SYS)
    assert set(ev) >= {"pairwise", "bcubed", "counts", "per_system", "worst_false_merges", "worst_missed_links"}


def test_registered_persons_find_double_registrations_by_the_exact_trusted_code():
    import pandas as pd

    from matching.engine import _trusted_cf_key, double_registrations, registered_persons
    from matching.settings import load_settings

    base = "RSSMRA80A01D612H"
    rec = pd.DataFrame(
        {
            "source_system": ["anagrafe", "anagrafe", "anagrafe", "anagrafe", "anagrafe", "sat"],
            "codice_fiscale": [base, base, "RSSMRA80A01D61MH", "VRDLGU70B02D612X", "VRDLGU70B02D612X", base],
            "cf_base": [base, base, base, "VRDLGU70B02D612X", "VRDLGU70B02D612X", base],
            "cf_status": ["valid", "valid", "omocodic", "valid", "valid", "valid"],
            "cf_consistent": [True, True, True, False, True, True],
            "household_key": ["anagrafe:F-1", "anagrafe:F-1", "anagrafe:F-2", "anagrafe:F-3", "anagrafe:F-3", None],
        }
    )
    settings = load_settings("stg_person")
    system = rec["source_system"].to_numpy(dtype=object)
    unit = registered_persons(rec, settings, system, _trusted_cf_key(rec, settings))
    # 0/1 the same code twice in one family; 2 an omocodic homonym (same base, another code); 3 a code that is not its own;
    # 5 not a registry record
    assert unit.tolist() == [0, 0, 2, 3, 4, -1]
    assert [x.tolist() for x in double_registrations(unit)] == [[0], [1]]
    # the registry kept an omocodic homonym's base code: one code, two people in two families
    rec.loc[2, ["codice_fiscale", "cf_status", "household_key"]] = [base, "valid", "anagrafe:F-9"]
    unit = registered_persons(rec, settings, system, _trusted_cf_key(rec, settings))
    assert unit.tolist() == [0, 0, 2, 3, 4, -1]
