"""Throttles in Redis, shared by every web process."""

from __future__ import annotations

import hashlib

from redis import Redis


class RedisLoginThrottle:
    """Counts failures per key in a window of `lockout` seconds from the first.

    Keys are hashed, so addresses do not sit in Redis in clear. `name` keeps
    one throttle's counters apart from another's.
    """

    def __init__(
        self,
        redis: Redis[bytes],
        *,
        max_failures: int,
        lockout: int,
        prefix: str,
        name: str = "login-failures",
    ) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:{name}:"
        self._max = max_failures
        self._lockout = lockout

    def retry_after(self, key: str) -> int | None:
        name = self._name(key)
        count, ttl = self._redis.pipeline().get(name).ttl(name).execute()
        if count is None or int(count) < self._max:
            return None
        return max(1, int(ttl))

    def record_failure(self, key: str) -> None:
        name = self._name(key)
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, self._lockout, nx=True)
        pipe.execute()

    # The Throttle port's name for it: the same counter limits account mail.
    record = record_failure

    def reset(self, key: str) -> None:
        self._redis.delete(self._name(key))

    def _name(self, key: str) -> str:
        return self._prefix + hashlib.sha256(key.encode()).hexdigest()
