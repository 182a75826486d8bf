"""A whole sandbox (a few hundred people) synced and staged, then a day later again: nothing is lost.

Every current live raw record of every stream is in its staging table or open in quarantine (never
both), deleted records are in neither, and each run's counts add up. Also drives `fase stage` and
`fase quarantine list` through the CLI.
"""

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from configuration import load_env_file
from connectors.registry import sync_system
from hub.commands.quality import quarantine_group
from hub.commands.stage import stage
from sandbox import services, world
from schemas.contracts import SchemaDriftError
from schemas.stage import STREAM_TARGETS, stage_system
from tests.helpers import make_config, sandbox_config, sync_and_stage
from tests.stage_data import fresh_warehouse
from warehouse.models import RAW_STREAMS, RAW_TABLES, STAGING_TABLES, Quarantine


def raw_state(engine, system, stream):
    t = RAW_TABLES[(system, stream)]
    with engine.connect() as conn:
        found = conn.execute(sa.select(t.c.source_id, t.c.deleted).where(t.c.is_current)).all()
    return {sid for sid, deleted in found if not deleted}, {sid for sid, deleted in found if deleted}


def staged_ids(engine, system, stream):
    target = STREAM_TARGETS[(system, stream)][0]
    t = STAGING_TABLES[target.table]
    q = sa.select(t.c[target.scope]).distinct()
    if target.table == "stg_person":
        q = q.where(t.c.source_system == system)
    with engine.connect() as conn:
        return set(conn.execute(q).scalars())


def quarantined_ids(engine, system, stream):
    q = Quarantine.__table__
    with engine.connect() as conn:
        return set(
            conn.execute(
                sa.select(q.c.source_id).where(
                    q.c.system == system, q.c.stream == stream, q.c.released_run_id.is_(None)
                )
            ).scalars()
        )


def assert_nothing_lost(engine):
    for system, streams in RAW_STREAMS.items():
        for stream in streams:
            live, deleted = raw_state(engine, system, stream)
            staged, held = staged_ids(engine, system, stream), quarantined_ids(engine, system, stream)
            assert live, f"{system}.{stream} is empty: the sandbox should fill it"
            assert staged | held == live, f"{system}.{stream}: {len(live - staged - held)} records lost"
            assert not staged & held and not (staged | held) & deleted, f"{system}.{stream}"


def test_whole_sandbox_every_record_is_staged_or_quarantined(warehouse_url, tmp_path):
    folder = tmp_path / "sandbox"
    world.generate(folder, 400, 11)
    load_env_file(folder / "secrets.env")
    engine = fresh_warehouse(warehouse_url)
    with services.running(folder) as urls:
        cfg = sandbox_config(tmp_path, folder, warehouse_url, urls)
        sync_and_stage(cfg, engine)
        assert_nothing_lost(engine)
        world.advance(folder, days=2)
        sync_and_stage(cfg, engine)
        assert_nothing_lost(engine)


def test_cli_stage_and_quarantine_list(tmp_path):
    from tests.stage_data import good, write_raw

    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = fresh_warehouse(url)
    write_raw(
        engine,
        "polis",
        "placements",
        [good("polis", "placements"), good("polis", "placements", id=89, status="paused")],
    )
    config = tmp_path / "hub.yaml"
    config.write_text(
        f"warehouse: {{url: '{url}'}}\nsources:\n  sat: {{base_url: 'http://x'}}\n"
        f"  polis: {{base_url: 'http://x'}}\n  anagrafe: {{folder: '{tmp_path}'}}\n"
        f"  volontariato: {{url: 'sqlite://'}}\n  contabilita: {{url: 'sqlite://'}}\n"
    )
    runner = CliRunner()
    out = runner.invoke(stage, ["polis", "--no-validate"], obj={"config_path": str(config)})
    assert out.exit_code == 0, out.output
    line = next(line for line in out.output.splitlines() if "polis.placements" in line)
    assert line.split()[1:5] == ["2", "1", "1", "0"] and "received = staged + quarantined + deleted" in line
    assert runner.invoke(stage, [], obj={"config_path": str(config)}).exit_code == 2  # neither systems nor --all
    out = runner.invoke(quarantine_group, ["list", "--system", "polis"], obj={"config_path": str(config)})
    assert out.exit_code == 0 and "polis.placements 89" in out.output
    assert "status 'paused' not one of active, hired, completed, dropped_out" in out.output


def _drift_tonights_anagrafe(folder, drift: str) -> None:
    """Rewrite the newest snapshot as a drifted export: a renamed column or dates in a new format."""
    path = sorted((folder / "anagrafe").glob("ANAGRAFE_RESIDENTI_*.csv"))[-1]
    lines = path.read_bytes().decode("latin-1").split("\r\n")
    header = lines[0].split(";")
    if drift == "renamed column":
        lines[0] = lines[0].replace("DATA_NASCITA", "DATA_DI_NASCITA")
    else:
        col = header.index("DATA_NASCITA")
        for i, line in enumerate(lines[1:], start=1):
            cells = line.split(";")
            if len(cells) == len(header) and cells[col].count("/") == 2:
                d, m, y = cells[col].split("/")
                cells[col] = f"{y}-{m}-{d}"
                lines[i] = ";".join(cells)
    path.write_bytes("\r\n".join(lines).encode("latin-1"))


@pytest.mark.parametrize("drift", ["renamed column", "new date format"])
def test_drifted_sandbox_source_fails_loudly_and_leaves_staging_unchanged(tmp_path, drift):
    folder = tmp_path / "sandbox"
    world.generate(folder, 300, 4)
    engine = fresh_warehouse(f"sqlite:///{tmp_path / 'warehouse.db'}")
    cfg = make_config(tmp_path, anagrafe_folder=folder / "anagrafe")
    sync_system(cfg, engine, "anagrafe")
    stage_system(cfg, engine, "anagrafe")
    before = {
        name: sorted(map(tuple, engine.connect().execute(sa.select(t)).all())) for name, t in STAGING_TABLES.items()
    }
    world.advance(folder, 1)
    _drift_tonights_anagrafe(folder, drift)
    sync_system(cfg, engine, "anagrafe")
    with pytest.raises(SchemaDriftError) as err:
        stage_system(cfg, engine, "anagrafe")
    message = str(err.value)
    assert "anagrafe.residenti" in message and "DATA_NASCITA" in message
    assert ("missing" in message) if drift == "renamed column" else ("DD/MM/YYYY" in message or "format" in message)
    after = {
        name: sorted(map(tuple, engine.connect().execute(sa.select(t)).all())) for name, t in STAGING_TABLES.items()
    }
    assert after == before
