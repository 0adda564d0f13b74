"""Events through Redis: published by any process, streamed by every web process.

Each event is appended to a short Redis stream per user (the replay buffer a
reconnecting client reads with Last-Event-ID) and published on one pub/sub
channel, both in one script so that the two never disagree on order. Each
web process keeps one subscriber thread, started when its first event stream
opens, that hands messages to the streams open in that process.

Every web process receives every user's events and drops those it has no
stream for: simple, and plenty for events a few per second per job. The
script publishes to a channel it is not given as a key, so it needs a single
Redis server, not a cluster.
"""

from __future__ import annotations

import json
import logging
import os
import threading

from redis import Redis
from redis.exceptions import RedisError

from imagegen.adapters.event_subscription import QueueSubscription
from imagegen.application.ports import Event, StreamedEvent
from imagegen.domain.errors import ServiceUnavailable

log = logging.getLogger(__name__)

# Waiting longer than this for the subscriber to be ready means Redis is down.
READY_TIMEOUT = 3.0
MAX_BACKOFF = 10.0

_PUBLISH = """
local t = redis.call('TIME')
local oldest = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  - tonumber(ARGV[5]) * 1000
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[4], '*', 'e', ARGV[3])
redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f', oldest))
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('PUBLISH', ARGV[1], id .. '\\n' .. ARGV[2] .. '\\n' .. ARGV[3])
return id
"""


class RedisEventHub:
    """A Notifier and an EventFeed in one, shared through Redis."""

    def __init__(
        self,
        redis: Redis[bytes],
        *,
        prefix: str,
        replay_seconds: int,
        replay_size: int,
        ready_timeout: float = READY_TIMEOUT,
    ) -> None:
        self.redis = redis
        self._ready_timeout = ready_timeout
        self.channel = f"{prefix}:events"
        self._key_prefix = f"{prefix}:events:"
        self._replay_seconds = replay_seconds
        self._replay_size = replay_size
        self._publish = redis.register_script(_PUBLISH)
        self._lock = threading.Lock()
        self._listener: _Listener | None = None

    def publish(self, event: Event) -> None:
        payload = json.dumps(
            {"name": event.name, "data": event.data}, default=str, separators=(",", ":")
        )
        self._publish(
            keys=[self.key(event.user_id)],
            args=[
                self.channel,
                event.user_id,
                payload,
                self._replay_size,
                self._replay_seconds,
            ],
        )

    def subscribe(self, user_id: str, after: str | None) -> QueueSubscription:
        listener = self._running_listener()
        subscription = QueueSubscription(user_id, listener.remove, after)
        listener.add(subscription)
        try:
            if after is None:
                subscription.note(self._latest_id(user_id))
            else:
                self.backfill(subscription)
        except RedisError as exc:
            subscription.close()
            raise _unavailable() from exc
        return subscription

    def backfill(self, subscription: QueueSubscription) -> None:
        """Offer subscription the buffered events after the newest it has seen."""
        start = subscription.high_water or "0-0"
        entries = self.redis.xrange(self.key(subscription.user_id), f"({start}", "+")
        for raw_id, fields in entries:
            subscription.offer(decode(raw_id, fields[b"e"]))

    def key(self, user_id: str) -> str:
        return self._key_prefix + user_id

    def close(self) -> None:
        with self._lock:
            if self._listener is not None:
                self._listener.stop()
                self._listener = None

    def _latest_id(self, user_id: str) -> str | None:
        newest = self.redis.xrevrange(self.key(user_id), "+", "-", count=1)
        return newest[0][0].decode() if newest else None

    def _running_listener(self) -> _Listener:
        with self._lock:
            listener = self._listener
            # A forked process inherits the object but not the thread.
            if listener is None or not listener.serves_this_process():
                listener = self._listener = _Listener(self)
                listener.start()
        if not listener.ready.wait(self._ready_timeout):
            raise _unavailable()
        return listener


def decode(raw_id: bytes, payload: bytes) -> StreamedEvent:
    """Rebuild an event from its stream id and the JSON the script stored."""
    body = json.loads(payload)
    return StreamedEvent(raw_id.decode(), str(body["name"]), dict(body["data"]))


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "Event streams are unavailable; try again shortly.",
        code="event_stream_unavailable",
        retry_after=5,
    )


class _Listener:
    """The process's one pub/sub subscriber, handing messages to open streams."""

    def __init__(self, hub: RedisEventHub) -> None:
        self.ready = threading.Event()
        self._hub = hub
        self._pid = os.getpid()
        self._streams: dict[str, set[QueueSubscription]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._failing = False
        self._thread = threading.Thread(
            target=self._run, name="imagegen-event-listener", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; it does within a second, at its next poll."""
        self._stopping.set()

    def serves_this_process(self) -> bool:
        return self._pid == os.getpid() and self._thread.is_alive()

    def add(self, subscription: QueueSubscription) -> None:
        with self._lock:
            self._streams.setdefault(subscription.user_id, set()).add(subscription)

    def remove(self, subscription: QueueSubscription) -> None:
        with self._lock:
            held = self._streams.get(subscription.user_id, set())
            held.discard(subscription)
            if not held:
                self._streams.pop(subscription.user_id, None)

    def _run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                self._listen()
            except Exception as exc:
                # Closing the client under a listener raises what it may;
                # otherwise any failure means: reconnect, and keep serving.
                if self._stopping.is_set():
                    return
                self._lost(exc)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            else:
                backoff = 0.5

    def _listen(self) -> None:
        pubsub = self._hub.redis.pubsub()
        try:
            pubsub.subscribe(self._hub.channel)
            while not self._stopping.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    self._subscribed()
                elif message["type"] == "message":
                    self._dispatch(message["data"])
        finally:
            self.ready.clear()
            pubsub.close()

    def _subscribed(self) -> None:
        if self._failing:
            log.info("event listener: reconnected to Redis")
            self._failing = False
            # Events published while we were away are in the replay buffers.
            for subscription in self._all():
                self._hub.backfill(subscription)
        self.ready.set()

    def _dispatch(self, message: bytes) -> None:
        try:
            raw_id, user_id, payload = message.split(b"\n", 2)
            with self._lock:
                streams = list(self._streams.get(user_id.decode(), ()))
            if not streams:
                return
            event = decode(raw_id, payload)
        except (ValueError, KeyError, TypeError):
            log.warning("event listener: dropped a malformed message")
            return
        for subscription in streams:
            subscription.offer(event)

    def _all(self) -> list[QueueSubscription]:
        with self._lock:
            return [s for held in self._streams.values() for s in held]

    def _lost(self, exc: BaseException) -> None:
        if not self._failing:
            log.warning(
                "event listener: Redis unreachable (%s); retrying", type(exc).__name__
            )
        self._failing = True
