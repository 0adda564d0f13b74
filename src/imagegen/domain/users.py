"""Accounts, roles and who may reach what."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from imagegen.domain.errors import Forbidden


class Role(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


def normalize_email(email: str) -> str:
    """Return the form of an address that identifies one account."""
    return email.strip().lower()


@dataclass
class User:
    id: str
    email: str
    name: str
    password_hash: str
    created_at: datetime
    role: Role = Role.USER
    active: bool = True
    email_verified_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def can_reach(self, owner_id: str) -> bool:
        """Tell whether this user may see or change an object owned by owner_id."""
        return self.is_admin or owner_id == self.id


def check_may_generate(user: User, *, require_verified_email: bool) -> None:
    """Refuse generation to an unverified address when the service requires one."""
    if require_verified_email and not user.email_verified:
        raise Forbidden(
            "Verify your email address before generating images.",
            code="email_not_verified",
        )


@dataclass
class AuthSession:
    """One signed-in device: the access and refresh tokens it holds share its id.

    Refresh tokens carry the session's generation; using one moves the
    generation on, so a refresh token works exactly once.
    """

    id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    generation: int = 0
    revoked_at: datetime | None = None

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def rotate(self) -> int:
        self.generation += 1
        return self.generation

    def revoke(self, now: datetime) -> None:
        if self.revoked_at is None:
            self.revoked_at = now
