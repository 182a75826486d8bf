"""`fase review`: the queue of uncertain pairs; decisions become link constraints every later run respects."""

from __future__ import annotations

import click

from hub.context import get_engine, wait_option


@click.group("review")
def review_group() -> None:
    """List, show and decide review items (pairs the linkage could not decide alone)."""


@review_group.command("list")
@click.option("--status", type=click.Choice(["open", "match", "no_match", "all"]), default="open", show_default=True)
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def list_cmd(ctx: click.Context, status: str, limit: int) -> None:
    """Review items, most probable first."""
    from matching.review import list_items

    rows = list_items(get_engine(ctx), None if status == "all" else status, limit)
    if not rows:
        click.echo("no review items")
    for r in rows:
        who = f"  {r['status']} by {r['decided_by']}" if r["status"] != "open" else ""
        click.echo(
            f"{r['review_id']:>6}  p={r['probability']:.3f}  w={r['match_weight']:6.2f}  {r['left']:<28} "
            f"{r['right']:<28} {r['reason'] or ''}{who}"
        )


@review_group.command("show")
@click.argument("review_id", type=int)
@click.pass_context
def show_cmd(ctx: click.Context, review_id: int) -> None:
    """The pair's evidence (levels, weights) and both records side by side."""
    from matching.review import ReviewError, show_item

    try:
        it = show_item(get_engine(ctx), review_id)
    except ReviewError as exc:
        raise click.ClickException(str(exc)) from None
    ev = it["evidence"] or {}
    click.echo(
        f"review {review_id}: {it['left']} vs {it['right']}  status {it['status']}"
        + (f" ({it['decided_by']} at {it['decided_at']:%Y-%m-%d %H:%M} UTC)" if it["decided_at"] else "")
    )
    click.echo(
        f"  reason: {ev.get('reason')}; probability {it['probability']:.4f}, match weight {it['match_weight']:.2f}"
        f" (prior {ev.get('prior_weight', 0):.2f})"
    )
    click.echo(f"  {'comparison':<16}{'level':<18}{'weight':>8}{'tf adj':>8}")
    for c in ev.get("comparisons", []):
        click.echo(f"  {c['comparison']:<16}{str(c['level']):<18}{c['weight']:>8.2f}{c['tf_adjustment']:>8.2f}")
    click.echo(f"  {'field':<22}{it['left']:<34}{it['right']}")
    for col, (a, b) in it["records"].items():
        if a is None and b is None:
            continue
        mark = "  " if a == b else "≠ "
        click.echo(f"{mark}{col:<22}{str(a if a is not None else '—'):<34}{b if b is not None else '—'}")
    bens = it["beneficiaries"]
    click.echo(f"  beneficiaries: {bens[0] or '—'} / {bens[1] or '—'}")
    for c in it["constraints"]:
        state = f"revoked by {c['revoked_by']}" if c["revoked_at"] else "active"
        click.echo(f"  constraint {c['constraint_id']}: {c['kind']} by {c['created_by']} ({state})")
    if it["note"]:
        click.echo(f"  note: {it['note']}")


@review_group.command("decide")
@click.argument("review_id", type=int)
@click.option("--match/--no-match", required=True, help="the two records are the same person / are not")
@click.option("--by", required=True, help="who decides")
@click.option("--note", default=None)
@wait_option
@click.pass_context
def decide_cmd(ctx: click.Context, review_id: int, match: bool, by: str, note: str | None, wait: float) -> None:
    """Decide an open item; the next `fase link` applies it (a must-link or cannot-link constraint)."""
    from matching.review import ReviewError, decide

    try:
        r = decide(get_engine(ctx, migrate=True), review_id, match, by, note, wait)
    except ReviewError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"review {review_id}: {r['kind']} {r['left']} {r['right']} by {r['by']} "
        f"(constraint {r['constraint_id']}); applied at the next linkage run"
    )


@review_group.command("undo")
@click.argument("review_id", type=int)
@click.option("--by", required=True, help="who undoes the decision")
@wait_option
@click.pass_context
def undo_cmd(ctx: click.Context, review_id: int, by: str, wait: float) -> None:
    """Revoke a decision (its constraint) and reopen the item; the next run restores the previous state."""
    from matching.review import ReviewError, undo_decision

    try:
        r = undo_decision(get_engine(ctx, migrate=True), review_id, by, wait)
    except ReviewError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"review {review_id} reopened; {r['revoked_constraints']} constraint(s) revoked")


commands = [review_group]
