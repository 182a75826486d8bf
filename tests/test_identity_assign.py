"""Stable ids without a database: overlap carries ids, merges keep the oldest, splits mint, undo revives."""

from __future__ import annotations

from matching.identity import Known, assign_ids, mint_id


def run(clusters: list[list[str]], previous: dict[str, str], known: dict[str, Known]):
    keys = [k for c in clusters for k in c]
    labels = [n for n, c in enumerate(clusters) for _ in c]
    return assign_ids(keys, labels, previous, known)


def test_first_run_mints_deterministic_opaque_ids():
    a = run([["sat:1", "anagrafe:9"], ["polis:x"]], {}, {})
    b = run([["polis:x"], ["anagrafe:9", "sat:1"]], {}, {})
    assert dict(a.crosswalk) == dict(b.crosswalk)
    bid = a.crosswalk["sat:1"]
    assert bid == mint_id("anagrafe:9") and bid.startswith("B") and len(bid) == 13 and "anagrafe" not in bid
    assert a.created == sorted({bid, mint_id("polis:x")}) and not a.merged and not a.split


def test_minting_avoids_collisions_with_any_issued_id():
    taken = {mint_id("sat:1"): Known("retired", None, 1)}
    # the retired id is founded by sat:1 -> revived, not re-minted
    a = run([["sat:1"]], {}, taken)
    assert a.revived == [mint_id("sat:1")]
    # a different founding record whose first choice is taken gets the salted id
    taken = {mint_id("sat:2"): Known("active", None, 1)}
    a = run([["sat:2"]], {"sat:9": mint_id("sat:2")}, taken)
    assert a.crosswalk["sat:2"] == mint_id("sat:2", 1)


def test_ids_survive_while_their_cluster_does():
    prev = {"sat:1": "B1", "anagrafe:9": "B1", "polis:x": "B2"}
    known = {"B1": Known("active", None, 1), "B2": Known("active", None, 1)}
    a = run([["sat:1", "anagrafe:9", "sat:5"], ["polis:x"]], prev, known)
    assert a.crosswalk["sat:5"] == "B1" and a.crosswalk["polis:x"] == "B2"
    assert a.updated == ["B1"] and not a.created and not a.merged


def test_merge_keeps_the_oldest_id_ties_by_id():
    prev = {"sat:1": "BZZZ", "anagrafe:9": "BAAA", "polis:x": "BMMM"}
    known = {"BZZZ": Known("active", None, 3), "BAAA": Known("active", None, 5), "BMMM": Known("active", None, 3)}
    a = run([["sat:1", "anagrafe:9", "polis:x"]], prev, known)
    assert set(a.crosswalk) == {"BMMM"}  # run 3 is older than run 5; BMMM < BZZZ
    assert a.merged == {"BZZZ": "BMMM", "BAAA": "BMMM"}
    kinds = [(c["beneficiary_id"], c["kind"], c["merged_into"]) for c in a.changes()]
    assert ("BAAA", "merged", "BMMM") in kinds and ("BZZZ", "merged", "BMMM") in kinds


def test_split_keeps_the_largest_part_and_announces_where_records_went():
    prev = {"sat:1": "B1", "anagrafe:9": "B1", "polis:x": "B1"}
    a = run([["sat:1", "anagrafe:9"], ["polis:x"]], prev, {"B1": Known("active", None, 1)})
    new = mint_id("polis:x")
    assert a.crosswalk["sat:1"] == "B1" and a.crosswalk["polis:x"] == new
    assert a.split == {"B1": sorted(["B1", new])} and a.created == [new]


def test_undoing_a_merge_revives_the_absorbed_id():
    absorbed = mint_id("volontariato:7")
    prev = {"volontariato:7": "B1", "sat:1": "B1"}
    known = {"B1": Known("active", None, 1), absorbed: Known("merged", "B1", 1)}
    a = run([["sat:1"], ["volontariato:7"]], prev, known)
    assert a.crosswalk["volontariato:7"] == absorbed and a.revived == [absorbed] and not a.created


def test_ids_without_records_are_retired():
    prev = {"sat:1": "B1", "sat:2": "B2"}
    a = run([["sat:1"]], prev, {"B1": Known("active", None, 1), "B2": Known("active", None, 1)})
    assert a.retired == ["B2"] and [c["kind"] for c in a.changes()] == ["retired"]
