"""`fase sandbox up` with a relative folder writes a hub configuration that works from any directory (issue 17):
every path in it absolute, nothing created where the command was not run."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from configuration import load_config
from hub.cli import cli
from sandbox import world


def test_sandbox_up_with_a_relative_folder_writes_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    up = runner.invoke(cli, ["sandbox", "up", "--folder", "var/big", "--size", "40", "--seed", "4"])
    try:
        assert up.exit_code == 0, up.output
    finally:
        runner.invoke(cli, ["sandbox", "down", "--folder", "var/big"])
    folder = tmp_path / "var" / "big"
    config = folder / "hub.yaml"  # the configuration goes with its world
    assert f"hub configuration written to {config}" in up.output
    data = yaml.safe_load(config.read_text())
    paths = {
        "env_file": data["env_file"],
        "data_dir": data["data_dir"],
        "anagrafe": data["sources"]["anagrafe"]["folder"],
        **{
            key: sa.make_url(data[key]["url"] if key == "warehouse" else data["sources"][key]["url"]).database
            for key in ("warehouse", "volontariato", "contabilita")
        },
    }
    assert all(Path(p).is_absolute() for p in paths.values()), paths
    assert paths["warehouse"] == str(tmp_path / "var" / "warehouse.db")
    assert paths["volontariato"] == str(folder / "volontariato.db")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = load_config(config)
    with sa.create_engine(cfg.sources.volontariato.sqlalchemy_url()).connect() as conn:
        people = conn.execute(sa.text("SELECT COUNT(*) FROM anagrafiche")).scalar_one()
    assert people == world.status(folder)["person_records"]["volontariato"] > 0
    assert any(cfg.sources.anagrafe.folder.glob("ANAGRAFE_RESIDENTI_*.csv"))
    assert list(elsewhere.iterdir()) == []  # no empty SQLite file, no var/ folder made here
