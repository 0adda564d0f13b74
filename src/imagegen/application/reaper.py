"""Taking jobs back from workers that died, and queueing jobs nobody picked up."""

from __future__ import annotations

import logging
from datetime import datetime

from imagegen.application.job_support import (
    FAILED,
    QUEUED,
    RUN_TASK,
    JobDeps,
    Told,
    change_job,
)
from imagegen.domain.errors import ServiceUnavailable
from imagegen.domain.jobs import GenerationJob, JobError, JobStatus

log = logging.getLogger(__name__)

# Jobs looked at per pass; the next pass takes the rest.
BATCH = 100


def reap_stale_jobs(deps: JobDeps) -> int:
    """Requeue or fail running jobs whose worker went silent; return how many.

    A run that stops beating its heartbeat for longer than the lease has
    lost its worker (killed, out of memory, machine gone). Its job goes back
    to the queue until it has lost max_attempts runs, then fails with a
    reason. Jobs queued long ago and never started are queued again, in case
    the queue lost them (Redis restarted empty, or the process running the
    in-process queue stopped).
    """
    now = deps.clock.now()
    with deps.uow() as uow:
        stale = uow.jobs.stale(now - deps.lease, BATCH)
        waiting = uow.jobs.waiting(now - deps.stale_after, BATCH)
    for job in stale:
        _take_back(deps, job.id, now)
    for job in waiting:
        _dispatch_again(deps, job.id, now)
    return len(stale)


def _take_back(deps: JobDeps, job_id: str, now: datetime) -> None:
    def take_back(job: GenerationJob) -> Told:
        if not job.is_stale(now, deps.lease):
            return []
        if job.lost_runs + 1 < deps.max_attempts:
            job.recover(now)
            return [(QUEUED, {})]
        runs = job.lost_runs + 1
        job.fail(
            JobError(
                "worker_lost",
                f"The worker running this job stopped answering ({runs} times).",
            ),
            now,
        )
        return [(FAILED, {})]

    job = change_job(deps, job_id, take_back)
    if job.status is JobStatus.QUEUED:
        log.warning("job %s: worker went silent; queued again", job.id)
        _enqueue(deps, job)
    elif job.status is JobStatus.FAILED:
        log.warning("job %s: worker went silent too often; failed", job.id)


def _dispatch_again(deps: JobDeps, job_id: str, now: datetime) -> None:
    def touch(job: GenerationJob) -> Told:
        if job.status is JobStatus.QUEUED:
            job.queued_at = now
        return []

    job = change_job(deps, job_id, touch)
    if job.status is JobStatus.QUEUED:
        log.info("job %s: still waiting; queued again", job.id)
        _enqueue(deps, job)


def _enqueue(deps: JobDeps, job: GenerationJob) -> None:
    try:
        deps.queue.enqueue(RUN_TASK, job.id, task_id=job.task_id)
    except ServiceUnavailable:
        # The next pass tries again: the job stays queued and waiting.
        log.warning("job %s: queue unreachable; will try again", job.id)
