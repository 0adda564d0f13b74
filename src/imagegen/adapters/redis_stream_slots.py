"""Open event streams counted in Redis, so a cap holds across web processes."""

from __future__ import annotations

from redis import Redis
from redis.exceptions import RedisError

from imagegen.domain.errors import ServiceUnavailable

# A sorted set per user: member = slot, score = when its lease ends (Redis's
# own clock, so web machines' clocks need not agree). Leases that ran out are
# dropped before counting, so a process that died frees its slots.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]) + 1)
return 1
"""

_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]) + 1)
end
return 1
"""


class RedisStreamSlots:
    def __init__(self, redis: Redis[bytes], *, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:stream-slots:"
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)

    def acquire(self, user_id: str, slot: str, *, limit: int, lease: int) -> bool:
        try:
            held = self._acquire(keys=[self._key(user_id)], args=[slot, limit, lease])
        except RedisError as exc:
            raise ServiceUnavailable(
                "Event streams are unavailable; try again shortly.",
                code="event_stream_unavailable",
                retry_after=5,
            ) from exc
        return bool(held)

    def renew(self, user_id: str, slot: str, *, lease: int) -> None:
        self._renew(keys=[self._key(user_id)], args=[slot, lease])

    def release(self, user_id: str, slot: str) -> None:
        self._redis.zrem(self._key(user_id), slot)

    def _key(self, user_id: str) -> str:
        return self._prefix + user_id
