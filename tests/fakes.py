"""In-memory fakes of the ports; each records what happened to it."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Collection, Iterator
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from imagegen.application.pagination import PageKey, PageRequest
from imagegen.application.ports import (
    Event,
    ImageFilter,
    JobFilter,
    JobUsage,
    MailMessage,
    MailNotSent,
    PreparedImage,
    StoredObject,
    StreamedEvent,
    Usage,
    Variation,
    VariationSpec,
)
from imagegen.domain.errors import (
    ConcurrentUpdate,
    Conflict,
    DomainError,
    InvalidImage,
    NotFound,
    ServiceUnavailable,
)
from imagegen.domain.images import Image, ImageKind
from imagegen.domain.jobs import ACTIVE, GenerationJob, JobStatus
from imagegen.domain.users import AuthSession, User


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class FakeIdSource:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new_id(self) -> str:
        return f"{next(self._counter):032x}"


class FakePasswordHasher:
    def hash(self, password: str) -> str:
        return "hashed:" + password

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == "hashed:" + password


class FakeThrottle:
    """Allows `limit` events per key; records every key it counted."""

    def __init__(self, limit: int = 3, wait: int = 900) -> None:
        self.limit = limit
        self.wait = wait
        self.recorded: list[str] = []

    def retry_after(self, key: str) -> int | None:
        return self.wait if self.recorded.count(key) >= self.limit else None

    def record(self, key: str) -> None:
        self.recorded.append(key)

    def reset(self, key: str) -> None:
        self.recorded = [counted for counted in self.recorded if counted != key]


class FakeTaskQueue:
    """Records what was enqueued; `unreachable` makes enqueue fail as a down queue."""

    def __init__(self) -> None:
        self.enqueued: list[tuple[str, tuple[str, ...]]] = []
        self.task_ids: list[str | None] = []
        self.unreachable = False

    def enqueue(self, task: str, *args: str, task_id: str | None = None) -> None:
        if self.unreachable:
            raise ServiceUnavailable("The task queue is unreachable.")
        self.enqueued.append((task, args))
        self.task_ids.append(task_id)

    def payloads(self, task: str) -> list[str]:
        """Return the first argument of each enqueued task of that name."""
        return [args[0] for name, args in self.enqueued if name == task]


class FakeMailer:
    """Records sent messages; raises the queued `failures` first, one per send."""

    def __init__(self, *failures: MailNotSent) -> None:
        self.failures = list(failures)
        self.attempts = 0
        self.sent: list[MailMessage] = []

    def send(self, message: MailMessage) -> None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


def _newest_first(rows: list[Any], key: Any, page: PageRequest) -> list[Any]:
    ordered = sorted(
        rows, key=lambda row: (key(row).created_at, key(row).id), reverse=True
    )
    if page.after is not None:
        after = (page.after.created_at, page.after.id)
        ordered = [r for r in ordered if (key(r).created_at, key(r).id) < after]
    return ordered[: page.fetch]


class FakeUserRepository:
    def __init__(self, rows: dict[str, User]) -> None:
        self.rows = rows

    def add(self, user: User) -> None:
        self.rows[user.id] = user

    def get(self, user_id: str) -> User | None:
        return self.rows.get(user_id)

    def get_by_email(self, email: str) -> User | None:
        return next((u for u in self.rows.values() if u.email == email), None)

    def lock(self, user_id: str) -> None:
        """Nothing to hold: a fake unit of work runs alone."""

    def save(self, user: User) -> None:
        self.rows[user.id] = user

    def list(self, page: PageRequest) -> list[User]:
        return _newest_first(
            list(self.rows.values()), lambda u: PageKey(u.created_at, u.id), page
        )

    def count(self) -> int:
        return len(self.rows)


class FakeSessionRepository:
    def __init__(self, rows: dict[str, AuthSession]) -> None:
        self.rows = rows

    def add(self, session: AuthSession) -> None:
        self.rows[session.id] = session

    def get(self, session_id: str) -> AuthSession | None:
        return self.rows.get(session_id)

    def save(self, session: AuthSession) -> None:
        self.rows[session.id] = session

    def revoke_all(
        self, user_id: str, now: datetime, *, keep: str | None = None
    ) -> None:
        for session in self.rows.values():
            if session.user_id == user_id and session.id != keep:
                session.revoke(now)


class FakeImageRepository:
    def __init__(self, rows: dict[str, Image]) -> None:
        self.rows = rows

    def add(self, image: Image) -> None:
        self.rows[image.id] = image

    def get(self, image_id: str) -> Image | None:
        return self.rows.get(image_id)

    def delete(self, image_id: str) -> None:
        self.rows.pop(image_id, None)

    def list(self, where: ImageFilter, page: PageRequest) -> list[Image]:
        rows = [
            image
            for image in self.rows.values()
            if where.owner_id in (None, image.owner_id)
            and where.kind in (None, image.kind)
            and where.source_image_id in (None, image.source_image_id)
        ]
        return _newest_first(rows, lambda i: PageKey(i.created_at, i.id), page)

    def usage(self, owner_ids: list[str]) -> dict[str, Usage]:
        found: dict[str, Usage] = {}
        for image in self.rows.values():
            if image.owner_id not in owner_ids:
                continue
            old = found.get(image.owner_id, Usage())
            found[image.owner_id] = Usage(
                images=old.images + 1,
                uploads=old.uploads + (image.kind is ImageKind.UPLOAD),
                variations=old.variations + (image.kind is ImageKind.VARIATION),
                bytes_stored=old.bytes_stored + image.size_bytes,
            )
        return found

    def count(self) -> int:
        return len(self.rows)

    def existing_ids(self, image_ids: Collection[str]) -> set[str]:
        return {image_id for image_id in image_ids if image_id in self.rows}


class FakeJobRepository:
    """Jobs as a database with optimistic versions holds them.

    Reads see committed state; writes wait in `changes` for commit, which
    applies only them, so units of work that overlap lose nothing.
    """

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.changes: dict[str, GenerationJob | None] = {}
        self.touched: dict[str, datetime] = {}

    def add(self, job: GenerationJob) -> None:
        key = job.idempotency_key
        if key is not None and self.get_by_idempotency_key(job.owner_id, key):
            raise Conflict("key in use", code="idempotency_key_in_use")
        self.changes[job.id] = copy.deepcopy(job)

    def get(self, job_id: str) -> GenerationJob | None:
        if job_id in self.changes:
            return copy.deepcopy(self.changes[job_id])
        return copy.deepcopy(self.db.jobs.get(job_id))

    def get_by_idempotency_key(self, owner_id: str, key: str) -> GenerationJob | None:
        found = [
            job
            for job in self._all()
            if (job.owner_id, job.idempotency_key) == (owner_id, key)
        ]
        return found[0] if found else None

    def save(self, job: GenerationJob) -> None:
        stored = self.get(job.id)
        committed = self.db.jobs.get(job.id)
        if stored is None or stored.version != job.version:
            raise ConcurrentUpdate("changed meanwhile")
        if committed is not None and committed.version > job.version:
            raise ConcurrentUpdate("changed meanwhile")
        job.version += 1
        self.changes[job.id] = copy.deepcopy(job)

    def delete(self, job_id: str) -> None:
        self.changes[job_id] = None

    def touch(self, job_id: str, attempt: int, now: datetime) -> bool:
        job = self.get(job_id)
        if job is None or not job.owned_by_run(attempt):
            return False
        self.touched[job_id] = now
        return True

    def list(self, where: JobFilter, page: PageRequest) -> list[GenerationJob]:
        rows = [
            job
            for job in self._all()
            if where.owner_id in (None, job.owner_id)
            and where.status in (None, job.status)
        ]
        return _newest_first(rows, lambda j: PageKey(j.created_at, j.id), page)

    def stale(self, silent_since: datetime, limit: int) -> list[GenerationJob]:
        return [
            job
            for job in self._all()
            if job.status is JobStatus.RUNNING
            and (job.heartbeat_at is None or job.heartbeat_at < silent_since)
        ][:limit]

    def waiting(self, queued_before: datetime, limit: int) -> list[GenerationJob]:
        return [
            job
            for job in self._all()
            if job.status is JobStatus.QUEUED
            and job.queued_at is not None
            and job.queued_at < queued_before
        ][:limit]

    def usage(self, owner_id: str | None, since: datetime) -> JobUsage:
        mine = [job for job in self._all() if owner_id in (None, job.owner_id)]
        counted = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED)
        return JobUsage(
            variations=sum(
                job.n
                for job in mine
                if job.created_at >= since and job.status in counted
            ),
            active_jobs=sum(job.status in ACTIVE for job in mine),
        )

    def count_by_status(self) -> dict[JobStatus, int]:
        jobs = self._all()
        return {status: sum(j.status is status for j in jobs) for status in JobStatus}

    def apply(self) -> None:
        for job_id, job in self.changes.items():
            if job is None:
                self.db.jobs.pop(job_id, None)
            else:
                self.db.jobs[job_id] = job
        for job_id, now in self.touched.items():
            if job_id in self.db.jobs:
                self.db.jobs[job_id].heartbeat_at = now
        self.changes, self.touched = {}, {}

    def _all(self) -> list[GenerationJob]:
        ids = set(self.db.jobs) | set(self.changes)
        return [job for job in map(self.get, sorted(ids)) if job is not None]


class FakeDatabase:
    """Committed state, shared by every unit of work made from it."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.sessions: dict[str, AuthSession] = {}
        self.images: dict[str, Image] = {}
        self.jobs: dict[str, GenerationJob] = {}
        self.commits = 0
        self.fail_next_commit = False

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class FakeUnitOfWork:
    """Works on copies; commit() publishes them, leaving without it discards them."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def __enter__(self) -> Self:
        self._users = copy.deepcopy(self.db.users)
        self._sessions = copy.deepcopy(self.db.sessions)
        self._images = copy.deepcopy(self.db.images)
        self.users = FakeUserRepository(self._users)
        self.sessions = FakeSessionRepository(self._sessions)
        self.images = FakeImageRepository(self._images)
        self.jobs = FakeJobRepository(self.db)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def commit(self) -> None:
        if self.db.fail_next_commit:
            self.db.fail_next_commit = False
            raise RuntimeError("database went away")
        self.db.users = dict(self._users)
        self.db.sessions = dict(self._sessions)
        self.db.images = dict(self._images)
        self.jobs.apply()
        self.db.commits += 1


class FakeImageStore:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        # When each object was last written; tests move `now` to age them.
        self.now = datetime(2026, 12, 1, tzinfo=UTC)
        self.written_at: dict[str, datetime] = {}
        self.deleted: list[str] = []
        self.fail_puts_after: int | None = None

    def put(self, key: str, data: bytes, content_type: str) -> None:
        if self.fail_puts_after is not None:
            if self.fail_puts_after == 0:
                raise OSError("storage is down")
            self.fail_puts_after -= 1
        self.objects[key] = (data, content_type)
        self.written_at[key] = self.now

    def get(self, key: str) -> bytes:
        if key not in self.objects:
            raise NotFound("no such object")
        return self.objects[key][0]

    def delete(self, key: str) -> None:
        self.deleted.append(key)
        self.objects.pop(key, None)

    def signed_url(
        self, key: str, *, filename: str, content_type: str, attachment: bool
    ) -> str | None:
        return None

    def ping(self) -> None:
        return None

    def scan(self, prefix: str) -> Iterator[StoredObject]:
        for key in list(self.objects):
            if key.startswith(prefix):
                yield StoredObject(key, self.written_at[key])


class FakeImageProcessor:
    """Accepts bytes starting with b"PNG:WxH;" and refuses the rest."""

    def prepare_upload(self, data: bytes) -> PreparedImage:
        if not data.startswith(b"PNG:"):
            raise InvalidImage("not an image")
        width, height = data[4:].split(b";", 1)[0].split(b"x")
        return PreparedImage(data, "image/png", int(width), int(height))

    def thumbnail(self, data: bytes, max_side: int) -> PreparedImage:
        prepared = self.prepare_upload(data)
        scale = min(1.0, max_side / max(prepared.width, prepared.height))
        return PreparedImage(
            b"thumb:" + data,
            "image/png",
            round(prepared.width * scale),
            round(prepared.height * scale),
        )


class FakeNotifier:
    """Records every event published."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.events.append(event)

    def names(self, job_id: str | None = None) -> list[str]:
        return [
            event.name
            for event in self.events
            if job_id in (None, event.data.get("job_id"))
        ]


