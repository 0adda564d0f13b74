"""Asking for variations, and the owner's hold on their jobs."""

from __future__ import annotations

import json

import pytest

from imagegen.application import images, jobs
from imagegen.application.images import ImageDeps
from imagegen.application.job_support import JobDeps
from imagegen.application.pagination import PageRequest
from imagegen.application.ports import JobFilter
from imagegen.domain.errors import (
    Conflict,
    NotFound,
    ServiceUnavailable,
    Throttled,
    ValidationFailed,
)
from imagegen.domain.images import Image
from imagegen.domain.jobs import InvalidTransition, JobError, JobStatus, Provider
from imagegen.domain.users import Role, User
from tests.fakes import FakeClock, FakeDatabase, FakeNotifier, FakeTaskQueue


def make_user(user_id: str, role: Role = Role.USER) -> User:
    return User(
        user_id, f"{user_id}@example.com", user_id, "x", FakeClock().now(), role=role
    )


ADA, BOB, ROOT = make_user("ada"), make_user("bob"), make_user("root", Role.ADMIN)
FOUR = jobs.VariationRequest(n=4, size="512x512")


@pytest.fixture
def picture(image_deps: ImageDeps) -> Image:
    return images.upload_image(image_deps, ADA, b"PNG:800x600;pixels", "cat.png")


def fail_job(db: FakeDatabase, job_id: str, *, succeed: bool = False) -> None:
    """Run the job to failure (or success) as a worker would have."""
    with db.uow() as uow:
        job = uow.jobs.get(job_id)
        assert job is not None
        job.start(job.created_at)
        if succeed:
            job.succeed(job.created_at)
        else:
            job.fail(JobError("provider_error", "down"), job.created_at)
        uow.jobs.save(job)
        uow.commit()


def test_a_request_is_committed_before_it_is_queued(
    job_deps: JobDeps, picture: Image, db: FakeDatabase, task_queue: FakeTaskQueue
) -> None:
    committed_when_queued: list[bool] = []
    enqueue = task_queue.enqueue
    task_queue.enqueue = lambda task, *args, task_id=None: (  # type: ignore[method-assign]
        committed_when_queued.append(args[0] in db.jobs),
        enqueue(task, *args, task_id=task_id),
    )[-1]

    job = jobs.request_variations(job_deps, ADA, picture.id, FOUR)

    assert committed_when_queued == [True]
    assert task_queue.enqueued == [("run_generation", (job.id,))]
    assert task_queue.task_ids == [job.task_id]
    assert db.jobs[job.id].status is JobStatus.QUEUED
    assert (job.n, job.size, job.provider) == (4, "512x512", Provider.LOCAL)


def test_the_owner_hears_the_job_was_queued(
    job_deps: JobDeps, picture: Image, notifier: FakeNotifier
) -> None:
    job = jobs.request_variations(job_deps, ADA, picture.id, FOUR)

    [event] = notifier.events
    assert (event.name, event.user_id) == ("generation.queued", "ada")
    assert event.data == {
        "job_id": job.id,
        "image_id": picture.id,
        "status": "queued",
        "progress": {"completed": 0, "total": 4},
        "seq": 1,
        "provider": "local",
    }
    assert len(json.dumps(event.data)) < 10_000


def test_an_unreachable_queue_leaves_no_job_behind(
    job_deps: JobDeps,
    picture: Image,
    db: FakeDatabase,
    task_queue: FakeTaskQueue,
    notifier: FakeNotifier,
) -> None:
    task_queue.unreachable = True

    with pytest.raises(ServiceUnavailable):
        jobs.request_variations(job_deps, ADA, picture.id, FOUR)

    assert db.jobs == {}
    assert notifier.events == []


