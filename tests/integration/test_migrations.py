"""The Alembic migrations on SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from flask_migrate import Migrate
from flask_migrate import downgrade as flask_downgrade
from flask_migrate import upgrade as flask_upgrade
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from imagegen.adapters.sqlalchemy.engine import make_engine
from imagegen.adapters.sqlalchemy.migrations import (
    MIGRATIONS_DIRECTORY,
    downgrade,
    upgrade,
)
from imagegen.adapters.sqlalchemy.tables import metadata
from tests.support.databases import DatabaseServer

OUR_TABLES = {"users", "auth_sessions", "images", "jobs"}


def table_names(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def schema_differences(url: str) -> list[Any]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences: list[Any] = compare_metadata(context, metadata)
    return differences


def schema_of(url: str) -> dict[str, Any]:
    """Describe our tables as the database reports them, down to column types.

    Alembic's comparison forgives a database type more precise than the
    metadata's (DATETIME(6) for DATETIME, a collation), and does not compare
    what a foreign key does on delete: this catches both.
    """
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        inspector = inspect(connection)
        return {
            table: _table_schema(inspector, table, engine.dialect)
            for table in sorted(set(inspector.get_table_names()) & OUR_TABLES)
        }


def _table_schema(inspector: Any, table: str, dialect: Any) -> dict[str, Any]:
    return {
        "columns": [
            (c["name"], c["type"].compile(dialect=dialect), c["nullable"])
            for c in inspector.get_columns(table)
        ],
        "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
        "indexes": sorted(
            (i["name"], i["column_names"], i["unique"])
            for i in inspector.get_indexes(table)
        ),
        "unique": sorted(
            (u["name"], u["column_names"])
            for u in inspector.get_unique_constraints(table)
        ),
        "foreign_keys": sorted(
            (f["name"], f["constrained_columns"], f["referred_table"], f["options"])
            for f in inspector.get_foreign_keys(table)
        ),
        "options": inspector.get_table_options(table),
    }


def test_upgrade_creates_every_table(scratch_database_url: str) -> None:
    upgrade(scratch_database_url)

    assert table_names(scratch_database_url) == OUR_TABLES | {"alembic_version"}


def test_downgrade_to_base_leaves_none_of_our_tables(scratch_database_url: str) -> None:
    upgrade(scratch_database_url)

    downgrade(scratch_database_url)

    assert table_names(scratch_database_url) & OUR_TABLES == set()


def test_upgrade_after_downgrade_matches_the_metadata(
    scratch_database_url: str,
) -> None:
    upgrade(scratch_database_url)
    downgrade(scratch_database_url)

    upgrade(scratch_database_url)

    assert schema_differences(scratch_database_url) == []


def test_migrated_schema_matches_the_metadata(scratch_database_url: str) -> None:
    upgrade(scratch_database_url)

    assert schema_differences(scratch_database_url) == []


def test_flask_migrate_runs_the_migrations_in_an_app_context(
    scratch_database_url: str,
) -> None:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = scratch_database_url
    db = SQLAlchemy(metadata=metadata)
    db.init_app(app)
    Migrate(app, db, directory=str(MIGRATIONS_DIRECTORY), render_as_batch=True)

    with app.app_context():
        flask_upgrade()
        upgraded = table_names(scratch_database_url)
        flask_downgrade(revision="base")
        db.engine.dispose()

    assert upgraded == OUR_TABLES | {"alembic_version"}
    assert table_names(scratch_database_url) & OUR_TABLES == set()


def test_migrations_build_what_create_all_builds(
    database_server: DatabaseServer, scratch_database_url: str
) -> None:
    created_url = database_server.create()
    try:
        engine = make_engine(created_url)
        metadata.create_all(engine)
        engine.dispose()

        upgrade(scratch_database_url)

        assert schema_of(scratch_database_url) == schema_of(created_url)
    finally:
        database_server.drop(created_url)
