"""What the Airflow UI shows about each fase DAG: a one-line description and the documentation (Markdown) an
operator reads before unpausing it, or when a run failed. Plain strings: the DAG processor imports this module.
"""

from __future__ import annotations

SYSTEM_NAMES = {
    "sat": "SAT (temporary accommodation)",
    "anagrafe": "Anagrafe (residence registry)",
    "polis": "POLIS (job placement)",
    "volontariato": "Volontariato (volunteering associations)",
    "contabilita": "Contabilità (payments)",
}

WHEN_IT_FAILS = """
**When a task fails.** It is retried 3 times (after 2, 4 and 8 minutes); a failure for good is also recorded
in the warehouse's `pipeline_run` with the task and the reason (`fase runs` lists it), and the task log says
why. Re-running is safe: every step resumes from what it committed, and the same input gives the same
warehouse. A step already running elsewhere (the CLI, another run) makes the task wait for its lock.
"""


def sync_description(system: str, when: str) -> str:
    return f"{SYSTEM_NAMES[system]}: sync into the raw layer, then stage; {when} (Europe/Rome)"


def sync_doc(system: str, when: str) -> str:
    sensor = (
        "\n0. `wait_for_snapshot` waits (every 10 minutes, up to 8 hours, without holding a worker slot) for a "
        "complete nightly snapshot newer than the last one loaded: its `#EOF;n` trailer present and `n` "
        "matching its rows.\n"
        if system == "anagrafe"
        else "\n"
    )
    return f"""### {SYSTEM_NAMES[system]}: sync and stage

**Schedule**: {when}, Europe/Rome time. No catch-up: a paused DAG resumes from now, and a sync always
continues from the state it stored.
{sensor}
1. `sync` pulls what is new, changed or deleted in `{system}` into its raw tables (`raw_{system}_*`), one
   committed unit (page, batch, file) at a time, then reconciles the source with the raw layer: a record
   missing from the raw layer fails the task (`fase sync {system} --full-refresh` reloads it).
2. `stage` checks every new raw record against its contract: valid ones are standardised into staging, the
   others quarantined with the rules they broke (`fase quarantine list --system {system}`). It updates the
   asset `fase://staging/{system}`, which schedules `fase_link_publish`.

In sandbox mode a refused connection means the simulators are down: `fase airflow` starts them, or run
`fase sandbox up`.
{WHEN_IT_FAILS}"""


LINK_PUBLISH_DESCRIPTION = "Link people into beneficiaries and publish the profile, when any staging data changed"

LINK_PUBLISH_DOC = f"""### Linkage and publishing

**Schedule**: whenever a sync DAG updated its staging asset (`fase://staging/<system>`).

1. `link_plan` opens a linkage run (it holds the linkage lock until `link_finalize`), finds the records new
   or changed since the last run, blocks them into candidate pairs and splits the pairs into partitions.
2. `link_partition` (one mapped task per partition, up to 8 at a time) compares and scores its pairs.
3. `link_finalize` clusters the scored pairs under the reviewers' decisions into stable beneficiary ids
   and writes the crosswalk; merges and splits are announced in `beneficiary_change`. Uncertain pairs
   wait in the review queue (`fase review list`).
4. `publish` rebuilds golden records, facts, history, households, `beneficiary_profile` and the marts for
   the beneficiaries that changed; it updates the asset `fase://marts/beneficiary_profile`.

If a run is killed between tasks, its lock is freed when its lease expires, or at once with
`fase runs abandon RUN_ID --reason ...`.
{WHEN_IT_FAILS}"""


QUALITY_DESCRIPTION = "Great Expectations suites over staging, Data Docs, open quarantine per stream; daily 07:00"

QUALITY_DOC = f"""### Data quality

**Schedule**: daily at 07:00, Europe/Rome time.

`quality` runs the expectation suites over the staging tables, stores the results (`quality_result`),
builds the Data Docs (their path is in the task's return value and in `fase runs`) and counts the open
quarantine entries per stream. Failed expectations fail the task at once, without retries: the data, not
the run, needs fixing (`fase validate` runs the same suites by hand).
{WHEN_IT_FAILS}"""
