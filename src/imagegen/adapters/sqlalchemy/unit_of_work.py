"""One database transaction shared by every repository."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine

from imagegen.adapters.sqlalchemy.engine import make_engine, ping
from imagegen.adapters.sqlalchemy.images import SqlImageRepository
from imagegen.adapters.sqlalchemy.jobs import SqlJobRepository
from imagegen.adapters.sqlalchemy.sessions import SqlSessionRepository
from imagegen.adapters.sqlalchemy.users import SqlUserRepository
from imagegen.application.ports import (
    ImageRepository,
    JobRepository,
    SessionRepository,
    UserRepository,
)

__all__ = ["SqlUnitOfWork", "make_engine", "ping"]


class SqlUnitOfWork:
    """A connection and its transaction for the length of a ``with`` block.

    The transaction begins with the first statement. ``commit()`` ends it;
    the next statement begins a fresh one on the same connection, so a block
    may commit several times (say, record a job, commit, then mark it queued
    and commit again). Whatever was not committed when the block ends, by
    return or by exception, is rolled back.
    """

    users: UserRepository
    sessions: SessionRepository
    images: ImageRepository
    jobs: JobRepository

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None

    def __enter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open")
        connection = self._engine.connect()
        self._connection = connection
        self.users = SqlUserRepository(connection)
        self.sessions = SqlSessionRepository(connection)
        self.images = SqlImageRepository(connection)
        self.jobs = SqlJobRepository(connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.rollback()
        finally:
            connection.close()

    def commit(self) -> None:
        """Make everything done since the last commit permanent."""
        if self._connection is None:
            raise RuntimeError("commit() outside the with block")
        self._connection.commit()
