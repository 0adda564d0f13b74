"""The worker side of the task queue: what `rq worker` runs.

RQ imports this module and calls run_task; the services are built on the
first call in each worker process, never at import. Start workers with the
class below, which also takes back the jobs of workers that died:

    rq worker -w imagegen.entrypoints.worker.GenerationWorker --url $REDIS_URL imagegen
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from dotenv import load_dotenv
from rq import Worker

from imagegen.bootstrap import Services, bootstrap, start_maintenance
from imagegen.config import ConfigError, load_settings
from imagegen.entrypoints.logging_setup import configure_logging

log = logging.getLogger(__name__)

_lock = threading.Lock()
_services: Services | None = None


def run_task(task: str, *args: str) -> None:
    """Run one named task with this process's services."""
    worker_services().tasks[task](*args)


def worker_services() -> Services:
    """Return this process's services, building them on first use."""
    global _services
    with _lock:
        if _services is None:
            load_dotenv()
            settings = load_settings()
            configure_logging(settings)
            _services = bootstrap(settings)
            log.info("worker: services ready")
        return _services


class GenerationWorker(Worker):
    """An RQ worker that also runs the maintenance threads (job reaper, orphan sweep).

    They get services of their own: the work horses RQ forks build theirs,
    so no database connection is shared across a fork.
    """

    def work(self, *args: Any, **kwargs: Any) -> bool:
        load_dotenv()
        settings = load_settings()
        if settings.queue_connection != "redis":
            raise ConfigError("QUEUE_CONNECTION: must be redis for an rq worker")
        configure_logging(settings)
        services = bootstrap(settings)
        stop = start_maintenance(services)
        try:
            return bool(super().work(*args, **kwargs))
        finally:
            stop()
            services.close()
