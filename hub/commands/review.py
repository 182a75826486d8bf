"""`fase review`: the queue of uncertain pairs; decisions become link constraints every later run respects."""

from __future__ import annotations

import click

from hub.context import get_engine, wait_option


@click.group("review")
def review_group() -> None:
    """List, show and decide review items (pairs the linkage could not decide alone)."""


def _table(header: tuple[str, ...], rows: list[tuple], right: frozenset[int] = frozenset()) -> list[str]:
    """Columns as wide as their widest cell (ids of any length stay aligned); `right`: right-aligned columns."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    return [
        "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))
        ).rstrip()
        for row in (header, *rows)
    ]


@review_group.command("list")
@click.option("--status", type=click.Choice(["open", "match", "no_match", "all"]), default="open", show_default=True)
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def list_cmd(ctx: click.Context, status: str, limit: int) -> None:
    """Review items in priority order (refused automatic links first, then the most probable): id, status,
    probability, weight, both records with the names they carry, why the item was queued, who decided."""
    from matching.review import list_items

    rows = list_items(get_engine(ctx), None if status == "all" else status, limit)
    if not rows:
        click.echo("no review items")
        return
    body = [
        (
            r["review_id"],
            r["status"],
            f"{r['probability']:.3f}",
            f"{r['match_weight']:.2f}",
            r["left"],
            r["left_name"] or "—",
            r["right"],
            r["right_name"] or "—",
            r["reason"] or "",
            r["decided_by"] or "",
        )
        for r in rows
    ]
    header = ("id", "status", "prob", "weight", "left", "left name", "right", "right name", "reason", "decided by")
    for line in _table(header, body, right=frozenset({0, 2, 3})):
        click.echo(line)


MARKS = {"agree": "  ", "differ": "≠ ", "one_side": "· "}
"""`fase review show`: a value on one side only is not a conflict."""


def _mark(values: tuple) -> str:
    present = [v for v in values if v is not None]
    if len(present) < len(values):
        return MARKS["one_side"]
    return MARKS["agree"] if len({str(v) for v in present}) == 1 else MARKS["differ"]


@review_group.command("show")
@click.argument("review_id", type=int)
@click.pass_context
def show_cmd(ctx: click.Context, review_id: int) -> None:
    """The pair's evidence (levels, weights), both records side by side, and the competing records: those of
    the other items that share a record with this one (an ambiguous item's other candidates)."""
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
    keys = [it["left"], it["right"], *(c["key"] for c in it["competitors"])]
    columns = [[a for a, _ in it["records"].values()], [b for _, b in it["records"].values()]]
    columns += [list(c["record"].values()) for c in it["competitors"]]
    width = max(34, *(len(k) + 2 for k in keys))
    click.echo("  " + f"{'field':<22}" + "".join(f"{k:<{width}}" for k in keys).rstrip())
    for n, col in enumerate(it["records"]):
        values = tuple(c[n] for c in columns)
        if all(v is None for v in values):
            continue
        cells = "".join(f"{str(v if v is not None else '—'):<{width}}" for v in values).rstrip()
        click.echo(f"{_mark(values)}{col:<22}{cells}")
    click.echo("  (≠ the values differ; · a value on one side only)")
    bens = [*it["beneficiaries"], *(c["beneficiary"] for c in it["competitors"])]
    click.echo("  beneficiaries: " + " / ".join(b or "—" for b in bens))
    if it["related"]:
        click.echo("  competing items (sharing a record with this one):")
        for r in it["related"]:
            click.echo(
                f"    review {r['review_id']}: {r['left']} vs {r['right']}  p={r['probability']:.3f}  {r['status']}"
                f"  {r['reason'] or ''}".rstrip()
            )
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
