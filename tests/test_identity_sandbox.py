"""A small sandbox world synced, staged and linked, scored against its ground truth; a day later the
incremental run keeps every unchanged record's id. `fase link` and `fase linkage eval` through the CLI."""

from __future__ import annotations

from click.testing import CliRunner

from configuration import SYSTEMS, load_env_file
from hub.cli import cli
from matching import pipeline
from matching.crosswalk_eval import evaluate_crosswalk, format_report
from sandbox import services, world
from sandbox.truth import record_truth
from tests.helpers import sandbox_config, sync_and_stage
from tests.identity_data import crosswalk
from tests.stage_data import fresh_warehouse


def test_sandbox_linkage_reaches_the_precision_target(warehouse_url, tmp_path):
    folder = tmp_path / "sandbox"
    world.generate(folder, 700, 17)
    load_env_file(folder / "secrets.env")
    engine = fresh_warehouse(warehouse_url)
    with services.running(folder) as urls:
        cfg = sandbox_config(tmp_path, folder, warehouse_url, urls)
        sync_and_stage(cfg, engine)
        first = pipeline.link(engine, trigger="test")
        result = evaluate_crosswalk(engine, record_truth(folder), worst=2)
        pw, blocking = result["pairwise"], result["blocking"]
        assert pw["precision"] >= 0.995, result
        assert pw["recall"] >= 0.85 and result["bcubed"]["f1"] >= 0.97, result
        assert blocking["pair_completeness"] >= 0.98 and blocking["reduction_ratio"] > 0.99
        assert result["counts"]["beneficiaries"] == first["beneficiaries"]
        assert set(result["per_system"]) == set(SYSTEMS)
        text = "\n".join(format_report(result))
        assert "pairwise" in text and "pair completeness" in text and "worst false merges" in text

        before = crosswalk(engine)
        world.advance(folder, days=1)
        sync_and_stage(cfg, engine)
        second = pipeline.link(engine, trigger="test")
        assert second["mode"] == "incremental" and second["changed_records"] > 0
        assert second["compared_pairs"] < first["compared_pairs"]
        after = crosswalk(engine)
        moved = [k for k, b in before.items() if k in after and after[k] != b]
        assert len(moved) <= max(3, second["changed_records"])  # only records near a change may move
        assert evaluate_crosswalk(engine, record_truth(folder), explain=False)["pairwise"]["precision"] >= 0.995

    if warehouse_url.startswith("sqlite"):
        config = tmp_path / "hub.yaml"
        services.write_hub_config(
            folder, {"sat": "http://127.0.0.1:1", "polis": "http://127.0.0.1:1"}, config, warehouse_url
        )
        runner = CliRunner()
        out = runner.invoke(cli, ["--config", str(config), "link"], catch_exceptions=False)
        assert out.exit_code == 0 and "linkage run" in out.output and "model reused" in out.output
        out = runner.invoke(
            cli, ["--config", str(config), "linkage", "eval", "--sandbox", str(folder)], catch_exceptions=False
        )
        assert out.exit_code == 0 and "precision" in out.output and "pair completeness" in out.output
        out = runner.invoke(cli, ["--config", str(config), "linkage", "eval", "--sandbox", str(tmp_path / "none")])
        assert out.exit_code != 0 and "truth.db" in out.output
