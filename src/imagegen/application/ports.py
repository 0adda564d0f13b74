"""The ports the use-cases need, named by role; adapters implement them."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import asdict, dataclass
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


class ImageStore(Protocol):
    """Object storage for image bytes, addressed by generated keys."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store data under key, replacing what was there."""
        ...

    def get(self, key: str) -> bytes:
        """Return the bytes under key; raise NotFound when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove key; removing a missing key is not an error."""
        ...

    def signed_url(
        self, key: str, *, filename: str, content_type: str, attachment: bool
    ) -> str | None:
        """Return a short-lived URL for key, or None when bytes must be served."""
        ...

    def ping(self) -> None:
        """Raise when the store cannot be reached."""
        ...

    def scan(self, prefix: str) -> Iterator[StoredObject]:
        """Yield every object whose key starts with prefix, in no set order."""
        ...


@dataclass(frozen=True)
class StoredObject:
    key: str
    modified_at: datetime


@dataclass(frozen=True)
class PreparedImage:
    """Image bytes re-encoded by us: true type, no metadata."""

    data: bytes
    content_type: str
    width: int
    height: int


class ImageProcessor(Protocol):
    def prepare_upload(self, data: bytes) -> PreparedImage:
        """Check that data is a PNG or JPEG within limits and strip its metadata."""
        ...

    def thumbnail(self, data: bytes, max_side: int) -> PreparedImage:
        """Return a copy no longer than max_side on its longer side."""
        ...


@dataclass(frozen=True)
class VariationSpec:
    """What to make: which variations of one picture, at what size."""

    source: bytes
    width: int
    height: int
    indices: tuple[int, ...]
    # Makes a generator that can be seeded give the same picture on a re-run.
    seed: str
    prompt: str | None = None


@dataclass(frozen=True)
class Variation:
    index: int
    image: PreparedImage


class ImageGenerator(Protocol):
    def generate(self, spec: VariationSpec) -> Iterator[Variation]:
        """Yield one variation per index of spec, at its size.

        Raise ProviderUnavailable when another generator should stand in,
        GenerationRefused when this request must not be tried again, and
        GenerationError when retries did not help.
        """
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """Return a salted hash of password."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Tell whether password matches password_hash."""
        ...


class LoginThrottle(Protocol):
    """Counts failed sign-ins per account, shared by every process."""

    def retry_after(self, key: str) -> int | None:
        """Return seconds to wait when key is locked out, else None."""
        ...

    def record_failure(self, key: str) -> None:
        """Count one failed attempt for key."""
        ...

    def reset(self, key: str) -> None:
        """Forget key's failures after a good sign-in."""
        ...


class Throttle(Protocol):
    """Counts events per key in a window (mails sent to one address, say).

    Shared by every process when it lives in Redis.
    """

    def retry_after(self, key: str) -> int | None:
        """Return seconds to wait when key has had its fill, else None."""
        ...

    def record(self, key: str) -> None:
        """Count one event for key."""
        ...


@dataclass(frozen=True)
class MailMessage:
    """One mail to one address, with a plain-text and an HTML body."""

    to: str
    subject: str
    text: str
    html: str
    # What the mail is about, for log lines: never an address or a token.
    about: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> MailMessage:
        """Rebuild a message from to_json's output; raise ValueError if it is not."""
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("a mail message is a JSON object")
        values = {name: data.get(name, "") for name in _MESSAGE_FIELDS}
        if not all(isinstance(value, str) for value in values.values()):
            raise ValueError("every field of a mail message is a string")
        return cls(**values)


_MESSAGE_FIELDS = ("to", "subject", "text", "html", "about")


class MailNotSent(Exception):
    """A mailer could not hand a message over; temporary failures may be retried."""

    def __init__(self, reason: str, *, temporary: bool) -> None:
        super().__init__(reason)
        self.temporary = temporary


class Mailer(Protocol):
    def send(self, message: MailMessage) -> None:
        """Hand message over for delivery now; raise MailNotSent when that fails."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time, timezone-aware in UTC."""
        ...


class IdSource(Protocol):
    def new_id(self) -> str:
        """Return a fresh opaque, non-sequential identifier."""
        ...


class TaskQueue(Protocol):
    """Runs a named task later, elsewhere: in a worker process or a thread.

    Task names are the names of the functions in imagegen.entrypoints.worker
    (for example "run_generation"); arguments are plain strings.
    """

    def enqueue(self, task: str, *args: str, task_id: str | None = None) -> None:
        """Queue task(*args); raise ServiceUnavailable when the queue is unreachable."""
        ...


@dataclass(frozen=True)
class Event:
    """Something that happened to a user's work, told to that user only."""

    name: str
    user_id: str
    data: dict[str, object]


class Notifier(Protocol):
    def publish(self, event: Event) -> None:
        """Deliver event to its user's channel; log and swallow any failure."""
        ...


@dataclass(frozen=True)
class StreamedEvent:
    """An event as an event stream delivers it, with the id a client resumes after.

    Ids look like "1733054400000-0" (milliseconds, then a counter) and rise
    with every event of one user.
    """

    id: str
    name: str
    data: dict[str, object]


class Subscription(Protocol):
    """One open stream's feed of its user's events."""

    def next_events(self, timeout: float) -> list[StreamedEvent]:
        """Wait up to timeout seconds; return what arrived, oldest first."""
        ...

    def close(self) -> None:
        """Stop receiving; closing twice is harmless."""
        ...


class EventFeed(Protocol):
    """Hands published events to the event streams open in this process."""

    def subscribe(self, user_id: str, after: str | None) -> Subscription:
        """Receive user_id's events, first the recent ones that came after `after`.

        Raise ServiceUnavailable when the feed cannot be reached.
        """
        ...


class StreamSlots(Protocol):
    """Counts each user's open event streams, across every web process."""

    def acquire(self, user_id: str, slot: str, *, limit: int, lease: int) -> bool:
        """Hold slot for lease seconds, unless user_id already holds limit slots."""
        ...

    def renew(self, user_id: str, slot: str, *, lease: int) -> None:
        """Keep holding slot for another lease seconds."""
        ...

    def release(self, user_id: str, slot: str) -> None:
        """Give slot back; releasing one not held is harmless."""
        ...


class ChannelAuthorizer(Protocol):
    def authorize(self, socket_id: str, channel: str) -> str:
        """Return the signature a Pusher client presents to join channel."""
        ...
