"""Work done later and news told live: the task queue, events and their streams."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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
