"""Flask CLI commands: `flask --app imagegen.entrypoints.http.app imagegen ...`."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask
from flask.cli import AppGroup

from imagegen.application.admin import grant_admin
from imagegen.application.orphans import sweep_orphans
from imagegen.application.seed import seed_demo_accounts
from imagegen.domain.errors import DomainError
from imagegen.entrypoints.http.context import services

group = AppGroup("imagegen", help="imagegen maintenance commands.")


@group.command("seed")
def seed() -> None:
    """Create the two demo accounts (never in production)."""
    svc = services()
    try:
        created = seed_demo_accounts(
            svc.accounts, production=svc.settings.is_production
        )
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"seeded: {', '.join(created) or 'nothing to do'}")


@group.command("promote")
@click.argument("email")
def promote(email: str) -> None:
    """Make the account with EMAIL an administrator."""
    try:
        user = grant_admin(services().uow, email)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"{user.email} is now an administrator")


@group.command("sweep-orphans")
def sweep() -> None:
    """Delete stored objects no image claims (older than ORPHAN_GRACE_SECONDS)."""
    svc = services()
    grace = timedelta(seconds=svc.settings.orphan_grace_seconds)
    click.echo(f"removed: {sweep_orphans(svc.images, grace=grace)} objects")


def init_app(app: Flask) -> None:
    app.cli.add_command(group)
