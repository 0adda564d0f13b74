"""Variation jobs as their owners see them: ask, list, read, cancel, retry."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from imagegen.application.images import get_image
from imagegen.application.job_support import (
    CANCELED,
    QUEUED,
    RUN_TASK,
    JobDeps,
    Told,
    change_job,
    find_job,
    job_event,
    publish,
)
from imagegen.application.pagination import Page, PageKey, PageRequest, make_page
from imagegen.application.ports import Event, JobFilter, UnitOfWork
from imagegen.domain.errors import (
    Conflict,
    ServiceUnavailable,
    Throttled,
    ValidationFailed,
)
from imagegen.domain.jobs import (
    MAX_VARIATIONS,
    SIZES,
    GenerationJob,
    JobError,
    Provider,
)
from imagegen.domain.users import User, check_may_generate

log = logging.getLogger(__name__)

MAX_PROMPT = 1000
MAX_IDEMPOTENCY_KEY = 255
# A guess at how soon one of a user's running jobs ends, for Retry-After.
ACTIVE_JOB_RETRY_AFTER = 30


@dataclass(frozen=True)
class VariationRequest:
    """What a user asks for: n variations at size, from a provider, with a hint."""

    n: int
    size: str
    provider: Provider | None = None
    prompt: str | None = None

    def check(self) -> None:
        """Raise ValidationFailed naming each field out of bounds."""
        errors: dict[str, list[str]] = {}
        if not 1 <= self.n <= MAX_VARIATIONS:
            errors["n"] = [f"Must be 1 to {MAX_VARIATIONS}."]
        if self.size not in SIZES:
            errors["size"] = [f"Must be one of {', '.join(SIZES)}."]
        if self.prompt is not None and len(self.prompt) > MAX_PROMPT:
            errors["prompt"] = [f"Must be at most {MAX_PROMPT} characters."]
        if errors:
            raise ValidationFailed("Some fields are invalid.", errors=errors)


def request_variations(
    deps: JobDeps,
    user: User,
    image_id: str,
    ask: VariationRequest,
    idempotency_key: str | None = None,
) -> GenerationJob:
    """Record a job for variations of one of user's images, then queue it.

    A repeat with the same idempotency key returns the first job. When the
    queue cannot be reached the job is removed again and ServiceUnavailable
    raised, so no job is left that nothing will run.
    """
    check_may_generate(user, require_verified_email=deps.require_verified_email)
    ask.check()
    _check_key(idempotency_key)
    source = get_image(deps.images, user, image_id)
    if idempotency_key is not None:
        earlier = _earlier(deps, source.owner_id, idempotency_key)
        if earlier is not None:
            return _same_request(earlier, source.id, ask)
    job = GenerationJob(
        id=deps.ids.new_id(),
        owner_id=source.owner_id,
        image_id=source.id,
        n=ask.n,
        size=ask.size,
        requested_provider=ask.provider or deps.default_provider,
        created_at=deps.clock.now(),
        prompt=ask.prompt or None,
        idempotency_key=idempotency_key,
    )
    try:
        queued = _record(deps, job)
    except Conflict:
        # Another request with the same key won the race: answer with its job.
        assert idempotency_key is not None
        return _same_request(
            _earlier(deps, source.owner_id, idempotency_key), source.id, ask
        )
    _dispatch_new(deps, job)
    publish(deps.notifier, [queued])
    log.info("job %s: %d x %s queued for user %s", job.id, job.n, job.size, user.id)
    return job


def get_job(deps: JobDeps, user: User, job_id: str) -> GenerationJob:
    """Return one of user's jobs (any job for an admin)."""
    return find_job(deps, user, job_id)


def list_jobs(
    deps: JobDeps, user: User, where: JobFilter, page: PageRequest
) -> Page[GenerationJob]:
    """List user's jobs newest first, or anyone's for an admin asking so."""
    if not user.is_admin:
        where = JobFilter(owner_id=user.id, status=where.status)
    with deps.uow() as uow:
        rows = uow.jobs.list(where, page)
    return make_page(rows, page, job_page_key)


def cancel_job(deps: JobDeps, user: User, job_id: str) -> GenerationJob:
    """Stop a queued or running job; what it already made is kept."""
    find_job(deps, user, job_id)
    now = deps.clock.now()

    def cancel(job: GenerationJob) -> Told:
        job.cancel(now)
        return [(CANCELED, {})]

    job = change_job(deps, job_id, cancel)
    log.info("job %s: canceled by user %s", job.id, user.id)
    return job


