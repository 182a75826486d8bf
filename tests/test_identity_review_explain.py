"""The review queue through `fase review` (list, show, decide, undo) and explanations (`fase explain`),
on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub.cli import cli
from matching import pipeline, store
from matching.explain import ExplainError, explain_records, format_explanation
from matching.review import ReviewError, decide, decide_pair, list_items, show_item
from tests.identity_data import BRIDGE_A, BRIDGE_B, TRIPLE, background, crosswalk, key, row, stage
from tests.stage_data import fresh_warehouse


@pytest.fixture
def linked(warehouse_url, tmp_path):
    engine = fresh_warehouse(warehouse_url)
    stage(engine, background() + [BRIDGE_A, BRIDGE_B] + TRIPLE)
    pipeline.link(engine, trigger="test")
    config = tmp_path / "hub.yaml"
    config.write_text(
        f"warehouse: {{url: '{warehouse_url}'}}\nsources:\n  sat: {{base_url: 'http://x'}}\n"
        f"  polis: {{base_url: 'http://x'}}\n  anagrafe: {{folder: '{tmp_path}'}}\n"
        f"  volontariato: {{url: 'sqlite://'}}\n  contabilita: {{url: 'sqlite://'}}\n"
    )
    return engine, str(config)


def fase(config, *args):
    out = CliRunner().invoke(cli, ["--config", config, *args], catch_exceptions=False)
    return out.exit_code, out.output


def review_rows(engine, a, b):
    R = store.REVIEW
    with engine.connect() as conn:
        return conn.execute(
            sa.select(R.c.status, R.c.decided_by).where(*[R.c[k] == v for k, v in store.pair_columns(a, b).items()])
        ).all()


def test_review_queue_decisions_and_undo(linked):
    engine, config = linked
    items = list_items(engine, limit=1000)
    assert items and all(i["status"] == "open" for i in items)
    pairs = {(i["left"], i["right"]) for i in items}
    assert len(pairs) == len(items)
    # a second run neither duplicates open items nor adds any
    assert pipeline.link(engine, trigger="test")["review_items_opened"] == 0
    assert len(list_items(engine, limit=1000)) == len(items)

    item = (
        next(i for i in items if crosswalk(engine)[i["left"]] == crosswalk(engine)[i["right"]])
        if any(crosswalk(engine)[i["left"]] == crosswalk(engine)[i["right"]] for i in items)
        else items[0]
    )
    rid, a, b = item["review_id"], item["left"], item["right"]
    code, out = fase(config, "review", "list", "--limit", "500")
    assert code == 0 and re.search(rf"^\s*{rid}\s+open\s", out, re.M) and a in out
    code, out = fase(config, "review", "show", str(rid))
    assert code == 0 and "first_name" in out and "birth_date" in out and a in out and b in out and "reason:" in out
    assert "last_name_norm" in out  # the records side by side

    # decide: cannot-link; the next run keeps them apart and does not reopen the item
    code, out = fase(config, "review", "decide", str(rid), "--no-match", "--by", "anna", "--note", "different mothers")
    assert code == 0 and "cannot_link" in out
    code, out = fase(config, "review", "decide", str(rid), "--match", "--by", "anna")
    assert code != 0 and "already decided" in out
    pipeline.link(engine, trigger="test")
    xw = crosswalk(engine)
    assert xw[a] != xw[b]
    assert review_rows(engine, a, b) == [("no_match", "anna")]
    with engine.connect() as conn:
        decision = conn.execute(
            sa.select(store.PAIR.c.decision).where(
                store.PAIR.c.run_id == sa.select(sa.func.max(store.LRUN.c.run_id)).scalar_subquery(),
                *[store.PAIR.c[k] == v for k, v in store.pair_columns(a, b).items()],
            )
        ).scalar()
    assert decision == "cannot_link"

    # undo: constraint revoked, item open again; then a must-link joins them
    code, out = fase(config, "review", "undo", str(rid), "--by", "bruno")
    assert code == 0 and "1 constraint(s) revoked" in out
    assert review_rows(engine, a, b) == [("open", None)]
    decide(engine, rid, True, "bruno")
    pipeline.link(engine, trigger="test")
    xw = crosswalk(engine)
    assert xw[a] == xw[b]
    with pytest.raises(ReviewError):
        decide(engine, 10**6, True, "bruno")


def test_explain_any_two_records(linked):
    engine, config = linked
    e = explain_records(engine, key(TRIPLE[0]), key(TRIPLE[1]))
    assert e["decision"] == "auto_link" and e["candidate"] and e["same_beneficiary"]
    assert {r["comparison"] for r in e["comparisons"]} >= {"first_name", "last_name", "birth_date", "codice_fiscale"}
    total = e["prior_weight"] + sum(r["weight"] for r in e["comparisons"])
    assert math.isclose(total, e["match_weight"], abs_tol=1e-6)
    assert math.isclose(e["match_probability"], 1 / (1 + 2 ** -e["match_weight"]), rel_tol=1e-9)
    birth = next(r for r in e["comparisons"] if r["comparison"] == "birth_date")
    assert birth["label"] == "exact" and birth["weight"] > 5 and birth["m"] > birth["u"]
    first = next(r for r in e["comparisons"] if r["comparison"] == "first_name")
    assert first["label"] == "exact" and "tf_adjustment" in first

    # not a candidate pair: still explained, with its decision by the thresholds
    e = explain_records(engine, key(BRIDGE_A), key(BRIDGE_B))
    assert not e["candidate"] and e["blocking_passes"] == [] and e["decision"] in ("non_link", "review", "auto_link")
    lines = format_explanation(e)
    assert "not a candidate pair" in "\n".join(lines)
    with pytest.raises(ExplainError, match="no staged record"):
        explain_records(engine, "sat:nope", key(BRIDGE_A))

    code, out = fase(config, "explain", key(TRIPLE[0]), key(TRIPLE[2]))
    assert code == 0
    for word in (
        "prior",
        "first_name",
        "codice_fiscale",
        "match weight",
        "probability",
        "decision auto_link",
        "same beneficiary",
    ):
        assert word in out, word
    code, out = fase(config, "explain", "sat", key(TRIPLE[2]))
    assert code != 0 and "system:id" in out


POLIS_UUID = "3f2b6c1e-8a4d-4c1e-9b7a-2d5e8f0a1b2c"


def test_review_list_has_a_header_names_status_and_aligned_columns(linked):
    """Issue 15: `review list` had no header, names or status, and a POLIS UUID broke the alignment."""
    engine, config = linked
    stage(engine, [row(POLIS_UUID, "polis", first="ERSILIA", last="MONTAUTI", sex="F", birth=TRIPLE[0]["birth_date"])])
    decide_pair(engine, f"polis:{POLIS_UUID}", key(TRIPLE[0]), True, "anna")
    items = list_items(engine, None, limit=500)
    code, out = fase(config, "review", "list", "--status", "all", "--limit", "500")
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split()[:4] == ["id", "status", "prob", "weight"] and "left name" in header
    assert len(lines) == len(items) and any(POLIS_UUID in line for line in lines)
    starts = {name: header.index(name) for name in ("status", "left", "left name", "right", "right name", "reason")}
    for line, item in zip(lines, items):
        assert line[starts["status"] :].startswith(item["status"])
        assert line[starts["left"] :].startswith(item["left"])
        assert line[starts["left name"] :].startswith(item["left_name"] or "—")
        assert line[starts["right"] :].startswith(item["right"])
        assert line[starts["right name"] :].startswith(item["right_name"] or "—")
    decided = next(line for line in lines if POLIS_UUID in line)
    assert "match" in decided and "Ersilia Montauti" in decided.replace("ERSILIA MONTAUTI", "Ersilia Montauti")


def test_review_show_marks_one_sided_values_apart_and_shows_competing_records(linked):
    """Issue 15: `≠` marked a value missing on one side like a conflict; an ambiguous item did not show the
    records it competes with."""
    engine, config = linked
    items = list_items(engine, limit=1000)
    item = next(i for i in items if show_item(engine, i["review_id"])["related"])
    shown = show_item(engine, item["review_id"])
    code, out = fase(config, "review", "show", str(item["review_id"]))
    assert code == 0
    lines = out.splitlines()
    fields = lines[next(n for n, x in enumerate(lines) if x.strip().startswith("field ")) + 1 :]
    columns = [shown["records"][c] + tuple(x["record"][c] for x in shown["competitors"]) for c in shown["records"]]
    marks = {}
    for col, values in zip(shown["records"], columns):
        present = {str(v) for v in values if v is not None}
        if present:
            line = next(x for x in fields if x[2:].startswith(col + " "))
            marks[line[:2]] = marks.get(line[:2], 0) + 1
            if None in values:
                assert line.startswith("· "), line  # a value missing on one side is not a conflict
            else:
                assert line.startswith("≠ " if len(present) > 1 else "  "), line
    assert marks.get("· ") and marks.get("≠ ")
    competitor = shown["competitors"][0]["key"]
    field_header = next(x for x in lines if x.strip().startswith("field"))
    assert competitor in field_header
    assert "competing items" in out
    for r in shown["related"]:
        assert f"review {r['review_id']}: {r['left']} vs {r['right']}" in out
