"""Throttles held in one process, for the embedded single-process setup."""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta

from imagegen.application.ports import Clock


class MemoryLoginThrottle:
    """Locks a key for `lockout` seconds once it has `max_failures` failures."""

    def __init__(self, clock: Clock, *, max_failures: int, lockout: int) -> None:
        self._clock = clock
        self._max = max_failures
        self._window = timedelta(seconds=lockout)
        self._failures: dict[str, tuple[int, datetime]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        with self._lock:
            count, expires = self._current(key)
        if count < self._max:
            return None
        return max(1, math.ceil((expires - self._clock.now()).total_seconds()))

    def record_failure(self, key: str) -> None:
        with self._lock:
            count, expires = self._current(key)
            if count == 0:
                expires = self._clock.now() + self._window
            self._failures[key] = (count + 1, expires)

    # The Throttle port's name for it: the same counter limits account mail.
    record = record_failure

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _current(self, key: str) -> tuple[int, datetime]:
        count, expires = self._failures.get(key, (0, self._clock.now()))
        if count and expires <= self._clock.now():
            del self._failures[key]
            return 0, self._clock.now()
        return count, expires
