"""What a CLI command needs from its click context: the configuration and a warehouse engine."""

from __future__ import annotations

import click
from sqlalchemy.engine import Engine

from configuration import HubConfig, load_config
from warehouse.db import make_engine


def get_config(ctx: click.Context) -> HubConfig:
    obj = ctx.find_root().obj
    if "config" not in obj:
        obj["config"] = load_config(obj["config_path"])
    return obj["config"]


def get_engine(ctx: click.Context) -> Engine:
    obj = ctx.find_root().obj
    if "engine" not in obj:
        obj["engine"] = make_engine(get_config(ctx).warehouse.sqlalchemy_url())
    return obj["engine"]
