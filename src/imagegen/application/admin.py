"""What administrators may do: see everyone, change roles, lock accounts."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from imagegen.application import images, jobs
from imagegen.application.images import ImageDeps
from imagegen.application.job_support import JobDeps
from imagegen.application.pagination import Page, PageKey, PageRequest, make_page
from imagegen.application.ports import (
    Clock,
    ImageFilter,
    JobFilter,
    UnitOfWorkFactory,
    Usage,
)
from imagegen.domain.errors import Conflict, Forbidden, NotFound
from imagegen.domain.images import Image
from imagegen.domain.jobs import GenerationJob, QuotaPolicy
from imagegen.domain.users import Role, User, normalize_email

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UserWithUsage:
    user: User
    usage: Usage


@dataclass(frozen=True)
class Stats:
    users: int
    images: int
    extra: dict[str, object]
    # Jobs by status, and the variations asked for today against the limits.
    jobs: dict[str, int] = field(default_factory=dict)
    quota: dict[str, object] = field(default_factory=dict)


def require_admin(user: User) -> None:
    """Refuse anyone but an administrator."""
    if not user.is_admin:
        raise Forbidden("Administrators only.", code="admin_only")


def list_all_images(
    deps: ImageDeps, admin: User, where: ImageFilter, page: PageRequest
) -> Page[Image]:
    """List anyone's images, newest first, for an administrator."""
    require_admin(admin)
    return images.list_images(deps, admin, where, page)


def list_all_jobs(
    deps: JobDeps, admin: User, where: JobFilter, page: PageRequest
) -> Page[GenerationJob]:
    """List anyone's jobs, newest first, for an administrator."""
    require_admin(admin)
    return jobs.list_jobs(deps, admin, where, page)


def list_users(
    uow_factory: UnitOfWorkFactory, admin: User, page: PageRequest
) -> Page[UserWithUsage]:
    """List every account with what it has stored."""
    require_admin(admin)
    with uow_factory() as uow:
        users = uow.users.list(page)
        usage = uow.images.usage([user.id for user in users])
    rows = [UserWithUsage(user, usage.get(user.id, Usage())) for user in users]
    return make_page(rows, page, lambda row: PageKey(row.user.created_at, row.user.id))


def update_user(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    admin: User,
    user_id: str,
    *,
    role: Role | None = None,
    active: bool | None = None,
) -> UserWithUsage:
    """Change a user's role or lock them out; a lock ends their sessions at once."""
    require_admin(admin)
    if user_id == admin.id and (active is False or role is Role.USER):
        raise Conflict(
            "Administrators cannot demote or deactivate themselves.", code="self_change"
        )
    with uow_factory() as uow:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound("No such user.", code="user_not_found")
        user.role = role or user.role
        user.active = user.active if active is None else active
        uow.users.save(user)
        if not user.active:
            uow.sessions.revoke_all(user.id, clock.now())
        usage = uow.images.usage([user.id]).get(user.id, Usage())
        uow.commit()
    log.info(
        "user %s: role %s, active %s, set by %s",
        user.id,
        user.role,
        user.active,
        admin.id,
    )
    return UserWithUsage(user, usage)


def grant_admin(uow_factory: UnitOfWorkFactory, email: str) -> User:
    """Make an existing account an administrator: the operator's way in."""
    with uow_factory() as uow:
        user = uow.users.get_by_email(normalize_email(email))
        if user is None:
            raise NotFound("No account has this address.", code="user_not_found")
        user.role = Role.ADMIN
        uow.users.save(user)
        uow.commit()
    log.info("user %s: made an administrator from the command line", user.id)
    return user


def stats(
    uow_factory: UnitOfWorkFactory, admin: User, quota: QuotaPolicy, clock: Clock
) -> Stats:
    """Count what the service holds, its jobs, and today's use of the quota."""
    require_admin(admin)
    now = clock.now()
    with uow_factory() as uow:
        by_status = uow.jobs.count_by_status()
        today = uow.jobs.usage(None, quota.day_start(now))
        return Stats(
            users=uow.users.count(),
            images=uow.images.count(),
            extra={},
            jobs={status.value: count for status, count in by_status.items()},
            quota={
                "daily_variations_per_user": quota.daily_variations,
                "max_active_jobs_per_user": quota.max_active_jobs,
                "variations_today": today.variations,
                "active_jobs": today.active_jobs,
                "resets_in_seconds": quota.seconds_to_reset(now),
            },
        )
