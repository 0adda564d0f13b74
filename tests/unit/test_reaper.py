"""Taking jobs back from dead workers, and queueing forgotten ones again."""

from __future__ import annotations

import pytest

from imagegen.application import images, jobs
from imagegen.application.generation import run_generation_job
from imagegen.application.images import ImageDeps
from imagegen.application.job_support import JobDeps
from imagegen.application.reaper import reap_stale_jobs
from imagegen.domain.images import Image
from imagegen.domain.jobs import GenerationJob, JobStatus, Provider
from imagegen.domain.users import User
from tests.fakes import (
    FakeClock,
    FakeDatabase,
    FakeImageGenerator,
    FakeNotifier,
    FakeTaskQueue,
)

ADA = User("ada", "ada@example.com", "Ada", "x", FakeClock().now())


@pytest.fixture
def job(job_deps: JobDeps, image_deps: ImageDeps) -> GenerationJob:
    picture: Image = images.upload_image(image_deps, ADA, b"PNG:80x60;x", "a.png")
    request = jobs.VariationRequest(n=3, size="256x256")
    return jobs.request_variations(job_deps, ADA, picture.id, request)


def start(db: FakeDatabase, job_id: str) -> None:
    """Claim the job as a worker that then dies would have."""
    with db.uow() as uow:
        found = uow.jobs.get(job_id)
        assert found is not None
        found.start(found.created_at)
        uow.jobs.save(found)
        uow.commit()


def past_lease(deps: JobDeps, clock: FakeClock) -> None:
    clock.advance(deps.lease.total_seconds() + 1)


def test_a_silent_run_is_taken_back_and_queued_under_a_new_task_id(
    job_deps: JobDeps,
    job: GenerationJob,
    db: FakeDatabase,
    clock: FakeClock,
    task_queue: FakeTaskQueue,
    notifier: FakeNotifier,
) -> None:
    start(db, job.id)
    past_lease(job_deps, clock)

    assert reap_stale_jobs(job_deps) == 1

    queued = db.jobs[job.id]
    assert queued.status is JobStatus.QUEUED
    assert (queued.attempts, queued.lost_runs) == (2, 1)
    assert task_queue.task_ids[-1] == queued.task_id != job.task_id
    assert notifier.names(job.id)[-1] == "generation.queued"


def test_a_run_with_a_recent_heartbeat_is_left_alone(
    job_deps: JobDeps, job: GenerationJob, db: FakeDatabase, clock: FakeClock
) -> None:
    start(db, job.id)
    clock.advance(job_deps.lease.total_seconds() - 1)

    assert reap_stale_jobs(job_deps) == 0
    assert db.jobs[job.id].status is JobStatus.RUNNING


def test_a_job_that_keeps_losing_its_worker_fails_with_the_reason(
    job_deps: JobDeps, job: GenerationJob, db: FakeDatabase, clock: FakeClock
) -> None:
    for _ in range(job_deps.max_attempts):
        start(db, job.id)
        past_lease(job_deps, clock)
        reap_stale_jobs(job_deps)

    failed = db.jobs[job.id]
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None and failed.error.code == "worker_lost"


def test_a_job_queued_long_ago_and_never_started_is_queued_again(
    job_deps: JobDeps,
    job: GenerationJob,
    db: FakeDatabase,
    clock: FakeClock,
    task_queue: FakeTaskQueue,
) -> None:
    clock.advance(job_deps.stale_after.total_seconds() + 1)

    reap_stale_jobs(job_deps)

    assert task_queue.task_ids == [job.task_id, job.task_id]
    assert db.jobs[job.id].queued_at == clock.now()


def test_a_run_taken_back_stops_and_the_next_run_finishes_the_job(
    job_deps: JobDeps,
    job: GenerationJob,
    db: FakeDatabase,
    clock: FakeClock,
    generators: dict[Provider, FakeImageGenerator],
    notifier: FakeNotifier,
) -> None:
    def stall_then_reap(index: int) -> None:
        if index == 1 and db.jobs[job.id].attempts == 1:
            past_lease(job_deps, clock)
            reap_stale_jobs(job_deps)

    generators[Provider.LOCAL].on_each = stall_then_reap

    run_generation_job(job_deps, job.id)
    taken_back = db.jobs[job.id]
    run_generation_job(job_deps, job.id)

    assert (taken_back.status, taken_back.completed) == (JobStatus.QUEUED, 1)
    done = db.jobs[job.id]
    assert done.status is JobStatus.SUCCEEDED and done.completed == 3
    assert len([i for i in db.images.values() if i.job_id == job.id]) == 3
    assert notifier.names(job.id).count("generation.succeeded") == 1
