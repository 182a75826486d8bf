"""`fase api-keys`: register read-API clients (the key is printed once), list and revoke them."""

from __future__ import annotations

import click

from hub.context import LazyChoice, get_engine, system_choice


def _roles() -> tuple[str, ...]:
    from warehouse.models.access import ROLES

    return ROLES


def _grants() -> tuple[str, ...]:
    from api.clients import GRANTS

    return GRANTS


@click.group("api-keys")
def api_keys() -> None:
    """Manage the clients of the read API and their keys."""


@api_keys.command("create")
@click.option("--name", required=True, help="the client system, e.g. 'cartella sociale Q4'")
@click.option("--role", required=True, type=LazyChoice(_roles))
@click.option("--purpose", required=True, help="why it reads (recorded with every read)")
@click.option("--grant", "grants", multiple=True, type=LazyChoice(_grants), help="extra right (repeatable)")
@click.option("--scope-beneficiary", "beneficiary_ids", multiple=True, help="restrict to this beneficiary (repeatable)")
@click.option(
    "--scope-system",
    "systems",
    multiple=True,
    type=system_choice(),
    help="restrict to beneficiaries known to this system (repeatable)",
)
@click.option(
    "--rate-limit",
    default=600,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="requests per minute (per server process)",
)
@click.pass_context
def create(ctx: click.Context, name, role, purpose, grants, beneficiary_ids, systems, rate_limit) -> None:
    """Register a client and print its key once: only a hash of it is kept."""
    from api.clients import create_client

    engine = get_engine(ctx, migrate=True)
    try:
        client, key = create_client(
            engine,
            name,
            role,
            purpose,
            grants=grants,
            beneficiary_ids=beneficiary_ids,
            systems=systems,
            rate_limit_per_minute=rate_limit,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"client {client.client_id} ({client.role}) created")
    click.echo(f"key: {key}")
    click.echo("store the key now: it is shown only once", err=True)


@api_keys.command("list")
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """List clients: role, purpose, grants, scope, limit, status (never keys)."""
    from api.clients import list_clients

    rows = list_clients(get_engine(ctx))
    if not rows:
        click.echo("no clients")
    for r in rows:
        status = f"revoked {r['revoked_at']:%Y-%m-%d %H:%M}" if r["revoked_at"] else "active"
        click.echo(
            f"{r['client_id']}  {r['role']:<12} {r['name']!r}  purpose={r['purpose']!r}  "
            f"grants={','.join(r['grants']) or '-'}  scope={r['scope'] or 'all'}  "
            f"limit={r['rate_limit_per_minute']}/min  prefix={r['key_prefix']}  {status}"
        )


@api_keys.command("revoke")
@click.argument("client_id")
@click.pass_context
def revoke(ctx: click.Context, client_id: str) -> None:
    """Revoke a client's key at once (the client row and its audit trail stay)."""
    from api.clients import revoke_client

    if not revoke_client(get_engine(ctx), client_id):
        raise click.ClickException(f"no active client {client_id}")
    click.echo(f"client {client_id} revoked")


commands = [api_keys]
