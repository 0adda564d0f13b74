"""A worker running a variation job, from queued to one end state."""

from __future__ import annotations

import pytest

from imagegen.application import images, jobs
from imagegen.application.generation import run_generation_job
from imagegen.application.images import ImageDeps
from imagegen.application.job_support import JobDeps
from imagegen.application.ports import PreparedImage
from imagegen.domain.errors import GenerationRefused, ProviderUnavailable
from imagegen.domain.images import Image, ImageKind
from imagegen.domain.jobs import GenerationJob, JobStatus, Provider
from imagegen.domain.users import User
from tests.fakes import (
    FakeClock,
    FakeDatabase,
    FakeImageGenerator,
    FakeImageStore,
    FakeNotifier,
)

ADA = User("ada", "ada@example.com", "Ada", "x", FakeClock().now())
Generators = dict[Provider, FakeImageGenerator]


@pytest.fixture
def picture(image_deps: ImageDeps) -> Image:
    return images.upload_image(image_deps, ADA, b"PNG:800x600;pixels", "cat.png")


def ask(
    deps: JobDeps, picture: Image, n: int = 3, provider: Provider | None = None
) -> GenerationJob:
    request = jobs.VariationRequest(n=n, size="256x256", provider=provider)
    return jobs.request_variations(deps, ADA, picture.id, request)


def variations(db: FakeDatabase, job_id: str) -> list[Image]:
    return [i for i in db.images.values() if i.job_id == job_id]


def test_a_run_stores_each_variation_and_tells_each_step(
    job_deps: JobDeps, picture: Image, db: FakeDatabase, notifier: FakeNotifier
) -> None:
    job = ask(job_deps, picture, n=2)

    run_generation_job(job_deps, job.id)

    done = db.jobs[job.id]
    made = variations(db, job.id)
    assert done.status is JobStatus.SUCCEEDED and done.completed == 2
    assert {i.id for i in made} == set(done.variation_ids)
    assert all(i.kind is ImageKind.VARIATION for i in made)
    assert all((i.source_image_id, i.width) == (picture.id, 256) for i in made)
    assert notifier.names(job.id) == [
        "generation.queued",
        "generation.started",
        "generation.variation",
        "generation.progress",
        "generation.variation",
        "generation.progress",
        "generation.succeeded",
    ]
    assert [e.data["seq"] for e in notifier.events] == list(range(1, 8))


def test_a_variation_event_carries_the_image_and_its_links_but_no_url(
    job_deps: JobDeps, picture: Image, notifier: FakeNotifier
) -> None:
    job = ask(job_deps, picture, n=1)

    run_generation_job(job_deps, job.id)

    [event] = [e for e in notifier.events if e.name == "generation.variation"]
    image = event.data["image"]
    assert isinstance(image, dict)
    assert image["links"]["content"] == f"/api/images/{image['id']}/content"
    assert event.data["progress"] == {"completed": 1, "total": 1}
    assert "storage_key" not in image and "http" not in str(event.data)


def test_running_a_job_twice_never_doubles_its_variations(
    job_deps: JobDeps, picture: Image, db: FakeDatabase, store: FakeImageStore
) -> None:
    job = ask(job_deps, picture, n=3)
    run_generation_job(job_deps, job.id)
    objects = dict(store.objects)

    run_generation_job(job_deps, job.id)

    assert len(variations(db, job.id)) == 3
    assert store.objects == objects


def test_a_retried_job_makes_only_what_is_missing(
    job_deps: JobDeps, picture: Image, db: FakeDatabase, generators: Generators
) -> None:
    local = generators[Provider.LOCAL]
    local.fail_with, local.fail_after = GenerationRefused("nope"), 2
    job = ask(job_deps, picture, n=4)
    run_generation_job(job_deps, job.id)
    local.fail_with = None

    jobs.retry_job(job_deps, ADA, job.id)
    run_generation_job(job_deps, job.id)

    assert local.specs[-1].indices == (2, 3)
    assert db.jobs[job.id].status is JobStatus.SUCCEEDED
    assert len(variations(db, job.id)) == 4


