"""The sign-in throttle against this machine's Redis."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator

import pytest
from redis import Redis, RedisError

from imagegen.adapters.redis_throttle import RedisThrottle

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_client() -> Iterator[Redis[bytes]]:
    client: Redis[bytes] = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except RedisError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client: Redis[bytes]) -> Iterator[str]:
    name = f"imagegen-test-{secrets.token_hex(4)}"
    yield name
    for key in redis_client.scan_iter(f"{name}:*"):
        redis_client.delete(key)


def test_two_processes_share_one_count(redis_client: Redis[bytes], prefix: str) -> None:
    here = RedisThrottle(redis_client, limit=3, window=60, prefix=prefix, name="logins")
    there = RedisThrottle(
        Redis.from_url(REDIS_URL), limit=3, window=60, prefix=prefix, name="logins"
    )

    here.record("ada@example.com")
    there.record("ada@example.com")
    here.record("ada@example.com")

    wait = there.retry_after("ada@example.com")
    assert wait is not None and 0 < wait <= 60
    assert there.retry_after("bob@example.com") is None


def test_the_lock_lifts_when_its_window_expires(
    redis_client: Redis[bytes], prefix: str
) -> None:
    throttle = RedisThrottle(
        redis_client, limit=1, window=1, prefix=prefix, name="logins"
    )
    throttle.record("ada@example.com")
    assert throttle.retry_after("ada@example.com") == 1

    redis_client.pexpire(next(redis_client.scan_iter(f"{prefix}:*")), 1)
    time.sleep(0.05)

    assert throttle.retry_after("ada@example.com") is None


def test_addresses_are_not_stored_in_clear(
    redis_client: Redis[bytes], prefix: str
) -> None:
    throttle = RedisThrottle(
        redis_client, limit=3, window=60, prefix=prefix, name="logins"
    )

    throttle.record("ada@example.com")

    keys = [key.decode() for key in redis_client.scan_iter(f"{prefix}:*")]
    assert len(keys) == 1 and "ada" not in keys[0]


def test_reset_clears_the_count(redis_client: Redis[bytes], prefix: str) -> None:
    throttle = RedisThrottle(
        redis_client, limit=1, window=60, prefix=prefix, name="logins"
    )
    throttle.record("ada@example.com")

    throttle.reset("ada@example.com")

    assert throttle.retry_after("ada@example.com") is None


def test_throttles_of_different_names_keep_separate_counts(
    redis_client: Redis[bytes], prefix: str
) -> None:
    logins = RedisThrottle(
        redis_client, limit=1, window=60, prefix=prefix, name="login-failures"
    )
    mails = RedisThrottle(
        redis_client, limit=1, window=60, prefix=prefix, name="account-mail"
    )

    mails.record("reset:ada@example.com")

    assert mails.retry_after("reset:ada@example.com") is not None
    assert logins.retry_after("reset:ada@example.com") is None
