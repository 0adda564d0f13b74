from __future__ import annotations

from datetime import timedelta

import pytest

from imagegen.application.accounts import AccountDeps, decoy_hash
from imagegen.application.images import ImageDeps
from imagegen.application.job_support import JobDeps
from imagegen.domain.jobs import Provider, QuotaPolicy
from tests.fakes import (
    FakeClock,
    FakeDatabase,
    FakeIdSource,
    FakeImageGenerator,
    FakeImageProcessor,
    FakeImageStore,
    FakeNotifier,
    FakePasswordHasher,
    FakeTaskQueue,
    FakeThrottle,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def throttle() -> FakeThrottle:
    return FakeThrottle(limit=3, wait=60)


@pytest.fixture
def store() -> FakeImageStore:
    return FakeImageStore()


@pytest.fixture
def account_deps(
    db: FakeDatabase, clock: FakeClock, throttle: FakeThrottle
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


@pytest.fixture
def task_queue() -> FakeTaskQueue:
    return FakeTaskQueue()


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def generators() -> dict[Provider, FakeImageGenerator]:
    return {Provider.LOCAL: FakeImageGenerator(), Provider.OPENAI: FakeImageGenerator()}


@pytest.fixture
def job_deps(
    db: FakeDatabase,
    clock: FakeClock,
    image_deps: ImageDeps,
    task_queue: FakeTaskQueue,
    notifier: FakeNotifier,
    generators: dict[Provider, FakeImageGenerator],
) -> JobDeps:
    # The heartbeat thread waits stale_after / 6 between beats: a day here,
    # so unit tests never see it beat.
    return JobDeps(
        uow=db.uow,
        queue=task_queue,
        notifier=notifier,
        clock=clock,
        ids=image_deps.ids,
        images=image_deps,
        generators=generators,
        default_provider=Provider.LOCAL,
        quota=QuotaPolicy(daily_variations=20, max_active_jobs=2),
        stale_after=timedelta(days=6),
        max_attempts=3,
    )
