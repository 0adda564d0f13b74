"""Real databases for tests: SQLite, MariaDB/MySQL and PostgreSQL.

A pytest plugin. ``database_url`` is parametrized over the three, so a test
that uses it (or ``migrated_engine``, ``uow_factory``) runs once on each.
Every test session makes its own uniquely named databases and drops them at
the end, so runs on one machine never meet.

Servers are found at their usual loopback addresses, or at the server URLs
(no database) in ``TEST_POSTGRES_URL`` and ``TEST_MYSQL_URL``. A server that
cannot be reached skips its tests, or fails them when ``CI`` is true.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn, Protocol

import pytest
from sqlalchemy import Connection, Engine, create_engine, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from imagegen.adapters.sqlalchemy.migrations import upgrade
from imagegen.adapters.sqlalchemy.tables import metadata
from imagegen.adapters.sqlalchemy.unit_of_work import SqlUnitOfWork, make_engine

BACKENDS = ("sqlite", "mariadb", "postgresql")
DEFAULT_SERVER_URLS = {
    "mariadb": ("TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306"),
    "postgresql": ("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"),
}
CONNECT_TIMEOUT_S = 5

UowFactory = Callable[[], SqlUnitOfWork]


class DatabaseServer(Protocol):
    """Makes empty databases of one kind and drops them."""

    def create(self) -> str:
        """Create a new empty database and return its URL."""
        ...

    def drop(self, url: str) -> None:
        """Drop the database at url, even if connections to it linger."""
        ...


class SqliteFiles:
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def create(self) -> str:
        path = self._directory / f"{_unique_name()}.sqlite"
        return URL.create("sqlite", database=str(path)).render_as_string()

    def drop(self, url: str) -> None:
        path = Path(str(make_url(url).database))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


class ServerDatabases:
    """Databases on a MariaDB/MySQL or PostgreSQL server."""

    def __init__(self, server_url: str) -> None:
        self._server = make_url(server_url)
        self._postgres = self._server.get_backend_name() == "postgresql"

    def check(self) -> None:
        """Raise OperationalError when the server cannot be reached."""
        with self._admin().connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def create(self) -> str:
        name = _unique_name()
        charset = "" if self._postgres else " CHARACTER SET utf8mb4"
        self._execute(f"CREATE DATABASE {name}{charset}")
        return self._server.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        force = " WITH (FORCE)" if self._postgres else ""
        self._execute(f"DROP DATABASE IF EXISTS {name}{force}")

    def _execute(self, statement: str) -> None:
        with self._admin().connect() as connection:
            connection.exec_driver_sql(statement)

    def _admin(self) -> Engine:
        # PostgreSQL always connects to some database; its own is "postgres".
        url = self._server.set(database="postgres" if self._postgres else None)
        return create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            poolclass=NullPool,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
        )


@pytest.fixture(scope="session", params=BACKENDS)
def database_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> DatabaseServer:
    """The place where this backend's test databases are made."""
    backend: str = request.param
    if backend == "sqlite":
        return SqliteFiles(tmp_path_factory.mktemp("sqlite"))
    variable, default = DEFAULT_SERVER_URLS[backend]
    server_url = os.environ.get(variable) or default
    server = ServerDatabases(server_url)
    try:
        server.check()
    except OperationalError as exc:
        problem = str(exc.orig)
    else:
        return server
    # Out of the except block, so that a failure reads as one clear line.
    shown = make_url(server_url).render_as_string(hide_password=True)
    _unavailable(
        f"{backend} is not reachable at {shown} (set {variable} to a server "
        f"URL without a database): {problem}"
    )


@pytest.fixture(scope="session")
def database_url(database_server: DatabaseServer) -> Iterator[str]:
    """An empty database for this test session, dropped at its end."""
    url = database_server.create()
    yield url
    database_server.drop(url)


@pytest.fixture
def scratch_database_url(database_server: DatabaseServer) -> Iterator[str]:
    """An empty database for one test that changes the schema itself."""
    url = database_server.create()
    yield url
    database_server.drop(url)


@pytest.fixture(scope="session")
def _session_engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def migrated_engine(_session_engine: Engine) -> Engine:
    """An engine on the session's database at head, every table emptied."""
    empty_tables(_session_engine)
    return _session_engine


@pytest.fixture
def uow_factory(migrated_engine: Engine) -> UowFactory:
    """Units of work over the migrated, empty database."""

    def make() -> SqlUnitOfWork:
        return SqlUnitOfWork(migrated_engine)

    return make


def empty_tables(engine: Engine) -> None:
    """Delete every row of every application table; keep the schema."""
    tables = [table.name for table in reversed(metadata.sorted_tables)]
    with engine.begin() as connection:
        backend = connection.dialect.name
        if backend == "postgresql":
            connection.exec_driver_sql(f"TRUNCATE {', '.join(tables)} CASCADE")
            return
        # Rows may point at each other within and across tables: check the
        # foreign keys only once every row is gone.
        if backend == "sqlite":
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            _delete_all(connection, tables)
            return
        connection.exec_driver_sql("SET foreign_key_checks = 0")
        try:
            _delete_all(connection, tables)
        finally:
            # A session setting: it would outlive us in the pooled connection.
            connection.exec_driver_sql("SET foreign_key_checks = 1")


def _delete_all(connection: Connection, tables: list[str]) -> None:
    for table in tables:
        connection.exec_driver_sql(f"DELETE FROM {table}")


def _unique_name() -> str:
    return f"imagegen_test_{secrets.token_hex(6)}"


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
