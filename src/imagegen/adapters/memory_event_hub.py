"""Events within one process: the embedded default, where jobs run on threads.

Only streams open in this same process hear an event, so this hub serves a
single web process with an in-process queue; with Redis, RedisEventHub
carries events between processes and machines.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from imagegen.adapters.event_subscription import (
    QueueSubscription,
    event_key,
    plain_data,
)
from imagegen.application.ports import Event, StreamedEvent


class MemoryEventHub:
    """A Notifier and an EventFeed in one: recent events kept per user."""

    def __init__(
        self,
        *,
        replay_seconds: int,
        replay_size: int,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._replay_seconds = replay_seconds
        self._replay_size = replay_size
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._recent: dict[str, deque[tuple[float, StreamedEvent]]] = {}
        self._subscribers: dict[str, set[QueueSubscription]] = {}
        self._last: tuple[int, int] = (0, 0)
        self._pruned_at = wall_clock()

    def publish(self, event: Event) -> None:
        data = plain_data(event.data)
        with self._lock:
            now = self._wall_clock()
            streamed = StreamedEvent(self._next_id(now), event.name, data)
            recent = self._recent.setdefault(
                event.user_id, deque(maxlen=self._replay_size)
            )
            recent.append((now, streamed))
            for subscription in self._subscribers.get(event.user_id, ()):
                subscription.offer(streamed)
            self._prune(now)

    def subscribe(self, user_id: str, after: str | None) -> QueueSubscription:
        subscription = QueueSubscription(user_id, self._forget, after)
        with self._lock:
            self._subscribers.setdefault(user_id, set()).add(subscription)
            if after is not None:
                for event in self._replay(user_id, after):
                    subscription.offer(event)
        return subscription

    def close(self) -> None:
        """Nothing to let go of: the hub lives and dies with the process."""

    def _replay(self, user_id: str, after: str) -> list[StreamedEvent]:
        oldest = self._wall_clock() - self._replay_seconds
        start = event_key(after)
        return [
            event
            for when, event in self._recent.get(user_id, ())
            if when >= oldest and event_key(event.id) > start
        ]

    def _forget(self, subscription: QueueSubscription) -> None:
        with self._lock:
            held = self._subscribers.get(subscription.user_id, set())
            held.discard(subscription)
            if not held:
                self._subscribers.pop(subscription.user_id, None)

    def _next_id(self, now: float) -> str:
        millis = int(now * 1000)
        last_millis, counter = self._last
        self._last = (millis, 0) if millis > last_millis else (last_millis, counter + 1)
        return f"{self._last[0]}-{self._last[1]}"

    def _prune(self, now: float) -> None:
        """Drop the users whose newest event is too old to replay."""
        if now - self._pruned_at < self._replay_seconds:
            return
        self._pruned_at = now
        oldest = now - self._replay_seconds
        for user_id in [u for u, r in self._recent.items() if r[-1][0] < oldest]:
            del self._recent[user_id]
