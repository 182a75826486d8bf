"""`fase audit`: who read which beneficiary's data, when, for what, with which outcome."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime

import click

from hub.context import get_engine

CHAIN_BROKEN = 1


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "expected an ISO date or timestamp, e.g. 2026-10-22 or 2026-10-22T08:00+02:00"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _beneficiaries(row: dict) -> str:
    """The beneficiary of a row, or the first few of a page read's list and how many it names."""
    if not row.get("beneficiary_ids"):
        return f"beneficiary={row['beneficiary_id'] or '-'}"
    ids = json.loads(row["beneficiary_ids"])
    return f"beneficiaries={','.join(ids[:5])}{',…' if len(ids) > 5 else ''} ({len(ids)})"


@click.group("audit", invoke_without_command=True)
@click.option("--client", "client_id", help="only this client id")
@click.option("--beneficiary", "beneficiary_id", help="only reads of this beneficiary")
@click.option("--since", help="only from this time (ISO; naive means UTC)")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.pass_context
def audit(ctx: click.Context, client_id, beneficiary_id, since, limit) -> None:
    """Print the read API's audit log, newest first (`fase audit verify`: check its hash chain)."""
    if ctx.invoked_subcommand is not None:
        return
    from api.audit import query_audit

    rows = query_audit(
        get_engine(ctx), client_id=client_id, beneficiary_id=beneficiary_id, since=_since(since), limit=limit
    )
    if not rows:
        click.echo("no audit rows")
    for r in rows:
        who = f"{r['client_id'] or '(unauthenticated)'}/{r['role'] or '-'}"
        user = f" user={r['user_id']}@{r['location'] or '?'}" if r["user_id"] else ""
        click.echo(
            f"{r['at']:%Y-%m-%dT%H:%M:%SZ} {r['outcome']} {who} purpose={r['purpose'] or '-'!r}{user} "
            f"{r['method']} {r['path']} {_beneficiaries(r)}" + (f"  ({r['detail']})" if r["detail"] else "")
        )


def _anchor(_ctx, _param, value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    ident, _, digest = value.partition(":")
    if not ident.isdigit() or len(digest) != 64:
        raise click.BadParameter("expected ID:HASH as printed by an earlier `fase audit verify`")
    return int(ident), digest


@audit.command("verify")
@click.option("--anchor", callback=_anchor, help="ID:HASH of a head printed earlier: that row must still be there")
@click.pass_context
def verify(ctx: click.Context, anchor: tuple[int, str] | None) -> None:
    """Walk the audit log's hash chain; exit 1 at the first row deleted or edited (id and what is wrong).

    Keep the printed head (ID:HASH) outside the database and pass it as --anchor next time: that also
    catches the newest rows removed, or every hash rewritten after an edit."""
    started = time.monotonic()
    from warehouse import audit_chain

    verdict = audit_chain.verify(get_engine(ctx), anchor)
    took = time.monotonic() - started
    if not verdict.intact:
        click.echo(f"audit chain BROKEN at row {verdict.broken_at}: {verdict.problem}", err=True)
        click.echo(f"  {verdict.rows} row(s) read; last good row: {verdict.head_id or '-'}", err=True)
        sys.exit(CHAIN_BROKEN)
    head = f"{verdict.head_id}:{verdict.head_hash}" if verdict.head_id is not None else "(empty)"
    click.echo(f"audit chain intact: {verdict.rows} row(s) in {took:.1f}s; head {head}")


commands = [audit]
