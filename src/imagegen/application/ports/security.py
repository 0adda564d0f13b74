"""Passwords, throttles, time and identifiers."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """Return a salted hash of password."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Tell whether password matches password_hash."""
        ...


class Throttle(Protocol):
    """Counts events per key in a window: failed sign-ins for an account,
    mails sent to one address. Shared by every process when it lives in Redis.
    """

    def retry_after(self, key: str) -> int | None:
        """Return seconds to wait when key has had its fill, else None."""
        ...

    def record(self, key: str) -> None:
        """Count one event for key."""
        ...

    def reset(self, key: str) -> None:
        """Forget key's events (a good sign-in clears the failures)."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time, timezone-aware in UTC."""
        ...


class IdSource(Protocol):
    def new_id(self) -> str:
        """Return a fresh opaque, non-sequential identifier."""
        ...
