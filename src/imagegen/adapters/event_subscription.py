"""What both event hubs hand an open stream: a queue filled by publishers.

Event ids are "<milliseconds>-<counter>", as Redis streams make them, and
rise with every event of one user; a subscription hands each id out once, in
order, whichever way it arrived (replayed, live, or both).
"""

from __future__ import annotations

import json
import queue
from collections.abc import Callable

from imagegen.application.ports import StreamedEvent

EventKey = tuple[int, int]


def event_key(event_id: str) -> EventKey:
    """Return an id as a pair that sorts like the events it names."""
    millis, _, counter = event_id.partition("-")
    return int(millis), int(counter or 0)


def plain_data(data: dict[str, object]) -> dict[str, object]:
    """Return a JSON-only copy of data, as a client will read it."""
    copied: dict[str, object] = json.loads(json.dumps(data, default=str))
    return copied


class QueueSubscription:
    """One stream's events, put by a publishing thread and taken by the stream."""

    def __init__(
        self,
        user_id: str,
        on_close: Callable[[QueueSubscription], None],
        after: str | None = None,
    ) -> None:
        self.user_id = user_id
        self._on_close = on_close
        self._queue: queue.SimpleQueue[StreamedEvent] = queue.SimpleQueue()
        self._delivered: EventKey = event_key(after) if after else (0, 0)
        self.high_water: str | None = after
        self._closed = False

    def offer(self, event: StreamedEvent) -> None:
        """Queue event for the stream; an id already handed out is dropped later."""
        self._queue.put(event)
        self.note(event.id)

    def note(self, event_id: str | None) -> None:
        """Remember that events up to event_id exist, to resume after them."""
        if event_id is None:
            return
        if self.high_water is None or event_key(event_id) > event_key(self.high_water):
            self.high_water = event_id

    def next_events(self, timeout: float) -> list[StreamedEvent]:
        # A replay and live delivery may interleave in the queue: sort each batch.
        taken = sorted(self._take(timeout), key=lambda event: event_key(event.id))
        fresh = []
        for event in taken:
            key = event_key(event.id)
            if key > self._delivered:
                self._delivered = key
                fresh.append(event)
        return fresh

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._on_close(self)

    def _take(self, timeout: float) -> list[StreamedEvent]:
        try:
            first = self._queue.get(timeout=timeout) if timeout > 0 else None
            taken = [first or self._queue.get_nowait()]
        except queue.Empty:
            return []
        while True:
            try:
                taken.append(self._queue.get_nowait())
            except queue.Empty:
                return taken
