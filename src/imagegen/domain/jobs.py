"""Generation jobs: a request for variations of one image, and its life.

A job moves queued -> running -> succeeded | failed | canceled; a queued job
may be canceled before it runs; a failed or canceled one may be queued again.
Every change that a client should hear about takes the next event number, so
clients can order and de-duplicate what they receive.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from imagegen.domain.errors import Conflict

SIZES = ("256x256", "512x512", "1024x1024", "1536x1024", "1024x1536")
MAX_VARIATIONS = 10


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in FINAL


ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})
FINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED})

# Which status may follow which; everything else is refused.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.CANCELED}),
    JobStatus.RUNNING: FINAL | {JobStatus.QUEUED},
    JobStatus.SUCCEEDED: frozenset(),
    JobStatus.FAILED: frozenset({JobStatus.QUEUED}),
    JobStatus.CANCELED: frozenset({JobStatus.QUEUED}),
}


class Provider(enum.StrEnum):
    OPENAI = "openai"
    LOCAL = "local"


class InvalidTransition(Conflict):
    code = "invalid_job_transition"
    title = "Job cannot do that now"


@dataclass(frozen=True)
class JobError:
    """Why a job failed, or why it was canceled on its own."""

    code: str
    message: str


def size_of(size: str) -> tuple[int, int]:
    """Return (width, height) of a size such as "1536x1024"."""
    width, height = size.split("x")
    return int(width), int(height)


@dataclass
class GenerationJob:
    id: str
    owner_id: str
    image_id: str
    n: int
    size: str
    requested_provider: Provider
    created_at: datetime
    prompt: str | None = None
    idempotency_key: str | None = None
    status: JobStatus = JobStatus.QUEUED
    provider: Provider | None = None
    fallback_reason: str | None = None
    error: JobError | None = None
    variation_ids: list[str] = field(default_factory=list)
    # Times the job entered the queue; names each run, so a run that lost its
    # lease can tell it is no longer the job's.
    attempts: int = 1
    # Runs since the last request or retry whose worker stopped answering.
    lost_runs: int = 0
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    event_seq: int = 0
    version: int = 0

    def __post_init__(self) -> None:
        if self.provider is None:
            self.provider = self.requested_provider
        if self.queued_at is None:
            self.queued_at = self.created_at

    @property
    def completed(self) -> int:
        return len(self.variation_ids)

    @property
    def task_id(self) -> str:
        """Name this run in the task queue: one name per entry into the queue."""
        return f"generation-{self.id}-{self.attempts}"

    def variation_id(self, index: int) -> str:
        """Return the id the index-th variation always gets, whichever run makes it."""
        digest = hashlib.sha256(f"{self.id}:variation:{index}".encode())
        return digest.hexdigest()[:32]

    def missing_indices(self) -> list[int]:
        """Return the indexes of the variations no run has stored yet."""
        done = set(self.variation_ids)
        return [i for i in range(self.n) if self.variation_id(i) not in done]

    def next_seq(self) -> int:
        """Take the number of the next event about this job."""
        self.event_seq += 1
        return self.event_seq

    def owned_by_run(self, attempt: int) -> bool:
        """Tell whether the run that claimed attempt still holds the job."""
        return self.status is JobStatus.RUNNING and self.attempts == attempt

    def is_stale(self, now: datetime, lease: timedelta) -> bool:
        """Tell whether a running job's worker has been silent for longer than lease."""
        beat = self.heartbeat_at or self.started_at
        return self.status is JobStatus.RUNNING and (beat is None or now - beat > lease)

    def start(self, now: datetime) -> int:
        """Claim a queued job for one run; return the attempt that run holds."""
        self._move(JobStatus.RUNNING)
        self.started_at = now
        self.heartbeat_at = now
        self.finished_at = None
        return self.attempts

    def record_variation(self, image_id: str, now: datetime) -> None:
        """Count one stored variation; a cancel racing the run still keeps it."""
        if self.status not in (JobStatus.RUNNING, JobStatus.CANCELED):
            raise InvalidTransition(f"A {self.status} job takes no new variations.")
        if image_id not in self.variation_ids:
            self.variation_ids.append(image_id)
        self.heartbeat_at = now

    def fall_back(self, provider: Provider, reason: str) -> None:
        """Let provider stand in for the one asked for, saying why."""
        self.provider = provider
        self.fallback_reason = reason

    def succeed(self, now: datetime) -> None:
        self._move(JobStatus.SUCCEEDED)
        self.finished_at = now

    def fail(self, error: JobError, now: datetime) -> None:
        self._move(JobStatus.FAILED)
        self.error = error
        self.finished_at = now

    def cancel(self, now: datetime, reason: JobError | None = None) -> None:
        self._move(JobStatus.CANCELED, code="job_not_cancelable")
        self.error = reason
        self.finished_at = now

    def retry(self, now: datetime) -> None:
        """Queue a failed or canceled job again, with a fresh run budget."""
        if self.status not in (JobStatus.FAILED, JobStatus.CANCELED):
            raise InvalidTransition(
                f"Only a failed or canceled job can be retried; this is {self.status}.",
                code="job_not_retryable",
            )
        self._requeue(now)
        self.lost_runs = 0
        self.provider = self.requested_provider
        self.fallback_reason = None

    def recover(self, now: datetime) -> None:
        """Queue a running job again after its worker stopped answering."""
        if self.status is not JobStatus.RUNNING:
            raise InvalidTransition(f"A {self.status} job has no run to recover.")
        self.lost_runs += 1
        self._requeue(now)

    def _requeue(self, now: datetime) -> None:
        self._move(JobStatus.QUEUED)
        self.attempts += 1
        self.error = None
        self.queued_at = now
        self.started_at = self.finished_at = self.heartbeat_at = None

    def _move(self, target: JobStatus, code: str | None = None) -> None:
        if target not in TRANSITIONS[self.status]:
            raise InvalidTransition(
                f"A {self.status} job cannot become {target}.", code=code
            )
        self.status = target


@dataclass(frozen=True)
class QuotaPolicy:
    """How many variations a user may ask for a day, and jobs at once."""

    daily_variations: int
    max_active_jobs: int

    def day_start(self, now: datetime) -> datetime:
        """Return the start of now's quota day (midnight UTC)."""
        return now.replace(hour=0, minute=0, second=0, microsecond=0)

    def seconds_to_reset(self, now: datetime) -> int:
        reset = self.day_start(now) + timedelta(days=1)
        return max(1, int((reset - now).total_seconds()))