def test_a_repeat_with_the_same_idempotency_key_returns_the_first_job(
    job_deps: JobDeps, picture: Image, db: FakeDatabase, task_queue: FakeTaskQueue
) -> None:
    first = jobs.request_variations(job_deps, ADA, picture.id, FOUR, "key-1")

    again = jobs.request_variations(job_deps, ADA, picture.id, FOUR, "key-1")

    assert again.id == first.id
    assert len(db.jobs) == 1 and len(task_queue.enqueued) == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(
    job_deps: JobDeps, picture: Image
) -> None:
    jobs.request_variations(job_deps, ADA, picture.id, FOUR, "key-1")
    other = jobs.VariationRequest(n=2, size="512x512")

    with pytest.raises(Conflict) as raised:
        jobs.request_variations(job_deps, ADA, picture.id, other, "key-1")

    assert raised.value.code == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("ask", "field"),
    [
        (jobs.VariationRequest(n=0, size="512x512"), "n"),
        (jobs.VariationRequest(n=11, size="512x512"), "n"),
        (jobs.VariationRequest(n=1, size="300x300"), "size"),
        (jobs.VariationRequest(n=1, size="512x512", prompt="x" * 1001), "prompt"),
    ],
)
def test_a_request_out_of_bounds_is_refused_and_records_nothing(
    job_deps: JobDeps,
    picture: Image,
    db: FakeDatabase,
    ask: jobs.VariationRequest,
    field: str,
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        jobs.request_variations(job_deps, ADA, picture.id, ask)

    assert raised.value.errors is not None and field in raised.value.errors
    assert db.jobs == {}


def test_variations_of_another_users_image_answer_as_missing(
    job_deps: JobDeps, picture: Image
) -> None:
    with pytest.raises(NotFound):
        jobs.request_variations(job_deps, BOB, picture.id, FOUR)


def test_the_daily_quota_counts_all_but_failed_jobs_until_midnight(
    job_deps: JobDeps, picture: Image, db: FakeDatabase, clock: FakeClock
) -> None:
    for _ in range(2):
        fail_job(db, jobs.request_variations(job_deps, ADA, picture.id, FOUR).id)
    ten = jobs.request_variations(
        job_deps, ADA, picture.id, jobs.VariationRequest(10, "512x512")
    )
    fail_job(db, ten.id, succeed=True)
    jobs.request_variations(
        job_deps, ADA, picture.id, jobs.VariationRequest(8, "512x512")
    )

    with pytest.raises(Throttled) as raised:
        jobs.request_variations(
            job_deps, ADA, picture.id, jobs.VariationRequest(3, "512x512")
        )

    assert raised.value.code == "variation_quota_exceeded"
    assert raised.value.retry_after == 12 * 3600


def test_a_user_has_at_most_so_many_jobs_at_once(
    job_deps: JobDeps, picture: Image
) -> None:
    ask = jobs.VariationRequest(1, "256x256")
    jobs.request_variations(job_deps, ADA, picture.id, ask)
    jobs.request_variations(job_deps, ADA, picture.id, ask)

    with pytest.raises(Throttled) as raised:
        jobs.request_variations(job_deps, ADA, picture.id, ask)

    assert raised.value.code == "too_many_active_jobs"
    assert raised.value.retry_after


def test_a_queued_job_can_be_canceled_once(
    job_deps: JobDeps, picture: Image, notifier: FakeNotifier
) -> None:
    job = jobs.request_variations(job_deps, ADA, picture.id, FOUR)

    canceled = jobs.cancel_job(job_deps, ADA, job.id)

    assert canceled.status is JobStatus.CANCELED
    assert notifier.names(job.id) == ["generation.queued", "generation.canceled"]
    assert [e.data["seq"] for e in notifier.events] == [1, 2]
    with pytest.raises(InvalidTransition):
        jobs.cancel_job(job_deps, ADA, job.id)


def test_another_users_job_answers_as_missing_and_an_admin_sees_it(
    job_deps: JobDeps, picture: Image
) -> None:
    job = jobs.request_variations(job_deps, ADA, picture.id, FOUR)

    with pytest.raises(NotFound):
        jobs.get_job(job_deps, BOB, job.id)
    with pytest.raises(NotFound):
        jobs.cancel_job(job_deps, BOB, job.id)
    assert jobs.get_job(job_deps, ROOT, job.id).id == job.id


def test_a_failed_job_is_queued_again_on_retry(
    job_deps: JobDeps, picture: Image, db: FakeDatabase, task_queue: FakeTaskQueue
) -> None:
    job = jobs.request_variations(job_deps, ADA, picture.id, FOUR)
    fail_job(db, job.id)

    retried = jobs.retry_job(job_deps, ADA, job.id)

    assert retried.status is JobStatus.QUEUED and retried.error is None
    assert task_queue.task_ids == [job.task_id, retried.task_id]
    assert retried.task_id != job.task_id


def test_a_retry_the_queue_cannot_take_leaves_the_job_canceled_with_the_reason(
    job_deps: JobDeps, picture: Image, db: FakeDatabase, task_queue: FakeTaskQueue
) -> None:
    job = jobs.request_variations(job_deps, ADA, picture.id, FOUR)
    fail_job(db, job.id)
    task_queue.unreachable = True

    with pytest.raises(ServiceUnavailable):
        jobs.retry_job(job_deps, ADA, job.id)

    stored = db.jobs[job.id]
    assert stored.status is JobStatus.CANCELED
    assert stored.error is not None and stored.error.code == "queue_unavailable"


def test_a_user_lists_only_their_jobs_filtered_by_status(
    job_deps: JobDeps, picture: Image, image_deps: ImageDeps, db: FakeDatabase
) -> None:
    theirs = images.upload_image(image_deps, BOB, b"PNG:10x10;x", "b.png")
    first = jobs.request_variations(job_deps, ADA, picture.id, FOUR)
    jobs.request_variations(job_deps, BOB, theirs.id, FOUR)
    fail_job(db, first.id)
    second = jobs.request_variations(job_deps, ADA, picture.id, FOUR)

    mine = jobs.list_jobs(job_deps, ADA, JobFilter(), PageRequest())
    failed = jobs.list_jobs(
        job_deps, ADA, JobFilter(status=JobStatus.FAILED), PageRequest()
    )
    everyone = jobs.list_jobs(job_deps, ROOT, JobFilter(), PageRequest())

    assert {j.id for j in mine.items} == {first.id, second.id}
    assert [j.id for j in failed.items] == [first.id]
    assert len(everyone.items) == 3
