"""docker-compose.yml: the deployment has every service it needs, pinned, health-checked, fully configured.

(That the topology actually runs is tests/test_airflow_celery.py's job, against local servers.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from configuration import parse_config

ROOT = Path(__file__).resolve().parents[1]
ONE_SHOT = {"airflow-init", "sandbox-world"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_of(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_the_topology_has_every_service(compose):
    services = compose["services"]
    commands = {name: command_of(s) for name, s in services.items()}
    for role in (
        "airflow api-server",
        "airflow scheduler",
        "airflow dag-processor",
        "airflow triggerer",
        "airflow celery worker",
        "fase serve",
    ):
        assert any(c.startswith(role) for c in commands.values()), f"no service runs `{role}`"
    for system in ("sat", "polis"):
        assert any(c.startswith(f"python -m sandbox.servers {system}") for c in commands.values()), system
    postgres = {n: s for n, s in services.items() if s.get("image", "").startswith("postgres:")}
    assert {s["environment"]["POSTGRES_DB"] for s in postgres.values()} == {"airflow", "fase"}, (
        "Airflow's metadata and the warehouse live on separate PostgreSQL servers"
    )
    assert len({tuple(s["volumes"]) for s in postgres.values()}) == 2
    assert any(s.get("image", "").startswith("redis:") for s in services.values())


def test_airflow_services_share_the_celery_configuration(compose):
    env = compose["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
    assert "@airflow-db:" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver:8080/")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"].endswith("/dags") and env["FASE_CONFIG"].endswith("/compose.yaml")


def test_images_are_pinned(compose):
    images = [s["image"] for s in compose["services"].values() if "image" in s]
    assert images
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name and tag and tag != "latest" and re.search(r"\d", tag), f"unpinned image {image}"
    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM\s+(\S+)", dockerfile, re.M).group(1)
    assert re.search(r":\d+\.\d+\.\d+", base), f"unpinned base image {base}"


def test_long_running_services_have_healthchecks(compose):
    for name, service in compose["services"].items():
        if name in ONE_SHOT:
            assert service.get("restart") == "no", name
            continue
        check = service.get("healthcheck", {}).get("test")
        assert check and check != ["CMD", "true"], f"{name} has no real healthcheck"


def test_named_volumes_are_declared(compose):
    declared = set(compose.get("volumes") or {})
    used = set()
    for service in [compose["x-airflow-common"], *compose["services"].values()]:
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/", "~")):
                used.add(source)
    assert used and used <= declared, used - declared


def test_every_variable_is_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    referenced = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(?::?[-?][^}]*)?\}", text))
    defined = {
        line.split("=", 1)[0].strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    assert referenced, "expected ${VAR} references"
    assert referenced <= defined, f"missing from .env.example: {sorted(referenced - defined)}"


def test_compose_hub_config_is_valid():
    cfg = parse_config(yaml.safe_load((ROOT / "config" / "compose.yaml").read_text()), "config/compose.yaml")
    assert cfg.warehouse.url.startswith("postgresql") and "@warehouse:" in cfg.warehouse.url
    assert cfg.sources.sat.base_url == "http://sandbox-sat:8701"


def test_the_api_healthcheck_asks_a_route_the_api_has(compose, tmp_path):
    from api.app import create_app
    from warehouse.db import make_engine

    check = command_of({"command": compose["services"]["fase-api"]["healthcheck"]["test"]})
    path = re.search(r"http://localhost:\d+(/\S*)", check).group(1)
    spec = create_app(make_engine(f"sqlite:///{tmp_path / 'w.db'}"), pseudonym_key="k").openapi()
    assert path in spec["paths"] and "security" not in spec["paths"][path]["get"], path


def test_analysts_bi_tool_reaches_the_warehouse_only(compose):
    """Metabase, on its own profile: pinned (above), health-checked (above), its settings on its own volume, after
    the warehouse and its roles exist (docs/analyst.md says how to connect it as the analysts' role)."""
    bi = compose["services"]["metabase"]
    assert bi["image"].startswith("metabase/metabase:") and bi["profiles"] == ["bi"]
    assert (
        bi["environment"]["MB_DB_FILE"].startswith("/metabase-data/")
        and "metabase-data:/metabase-data" in bi["volumes"]
    )
    assert set(bi["depends_on"]) == {"warehouse", "airflow-init"} and "env_file" not in bi
    assert (
        "fase_analyst" in (ROOT / "docs" / "analyst.md").read_text()
        and "fase_marts" in (ROOT / "docs" / "analyst.md").read_text()
    )
