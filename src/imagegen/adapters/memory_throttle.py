"""Throttles held in one process, for the embedded single-process setup."""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta

from imagegen.application.ports import Clock


class MemoryThrottle:
    """Allows `limit` events per key in a window of `window` seconds from the first."""

    def __init__(self, clock: Clock, *, limit: int, window: int) -> None:
        self._clock = clock
        self._limit = limit
        self._window = timedelta(seconds=window)
        self._events: dict[str, tuple[int, datetime]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        with self._lock:
            count, expires = self._current(key)
        if count < self._limit:
            return None
        return max(1, math.ceil((expires - self._clock.now()).total_seconds()))

    def record(self, key: str) -> None:
        with self._lock:
            count, expires = self._current(key)
            if count == 0:
                expires = self._clock.now() + self._window
            self._events[key] = (count + 1, expires)

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)

    def _current(self, key: str) -> tuple[int, datetime]:
        count, expires = self._events.get(key, (0, self._clock.now()))
        if count and expires <= self._clock.now():
            del self._events[key]
            return 0, self._clock.now()
        return count, expires
