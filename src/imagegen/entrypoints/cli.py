"""Flask CLI commands: `flask --app imagegen.entrypoints.http.app imagegen ...`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

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


def init_app(app: Flask) -> None:
    app.cli.add_command(group)
