"""The uvicorn factory of `fase serve`: the read API and the console over the warehouse of the configuration named
by FASE_CONFIG, with the sandbox's ground truth (`truth_folder`) for the console's linkage evaluation. Here, not in
api/, because the truth is read by the sandbox package, which api may not import."""

from __future__ import annotations

import os

from fastapi import FastAPI

from api.app import create_app
from configuration import HubConfig, load_config


def truth_reader(cfg: HubConfig):
    """A reader of the configured sandbox world's truth (record key -> true person), or None."""
    folder = cfg.truth_folder
    if folder is None or not (folder / "truth.db").exists():
        return None

    def read() -> dict[str, int]:
        from sandbox.truth import record_truth

        return record_truth(folder)

    return read


def create_app_from_env() -> FastAPI:
    cfg = load_config(os.environ.get("FASE_CONFIG"))
    return create_app(cfg, truth=truth_reader(cfg))
