"""`fase audit`: who read which beneficiary's data, when, for what, with which outcome."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from hub.context import get_engine


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


@click.command("audit")
@click.option("--client", "client_id", help="only this client id")
@click.option("--beneficiary", "beneficiary_id", help="only reads of this beneficiary")
@click.option("--since", help="only from this time (ISO; naive means UTC)")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.pass_context
def audit(ctx: click.Context, client_id, beneficiary_id, since, limit) -> None:
    """Print the read API's audit log, newest first."""
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
            f"{r['method']} {r['path']} beneficiary={r['beneficiary_id'] or '-'}"
            + (f"  ({r['detail']})" if r["detail"] else "")
        )


commands = [audit]
