"""Run a function every few seconds on a daemon thread of this process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PeriodicThread:
    """Calls work() every `every` seconds until stopped; a failure is logged."""

    def __init__(self, name: str, every: float, work: Callable[[], object]) -> None:
        self.name = name
        self._every = every
        self._work = work
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> PeriodicThread:
        self._thread.start()
        log.info("%s: every %.1f s", self.name, self._every)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._work()
            except Exception:
                log.error("%s: pass failed", self.name, exc_info=True)
