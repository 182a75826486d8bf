"""`fase serve`: run the read API with uvicorn on the configured warehouse."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from hub.context import get_config


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="worker processes (rate limits are shared through api.redis_url, else per process)",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="uvicorn's access log (paths carry beneficiary ids; the audit table has every read anyway)",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, access_log: bool) -> None:
    """Serve the read API (OpenAPI at /openapi.json, docs at /docs) and the console (/console), connected to the
    warehouse as database_roles.api when the configuration names it.

    The configuration is checked here, then this process becomes uvicorn (exec), so that worker
    processes import only the API, not the whole CLI, and signals reach uvicorn directly."""
    get_config(ctx)  # fail here, with the field named, rather than in every worker
    os.environ["FASE_CONFIG"] = str(Path(ctx.find_root().obj["config_path"]).resolve())
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "hub.webapp:create_app_from_env",
        "--factory",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--access-log" if access_log else "--no-access-log",
    ]
    os.execv(sys.executable, args)


commands = [serve]
