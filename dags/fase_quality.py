"""Daily data quality: Great Expectations suites over raw, staging and marts, Data Docs, quarantine summary."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from hub.airflow_docs import QUALITY_DESCRIPTION, QUALITY_DOC
from hub.airflow_support import DEFAULT_ARGS, START_DATE, run_step


@dag(
    dag_id="fase_quality",
    description=QUALITY_DESCRIPTION,
    schedule="0 7 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    dagrun_timeout=timedelta(hours=2),
    tags=["fase", "quality"],
    doc_md=QUALITY_DOC,
)
def fase_quality():
    @task
    def quality() -> dict:
        return run_step("quality", trigger="airflow")

    quality()


fase_quality()
