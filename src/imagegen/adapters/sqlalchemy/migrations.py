"""Run the Alembic migrations against a URL, without a Flask application."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

# The repository's migrations/ directory. It is not packaged: migrate from a
# checkout of the repository (or an image built from one).
MIGRATIONS_DIRECTORY = Path(__file__).resolve().parents[4] / "migrations"


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at url up to revision."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Take the database at url back down to revision."""
    command.downgrade(alembic_config(url), revision)


def alembic_config(url: str) -> Config:
    """Return an Alembic configuration that points migrations/env.py at url."""
    config = Config(str(MIGRATIONS_DIRECTORY / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIRECTORY))
    # Handed over as an attribute, not an ini option: a password may hold
    # a "%" that the ini parser would take for interpolation.
    config.attributes["database_url"] = url
    # The caller's logging stays as it is.
    config.attributes["configure_logger"] = False
    return config
