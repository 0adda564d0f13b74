"""Live progress: the event hub behind SSE, Pusher, and the notifier over both."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from imagegen.application.ports import Notifier, StreamSlots
from imagegen.bootstrap.services import EventHub
from imagegen.config import PusherSettings, Settings

if TYPE_CHECKING:
    from imagegen.adapters.pusher_notifier import PusherNotifier

log = logging.getLogger(__name__)


def notifier(hub: EventHub, pusher: PusherNotifier | None) -> Notifier:
    """Publish to the event stream's hub, and to Pusher when it is configured."""
    from imagegen.adapters.fanout_notifier import FanOutNotifier

    sinks: dict[str, Notifier] = {"event stream": hub}
    if pusher is not None:
        sinks["pusher"] = pusher
    return FanOutNotifier(sinks)


def events_redis(settings: Settings) -> Redis[bytes] | None:
    """Return a Redis client for events: short timeouts, no retries.

    A job publishes through it, and must never wait long on it.
    """
    if settings.redis_url is None:
        return None
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        health_check_interval=15,
        retry=Retry(NoBackoff(), 0),
    )


def event_hub(settings: Settings, redis: Redis[bytes] | None) -> EventHub:
    live = settings.realtime
    if redis is not None:
        from imagegen.adapters.redis_event_hub import RedisEventHub

        return RedisEventHub(
            redis,
            prefix=settings.redis_prefix,
            replay_seconds=live.replay_seconds,
            replay_size=live.replay_size,
        )
    from imagegen.adapters.memory_event_hub import MemoryEventHub

    log.info("event stream: in process memory (set REDIS_URL to share it)")
    return MemoryEventHub(
        replay_seconds=live.replay_seconds, replay_size=live.replay_size
    )


def stream_slots(settings: Settings, redis: Redis[bytes] | None) -> StreamSlots:
    if redis is not None:
        from imagegen.adapters.redis_stream_slots import RedisStreamSlots

        return RedisStreamSlots(redis, prefix=settings.redis_prefix)
    from imagegen.adapters.memory_stream_slots import MemoryStreamSlots

    return MemoryStreamSlots()


def pusher_notifier(pusher: PusherSettings | None) -> PusherNotifier | None:
    if pusher is None:
        return None
    from imagegen.adapters.pusher_notifier import PusherNotifier

    return PusherNotifier(
        app_id=pusher.app_id,
        key=pusher.key,
        secret=pusher.secret,
        cluster=pusher.cluster,
        host=pusher.host,
        port=pusher.port,
        scheme=pusher.scheme,
        timeout=pusher.timeout,
    )
