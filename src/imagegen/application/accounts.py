"""Accounts: sign-up, sign-in, sessions, passwords."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from imagegen.application.ports import (
    Clock,
    IdSource,
    PasswordHasher,
    Throttle,
    UnitOfWork,
    UnitOfWorkFactory,
)
from imagegen.domain.errors import (
    Conflict,
    Forbidden,
    InvalidCredentials,
    InvalidToken,
    Throttled,
    ValidationFailed,
)
from imagegen.domain.users import AuthSession, User, normalize_email

log = logging.getLogger(__name__)

MIN_PASSWORD = 8
MAX_PASSWORD = 256
# Verified against when an address is unknown, so that both answers cost alike.
_DECOY_PASSWORD = "decoy-password-for-unknown-accounts"


@dataclass(frozen=True)
class AccountDeps:
    """The ports the account use-cases share."""

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    throttle: Throttle
    clock: Clock
    ids: IdSource
    session_ttl: timedelta
    # A hash to verify against when an address is unknown, so that both
    # answers take as long (see decoy_hash).
    decoy_hash: str


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: AuthSession


def register(deps: AccountDeps, name: str, email: str, password: str) -> SignedIn:
    """Create an account and sign it in."""
    check_password(password, field="password")
    now = deps.clock.now()
    user = User(
        id=deps.ids.new_id(),
        email=normalize_email(email),
        name=name.strip(),
        password_hash=deps.hasher.hash(password),
        created_at=now,
    )
    with deps.uow() as uow:
        if uow.users.get_by_email(user.email) is not None:
            raise Conflict(
                "An account with this email already exists.",
                code="email_taken",
                errors={"email": ["Already registered."]},
            )
        uow.users.add(user)
        session = _open_session(deps, uow, user)
        uow.commit()
    log.info("user %s: registered", user.id)
    return SignedIn(user, session)


def login(deps: AccountDeps, email: str, password: str) -> SignedIn:
    """Check a password and open a session; throttle repeated failures."""
    key = normalize_email(email)
    wait = deps.throttle.retry_after(key)
    if wait is not None:
        raise Throttled(
            "Too many failed sign-ins for this account; try again later.",
            code="login_throttled",
            retry_after=wait,
        )
    with deps.uow() as uow:
        user = uow.users.get_by_email(key)
        if not _password_matches(deps.hasher, deps.decoy_hash, user, password):
            deps.throttle.record(key)
            raise InvalidCredentials("The email or password is wrong.")
        assert user is not None
        if not user.active:
            raise Forbidden("This account is deactivated.", code="account_inactive")
        session = _open_session(deps, uow, user)
        uow.commit()
    deps.throttle.reset(key)
    log.info("user %s: signed in, session %s", user.id, session.id)
    return SignedIn(user, session)


def refresh(deps: AccountDeps, session_id: str, generation: int) -> SignedIn:
    """Trade a refresh token for a new pair; the old one stops working."""
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.sessions.get(session_id)
        if session is None or not session.is_live(now):
            raise InvalidToken("The refresh token is no longer valid.")
        if session.generation != generation:
            # A refresh token used twice was copied: end the whole session.
            session.revoke(now)
            uow.sessions.save(session)
            uow.commit()
            log.warning("session %s: refresh token reused; session revoked", session_id)
            raise InvalidToken("The refresh token was already used.")
        user = _live_user(uow.users.get(session.user_id))
        session.rotate()
        uow.sessions.save(session)
        uow.commit()
    return SignedIn(user, session)


def logout(deps: AccountDeps, session_id: str) -> None:
    """End a session: its access and refresh tokens stop working everywhere."""
    with deps.uow() as uow:
        session = uow.sessions.get(session_id)
        if session is None:
            return
        session.revoke(deps.clock.now())
        uow.sessions.save(session)
        uow.commit()


def authenticate(deps: AccountDeps, user_id: str, session_id: str) -> User:
    """Return the user behind a token, if its session and account are live."""
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.sessions.get(session_id)
        if session is None or session.user_id != user_id or not session.is_live(now):
            raise InvalidToken("The token has been revoked.")
        return _live_user(uow.users.get(user_id))


def change_password(
    deps: AccountDeps, user: User, session_id: str, current: str, new: str
) -> None:
    """Replace a password; every other session of the user ends."""
    check_password(new, field="new_password")
    if not deps.hasher.verify(user.password_hash, current):
        raise ValidationFailed(
            "The current password is wrong.",
            code="wrong_password",
            errors={"current_password": ["Does not match."]},
        )
    with deps.uow() as uow:
        stored = _live_user(uow.users.get(user.id))
        stored.password_hash = deps.hasher.hash(new)
        uow.users.save(stored)
        uow.sessions.revoke_all(user.id, deps.clock.now(), keep=session_id)
        uow.commit()
    log.info("user %s: password changed", user.id)


def check_password(password: str, *, field: str) -> None:
    """Refuse passwords too short or too long to be sensible."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationFailed(
            "The password does not meet the rules.",
            errors={field: [f"Must be {MIN_PASSWORD} to {MAX_PASSWORD} characters."]},
        )


def _open_session(deps: AccountDeps, uow: UnitOfWork, user: User) -> AuthSession:
    now = deps.clock.now()
    session = AuthSession(
        id=deps.ids.new_id(),
        user_id=user.id,
        created_at=now,
        expires_at=now + deps.session_ttl,
    )
    uow.sessions.add(session)
    return session


def decoy_hash(hasher: PasswordHasher) -> str:
    """Return a hash made like real ones, for AccountDeps.decoy_hash."""
    return hasher.hash(_DECOY_PASSWORD)


def _password_matches(
    hasher: PasswordHasher, decoy: str, user: User | None, password: str
) -> bool:
    if user is None:
        hasher.verify(decoy, password)
        return False
    return hasher.verify(user.password_hash, password)


def _live_user(user: User | None) -> User:
    if user is None:
        raise InvalidToken("The account no longer exists.")
    if not user.active:
        raise Forbidden("This account is deactivated.", code="account_inactive")
    return user
