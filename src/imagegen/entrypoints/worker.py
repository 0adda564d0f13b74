"""The worker side of the task queue: what `rq worker` runs.

RQ imports this module and calls run_task; the services are built on the
first call in each worker process, never at import.
"""

from __future__ import annotations

import logging
import threading

from dotenv import load_dotenv

from imagegen.bootstrap import Services, bootstrap
from imagegen.config import load_settings
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
