"""Incremental linkage and publishing, run whenever any system's staging data changes.

link_plan opens a linkage run (holding the link lock) and lists the blocking partitions touched since
the last linkage; link_partition is mapped over them (one task instance per partition, spread over the
Celery workers); link_finalize clusters the scored pairs into beneficiary ids and closes the run; publish
rebuilds the marts. Every task works on the run id link_plan returns (XCom "run_id"), never on "the newest"
run. link_plan's return value is the list of the partition tasks' arguments (`expand_kwargs`: Airflow maps only
over a return value), and their parameter is `linkage_run` because `run_id` names a task-context variable.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from hub.airflow_docs import LINK_PUBLISH_DESCRIPTION, LINK_PUBLISH_DOC
from hub.airflow_support import DEFAULT_ARGS, MARTS_ASSET, STAGING_ASSETS, START_DATE, run_step

A = STAGING_ASSETS


@dag(
    dag_id="fase_link_publish",
    description=LINK_PUBLISH_DESCRIPTION,
    schedule=A["sat"] | A["anagrafe"] | A["polis"] | A["volontariato"] | A["contabilita"],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    dagrun_timeout=timedelta(hours=6),
    tags=["fase", "linkage", "publish"],
    doc_md=LINK_PUBLISH_DOC,
)
def fase_link_publish():
    @task
    def link_plan() -> list[dict]:
        return run_step("link_plan")

    @task(max_active_tis_per_dagrun=8, execution_timeout=timedelta(minutes=30))
    def link_partition(linkage_run: int, partition: str) -> dict:  # `run_id` is Airflow's own context name
        return run_step("link_partition", linkage_run, partition)

    @task(trigger_rule="none_failed")  # also when no partition changed (deletions still recluster)
    def link_finalize(planned: list[dict]) -> dict:
        return run_step("link_finalize", planned)

    @task(outlets=[MARTS_ASSET])
    def publish() -> dict:
        return run_step("publish", trigger="airflow")

    plan = link_plan()
    link_partition.expand_kwargs(plan) >> link_finalize(plan) >> publish()


fase_link_publish()
