"""Running a variation job: what a worker does with it, start to end state."""

from __future__ import annotations

import logging
from dataclasses import replace

from imagegen.application.images import store_image
from imagegen.application.job_lease import Lease, LostJob
from imagegen.application.job_support import (
    CANCELED,
    FAILED,
    PROGRESS,
    STARTED,
    SUCCEEDED,
    VARIATION,
    JobDeps,
    Told,
    change_job,
    image_summary,
)
from imagegen.application.ports import ImageGenerator, Variation, VariationSpec
from imagegen.domain.errors import (
    GenerationError,
    NotFound,
    ProviderUnavailable,
)
from imagegen.domain.images import Image, ImageKind
from imagegen.domain.jobs import (
    GenerationJob,
    InvalidTransition,
    JobError,
    JobStatus,
    Provider,
    size_of,
)

log = logging.getLogger(__name__)

SOURCE_DELETED = JobError(
    "source_deleted", "The source image was deleted before the job could use it."
)
INTERNAL = JobError(
    "internal_error", "Something went wrong on our side; retry the job."
)


class SourceGone(Exception):
    """The source image disappeared while the job ran."""


def run_generation_job(deps: JobDeps, job_id: str) -> None:
    """Make the variations a queued job still lacks, telling its owner each step."""
    claimed = _claim(deps, job_id)
    if claimed is None:
        return
    job, source, data = claimed
    attempt = job.attempts
    with Lease(deps, job.id, attempt) as lease:
        try:
            Run(deps, job, source, lease).make(data)
        except LostJob:
            log.info("job %s: run %d gave the job up", job.id, attempt)
            return
        except SourceGone:
            _end(deps, job.id, attempt, SOURCE_DELETED, canceled=True)
            return
        except GenerationError as exc:
            log.warning("job %s: failed (%s)", job.id, exc.code)
            _end(deps, job.id, attempt, JobError(exc.code, exc.detail))
            return
        except Exception:
            log.error("job %s: run %d broke", job.id, attempt, exc_info=True)
            _end(deps, job.id, attempt, INTERNAL)
            return
        _succeed(deps, job.id, attempt)


def _claim(deps: JobDeps, job_id: str) -> tuple[GenerationJob, Image, bytes] | None:
    """Take a queued job for this run, with its source picture; else None."""
    with deps.uow() as uow:
        job = uow.jobs.get(job_id)
        source = uow.images.get(job.image_id) if job else None
    if job is None or job.status is not JobStatus.QUEUED:
        state = job.status if job else "gone"
        log.info("job %s: %s, nothing to run", job_id, state)
        return None
    data = _source_bytes(deps, source)
    if source is None or data is None:
        _cancel_queued(deps, job_id)
        return None
    now = deps.clock.now()

    def start(fresh: GenerationJob) -> Told:
        fresh.start(now)
        return [(STARTED, {})]

    try:
        job = change_job(deps, job_id, start)
    except InvalidTransition:
        log.info("job %s: claimed by another run", job_id)
        return None
    log.info("job %s: run %d started on %s", job.id, job.attempts, job.provider)
    return job, source, data


def _source_bytes(deps: JobDeps, source: Image | None) -> bytes | None:
    if source is None:
        return None
    try:
        return deps.images.store.get(source.storage_key)
    except NotFound:
        return None


def _cancel_queued(deps: JobDeps, job_id: str) -> None:
    now = deps.clock.now()

    def cancel(job: GenerationJob) -> Told:
        if job.status is not JobStatus.QUEUED:
            return []
        job.cancel(now, SOURCE_DELETED)
        return [(CANCELED, {})]

    change_job(deps, job_id, cancel)
    log.info("job %s: source image gone; canceled without writing", job_id)


