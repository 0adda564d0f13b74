"""Task queue on Redis through RQ: any number of `rq worker` processes run it."""

from __future__ import annotations

import logging

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from imagegen.domain.errors import ServiceUnavailable

log = logging.getLogger(__name__)

# What RQ calls in the worker: a dotted path, so this module never imports
# the entrypoint it feeds.
RUN_TASK = "imagegen.entrypoints.worker.run_task"
PENDING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}
# Keep a failed RQ job a day for inspection; our own job row holds the truth.
FAILURE_TTL = 24 * 3600


class RqTaskQueue:
    """Queues run_task(task, *args) on one named RQ queue.

    A task_id that RQ still holds as queued or running is not queued again,
    so asking twice for the same run is harmless.
    """

    def __init__(self, redis: Redis[bytes], name: str, *, job_timeout: int) -> None:
        self._redis = redis
        self._queue = Queue(name, connection=redis)
        self._job_timeout = job_timeout

    @property
    def name(self) -> str:
        return str(self._queue.name)

    def enqueue(self, task: str, *args: str, task_id: str | None = None) -> None:
        try:
            if task_id is not None and self._pending(task_id):
                log.info("task %s: already waiting in RQ; not queued again", task_id)
                return
            self._queue.enqueue(
                RUN_TASK,
                task,
                *args,
                job_id=task_id,
                job_timeout=self._job_timeout,
                result_ttl=0,
                failure_ttl=FAILURE_TTL,
                # RQ workers log the description of every job they take: name
                # the task only, as arguments may hold a secret (the link in a
                # queued mail carries a token).
                description=task if task_id is None else f"{task} {task_id}",
            )
        except RedisError as exc:
            log.warning(
                "queue %s: Redis unreachable (%s)", self.name, type(exc).__name__
            )
            raise ServiceUnavailable(
                "The job queue cannot be reached; try again shortly.",
                code="queue_unavailable",
                retry_after=5,
            ) from exc

    def _pending(self, task_id: str) -> bool:
        try:
            job = Job.fetch(task_id, connection=self._redis)
        except NoSuchJobError:
            return False
        return job.get_status(refresh=False) in PENDING
