"""What every job use-case shares: its ports, safe updates and the events told."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from imagegen.application.images import ImageDeps
from imagegen.application.ports import (
    Clock,
    Event,
    IdSource,
    ImageGenerator,
    Notifier,
    TaskQueue,
    UnitOfWork,
    UnitOfWorkFactory,
)
from imagegen.domain.errors import ConcurrentUpdate, NotFound
from imagegen.domain.images import Image
from imagegen.domain.jobs import GenerationJob, Provider, QuotaPolicy
from imagegen.domain.users import User

log = logging.getLogger(__name__)

RUN_TASK = "run_generation"
QUEUED = "generation.queued"
STARTED = "generation.started"
PROGRESS = "generation.progress"
VARIATION = "generation.variation"
SUCCEEDED = "generation.succeeded"
FAILED = "generation.failed"
CANCELED = "generation.canceled"

# A job read and written back while someone else changed it is read again;
# past this many tries the caller hears about it.
SAVE_TRIES = 5

# (event name, extra data) pairs a change asks to be told, in order.
Told = list[tuple[str, dict[str, object]]]
Change = Callable[[GenerationJob], Told]


@dataclass(frozen=True)
class JobDeps:
    """The ports and rules the job use-cases share."""

    uow: UnitOfWorkFactory
    queue: TaskQueue
    notifier: Notifier
    clock: Clock
    ids: IdSource
    images: ImageDeps
    generators: Mapping[Provider, ImageGenerator]
    default_provider: Provider
    quota: QuotaPolicy
    # How long a running job may go without a heartbeat before the reaper
    # takes it back; the heartbeat and the reaper run six times as often.
    stale_after: timedelta
    max_attempts: int
    # REQUIRE_VERIFIED_EMAIL: only users with a verified address may generate.
    require_verified_email: bool = False

    @property
    def lease(self) -> timedelta:
        """How long a silent run keeps its job: well inside stale_after."""
        return self.stale_after * 2 / 3

    @property
    def heartbeat_every(self) -> float:
        return self.stale_after.total_seconds() / 6


def find_job(deps: JobDeps, user: User, job_id: str) -> GenerationJob:
    """Return one job user may reach; another's answers as missing."""
    with deps.uow() as uow:
        job = uow.jobs.get(job_id)
    if job is None or not user.can_reach(job.owner_id):
        raise NotFound("No such job.", code="job_not_found")
    return job


def change_job(
    deps: JobDeps,
    job_id: str,
    change: Change,
    *,
    first: Callable[[UnitOfWork], None] | None = None,
) -> GenerationJob:
    """Apply change to the job as stored now, commit, then tell its owner.

    A change that meets a concurrent write is applied again to the fresh
    copy, so a cancel racing a worker is never lost; errors raised by change
    (an illegal transition, say) leave the job untouched. `first` runs in
    the same transaction before the change, to check what must hold for it.
    """
    for _ in range(SAVE_TRIES):
        with deps.uow() as uow:
            if first is not None:
                first(uow)
            job = uow.jobs.get(job_id)
            if job is None:
                raise NotFound("No such job.", code="job_not_found")
            events = [job_event(job, name, extra) for name, extra in change(job)]
            try:
                uow.jobs.save(job)
            except ConcurrentUpdate:
                log.info("job %s: changed meanwhile; reading it again", job_id)
                continue
            uow.commit()
        publish(deps.notifier, events)
        return job
    raise ConcurrentUpdate("The job kept changing; try again.", code="job_busy")


def publish(notifier: Notifier, events: list[Event]) -> None:
    for event in events:
        notifier.publish(event)


def job_event(
    job: GenerationJob, name: str, extra: Mapping[str, object] | None = None
) -> Event:
    """Describe the job's state under the next event number of the job."""
    data: dict[str, object] = {
        "job_id": job.id,
        "image_id": job.image_id,
        "status": job.status.value,
        "progress": {"completed": job.completed, "total": job.n},
        "seq": job.next_seq(),
        "provider": job.provider.value if job.provider else None,
    }
    if job.fallback_reason:
        data["fallback_reason"] = job.fallback_reason
    if job.error is not None:
        data["error"] = {"code": job.error.code, "message": job.error.message}
    return Event(name=name, user_id=job.owner_id, data=data | dict(extra or {}))


def image_summary(image: Image) -> dict[str, object]:
    """Return an image's public fields and API paths: nothing signed or secret."""
    base = f"/api/images/{image.id}"
    return {
        "id": image.id,
        "kind": image.kind.value,
        "source_image_id": image.source_image_id,
        "job_id": image.job_id,
        "filename": image.filename,
        "content_type": image.content_type,
        "width": image.width,
        "height": image.height,
        "size_bytes": image.size_bytes,
        "created_at": image.created_at.isoformat(),
        "links": {
            "self": base,
            "content": f"{base}/content",
            "thumbnail": f"{base}/thumbnail",
            "download": f"{base}/download",
        },
    }