class Run:
    """One run of one job: generate, store each variation, count it."""

    def __init__(
        self, deps: JobDeps, job: GenerationJob, source: Image, lease: Lease
    ) -> None:
        self.deps = deps
        self.job = job
        self.source = source
        self.lease = lease
        self.attempt = job.attempts

    def make(self, data: bytes) -> None:
        width, height = size_of(self.job.size)
        spec = VariationSpec(
            source=data,
            width=width,
            height=height,
            indices=tuple(self.job.missing_indices()),
            seed=self.job.id,
            prompt=self.job.prompt,
        )
        provider = self.job.provider or self.job.requested_provider
        try:
            self._make_with(self.deps.generators[provider], spec)
        except ProviderUnavailable as exc:
            if provider is Provider.LOCAL:
                raise
            self._fall_back(exc)
            spec = replace(spec, indices=tuple(self.job.missing_indices()))
            self._make_with(self.deps.generators[Provider.LOCAL], spec)
        if self.job.missing_indices():
            raise GenerationError(
                f"The provider made {self.job.completed} of {self.job.n} images.",
                code="generation_incomplete",
            )

    def _make_with(self, generator: ImageGenerator, spec: VariationSpec) -> None:
        if not spec.indices:
            return
        for variation in generator.generate(spec):
            self._keep(variation)

    def _fall_back(self, exc: ProviderUnavailable) -> None:
        reason = exc.detail

        def fall_back(job: GenerationJob) -> Told:
            self._check_owned(job)
            job.fall_back(Provider.LOCAL, reason)
            return [(PROGRESS, {})]

        self.job = change_job(self.deps, self.job.id, fall_back)
        log.warning(
            "job %s: falling back to local generator (%s)", self.job.id, exc.code
        )

    def _keep(self, variation: Variation) -> None:
        """Store one variation unless an earlier run did, then count it."""
        self.lease.check()
        image_id = self.job.variation_id(variation.index)
        with self.deps.uow() as uow:
            image = uow.images.get(image_id)
            fresh = uow.jobs.get(self.job.id)
        if fresh is None or not fresh.owned_by_run(self.attempt):
            raise LostJob()
        # Not yet: a run that loses its job right here (a cancel and retry,
        # or a stall past its lease) can still put its bytes under the keys
        # of the run that took over; store_image then keeps them, so nothing
        # is lost, but OpenAI's bytes may differ from the row's sha256.
        # See README "Limits".
        if image is None:
            image = self._store(variation, image_id)
        self._count(image)

    def _store(self, variation: Variation, image_id: str) -> Image:
        job = self.job
        try:
            return store_image(
                self.deps.images,
                variation.image,
                image_id=image_id,
                owner_id=job.owner_id,
                kind=ImageKind.VARIATION,
                filename=f"variation-{variation.index + 1}-of-{job.n}.png",
                source_image_id=self.source.id,
                job_id=job.id,
            )
        except Exception:
            if self._source_gone():
                raise SourceGone() from None
            raise

    def _source_gone(self) -> bool:
        with self.deps.uow() as uow:
            return uow.images.get(self.source.id) is None

    def _count(self, image: Image) -> None:
        now = self.deps.clock.now()
        summary = image_summary(image)

        def count(job: GenerationJob) -> Told:
            try:
                job.record_variation(image.id, now)
            except InvalidTransition:
                raise LostJob() from None
            if not job.owned_by_run(self.attempt):
                return []
            return [(VARIATION, {"image": summary}), (PROGRESS, {})]

        self.job = change_job(self.deps, self.job.id, count)
        self._check_owned(self.job)
        log.info(
            "job %s: %d of %d variations stored",
            self.job.id,
            self.job.completed,
            self.job.n,
        )

    def _check_owned(self, job: GenerationJob) -> None:
        if not job.owned_by_run(self.attempt):
            raise LostJob()


def _succeed(deps: JobDeps, job_id: str, attempt: int) -> None:
    now = deps.clock.now()

    def succeed(job: GenerationJob) -> Told:
        if not job.owned_by_run(attempt):
            return []
        job.succeed(now)
        return [(SUCCEEDED, {})]

    job = change_job(deps, job_id, succeed)
    if job.status is JobStatus.SUCCEEDED:
        log.info("job %s: succeeded with %d images", job.id, job.completed)


def _end(
    deps: JobDeps, job_id: str, attempt: int, error: JobError, canceled: bool = False
) -> None:
    """Fail (or cancel) the job, unless this run lost it meanwhile."""
    now = deps.clock.now()

    def end(job: GenerationJob) -> Told:
        if not job.owned_by_run(attempt):
            return []
        if canceled:
            job.cancel(now, error)
            return [(CANCELED, {})]
        job.fail(error, now)
        return [(FAILED, {})]

    change_job(deps, job_id, end)
