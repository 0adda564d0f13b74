"""Pytest plugin: this machine's Redis, with a key prefix of each test's own.

Fixtures:
    redis_url: the server (``TEST_REDIS_URL``, else 127.0.0.1:6379/0); skips
        when it cannot be reached, or fails under ``CI=true``.
    redis_client: a client of it.
    redis_prefix: a REDIS_PREFIX unique to one test; its keys are deleted
        afterwards, so concurrent runs never meet.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from redis import Redis, RedisError

DEFAULT_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_URL)
    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except RedisError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis at {url} is unreachable: {exc}")
        pytest.skip(f"Redis at {url} is unreachable: {exc}")
    return url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis[bytes]]:
    client: Redis[bytes] = Redis.from_url(redis_url, socket_connect_timeout=2)
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client: Redis[bytes]) -> Iterator[str]:
    prefix = f"imagegen-test-{secrets.token_hex(6)}"
    yield prefix
    for key in redis_client.scan_iter(f"{prefix}:*"):
        redis_client.delete(key)
