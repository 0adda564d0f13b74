"""The rules a generation job lives by, without any port."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from imagegen.domain.jobs import (
    GenerationJob,
    InvalidTransition,
    JobError,
    JobStatus,
    Provider,
    QuotaPolicy,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BROKEN = JobError("provider_error", "OpenAI did not answer.")


def make_job(job_id: str = "job1", n: int = 3) -> GenerationJob:
    return GenerationJob(
        id=job_id,
        owner_id="ada",
        image_id="img",
        n=n,
        size="512x512",
        requested_provider=Provider.OPENAI,
        created_at=NOW,
    )


def test_a_new_job_is_queued_on_the_provider_asked_for() -> None:
    job = make_job()

    assert job.status is JobStatus.QUEUED
    assert job.provider is Provider.OPENAI
    assert job.queued_at == NOW
    assert (job.completed, job.attempts) == (0, 1)


def test_a_job_runs_then_ends_in_one_final_state() -> None:
    job = make_job()

    job.start(NOW)
    job.succeed(NOW + timedelta(seconds=5))

    assert job.status is JobStatus.SUCCEEDED
    assert job.finished_at == NOW + timedelta(seconds=5)
    with pytest.raises(InvalidTransition):
        job.fail(BROKEN, NOW)
    with pytest.raises(InvalidTransition):
        job.cancel(NOW)


def test_a_queued_job_can_be_canceled_but_not_finished() -> None:
    job = make_job()

    with pytest.raises(InvalidTransition):
        job.succeed(NOW)
    job.cancel(NOW)

    assert job.status is JobStatus.CANCELED
    with pytest.raises(InvalidTransition):
        job.start(NOW)


@pytest.mark.parametrize("end", ["fail", "cancel"])
def test_a_failed_or_canceled_job_is_queued_again_on_retry(end: str) -> None:
    job = make_job()
    job.start(NOW)
    job.fall_back(Provider.LOCAL, "quota")
    job.fail(BROKEN, NOW) if end == "fail" else job.cancel(NOW)
    first_task = job.task_id

    job.retry(NOW + timedelta(minutes=1))

    assert job.status is JobStatus.QUEUED
    assert job.error is None and job.fallback_reason is None
    assert job.provider is Provider.OPENAI
    assert job.attempts == 2 and job.task_id != first_task
    assert job.started_at is None and job.finished_at is None


@pytest.mark.parametrize("state", ["queued", "running", "succeeded"])
def test_only_a_failed_or_canceled_job_can_be_retried(state: str) -> None:
    job = make_job()
    if state != "queued":
        job.start(NOW)
    if state == "succeeded":
        job.succeed(NOW)

    with pytest.raises(InvalidTransition) as raised:
        job.retry(NOW)

    assert raised.value.code == "job_not_retryable"


def test_variation_ids_are_fixed_per_job_and_index() -> None:
    job, again, other = make_job("job1"), make_job("job1"), make_job("job2")

    ids = [job.variation_id(i) for i in range(3)]

    assert ids == [again.variation_id(i) for i in range(3)]
    assert len(set(ids) | {other.variation_id(i) for i in range(3)}) == 6
    assert all(len(i) == 32 for i in ids)


def test_recorded_variations_leave_only_the_rest_missing() -> None:
    job = make_job(n=3)
    job.start(NOW)

    job.record_variation(job.variation_id(1), NOW)
    job.record_variation(job.variation_id(1), NOW)

    assert job.missing_indices() == [0, 2]
    assert job.completed == 1


def test_each_event_takes_the_next_number() -> None:
    job = make_job()

    assert [job.next_seq() for _ in range(3)] == [1, 2, 3]
    assert job.event_seq == 3


def test_a_run_holds_its_job_until_it_is_recovered() -> None:
    job = make_job()
    attempt = job.start(NOW)

    assert job.owned_by_run(attempt)
    job.recover(NOW + timedelta(minutes=5))

    assert job.status is JobStatus.QUEUED and job.lost_runs == 1
    assert not job.owned_by_run(attempt)
    assert job.start(NOW) == attempt + 1


def test_a_running_job_goes_stale_once_its_heartbeat_is_older_than_the_lease() -> None:
    job = make_job()
    lease = timedelta(seconds=80)
    job.start(NOW)

    assert not job.is_stale(NOW + lease, lease)
    assert job.is_stale(NOW + lease + timedelta(seconds=1), lease)
    job.succeed(NOW)
    assert not job.is_stale(NOW + 10 * lease, lease)


def test_the_quota_day_resets_at_midnight_utc() -> None:
    quota = QuotaPolicy(daily_variations=10, max_active_jobs=2)
    late = datetime(2026, 12, 1, 23, 59, 30, tzinfo=UTC)

    assert quota.day_start(late) == datetime(2026, 12, 1, tzinfo=UTC)
    assert quota.seconds_to_reset(late) == 30