class FakeImageGenerator:
    """Makes b"PNG:WxH;..." pictures; can fail before any or after some.

    `fail_with` is raised once `fail_after` variations were yielded (at the
    start when 0); `on_each` runs before each yield, to act mid-run.
    """

    def __init__(
        self, fail_with: DomainError | None = None, fail_after: int = 0
    ) -> None:
        self.fail_with = fail_with
        self.fail_after = fail_after
        self.specs: list[VariationSpec] = []
        self.on_each: Any = None

    def generate(self, spec: VariationSpec) -> Iterator[Variation]:
        self.specs.append(spec)
        for made, index in enumerate(spec.indices):
            if self.fail_with is not None and made == self.fail_after:
                raise self.fail_with
            if self.on_each is not None:
                self.on_each(index)
            data = f"PNG:{spec.width}x{spec.height};{spec.seed}:{index}".encode()
            yield Variation(
                index, PreparedImage(data, "image/png", spec.width, spec.height)
            )
        if self.fail_with is not None and self.fail_after >= len(spec.indices):
            raise self.fail_with


class FakeChannelAuthorizer:
    """Signs with a recognisable string and records what it signed."""

    def __init__(self) -> None:
        self.signed: list[tuple[str, str]] = []

    def authorize(self, socket_id: str, channel: str) -> str:
        self.signed.append((socket_id, channel))
        return f"key:signed({socket_id}:{channel})"


