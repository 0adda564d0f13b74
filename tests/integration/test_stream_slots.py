"""Stream slots: a per-user cap on open event streams, in process or in Redis."""

from __future__ import annotations

import time

import pytest
from redis import Redis

from imagegen.adapters.memory_stream_slots import MemoryStreamSlots
from imagegen.adapters.redis_stream_slots import RedisStreamSlots

Slots = MemoryStreamSlots | RedisStreamSlots


@pytest.fixture(params=["memory", "redis"])
def slots(request: pytest.FixtureRequest) -> Slots:
    if request.param == "memory":
        return MemoryStreamSlots()
    client = request.getfixturevalue("redis_client")
    return RedisStreamSlots(client, prefix=request.getfixturevalue("redis_prefix"))


def test_a_user_holds_at_most_the_limit(slots: Slots) -> None:
    assert slots.acquire("ada", "a1", limit=2, lease=30)
    assert slots.acquire("ada", "a2", limit=2, lease=30)

    assert not slots.acquire("ada", "a3", limit=2, lease=30)
    assert slots.acquire("bob", "b1", limit=2, lease=30)


def test_releasing_a_slot_makes_room(slots: Slots) -> None:
    slots.acquire("ada", "a1", limit=1, lease=30)

    slots.release("ada", "a1")
    slots.release("ada", "never-held")

    assert slots.acquire("ada", "a2", limit=1, lease=30)


def test_a_slot_nobody_renews_frees_itself(slots: Slots) -> None:
    slots.acquire("ada", "a1", limit=1, lease=1)

    time.sleep(1.2)

    assert slots.acquire("ada", "a2", limit=1, lease=30)


def test_a_renewed_slot_outlives_its_first_lease(slots: Slots) -> None:
    slots.acquire("ada", "a1", limit=1, lease=1)

    slots.renew("ada", "a1", lease=30)
    time.sleep(1.2)

    assert not slots.acquire("ada", "a2", limit=1, lease=30)


def test_the_cap_holds_across_processes(
    redis_url: str, redis_prefix: str, redis_client: Redis[bytes]
) -> None:
    other_client: Redis[bytes] = Redis.from_url(redis_url)
    here = RedisStreamSlots(redis_client, prefix=redis_prefix)
    there = RedisStreamSlots(other_client, prefix=redis_prefix)

    here.acquire("ada", "a1", limit=2, lease=30)
    there.acquire("ada", "a2", limit=2, lease=30)

    assert not here.acquire("ada", "a3", limit=2, lease=30)
    assert not there.acquire("ada", "a3", limit=2, lease=30)
    other_client.close()
