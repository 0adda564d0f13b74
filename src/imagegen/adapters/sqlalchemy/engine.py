"""Engines set up alike for SQLite, MariaDB/MySQL and PostgreSQL."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.pool import ConnectionPoolEntry

from imagegen.adapters.sqlalchemy.types import MYSQL_DIALECTS

SQLITE_BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_S = 10
# Servers and proxies drop idle connections (MySQL after 8 hours by default);
# recycling earlier means a pooled connection is never one they have closed.
POOL_RECYCLE_S = 1800
MEMORY = (None, "", ":memory:")


def make_engine(url: str, *, sqlite_foreign_keys: bool = True) -> Engine:
    """Build an engine for url with pooling and per-database settings.

    ``sqlite_foreign_keys=False`` is for migrations only: batch mode rebuilds
    a SQLite table by copying and dropping it, and with enforcement on,
    dropping a parent table would cascade into its children.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, sqlite_foreign_keys)
    return create_engine(parsed, **_server_options(parsed))


def ping(engine: Engine) -> None:
    """Raise when the database cannot be reached or cannot answer."""
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1").scalar_one()


def _server_options(url: URL) -> dict[str, Any]:
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_recycle": POOL_RECYCLE_S,
        "pool_size": 5,
        "max_overflow": 10,
        "connect_args": {"connect_timeout": CONNECT_TIMEOUT_S},
    }
    if url.get_backend_name() in MYSQL_DIALECTS:
        # PostgreSQL's default. MySQL's REPEATABLE READ takes gap locks that
        # turn concurrent inserts into the same index range into deadlocks.
        options["isolation_level"] = "READ COMMITTED"
    return options


def ensure_sqlite_directory(url: str | URL) -> None:
    """Create the folder of a SQLite file database, which SQLite will not do."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in MEMORY:
        # A folder that cannot be made is reported by the first connection.
        with contextlib.suppress(OSError):
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_engine(url: URL, foreign_keys: bool) -> Engine:
    ensure_sqlite_directory(url)
    engine = create_engine(url, pool_pre_ping=True)
    in_memory = url.database in MEMORY
    event.listen(engine, "connect", _sqlite_connect(foreign_keys, wal=not in_memory))
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(foreign_keys: bool, *, wal: bool) -> Any:
    pragmas = [
        f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}",
        f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
    ]
    if wal:
        # Readers no longer wait for a writer; NORMAL is durable enough in WAL.
        pragmas += ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL"]

    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the sqlite3 module, which would
        # otherwise begin only before writes and break SAVEPOINT; see
        # _sqlite_begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    return on_connect


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front. A deferred transaction that
    # reads, then writes after another connection has committed, fails at once
    # with "database is locked" instead of waiting out the busy timeout.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
