"""One open event stream: a user's events, heartbeats, and an end.

The stream holds no database connection while it waits: it checks the
session with a short unit of work now and then, and otherwise only waits on
its subscription.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from imagegen.application.ports import StreamedEvent, StreamSlots, Subscription

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamLimits:
    """How long streams live, how often they beat, how many a user may hold."""

    heartbeat: float
    max_duration: float
    max_streams: int
    # How often an open stream checks that its session and account are live.
    recheck: float = 60.0

    @property
    def slot_lease(self) -> int:
        """Seconds a slot is held without renewal: past a missed beat or two."""
        return int(self.heartbeat * 3) + 5


@dataclass(frozen=True)
class Heartbeat:
    """Nothing happened; said so that proxies keep the connection open."""


@dataclass(frozen=True)
class StreamEnd:
    """The last item of a stream; the client should reconnect with a new token."""

    reason: str


HEARTBEAT = Heartbeat()
StreamItem = StreamedEvent | Heartbeat | StreamEnd


class EventStream:
    """Iterate to receive; the stream ends on its own after max_duration.

    It also ends at its next wake-up (an event or a heartbeat) once
    `stopping` says the server is shutting down, so that a graceful stop
    does not wait for it and the client reconnects to another process.
    """

    def __init__(
        self,
        subscription: Subscription,
        *,
        user_id: str,
        slot: str,
        still_allowed: Callable[[], bool],
        slots: StreamSlots,
        limits: StreamLimits,
        monotonic: Callable[[], float] = time.monotonic,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.user_id = user_id
        self.slot = slot
        self._subscription = subscription
        self._still_allowed = still_allowed
        self._slots = slots
        self._limits = limits
        self._monotonic = monotonic
        self._stopping = stopping
        self._closed = False

    def __iter__(self) -> Iterator[StreamItem]:
        try:
            yield from self._items()
        finally:
            self.close()

    def close(self) -> None:
        """Stop listening and give the slot back; closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        self._subscription.close()
        try:
            self._slots.release(self.user_id, self.slot)
        except Exception as exc:
            # The slot's lease runs out on its own.
            log.warning(
                "event stream %s: slot not released (%s)", self.slot, _kind(exc)
            )
        log.info("user %s: event stream %s closed", self.user_id, self.slot)

    def _items(self) -> Iterator[StreamItem]:
        limits = self._limits
        start = self._monotonic()
        deadline = start + limits.max_duration
        next_beat = start + limits.heartbeat
        next_check = start + limits.recheck
        while (now := self._monotonic()) < deadline:
            yield from self._subscription.next_events(min(next_beat, deadline) - now)
            if self._stopping():
                yield StreamEnd("server_stopping")
                return
            now = self._monotonic()
            if now < next_beat or now >= deadline:
                continue
            if now >= next_check:
                if not self._allowed():
                    yield StreamEnd("signed_out")
                    return
                next_check = now + limits.recheck
            self._renew()
            yield HEARTBEAT
            next_beat = now + limits.heartbeat
        yield StreamEnd("max_duration")

    def _allowed(self) -> bool:
        try:
            return self._still_allowed()
        except Exception as exc:
            # When we cannot tell, we end the stream: the client reconnects and
            # is checked afresh.
            log.warning(
                "event stream %s: session check failed (%s)", self.slot, _kind(exc)
            )
            return False

    def _renew(self) -> None:
        try:
            self._slots.renew(self.user_id, self.slot, lease=self._limits.slot_lease)
        except Exception as exc:
            log.warning("event stream %s: slot not renewed (%s)", self.slot, _kind(exc))


def _kind(exc: BaseException) -> str:
    """Name an error without its message, which may carry addresses or URLs."""
    return type(exc).__name__
