"""Open event streams counted in one process, for the embedded setup."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class MemoryStreamSlots:
    """Slots per user, each held until released or until its lease runs out."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._held: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, user_id: str, slot: str, *, limit: int, lease: int) -> bool:
        with self._lock:
            now = self._monotonic()
            held = {
                s: end for s, end in self._held.get(user_id, {}).items() if end > now
            }
            if len(held) >= limit:
                self._held[user_id] = held
                return False
            held[slot] = now + lease
            self._held[user_id] = held
            return True

    def renew(self, user_id: str, slot: str, *, lease: int) -> None:
        with self._lock:
            held = self._held.get(user_id, {})
            if slot in held:
                held[slot] = self._monotonic() + lease

    def release(self, user_id: str, slot: str) -> None:
        with self._lock:
            held = self._held.get(user_id, {})
            held.pop(slot, None)
            if not held:
                self._held.pop(user_id, None)
