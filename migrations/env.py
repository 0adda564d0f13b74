"""Alembic environment for imagegen.

The database comes from the first of these that is present:

1. ``config.attributes["connection"]``: an open SQLAlchemy connection, used
   as it is (the caller owns it and its transaction);
2. ``config.attributes["database_url"]``, as set by
   ``imagegen.adapters.sqlalchemy.migrations``;
3. ``-x url=...`` on the ``alembic`` command line;
4. the Flask application in context, as Flask-Migrate's ``flask db`` runs us.

A URL is opened with our own ``make_engine``, so migrations see the same
settings as the application, except that SQLite's foreign keys stay off:
batch mode rebuilds a table by copy and drop, and a drop with enforcement on
would cascade into the children. A check after the run makes up for it.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig
from typing import Any

from alembic import context
from flask import current_app, has_app_context
from sqlalchemy import Connection, MetaData

from imagegen.adapters.sqlalchemy.engine import make_engine
from imagegen.adapters.sqlalchemy.tables import metadata as imagegen_metadata

log = logging.getLogger("alembic.env")

config = context.config

# SQLite needs batch mode to alter tables; type changes should show up in
# autogenerate. Flask-Migrate passes its own values for both.
DEFAULT_OPTIONS: dict[str, Any] = {"render_as_batch": True, "compare_type": True}


def main() -> None:
    if config.config_file_name and config.attributes.get("configure_logger", True):
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    if context.is_offline_mode():
        run_offline()
    else:
        run_online()


def run_offline() -> None:
    """Write the SQL to standard output instead of running it."""
    context.configure(
        url=database_url(),
        target_metadata=target_metadata(),
        literal_binds=True,
        **options(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        migrate(given)
        return
    engine = make_engine(database_url(), sqlite_foreign_keys=False)
    # Our SQLite engine really begins its transactions (see make_engine), so
    # SQLite can run a whole upgrade as one, as the servers' dialects do.
    atomic = {"transactional_ddl": True} if engine.dialect.name == "sqlite" else {}
    try:
        with engine.connect() as connection:
            migrate(connection, **atomic)
    finally:
        engine.dispose()


def migrate(connection: Connection, **extra: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        **options(),
        **extra,
    )
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            check_sqlite_foreign_keys(connection)


def check_sqlite_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a SQLite migration that left rows pointing nowhere."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise RuntimeError(f"foreign keys broken in {', '.join(tables)}")


def database_url() -> str:
    url = config.attributes.get("database_url")
    if url is None:
        url = context.get_x_argument(as_dictionary=True).get("url")
    if url is None and has_app_context():
        engine = flask_migrate_config().db.engine
        url = engine.url.render_as_string(hide_password=False)
    if url is None:
        raise RuntimeError(
            "no database given: pass -x url=..., or run through `flask db`"
        )
    return str(url)


def target_metadata() -> MetaData:
    if has_app_context():
        metadata: MetaData = flask_migrate_config().db.metadata
        return metadata
    return imagegen_metadata


def options() -> dict[str, Any]:
    chosen = dict(DEFAULT_OPTIONS)
    if has_app_context():
        chosen.update(flask_migrate_config().configure_args)
    chosen.setdefault("process_revision_directives", skip_empty_revision)
    return chosen


def skip_empty_revision(_context: Any, _revision: Any, directives: list[Any]) -> None:
    """Write no file when autogenerate finds nothing to change."""
    autogenerate = getattr(config.cmd_opts, "autogenerate", False)
    if autogenerate and directives and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


def flask_migrate_config() -> Any:
    return current_app.extensions["migrate"]


main()
