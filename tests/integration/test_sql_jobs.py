"""The SQL job repository on SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from imagegen.application.pagination import PageRequest
from imagegen.application.ports import JobFilter, JobUsage
from imagegen.domain.errors import ConcurrentUpdate, Conflict
from imagegen.domain.images import ImageKind
from imagegen.domain.jobs import GenerationJob, JobError, JobStatus, Provider
from imagegen.domain.users import User
from tests.support.databases import UowFactory
from tests.support.records import T0, a_user, an_image, new_id, store


def a_job(owner: User, image_id: str = "", **changes: object) -> GenerationJob:
    job = GenerationJob(
        id=new_id(),
        owner_id=owner.id,
        image_id=image_id or new_id(),
        n=4,
        size="1024x1536",
        requested_provider=Provider.OPENAI,
        created_at=T0,
    )
    return replace(job, **changes)  # type: ignore[arg-type]


def add(uow_factory: UowFactory, *jobs: GenerationJob) -> None:
    with uow_factory() as uow:
        for job in jobs:
            uow.jobs.add(job)
        uow.commit()


def test_a_job_reads_back_with_every_field(uow_factory: UowFactory) -> None:
    owner = a_user()
    store(uow_factory, owner)
    job = a_job(owner, prompt="in the style of a woodcut", idempotency_key="Key-1")
    job.start(T0 + timedelta(seconds=1))
    job.record_variation(job.variation_id(0), T0 + timedelta(seconds=2))
    job.fall_back(Provider.LOCAL, "OpenAI quota reached.")
    job.fail(JobError("provider_error", "OpenAI did not answer."), T0)
    job.next_seq()

    add(uow_factory, job)

    with uow_factory() as uow:
        assert uow.jobs.get(job.id) == job
        assert uow.jobs.get_by_idempotency_key(owner.id, "Key-1") == job
        assert uow.jobs.get_by_idempotency_key(owner.id, "key-1") is None


def test_a_write_over_a_newer_version_is_refused(uow_factory: UowFactory) -> None:
    owner = a_user()
    store(uow_factory, owner)
    job = a_job(owner)
    add(uow_factory, job)

    with uow_factory() as uow:
        stale = uow.jobs.get(job.id)
    with uow_factory() as uow:
        fresh = uow.jobs.get(job.id)
        assert fresh is not None
        fresh.cancel(T0)
        uow.jobs.save(fresh)
        uow.commit()
    assert stale is not None
    stale.start(T0)

    with uow_factory() as uow, pytest.raises(ConcurrentUpdate):
        uow.jobs.save(stale)

    with uow_factory() as uow:
        stored = uow.jobs.get(job.id)
    assert stored is not None
    assert (stored.status, stored.version) == (JobStatus.CANCELED, 1)


def test_an_idempotency_key_is_one_job_per_owner(uow_factory: UowFactory) -> None:
    ann, bob = a_user(), a_user()
    store(uow_factory, ann, bob)
    add(uow_factory, a_job(ann, idempotency_key="k"), a_job(bob, idempotency_key="k"))

    with uow_factory() as uow, pytest.raises(Conflict) as raised:
        uow.jobs.add(a_job(ann, idempotency_key="k"))

    assert raised.value.code == "idempotency_key_in_use"


def test_a_heartbeat_is_written_only_for_the_run_holding_the_job(
    uow_factory: UowFactory,
) -> None:
    owner = a_user()
    store(uow_factory, owner)
    job = a_job(owner)
    attempt = job.start(T0)
    add(uow_factory, job)
    later = T0 + timedelta(seconds=30)

    with uow_factory() as uow:
        held = uow.jobs.touch(job.id, attempt, later)
        lost = uow.jobs.touch(job.id, attempt + 1, later)
        uow.commit()
        stored = uow.jobs.get(job.id)

    assert (held, lost) == (True, False)
    assert stored is not None and stored.heartbeat_at == later


def test_the_reaper_finds_silent_runs_and_long_waiting_jobs(
    uow_factory: UowFactory,
) -> None:
    owner = a_user()
    store(uow_factory, owner)
    silent, beating, waiting, fresh = (a_job(owner) for _ in range(4))
    silent.start(T0)
    beating.start(T0 + timedelta(minutes=2))
    fresh.queued_at = T0 + timedelta(minutes=2)
    add(uow_factory, silent, beating, waiting, fresh)
    cutoff = T0 + timedelta(minutes=1)

    with uow_factory() as uow:
        stale = uow.jobs.stale(cutoff, 10)
        queued = uow.jobs.waiting(cutoff, 10)

    assert [j.id for j in stale] == [silent.id]
    assert [j.id for j in queued] == [waiting.id]


def test_usage_counts_variations_since_a_time_but_not_failed_or_canceled(
    uow_factory: UowFactory,
) -> None:
    owner = a_user()
    store(uow_factory, owner)
    old = a_job(owner, created_at=T0 - timedelta(days=1), n=10)
    done, queued, failed = a_job(owner, n=2), a_job(owner, n=3), a_job(owner, n=5)
    done.start(T0)
    done.succeed(T0)
    failed.start(T0)
    failed.fail(JobError("x", "y"), T0)
    add(uow_factory, old, done, queued, failed)

    with uow_factory() as uow:
        usage = uow.jobs.usage(owner.id, T0)
        everyone = uow.jobs.usage(None, T0 - timedelta(days=2))
        by_status = uow.jobs.count_by_status()

    assert usage == JobUsage(variations=5, active_jobs=2)
    assert everyone == JobUsage(variations=15, active_jobs=2)
    assert by_status[JobStatus.QUEUED] == 2
    assert by_status[JobStatus.FAILED] == by_status[JobStatus.SUCCEEDED] == 1


def test_jobs_list_newest_first_by_owner_and_status(uow_factory: UowFactory) -> None:
    ann, bob = a_user(), a_user()
    store(uow_factory, ann, bob)
    jobs = [a_job(ann, created_at=T0 + timedelta(seconds=i)) for i in range(3)]
    jobs[1].cancel(T0)
    add(uow_factory, *jobs, a_job(bob))

    with uow_factory() as uow:
        first = uow.jobs.list(JobFilter(owner_id=ann.id), PageRequest(limit=2))
        canceled = uow.jobs.list(
            JobFilter(owner_id=ann.id, status=JobStatus.CANCELED), PageRequest()
        )

    assert [j.id for j in first] == [jobs[2].id, jobs[1].id, jobs[0].id]
    assert [j.id for j in canceled] == [jobs[1].id]


def test_a_variation_names_its_job_and_outlives_it(uow_factory: UowFactory) -> None:
    owner = a_user()
    store(uow_factory, owner)
    source = an_image(owner)
    store(uow_factory, source)
    job = a_job(owner, image_id=source.id)
    add(uow_factory, job)
    made = an_image(
        owner, kind=ImageKind.VARIATION, source_image_id=source.id, job_id=job.id
    )
    store(uow_factory, made)

    with uow_factory() as uow:
        uow.jobs.delete(job.id)
        uow.commit()
        kept = uow.images.get(made.id)

    assert kept is not None and kept.job_id is None
