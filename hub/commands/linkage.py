"""`fase link` (run linkage; undo a merge or a split), `fase explain A B`, `fase linkage eval`."""

from __future__ import annotations

from pathlib import Path

import click

from hub.context import get_engine, wait_option


def format_link_summary(s: dict) -> list[str]:
    secs = s.get("seconds", {})
    return [
        f"linkage run {s['run_id']} ({s['mode']}{', model fitted (EM)' if s.get('model_fitted') else ', model reused'})",
        f"  records {s['records']:,}  changed {s.get('changed_records') or 0:,}  deleted {s['deleted_records']:,}",
        f"  pairs compared {s.get('compared_pairs') or 0:,}  carried forward {s['carried_pairs']:,}  "
        f"auto links {s['auto_links']:,}  review band {s['review_pairs']:,}  new review items {s['review_items_opened']:,}",
        f"  beneficiaries {s['beneficiaries']:,}: created {s['created']:,}, merged {s['merged']:,}, split {s['split']:,}, "
        f"revived {s['revived']:,}, updated {s['updated']:,}, retired {s['retired']:,}",
        "  seconds " + ", ".join(f"{k} {v}" for k, v in secs.items()),
    ]


@click.group("link", invoke_without_command=True)
@click.option("--full", is_flag=True, help="compare every candidate pair again, not only those of new/changed records")
@click.option("--refit", is_flag=True, help="fit the model again (EM); implies --full")
@wait_option
@click.pass_context
def link_group(ctx: click.Context, full: bool, refit: bool, wait: float) -> None:
    """Link staged person records into beneficiaries (incremental by default): block, compare, score with
    the stored model, cluster under the review decisions, keep beneficiary ids stable, write the crosswalk."""
    if ctx.invoked_subcommand is not None:
        return
    from matching.pipeline import link

    summary = link(get_engine(ctx, migrate=True), "full" if full or refit else "incremental", refit=refit, wait=wait)
    for line in format_link_summary(summary):
        click.echo(line)


@link_group.command("undo-merge")
@click.argument("beneficiary_id")
@click.option("--by", required=True, help="who undoes it")
@wait_option
@click.pass_context
def undo_merge_cmd(ctx: click.Context, beneficiary_id: str, by: str, wait: float) -> None:
    """Undo the latest merge of BENEFICIARY_ID (the absorbed or the surviving id): the next `fase link`
    separates the records again and gives the absorbed id back."""
    from matching.review import ReviewError, undo_merge

    try:
        r = undo_merge(get_engine(ctx, migrate=True), beneficiary_id, by, wait)
    except ReviewError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"{r['absorbed']} will be separated from {r['survivor']} at the next run: "
        f"{r['cannot_links_added']} cannot-link constraints added, {r['revoked_must_links']} must-links revoked"
    )


@link_group.command("undo-split")
@click.argument("beneficiary_id")
@click.option("--by", required=True, help="who undoes it")
@wait_option
@click.pass_context
def undo_split_cmd(ctx: click.Context, beneficiary_id: str, by: str, wait: float) -> None:
    """Undo the latest split of BENEFICIARY_ID (the split id or one of its parts): the next `fase link`
    joins the parts again."""
    from matching.review import ReviewError, undo_split

    try:
        r = undo_split(get_engine(ctx, migrate=True), beneficiary_id, by, wait)
    except ReviewError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"parts {', '.join(r['parts'])} will be joined at the next run: {r['must_links_added']} must-links "
        f"added, {r['revoked_cannot_links']} cannot-links revoked"
    )


@click.command("explain")
@click.argument("record_a")
@click.argument("record_b")
@click.pass_context
def explain_cmd(ctx: click.Context, record_a: str, record_b: str) -> None:
    """Explain the match weight of two records given as system:id (e.g. sat:7141 anagrafe:100234):
    every comparison's level and weight, TF adjustments, the prior, total, probability and decision."""
    from matching.explain import ExplainError, explain_records, format_explanation

    try:
        e = explain_records(get_engine(ctx), record_a, record_b)
    except (ExplainError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    for line in format_explanation(e):
        click.echo(line)


@click.group("linkage")
def linkage_group() -> None:
    """Inspect the linkage."""


@linkage_group.command("eval")
@click.option(
    "--sandbox",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/sandbox"),
    show_default=True,
    help="sandbox world folder holding truth.db",
)
@click.option("--worst", default=5, show_default=True, help="how many worst false merges / missed links to show")
@click.pass_context
def eval_cmd(ctx: click.Context, folder: Path, worst: int) -> None:
    """Score the current crosswalk against the sandbox ground truth: pairwise and B-cubed precision/recall/F1,
    cluster counts, per-system breakdown, blocking pair completeness, worst false merges and missed links."""
    from matching.crosswalk_eval import evaluate_crosswalk, format_report
    from sandbox.truth import record_truth

    if not (folder / "truth.db").exists():
        raise click.ClickException(f"{folder / 'truth.db'} not found: give the sandbox folder with --sandbox")
    for line in format_report(evaluate_crosswalk(get_engine(ctx), record_truth(folder), worst=worst)):
        click.echo(line)


commands = [link_group, explain_cmd, linkage_group]
