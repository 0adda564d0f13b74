from __future__ import annotations

from datetime import timedelta

import pytest

from imagegen.application.accounts import AccountDeps, decoy_hash
from imagegen.application.images import ImageDeps
from tests.fakes import (
    FakeClock,
    FakeDatabase,
    FakeIdSource,
    FakeImageProcessor,
    FakeImageStore,
    FakeLoginThrottle,
    FakePasswordHasher,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def throttle() -> FakeLoginThrottle:
    return FakeLoginThrottle(max_failures=3, lockout=60)


@pytest.fixture
def store() -> FakeImageStore:
    return FakeImageStore()


@pytest.fixture
def account_deps(
    db: FakeDatabase, clock: FakeClock, throttle: FakeLoginThrottle
) -> AccountDeps:
    return AccountDeps(
        uow=db.uow,
        hasher=FakePasswordHasher(),
        throttle=throttle,
        clock=clock,
        ids=FakeIdSource(),
        session_ttl=timedelta(days=30),
        decoy_hash=decoy_hash(FakePasswordHasher()),
    )


@pytest.fixture
def image_deps(db: FakeDatabase, clock: FakeClock, store: FakeImageStore) -> ImageDeps:
    return ImageDeps(
        uow=db.uow,
        store=store,
        processor=FakeImageProcessor(),
        clock=clock,
        ids=FakeIdSource(),
        thumbnail_max_side=512,
    )
