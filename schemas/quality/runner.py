"""Run the staging suites with Great Expectations, store every result in `quality_result`, build Data Docs.

Tables of up to SAMPLE_ROWS rows are validated whole; larger ones on a random sample of that many
rows (uniqueness of keys is enforced by the primary keys anyway). GE's context lives in
<data_dir>/gx/ (file mode), the Data Docs site in <data_dir>/data_docs/ (index.html), its CDN links rewritten to
local copies (offline_docs.py).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx
import pandas as pd
import sqlalchemy as sa
from great_expectations.data_context.types.base import ProgressBarsConfig
from sqlalchemy.engine import Engine

from configuration import HubConfig
from configuration.assets import AssetsMissing
from schemas.quality.offline_docs import localise_data_docs
from schemas.quality.suites import suites
from warehouse.models import STAGING_TABLES, QualityResult
from warehouse.runs import recorded_run
from warehouse.types import utcnow

SAMPLE_ROWS = 100_000
SITE = "hub"
DATASOURCE = "staging"
RESULT_KEYS = (
    "element_count",
    "unexpected_count",
    "unexpected_percent",
    "missing_count",
    "observed_value",
    "partial_unexpected_list",
)


def data_docs_index(cfg: HubConfig) -> Path:
    return Path(cfg.data_dir).resolve() / "data_docs" / "index.html"


def gx_context(cfg: HubConfig):
    """The file-mode GE context under <data_dir>/gx/, with our Data Docs site and no progress bars."""
    root = Path(cfg.data_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(root))
    sites = ctx.list_data_docs_sites()
    if SITE not in sites:
        for name in list(sites):
            ctx.delete_data_docs_site(name)
        ctx.add_data_docs_site(
            SITE,
            {
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(data_docs_index(cfg).parent),
                },
            },
        )
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        ctx.variables.save()
    return ctx


def read_table(engine: Engine, name: str) -> tuple[pd.DataFrame, int]:
    """The table, or a random sample of SAMPLE_ROWS rows of it, with the values as the driver returns them
    (dates as `date`, money as `Decimal`: GE compares them with the expectations' bounds); and its row count."""
    table = STAGING_TABLES[name]
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        q = sa.select(table)
        if total > SAMPLE_ROWS:
            q = q.order_by(sa.func.random()).limit(SAMPLE_ROWS)
        frame = pd.DataFrame(conn.execute(q).all(), columns=[c.name for c in table.columns], dtype=object)
    return frame, total


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _column(kwargs: dict) -> str | None:
    if "column" in kwargs:
        return kwargs["column"]
    if "column_list" in kwargs:
        return ", ".join(kwargs["column_list"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    return None


def result_rows(run_id: int, suite: str, validation) -> list[dict]:
    """One quality_result row per expectation of a suite validation result."""
    now = utcnow()
    rows = []
    for r in validation.results:
        kwargs = r.expectation_config.kwargs
        observed = {k: r.result[k] for k in RESULT_KEYS if k in r.result}
        if "partial_unexpected_list" in observed:
            observed["partial_unexpected_list"] = observed["partial_unexpected_list"][:10]
        if r.exception_info and r.exception_info.get("raised_exception"):
            observed["exception"] = r.exception_info.get("exception_message")
        rows.append(
            {
                "run_id": run_id,
                "suite": suite,
                "expectation": r.expectation_config.type,
                "column": _column(kwargs),
                "success": bool(r.success),
                "observed": json.loads(json.dumps(_json_safe(observed))),
                "checked_at": now,
            }
        )
    return rows


def _validation_definition(ctx, name: str, expectations: list):
    source = (
        ctx.data_sources.add_or_update_pandas(DATASOURCE)
        if DATASOURCE not in ctx.data_sources.all()
        else ctx.data_sources.get(DATASOURCE)
    )
    asset = source.get_asset(name) if name in [a.name for a in source.assets] else source.add_dataframe_asset(name)
    batch = (
        asset.get_batch_definition("whole")
        if asset.batch_definitions
        else asset.add_batch_definition_whole_dataframe("whole")
    )
    suite = gx.ExpectationSuite(name=name, expectations=expectations)
    suite = ctx.suites.add_or_update(suite)
    return ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=name, data=batch, suite=suite))


def validate_staging(cfg: HubConfig, engine: Engine, *, trigger: str = "cli") -> dict:
    """Run every staging suite as one recorded run (step "quality"); returns its summary."""
    with recorded_run(engine, "quality", trigger=trigger) as summary:
        ctx = gx_context(cfg)
        summary["suites"] = {}
        stored = []
        for name, expectations in suites().items():
            frame, total = read_table(engine, name)
            result = _validation_definition(ctx, name, expectations).run(
                batch_parameters={"dataframe": frame}, result_format="SUMMARY"
            )
            rows = result_rows(summary["run_id"], name, result)
            stored += rows
            failed = [f"{r['expectation']}({r['column']})" for r in rows if not r["success"]]
            summary["suites"][name] = {
                "rows": total,
                "validated": len(frame),
                "expectations": len(rows),
                "passed": len(rows) - len(failed),
                "failed": failed,
            }
        with engine.begin() as conn:
            conn.execute(sa.insert(QualityResult), stored)
        ctx.build_data_docs(site_names=[SITE])
        summary["data_docs"] = str(data_docs_index(cfg))
        try:
            summary["data_docs_offline"] = localise_data_docs(data_docs_index(cfg).parent)
        except AssetsMissing as exc:  # the docs still render online; say why they are not offline
            summary["data_docs_offline"] = {"error": str(exc)}
        summary["success"] = all(not s["failed"] for s in summary["suites"].values())
    return summary
