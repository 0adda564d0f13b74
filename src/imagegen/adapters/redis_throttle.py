"""Throttles in Redis, shared by every web process."""

from __future__ import annotations

import hashlib

from redis import Redis


class RedisThrottle:
    """Allows `limit` events per key in a window of `window` seconds from the first.

    Keys are hashed, so addresses do not sit in Redis in clear. `name` keeps
    one throttle's counters apart from another's.
    """

    def __init__(
        self,
        redis: Redis[bytes],
        *,
        limit: int,
        window: int,
        prefix: str,
        name: str,
    ) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:{name}:"
        self._limit = limit
        self._window = window

    def retry_after(self, key: str) -> int | None:
        name = self._name(key)
        count, ttl = self._redis.pipeline().get(name).ttl(name).execute()
        if count is None or int(count) < self._limit:
            return None
        return max(1, int(ttl))

    def record(self, key: str) -> None:
        name = self._name(key)
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, self._window, nx=True)
        pipe.execute()

    def reset(self, key: str) -> None:
        self._redis.delete(self._name(key))

    def _name(self, key: str) -> str:
        return self._prefix + hashlib.sha256(key.encode()).hexdigest()
