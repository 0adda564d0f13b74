"""`python -m imagegen.entrypoints.rq_worker`: one RQ worker for this deployment.

It reads the same settings as the web processes (REDIS_URL, RQ_QUEUE, ...)
and does what this plain command does:

    rq worker -w imagegen.entrypoints.worker.GenerationWorker --url $REDIS_URL imagegen
"""

from __future__ import annotations

import sys

from dotenv import load_dotenv
from redis import Redis

from imagegen.config import ConfigError, load_settings
from imagegen.entrypoints.worker import GenerationWorker


def main() -> None:
    load_dotenv()
    try:
        settings = load_settings()
    except ConfigError as exc:
        sys.exit(f"imagegen worker: {exc}")
    if settings.redis_url is None:
        sys.exit("imagegen worker: REDIS_URL (or REDIS_HOST): required for a worker")
    if settings.queue_connection != "redis":
        sys.exit("imagegen worker: QUEUE_CONNECTION: must be redis for a worker")
    redis = Redis.from_url(settings.redis_url)
    worker = GenerationWorker([settings.redis_queue], connection=redis)
    worker.work(logging_level=settings.log_level)


if __name__ == "__main__":
    main()
