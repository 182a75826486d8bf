"""Hub configuration: one YAML file, validated by pydantic; secrets come from the environment.

The file names each secret's environment variable (``*_env`` fields), never the secret itself.
An optional ``env_file`` (dotenv syntax, e.g. the sandbox's generated credentials) is read
first; variables already set in the environment win.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

if TYPE_CHECKING:  # SQLAlchemy is imported when a URL is checked: `fase --help` needs only the names above
    from sqlalchemy.engine import URL

DEFAULT_CONFIG = Path("config/sandbox.yaml")
CONFIG_ENV = "FASE_CONFIG"
SYSTEMS = ("sat", "anagrafe", "polis", "volontariato", "contabilita")


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


EnvName = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$", description="name of an environment variable")]


def _check_db_url(value: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        url = make_url(value)
    except Exception as exc:  # sqlalchemy raises ArgumentError
        raise ValueError(f"not a database URL: {exc}") from None
    if url.password not in (None, ""):
        raise ValueError("the URL must not contain a password: name its environment variable in password_env")
    return value


class DatabaseEndpoint(_Model):
    url: str = Field(description="SQLAlchemy URL without password, e.g. postgresql+psycopg://hub@db/fase")
    password_env: EnvName | None = Field(default=None, description="environment variable holding the password")

    @field_validator("url")
    @classmethod
    def _url_without_password(cls, value: str) -> str:
        return _check_db_url(value)

    def sqlalchemy_url(self) -> URL:
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        if self.password_env:
            url = url.set(password=require_env(self.password_env))
        return url


RoleName = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="a PostgreSQL role name")]


class DatabaseRole(_Model):
    """A login role of the warehouse database; its password comes from the named environment variable."""

    name: RoleName
    password_env: EnvName


class DatabaseRoles(_Model):
    """The warehouse's PostgreSQL roles besides its owner (the user of `warehouse.url`, who runs migrations
    and the pipeline), created and granted by `fase db roles`."""

    api: DatabaseRole | None = Field(
        default=None, description="the read API's role: INSERT on api_audit, SELECT on what it serves"
    )
    analyst: DatabaseRole | None = Field(default=None, description="analysts' role: the fase_marts schema only")


class ApiSettings(_Model):
    redis_url: str | None = Field(
        default=None,
        description="Redis for rate limits shared by every API worker (redis://host:6379/0), without password; "
        "absent: per-process limits",
    )
    redis_password_env: EnvName | None = Field(default=None, description="environment variable of Redis' password")

    @field_validator("redis_url")
    @classmethod
    def _redis_url_without_password(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises on a bad port)
        except ValueError as exc:
            raise ValueError(f"not a Redis URL: {exc}") from None
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise ValueError("expected redis://host[:port][/db] or rediss://...")
        if parts.password or parts.username:
            raise ValueError("the URL must not contain credentials: name the password's variable in redis_password_env")
        return value

    def redis_password(self) -> str | None:
        return require_env(self.redis_password_env) if self.redis_password_env else None


class HttpSettings(_Model):
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=6, ge=1, le=20)
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)


class SatSource(_Model):
    base_url: Annotated[str, Field(pattern=r"^https?://")]
    token_env: EnvName = "FASE_SAT_TOKEN"
    page_size: int = Field(default=500, ge=1, le=500)


class PolisSource(_Model):
    base_url: Annotated[str, Field(pattern=r"^https?://")]
    api_key_env: EnvName = "FASE_POLIS_API_KEY"
    page_size: int = Field(default=200, ge=1, le=200)


class AnagrafeSource(_Model):
    folder: Path = Field(description="drop folder of the nightly ANAGRAFE_RESIDENTI_YYYYMMDD.csv files")


class Sources(_Model):
    sat: SatSource
    anagrafe: AnagrafeSource
    polis: PolisSource
    volontariato: DatabaseEndpoint
    contabilita: DatabaseEndpoint


class Secrets(_Model):
    iban_hash_key_env: EnvName = Field(default="FASE_IBAN_HASH_KEY", description="key of the IBAN keyed hash")
    pseudonym_key_env: EnvName = Field(default="FASE_PSEUDONYM_KEY", description="key of analysts' pseudonymous ids")
    console_secret_env: EnvName = Field(
        default="FASE_CONSOLE_SECRET", description="key signing the console's session cookies (shared by all workers)"
    )


class HubConfig(_Model):
    warehouse: DatabaseEndpoint
    sources: Sources
    secrets: Secrets = Secrets()
    database_roles: DatabaseRoles = DatabaseRoles()
    api: ApiSettings = ApiSettings()
    http: HttpSettings = HttpSettings()
    data_dir: Path = Field(default=Path("var"), description="working files: Data Docs, Airflow home, reports")
    env_file: Path | None = Field(default=None, description="optional dotenv file read before the environment")
    quarantine_threshold: float = Field(
        default=0.2, ge=0, le=1, description="share of rejected rows in a batch above which the run fails"
    )
    mode: Literal["sandbox", "production"] = "production"
    truth_folder: Path | None = Field(
        default=None,
        description="a sandbox world folder: the console scores the linkage against its truth.db (sandbox only)",
    )

    @model_validator(mode="after")
    def _roles_need_postgresql(self) -> HubConfig:
        roles = self.database_roles
        from sqlalchemy.engine import make_url

        if (roles.api or roles.analyst) and make_url(self.warehouse.url).get_backend_name() != "postgresql":
            raise ValueError("database_roles need a PostgreSQL warehouse (SQLite has no roles)")
        return self

    def api_warehouse_url(self) -> URL:
        """The warehouse URL the read API connects with: as the `database_roles.api` role when one is
        configured (same host and database as `warehouse.url`), else as the warehouse's owner."""
        role = self.database_roles.api
        if role is None:
            return self.warehouse.sqlalchemy_url()
        from sqlalchemy.engine import make_url

        return make_url(self.warehouse.url).set(username=role.name, password=require_env(role.password_env))


def require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"environment variable {name} is not set (named in the configuration)")
    return value


def load_env_file(path: Path) -> None:
    """Read KEY=VALUE lines into os.environ without overriding what is already set."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip())


def _format_errors(source: str, exc: ValidationError) -> str:
    lines = [f"invalid configuration {source}:"]
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {field}: {err['msg']}")
    return "\n".join(lines)


def parse_config(data: object, source: str = "<config>") -> HubConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"invalid configuration {source}: expected a mapping at the top level")
    try:
        return HubConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(source, exc)) from None


def load_config(path: str | Path | None = None) -> HubConfig:
    """Load and validate the configuration; relative paths in it are relative to the working directory."""
    path = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    if not path.exists():
        raise ConfigError(f"configuration file {path} not found (set {CONFIG_ENV} or pass --config)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid configuration {path}: not valid YAML: {exc}") from None
    cfg = parse_config(data, str(path))
    if cfg.env_file:
        load_env_file(cfg.env_file)
    return cfg