def retry_job(deps: JobDeps, user: User, job_id: str) -> GenerationJob:
    """Queue a failed or canceled job again; it makes only what is missing."""
    check_may_generate(user, require_verified_email=deps.require_verified_email)
    found = find_job(deps, user, job_id)
    now = deps.clock.now()

    def within_quota(uow: UnitOfWork) -> None:
        _within_quota(deps, uow, found.owner_id, found.n - found.completed)

    def retry(job: GenerationJob) -> Told:
        job.retry(now)
        return [(QUEUED, {})]

    job = change_job(deps, job_id, retry, first=within_quota)
    try:
        deps.queue.enqueue(RUN_TASK, job.id, task_id=job.task_id)
    except ServiceUnavailable:
        _undo_retry(deps, job.id)
        raise
    log.info("job %s: retried by user %s (attempt %d)", job.id, user.id, job.attempts)
    return job


def job_page_key(job: GenerationJob) -> PageKey:
    return PageKey(job.created_at, job.id)


def _record(deps: JobDeps, job: GenerationJob) -> Event:
    """Commit job within its owner's quota; return its queued event to tell."""
    with deps.uow() as uow:
        _within_quota(deps, uow, job.owner_id, job.n)
        event = job_event(job, QUEUED)
        uow.jobs.add(job)
        uow.commit()
    return event


def _dispatch_new(deps: JobDeps, job: GenerationJob) -> None:
    try:
        deps.queue.enqueue(RUN_TASK, job.id, task_id=job.task_id)
    except ServiceUnavailable:
        with deps.uow() as uow:
            uow.jobs.delete(job.id)
            uow.commit()
        log.warning("job %s: queue unreachable; job removed", job.id)
        raise


def _undo_retry(deps: JobDeps, job_id: str) -> None:
    now = deps.clock.now()
    reason = JobError("queue_unavailable", "The job queue could not be reached.")

    def undo(job: GenerationJob) -> Told:
        job.cancel(now, reason)
        return [(CANCELED, {})]

    change_job(deps, job_id, undo)
    log.warning("job %s: queue unreachable; retry undone", job_id)


def _within_quota(deps: JobDeps, uow: UnitOfWork, owner_id: str, n: int) -> None:
    """Refuse a job past its owner's daily variations or active-job cap.

    The owner's row is locked first, so that requests racing for the last of
    a quota count one after the other within their transactions.
    """
    uow.users.lock(owner_id)
    now = deps.clock.now()
    quota = deps.quota
    usage = uow.jobs.usage(owner_id, quota.day_start(now))
    if usage.active_jobs >= quota.max_active_jobs:
        raise Throttled(
            f"At most {quota.max_active_jobs} jobs may be queued or running at once.",
            code="too_many_active_jobs",
            retry_after=ACTIVE_JOB_RETRY_AFTER,
        )
    if usage.variations + n > quota.daily_variations:
        left = max(0, quota.daily_variations - usage.variations)
        raise Throttled(
            f"Daily quota of {quota.daily_variations} variations reached"
            f" ({left} left today).",
            code="variation_quota_exceeded",
            retry_after=quota.seconds_to_reset(now),
        )


def _check_key(key: str | None) -> None:
    if key is None:
        return
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise ValidationFailed(
            "The Idempotency-Key header is invalid.",
            errors={
                "Idempotency-Key": [
                    f"Must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters."
                ]
            },
        )


def _earlier(deps: JobDeps, owner_id: str, key: str) -> GenerationJob | None:
    with deps.uow() as uow:
        return uow.jobs.get_by_idempotency_key(owner_id, key)


def _same_request(
    job: GenerationJob | None, image_id: str, ask: VariationRequest
) -> GenerationJob:
    """Return the earlier job if it asked for the same thing; else refuse."""
    if job is None:
        raise Conflict("The request collided with another; try again.")
    same = (job.image_id, job.n, job.size, job.prompt) == (
        image_id,
        ask.n,
        ask.size,
        ask.prompt or None,
    )
    if not same or ask.provider not in (None, job.requested_provider):
        raise Conflict(
            "This Idempotency-Key was already used for a different request.",
            code="idempotency_key_reused",
        )
    return job
