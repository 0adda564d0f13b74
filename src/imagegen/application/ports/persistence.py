"""Persistence: repositories of the aggregates and the unit of work over them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from imagegen.application.pagination import PageRequest
from imagegen.domain.images import Image, ImageKind
from imagegen.domain.jobs import GenerationJob, JobStatus
from imagegen.domain.users import AuthSession, User


@dataclass(frozen=True)
class ImageFilter:
    """Which images a listing covers; owner_id None means everyone's."""

    owner_id: str | None = None
    kind: ImageKind | None = None
    source_image_id: str | None = None


@dataclass(frozen=True)
class JobFilter:
    """Which jobs a listing covers; owner_id None means everyone's."""

    owner_id: str | None = None
    status: JobStatus | None = None


@dataclass(frozen=True)
class JobUsage:
    """What counts against quota: variations asked for since a time, live jobs."""

    variations: int = 0
    active_jobs: int = 0


@dataclass(frozen=True)
class Usage:
    """What one user has stored."""

    images: int = 0
    uploads: int = 0
    variations: int = 0
    bytes_stored: int = 0


class UserRepository(Protocol):
    def add(self, user: User) -> None: ...

    def get(self, user_id: str) -> User | None: ...

    def get_by_email(self, email: str) -> User | None: ...

    def save(self, user: User) -> None: ...

    def lock(self, user_id: str) -> None:
        """Hold user_id's row until this transaction ends.

        Work counted per user (quotas) takes the lock first, so that two
        transactions for one user count one after the other.
        """
        ...

    def list(self, page: PageRequest) -> list[User]: ...

    def count(self) -> int: ...


class SessionRepository(Protocol):
    def add(self, session: AuthSession) -> None: ...

    def get(self, session_id: str) -> AuthSession | None: ...

    def save(self, session: AuthSession) -> None: ...

    def revoke_all(
        self, user_id: str, now: datetime, *, keep: str | None = None
    ) -> None: ...


class ImageRepository(Protocol):
    def add(self, image: Image) -> None: ...

    def get(self, image_id: str) -> Image | None: ...

    def delete(self, image_id: str) -> None: ...

    def list(self, where: ImageFilter, page: PageRequest) -> list[Image]: ...

    def usage(self, owner_ids: Sequence[str]) -> dict[str, Usage]: ...

    def count(self) -> int: ...

    def existing_ids(self, image_ids: Collection[str]) -> set[str]:
        """Return which of image_ids have a row."""
        ...


class JobRepository(Protocol):
    def add(self, job: GenerationJob) -> None:
        """Insert job; raise Conflict when its idempotency key is taken."""
        ...

    def get(self, job_id: str) -> GenerationJob | None: ...

    def get_by_idempotency_key(
        self, owner_id: str, key: str
    ) -> GenerationJob | None: ...

    def save(self, job: GenerationJob) -> None:
        """Write job back unless it changed since read; else raise ConcurrentUpdate."""
        ...

    def delete(self, job_id: str) -> None: ...

    def touch(self, job_id: str, attempt: int, now: datetime) -> bool:
        """Record a heartbeat of run attempt; False once that run lost the job."""
        ...

    def stale(self, silent_since: datetime, limit: int) -> list[GenerationJob]:
        """Return running jobs with no heartbeat since silent_since."""
        ...

    def waiting(self, queued_before: datetime, limit: int) -> list[GenerationJob]:
        """Return jobs queued before queued_before and not started since."""
        ...

    def usage(self, owner_id: str | None, since: datetime) -> JobUsage:
        """Count variations asked for since (failed and canceled jobs aside)."""
        ...

    def count_by_status(self) -> dict[JobStatus, int]: ...

    def list(self, where: JobFilter, page: PageRequest) -> list[GenerationJob]: ...


class UnitOfWork(Protocol):
    """One transaction over every repository; rolled back unless committed."""

    users: UserRepository
    sessions: SessionRepository
    images: ImageRepository
    jobs: JobRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
