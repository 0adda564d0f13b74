"""The SQLAlchemy unit of work and its times on SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from tests.support.databases import UowFactory
from tests.support.records import a_user, store

# Times


def test_times_read_back_as_aware_utc_with_microseconds(
    uow_factory: UowFactory,
) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    created = datetime(2026, 12, 1, 17, 30, 0, 654321, tzinfo=india)
    user = a_user(created_at=created)
    store(uow_factory, user)

    with uow_factory() as uow:
        stored = uow.users.get(user.id)

    assert stored is not None
    assert stored.created_at.tzinfo is UTC
    assert stored.created_at == datetime(2026, 12, 1, 12, 0, 0, 654321, tzinfo=UTC)


def test_naive_time_is_refused(uow_factory: UowFactory) -> None:
    user = a_user(created_at=datetime(2026, 12, 1, 12, 0))

    with uow_factory() as uow, pytest.raises(StatementError, match="naive datetime"):
        uow.users.add(user)


# Unit of work


def test_work_not_committed_is_rolled_back(uow_factory: UowFactory) -> None:
    user = a_user()

    with uow_factory() as uow:
        uow.users.add(user)

    with uow_factory() as uow:
        assert uow.users.get(user.id) is None


def test_an_exception_rolls_the_work_back(uow_factory: UowFactory) -> None:
    user = a_user()

    with pytest.raises(RuntimeError), uow_factory() as uow:
        uow.users.add(user)
        raise RuntimeError("boom")

    with uow_factory() as uow:
        assert uow.users.get(user.id) is None


def test_work_after_a_commit_starts_a_new_transaction(
    uow_factory: UowFactory,
) -> None:
    first, second, third = a_user(), a_user(), a_user()

    with uow_factory() as uow:
        uow.users.add(first)
        uow.commit()
        uow.users.add(second)
        uow.commit()
        uow.users.add(third)

    with uow_factory() as uow:
        assert uow.users.get(first.id) == first
        assert uow.users.get(second.id) == second
        assert uow.users.get(third.id) is None
