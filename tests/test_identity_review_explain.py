"""The review queue through `fase review` (list, show, decide, undo) and explanations (`fase explain`),
on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub.cli import cli
from matching import pipeline, store
from matching.explain import ExplainError, explain_records, format_explanation
from matching.review import ReviewError, decide, list_items
from tests.identity_data import BRIDGE_A, BRIDGE_B, TRIPLE, background, crosswalk, key, stage
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
    assert code == 0 and f"{rid:>6}" in out and a in out
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
