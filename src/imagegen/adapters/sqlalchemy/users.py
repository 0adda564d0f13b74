"""Accounts in the ``users`` table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from imagegen.adapters.sqlalchemy.keyset import newest_first
from imagegen.adapters.sqlalchemy.tables import users
from imagegen.application.pagination import PageRequest
from imagegen.domain.errors import Conflict
from imagegen.domain.users import Role, User, normalize_email


class SqlUserRepository:
    """Users over one connection; the unit of work owns the transaction.

    Addresses are written and looked up in their normalized form, so that
    case never makes two accounts on any database. Writing an address that
    another account holds raises ``Conflict`` (code ``email_taken``) and
    leaves the transaction usable: the statement runs in a savepoint.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, user: User) -> None:
        with self._email_is_unique():
            self._connection.execute(insert(users).values(_values(user)))

    def get(self, user_id: str) -> User | None:
        query = select(users).where(users.c.id == user_id)
        row = self._connection.execute(query).one_or_none()
        return None if row is None else _user(row)

    def get_by_email(self, email: str) -> User | None:
        query = select(users).where(users.c.email == normalize_email(email))
        row = self._connection.execute(query).one_or_none()
        return None if row is None else _user(row)

    def save(self, user: User) -> None:
        values = _values(user)
        del values["id"]
        with self._email_is_unique():
            self._connection.execute(
                update(users).where(users.c.id == user.id).values(values)
            )

    def lock(self, user_id: str) -> None:
        # SQLite renders no FOR UPDATE; its transactions begin IMMEDIATE (see
        # engine.py), which serialises writers as a whole.
        query = select(users.c.id).where(users.c.id == user_id).with_for_update()
        self._connection.execute(query).one_or_none()

    def count(self) -> int:
        return self._connection.execute(
            select(func.count()).select_from(users)
        ).scalar_one()

    def list(self, page: PageRequest) -> list[User]:
        rows = self._connection.execute(newest_first(select(users), users, page))
        return [_user(row) for row in rows]

    @contextmanager
    def _email_is_unique(self) -> Iterator[None]:
        try:
            with self._connection.begin_nested():
                yield
        except IntegrityError as exc:
            raise Conflict(
                "An account with this email already exists.",
                code="email_taken",
                errors={"email": ["Already registered."]},
            ) from exc


def _values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": normalize_email(user.email),
        "name": user.name,
        "password_hash": user.password_hash,
        "role": user.role.value,
        "active": user.active,
        "email_verified_at": user.email_verified_at,
        "created_at": user.created_at,
    }


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        email=row.email,
        name=row.name,
        password_hash=row.password_hash,
        created_at=row.created_at,
        role=Role(row.role),
        active=bool(row.active),
        email_verified_at=row.email_verified_at,
    )
