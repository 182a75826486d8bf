"""Sync DAGs, one per source system: [wait for tonight's anagrafe snapshot] → sync → stage.

`stage` updates the system's staging asset, which schedules `fase_link_publish`. Wiring only:
each task calls a step of hub/pipeline.py through `run_step`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import PokeReturnValue, dag, task

from hub.airflow_docs import sync_description, sync_doc
from hub.airflow_support import DEFAULT_ARGS, STAGING_ASSETS, START_DATE, run_step, sync_dag_id

SCHEDULES = {  # cron (Europe/Rome), and the same in words for the UI
    "sat": ("5 * * * *", "hourly at :05"),  # staggered so the hourly syncs do not start together
    "polis": ("15 * * * *", "hourly at :15"),
    "contabilita": ("25 * * * *", "hourly at :25"),
    "volontariato": ("30 2 * * *", "daily at 02:30"),
    "anagrafe": ("0 4 * * *", "daily at 04:00, after the nightly drop"),  # the sensor waits for the file
}


def sync_dag(system: str, schedule: str, when: str):
    @dag(
        dag_id=sync_dag_id(system),
        description=sync_description(system, when),
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        dagrun_timeout=timedelta(hours=10),
        tags=["fase", "sync", system],
        doc_md=sync_doc(system, when),
    )
    def _sync_dag():
        @task
        def sync() -> dict:
            return run_step("sync", system, trigger="airflow")

        @task(outlets=[STAGING_ASSETS[system]])
        def stage() -> dict:
            return run_step("stage", system, trigger="airflow")

        first = sync()
        first >> stage()
        if system == "anagrafe":

            @task.sensor(
                mode="reschedule",
                poke_interval=timedelta(minutes=10),
                timeout=timedelta(hours=8),
                execution_timeout=timedelta(minutes=5),
            )
            def wait_for_snapshot() -> PokeReturnValue:
                """Done when a complete snapshot (trailer present, count matching) newer than the loaded one is there."""
                name = run_step("anagrafe_snapshot_pending")
                return PokeReturnValue(is_done=name is not None, xcom_value=name)

            wait_for_snapshot() >> first

    return _sync_dag()


for _system, (_schedule, _when) in SCHEDULES.items():
    sync_dag(_system, _schedule, _when)
