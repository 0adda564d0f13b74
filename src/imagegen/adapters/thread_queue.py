"""Task queue run by background threads of this process (the embedded default)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

Handler = Callable[..., None]


class ThreadTaskQueue:
    """Runs tasks on a few daemon threads; nothing survives the process.

    Handlers are bound to this process's services by the composition root,
    so the web and its background work share one set of adapters.
    """

    def __init__(
        self, handlers: Mapping[str, Handler] | None = None, workers: int = 2
    ) -> None:
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self._tasks: queue.Queue[tuple[str, tuple[str, ...]] | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._run, name=f"imagegen-task-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def enqueue(self, task: str, *args: str, task_id: str | None = None) -> None:
        if task not in self.handlers:
            raise KeyError(f"no handler for task {task!r}")
        self._tasks.put((task, args))

    def join(self) -> None:
        """Wait until every queued task has run (for tests and shutdown)."""
        self._tasks.join()

    def close(self) -> None:
        for _ in self._threads:
            self._tasks.put(None)

    def _run(self) -> None:
        while (item := self._tasks.get()) is not None:
            task, args = item
            try:
                self.handlers[task](*args)
            except Exception:
                log.error("task %s%s: failed", task, args, exc_info=True)
            finally:
                self._tasks.task_done()
        self._tasks.task_done()
