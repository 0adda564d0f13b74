"""Demo accounts for a development machine, as the original service seeded."""

from __future__ import annotations

import logging

from imagegen.application.accounts import AccountDeps
from imagegen.domain.errors import Forbidden
from imagegen.domain.users import Role, User

log = logging.getLogger(__name__)

DEMO_PASSWORD = "password"
DEMO_ACCOUNTS = (
    ("Admin", "admin@example.com", Role.ADMIN),
    ("Demo User", "user@example.com", Role.USER),
)


def seed_demo_accounts(deps: AccountDeps, *, production: bool) -> list[str]:
    """Create the demo accounts that do not exist yet; refuse in production."""
    if production:
        raise Forbidden(
            "Demo accounts are never seeded in production.", code="seed_refused"
        )
    created = []
    with deps.uow() as uow:
        for name, email, role in DEMO_ACCOUNTS:
            if uow.users.get_by_email(email) is not None:
                continue
            uow.users.add(
                User(
                    id=deps.ids.new_id(),
                    email=email,
                    name=name,
                    password_hash=deps.hasher.hash(DEMO_PASSWORD),
                    created_at=deps.clock.now(),
                    role=role,
                    email_verified_at=deps.clock.now(),
                )
            )
            created.append(email)
        uow.commit()
    log.info("seed: created %s", ", ".join(created) or "nothing (accounts exist)")
    return created