def test_a_source_deleted_before_the_run_cancels_the_job_writing_nothing(
    job_deps: JobDeps,
    image_deps: ImageDeps,
    picture: Image,
    db: FakeDatabase,
    generators: Generators,
) -> None:
    job = ask(job_deps, picture)
    images.delete_image(image_deps, ADA, picture.id)

    run_generation_job(job_deps, job.id)

    ended = db.jobs[job.id]
    assert ended.status is JobStatus.CANCELED
    assert ended.error is not None and ended.error.code == "source_deleted"
    assert db.images == {} and generators[Provider.LOCAL].specs == []


def test_an_unavailable_provider_falls_back_to_the_local_generator(
    job_deps: JobDeps, picture: Image, db: FakeDatabase, generators: Generators
) -> None:
    generators[Provider.OPENAI].fail_with = ProviderUnavailable(
        "OpenAI quota reached.", code="openai_unavailable"
    )
    job = ask(job_deps, picture, provider=Provider.OPENAI)

    run_generation_job(job_deps, job.id)

    done = db.jobs[job.id]
    assert done.status is JobStatus.SUCCEEDED
    assert (done.requested_provider, done.provider) == (Provider.OPENAI, Provider.LOCAL)
    assert done.fallback_reason == "OpenAI quota reached."


def test_a_refused_request_fails_at_once_with_the_providers_code(
    job_deps: JobDeps,
    picture: Image,
    db: FakeDatabase,
    generators: Generators,
    notifier: FakeNotifier,
) -> None:
    generators[Provider.OPENAI].fail_with = GenerationRefused(
        "The safety system refused it.", code="content_refused"
    )
    job = ask(job_deps, picture, provider=Provider.OPENAI)

    run_generation_job(job_deps, job.id)

    failed = db.jobs[job.id]
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None and failed.error.code == "content_refused"
    assert generators[Provider.LOCAL].specs == []
    assert notifier.events[-1].data["error"] == {
        "code": "content_refused",
        "message": "The safety system refused it.",
    }


def test_a_cancel_during_the_run_stops_it_and_keeps_what_was_made(
    job_deps: JobDeps,
    picture: Image,
    db: FakeDatabase,
    generators: Generators,
    notifier: FakeNotifier,
) -> None:
    job = ask(job_deps, picture, n=4)
    generators[Provider.LOCAL].on_each = lambda index: (
        jobs.cancel_job(job_deps, ADA, job.id) if index == 2 else None
    )

    run_generation_job(job_deps, job.id)

    ended = db.jobs[job.id]
    assert ended.status is JobStatus.CANCELED
    assert ended.completed == 2 == len(variations(db, job.id))
    assert "generation.succeeded" not in notifier.names(job.id)


def test_a_storage_failure_fails_the_job_and_leaves_no_object(
    job_deps: JobDeps, picture: Image, db: FakeDatabase, store: FakeImageStore
) -> None:
    job = ask(job_deps, picture)
    before = dict(store.objects)
    store.fail_puts_after = 0

    run_generation_job(job_deps, job.id)

    failed = db.jobs[job.id]
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None and failed.error.code == "internal_error"
    assert store.objects == before


def test_a_job_that_already_ended_is_not_run_again(
    job_deps: JobDeps, picture: Image, notifier: FakeNotifier, generators: Generators
) -> None:
    job = ask(job_deps, picture)
    jobs.cancel_job(job_deps, ADA, job.id)

    run_generation_job(job_deps, job.id)

    assert generators[Provider.LOCAL].specs == []
    assert notifier.names(job.id)[-1] == "generation.canceled"


def test_a_store_that_loses_to_another_run_of_the_job_keeps_its_objects(
    image_deps: ImageDeps, db: FakeDatabase, store: FakeImageStore
) -> None:
    kept = images.store_image(
        image_deps,
        PreparedImage(b"PNG:8x8;first", "image/png", 8, 8),
        image_id="v" * 32,
        owner_id="ada",
        kind=ImageKind.VARIATION,
        filename="v.png",
    )
    db.fail_next_commit = True

    with pytest.raises(RuntimeError):
        images.store_image(
            image_deps,
            PreparedImage(b"PNG:8x8;second", "image/png", 8, 8),
            image_id=kept.id,
            owner_id="ada",
            kind=ImageKind.VARIATION,
            filename="v.png",
        )

    assert set(kept.stored_keys) <= set(store.objects)
