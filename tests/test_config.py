"""The configuration file is validated, names the broken field, and keeps secrets out of the file."""

import os
from pathlib import Path

import pytest
import yaml

from configuration import ConfigError, HubConfig, load_config, parse_config

SAMPLE = Path(__file__).resolve().parents[1] / "config" / "sandbox.yaml"


def _sample() -> dict:
    return yaml.safe_load(SAMPLE.read_text())


def test_sample_config_is_valid():
    cfg = parse_config(_sample(), "sample")
    assert isinstance(cfg, HubConfig)
    assert cfg.sources.polis.page_size == 200
    assert cfg.warehouse.url.startswith("sqlite:///")


@pytest.mark.parametrize(
    "path, value, field",
    [
        (("sources", "sat", "base_url"), "ftp://nope", "sources.sat.base_url"),
        (("sources", "sat", "page_size"), 501, "sources.sat.page_size"),
        (("sources", "polis", "page_size"), 0, "sources.polis.page_size"),
        (("sources", "volontariato", "url"), "not a url", "sources.volontariato.url"),
        (("warehouse", "url"), "postgresql://fase:hunter2@db/fase", "warehouse.url"),
        (("sources", "sat", "token_env"), "lower-case", "sources.sat.token_env"),
        (("sources", "sat", "token"), "abc", "sources.sat.token"),
        (("quarantine_threshold",), 2, "quarantine_threshold"),
    ],
)
def test_bad_config_names_the_field(path, value, field):
    data = _sample()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ConfigError) as err:
        parse_config(data, "bad.yaml")
    assert field in str(err.value) and "bad.yaml" in str(err.value)


def test_missing_section_is_named():
    data = _sample()
    del data["sources"]["contabilita"]
    with pytest.raises(ConfigError, match="sources.contabilita"):
        parse_config(data)


def test_password_comes_from_the_named_environment_variable(monkeypatch):
    data = _sample()
    data["sources"]["contabilita"] = {"url": "postgresql+psycopg://hub@db/acc", "password_env": "TEST_ACC_PW"}
    cfg = parse_config(data)
    monkeypatch.delenv("TEST_ACC_PW", raising=False)
    with pytest.raises(ConfigError, match="TEST_ACC_PW"):
        cfg.sources.contabilita.sqlalchemy_url()
    monkeypatch.setenv("TEST_ACC_PW", "s3cret")
    assert cfg.sources.contabilita.sqlalchemy_url().password == "s3cret"


def test_env_file_is_read_without_overriding_environment(tmp_path, monkeypatch):
    env_file = tmp_path / "secrets.env"
    env_file.write_text("FASE_TEST_A=from_file\nFASE_TEST_B=from_file\n# comment\n")
    data = _sample()
    data["env_file"] = str(env_file)
    cfg_path = tmp_path / "hub.yaml"
    cfg_path.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("FASE_TEST_A", "from_env")
    monkeypatch.delenv("FASE_TEST_B", raising=False)
    load_config(cfg_path)
    assert os.environ["FASE_TEST_A"] == "from_env"
    assert os.environ["FASE_TEST_B"] == "from_file"


def test_missing_or_unparsable_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("warehouse: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_database_roles_name_their_password_variables_and_need_postgresql(monkeypatch):
    data = _sample()
    data["database_roles"] = {"api": {"name": "fase_api", "password_env": "FASE_TEST_API_PW"}}
    with pytest.raises(ConfigError, match="database_roles need a PostgreSQL warehouse"):
        parse_config(data)
    data["warehouse"] = {"url": "postgresql+psycopg://fase@db/fase", "password_env": "FASE_TEST_OWNER_PW"}
    cfg = parse_config(data)
    monkeypatch.setenv("FASE_TEST_API_PW", "api-secret")
    url = cfg.api_warehouse_url()
    assert (url.username, url.password, url.host, url.database) == ("fase_api", "api-secret", "db", "fase")
    data["database_roles"] = {"api": {"name": "Robert'); DROP", "password_env": "FASE_TEST_API_PW"}}
    with pytest.raises(ConfigError, match="database_roles.api.name"):
        parse_config(data)
