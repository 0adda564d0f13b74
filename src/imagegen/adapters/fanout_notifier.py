"""Every configured sink hears every event; none can fail or stall a job.

A sink that raises is logged once, with the error's kind only (messages may
hold signed URLs or addresses), and then left alone for a cool-down, so that
a sink timing out costs a job at most one timeout per cool-down. After it,
the next event tries the sink again; a success is logged as a recovery.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from imagegen.application.ports import Event, Notifier

log = logging.getLogger(__name__)

COOLDOWN = 30.0


class FanOutNotifier:
    """A Notifier that publishes to every sink and never raises."""

    def __init__(
        self,
        sinks: Mapping[str, Notifier],
        *,
        cooldown: float = COOLDOWN,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sinks = [
            _GuardedSink(name, sink, cooldown, monotonic)
            for name, sink in sinks.items()
        ]

    def publish(self, event: Event) -> None:
        for sink in self.sinks:
            sink.publish(event)


class _GuardedSink:
    def __init__(
        self,
        name: str,
        sink: Notifier,
        cooldown: float,
        monotonic: Callable[[], float],
    ) -> None:
        self.name = name
        self._sink = sink
        self._cooldown = cooldown
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._resume_at: float | None = None
        self._missed = 0

    def publish(self, event: Event) -> None:
        if not self._due():
            return
        try:
            self._sink.publish(event)
        except Exception as exc:
            self._failed(event, exc)
        else:
            self._delivered()

    def _due(self) -> bool:
        with self._lock:
            if self._resume_at is None or self._monotonic() >= self._resume_at:
                return True
            self._missed += 1
            return False

    def _failed(self, event: Event, exc: Exception) -> None:
        with self._lock:
            first = self._resume_at is None
            self._resume_at = self._monotonic() + self._cooldown
            self._missed += 1
        if first:
            log.warning(
                "notifier %s: %s for user %s not delivered (%s); pausing for %.0f s",
                self.name,
                event.name,
                event.user_id,
                type(exc).__name__,
                self._cooldown,
            )
        else:
            log.debug("notifier %s: still failing (%s)", self.name, type(exc).__name__)

    def _delivered(self) -> None:
        with self._lock:
            if self._resume_at is None:
                return
            missed, self._missed, self._resume_at = self._missed, 0, None
        log.info(
            "notifier %s: delivering again; %d events were lost", self.name, missed
        )
