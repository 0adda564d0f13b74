"""Signed-in devices in the ``auth_sessions`` table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from imagegen.adapters.sqlalchemy.tables import auth_sessions
from imagegen.domain.users import AuthSession


class SqlSessionRepository:
    """Auth sessions over one connection; the unit of work owns the transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, session: AuthSession) -> None:
        self._connection.execute(insert(auth_sessions).values(_values(session)))

    def get(self, session_id: str) -> AuthSession | None:
        query = select(auth_sessions).where(auth_sessions.c.id == session_id)
        row = self._connection.execute(query).one_or_none()
        return None if row is None else _session(row)

    def save(self, session: AuthSession) -> None:
        values = _values(session)
        del values["id"]
        self._connection.execute(
            update(auth_sessions).where(auth_sessions.c.id == session.id).values(values)
        )

    def revoke_all(
        self, user_id: str, now: datetime, *, keep: str | None = None
    ) -> None:
        """Revoke every live session of user_id but keep, in one statement."""
        statement = (
            update(auth_sessions)
            .where(
                auth_sessions.c.user_id == user_id,
                auth_sessions.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        if keep is not None:
            statement = statement.where(auth_sessions.c.id != keep)
        self._connection.execute(statement)


def _values(session: AuthSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "user_id": session.user_id,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "generation": session.generation,
        "revoked_at": session.revoked_at,
    }


def _session(row: Row[Any]) -> AuthSession:
    return AuthSession(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        generation=row.generation,
        revoked_at=row.revoked_at,
    )
