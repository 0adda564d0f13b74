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


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time, timezone-aware in UTC."""
        ...


class IdSource(Protocol):
    def new_id(self) -> str:
        """Return a fresh opaque, non-sequential identifier."""
        ...