class FakeStreamSlots:
    """Holds slots per user; records renewals."""

    def __init__(self) -> None:
        self.held: dict[str, set[str]] = {}
        self.renewed: list[str] = []

    def acquire(self, user_id: str, slot: str, *, limit: int, lease: int) -> bool:
        held = self.held.setdefault(user_id, set())
        if len(held) >= limit:
            return False
        held.add(slot)
        return True

    def renew(self, user_id: str, slot: str, *, lease: int) -> None:
        self.renewed.append(slot)

    def release(self, user_id: str, slot: str) -> None:
        self.held.get(user_id, set()).discard(slot)


class FakeTimer:
    """A monotonic clock that moves only when told to (or when a fake waits)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeSubscription:
    """Hands out one queued batch per call; otherwise waits out the timeout."""

    def __init__(self, timer: FakeTimer, user_id: str, after: str | None) -> None:
        self.timer = timer
        self.user_id = user_id
        self.after = after
        self.batches: list[list[StreamedEvent]] = []
        self.closed = False

    def next_events(self, timeout: float) -> list[StreamedEvent]:
        if self.batches:
            return self.batches.pop(0)
        self.timer.advance(timeout)
        return []

    def close(self) -> None:
        self.closed = True


class FakeEventFeed:
    """Makes FakeSubscriptions, or raises fail_with when it is set."""

    def __init__(self, timer: FakeTimer) -> None:
        self.timer = timer
        self.subscriptions: list[FakeSubscription] = []
        self.fail_with: Exception | None = None

    def subscribe(self, user_id: str, after: str | None) -> FakeSubscription:
        if self.fail_with is not None:
            raise self.fail_with
        subscription = FakeSubscription(self.timer, user_id, after)
        self.subscriptions.append(subscription)
        return subscription
