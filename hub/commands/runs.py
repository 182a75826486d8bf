"""`fase runs`: recent pipeline runs with status, counts and duration, the locks held now; abandon a dead run."""

from __future__ import annotations

import click

from hub.context import get_engine

STATUSES = ("running", "success", "failed", "abandoned")


def counts(step: str, summary: dict | None) -> str:
    """The figures a data engineer looks at first, per step, from a run's summary."""
    s = summary or {}
    streams = s.get("streams") or []
    if step == "sync" and streams:
        total = {k: sum(x.get(k, 0) for x in streams) for k in ("received", "new", "changed", "deleted")}
        return "received {received:,} new {new:,} changed {changed:,} deleted {deleted:,}".format(**total)
    if step == "stage" and streams:
        total = {k: sum(x.get(k, 0) for x in streams) for k in ("received", "staged", "quarantined", "deleted")}
        return "received {received:,} staged {staged:,} quarantined {quarantined:,} deleted {deleted:,}".format(**total)
    if step == "link" and "beneficiaries" in s:
        return (
            f"records {s.get('records', 0):,} beneficiaries {s['beneficiaries']:,} merged {s.get('merged', 0):,} "
            f"split {s.get('split', 0):,} review {s.get('review_items_opened', 0):,}"
        )
    if step == "publish" and "beneficiaries" in s:
        return f"beneficiaries {s['beneficiaries']:,} in scope {s.get('in_scope', 0):,} ({s.get('mode')})"
    return ""


def _duration(row) -> str:
    from warehouse.types import utcnow

    end = row.finished_at or (utcnow() if row.status == "running" else None)
    if end is None:
        return ""
    seconds = int((end - row.started_at).total_seconds())
    return (
        f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"
    )


@click.group("runs", invoke_without_command=True)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--step", help="only this step (sync, stage, link, publish, quality)")
@click.option("--status", type=click.Choice(STATUSES), help="only runs with this status")
@click.pass_context
def runs_group(ctx: click.Context, limit: int, step: str | None, status: str | None) -> None:
    """Recent runs, newest first: id, step, system, status, start (UTC), duration, counts, where it ran, and
    the error of a failed or abandoned run; then the step locks held now. Runs whose process died are marked
    abandoned first."""
    if ctx.invoked_subcommand is not None:
        return
    import sqlalchemy as sa

    from warehouse import locks
    from warehouse.models import PipelineRun
    from warehouse.runs import abandon_dead_runs

    R = PipelineRun.__table__
    engine = get_engine(ctx)
    abandon_dead_runs(engine)
    q = sa.select(R).order_by(R.c.run_id.desc()).limit(limit)
    if step:
        q = q.where(R.c.step == step)
    if status:
        q = q.where(R.c.status == status)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    if not rows:
        click.echo("no runs")
    else:
        click.echo(f"{'run':>6}  {'step':<8} {'system':<13} {'status':<10} {'started (UTC)':<19} {'took':>7}  counts")
    for r in rows:
        started = r.started_at.strftime("%Y-%m-%d %H:%M:%S")
        click.echo(
            f"{r.run_id:>6}  {r.step:<8} {r.system or '':<13} {r.status:<10} {started:<19} {_duration(r):>7}  "
            f"{counts(r.step, r.summary)}"
        )
        if r.status == "running" and r.host:
            click.echo(f"{'':>8}on {r.host} pid {r.pid}, trigger {r.trigger}")
        if r.error and r.status in ("failed", "abandoned"):
            click.echo(f"{'':>8}{r.error.splitlines()[0][:200]}")
    held = locks.holders(engine)
    if held:
        click.echo("locks held:")
        for h in held:
            click.echo(f"  {locks.describe_holder(h['scope'], h).split(' is busy: ', 1)[1]}  [{h['scope']}]")


@runs_group.command("abandon")
@click.argument("run_id", type=int)
@click.option("--reason", required=True, help="why (recorded with the run)")
@click.pass_context
def abandon_cmd(ctx: click.Context, run_id: int, reason: str) -> None:
    """Close a running run whose process is gone and free its lock now, instead of waiting for its lease to
    expire (e.g. a linkage run whose Airflow DAG run was killed). Refused while its holder is alive."""
    import sqlalchemy as sa

    from warehouse import locks
    from warehouse.models import PipelineRun
    from warehouse.runs import close_failed
    from warehouse.types import utcnow

    R = PipelineRun.__table__
    engine = get_engine(ctx)
    with engine.connect() as conn:
        run = conn.execute(sa.select(R).where(R.c.run_id == run_id)).first()
        lock = conn.execute(sa.select(locks.LOCK).where(locks.LOCK.c.run_id == run_id)).mappings().first()
    if run is None or run.status != "running":
        raise click.ClickException(f"run {run_id} is {run.status if run else 'unknown'}: nothing to abandon")
    if lock is not None and lock["pid"] is not None and locks.verdict(dict(lock), utcnow()).alive:
        raise click.ClickException(locks.describe_holder(lock["scope"], dict(lock)) + ": it is alive")
    close_failed(engine, run_id, f"abandoned by an operator: {reason}")
    click.echo(f"run {run_id} closed as failed; its lock is free")


commands = [runs_group]
