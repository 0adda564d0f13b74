"""Gunicorn settings for `make serve`, read from the environment.

Threaded workers: an open event stream holds one thread, not a whole worker.
"""

import os
import signal
from pathlib import Path
from types import FrameType
from typing import Any

from imagegen.entrypoints.http.app import settings_or_exit
from imagegen.entrypoints.http.context import EXTENSION

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
accesslog = "-"
# The access log must not carry query strings: a stream token travels in one.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(D)sus'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server: Any) -> None:
    """Check the settings before any worker starts; empty the metrics directory.

    A bad setting stops the master with one line naming it. Old processes'
    metric counts are gone.
    """
    settings_or_exit()
    shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    for stale in Path(shared).glob("*.db") if shared else []:
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """Let the metrics of a process that ended stop counting as live."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        # prometheus_client leaves this function unannotated.
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def post_worker_init(worker: Any) -> None:
    """On a graceful stop, tell open event streams to end instead of holding it.

    Gunicorn has bound its own SIGTERM handler by now; ours runs first, then
    hands over to it.
    """
    stopping = worker.wsgi.extensions[EXTENSION].stopping
    gunicorn_handler = signal.getsignal(signal.SIGTERM)

    def begin_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        if callable(gunicorn_handler):
            gunicorn_handler(signum, frame)

    signal.signal(signal.SIGTERM, begin_stop)
