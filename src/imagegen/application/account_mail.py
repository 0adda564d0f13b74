"""Account mail: verify an address and reset a forgotten password by link.

Links carry tokens from domain.tokens: nothing about them is stored. A
verification token is bound to the address it was sent to, a reset token to
the password hash it replaces, so each works once. Messages leave through the
task queue ("send_mail"), so a slow or failing mail server never holds up a
request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from imagegen.application import accounts
from imagegen.application.accounts import AccountDeps, SignedIn, check_password
from imagegen.application.mail_templates import password_reset_mail, verification_mail
from imagegen.application.ports import (
    MailMessage,
    TaskQueue,
    Throttle,
    UnitOfWork,
)
from imagegen.domain.errors import Conflict, Forbidden, Throttled, TokenRejected
from imagegen.domain.tokens import (
    RESET_PASSWORD,
    VERIFY_EMAIL,
    MailTokens,
    TokenClaims,
)
from imagegen.domain.users import User, normalize_email

log = logging.getLogger(__name__)

SEND_MAIL = "send_mail"


@dataclass(frozen=True)
class AccountMailDeps:
    """The ports and settings the account-mail use-cases share."""

    accounts: AccountDeps
    tokens: MailTokens
    queue: TaskQueue
    # Mails of one kind per user or address, within the throttle's window.
    throttle: Throttle
    frontend_url: str
    verify_ttl: timedelta
    reset_ttl: timedelta


def register(deps: AccountMailDeps, name: str, email: str, password: str) -> SignedIn:
    """Create an account, sign it in and mail it a link to verify its address."""
    signed_in = accounts.register(deps.accounts, name, email, password)
    deps.throttle.record(_verify_key(signed_in.user))
    _post_quietly(deps, _verification(deps, signed_in.user))
    return signed_in


def resend_verification(deps: AccountMailDeps, user: User) -> None:
    """Mail user another verification link, a few times per window at most."""
    if user.email_verified:
        raise Conflict(
            "This email address is already verified.", code="email_already_verified"
        )
    key = _verify_key(user)
    wait = deps.throttle.retry_after(key)
    if wait is not None:
        raise Throttled(
            "A verification mail was sent recently; check your inbox or try later.",
            code="mail_throttled",
            retry_after=wait,
        )
    # A queue that cannot be reached answers 503 here, unlike on sign-up:
    # nothing was stored, so the user can simply ask again.
    deps.queue.enqueue(SEND_MAIL, _verification(deps, user).to_json())
    deps.throttle.record(key)
    log.info("user %s: verification mail queued again", user.id)


def verify_email(deps: AccountMailDeps, token: str) -> None:
    """Mark the address a verification link was sent to as verified."""
    now = deps.accounts.clock.now()
    claims = deps.tokens.read(token, VERIFY_EMAIL, now)
    with deps.accounts.uow() as uow:
        user = _token_user(uow, claims)
        if user.email_verified:
            raise _used("This email address is already verified.")
        if not deps.tokens.is_bound_to(claims, user.email):
            raise _used("This link was sent to an address the account no longer has.")
        user.email_verified_at = now
        uow.users.save(user)
        uow.commit()
    log.info("user %s: email address verified", user.id)


def forgot_password(deps: AccountMailDeps, email: str) -> None:
    """Mail a reset link to the account at email; say nothing about whether it exists.

    The per-address limit counts unknown addresses too and drops what is over
    it without a word, so neither the answer nor its timing tells them apart.
    """
    address = normalize_email(email)
    key = f"reset:{address}"
    if deps.throttle.retry_after(key) is not None:
        log.info("password reset: request over the per-address limit dropped")
        return
    deps.throttle.record(key)
    with deps.accounts.uow() as uow:
        user = uow.users.get_by_email(address)
    if user is None or not user.active:
        log.info("password reset: no active account at the address given")
        return
    _post_quietly(deps, _password_reset(deps, user))
    log.info("user %s: password reset mail queued", user.id)


def reset_password(deps: AccountMailDeps, token: str, password: str) -> None:
    """Set a new password from a reset link; every earlier session ends."""
    now = deps.accounts.clock.now()
    claims = deps.tokens.read(token, RESET_PASSWORD, now)
    check_password(password, field="password")
    with deps.accounts.uow() as uow:
        user = _token_user(uow, claims)
        # Two requests racing with one token could both pass this check; both
        # come from whoever holds the link, so nothing is gained by it.
        if not deps.tokens.is_bound_to(claims, user.password_hash):
            raise _used("This link has already been used; ask for a new one.")
        if not user.active:
            raise Forbidden("This account is deactivated.", code="account_inactive")
        user.password_hash = deps.accounts.hasher.hash(password)
        uow.users.save(user)
        uow.sessions.revoke_all(user.id, now)
        uow.commit()
    deps.accounts.throttle.reset(user.email)
    log.info("user %s: password reset; every session ended", user.id)


def _verification(deps: AccountMailDeps, user: User) -> MailMessage:
    token = deps.tokens.issue(
        VERIFY_EMAIL,
        user.id,
        bound_to=user.email,
        expires_at=deps.accounts.clock.now() + deps.verify_ttl,
    )
    return verification_mail(user, _link(deps, "verify-email", token), deps.verify_ttl)


def _password_reset(deps: AccountMailDeps, user: User) -> MailMessage:
    token = deps.tokens.issue(
        RESET_PASSWORD,
        user.id,
        bound_to=user.password_hash,
        expires_at=deps.accounts.clock.now() + deps.reset_ttl,
    )
    link = _link(deps, "reset-password", token)
    return password_reset_mail(user, link, deps.reset_ttl)


def _link(deps: AccountMailDeps, page: str, token: str) -> str:
    return f"{deps.frontend_url}/{page}?{urlencode({'token': token})}"


def _post_quietly(deps: AccountMailDeps, message: MailMessage) -> None:
    """Queue message; if the queue fails, log it and let the request succeed.

    The request has done its work (an account was stored, or nothing was to
    be); failing it now would misreport that, or tell a stranger which
    addresses have accounts.
    """
    try:
        deps.queue.enqueue(SEND_MAIL, message.to_json())
    except Exception:
        log.warning("mail %s: could not be queued", message.about, exc_info=True)


def _token_user(uow: UnitOfWork, claims: TokenClaims) -> User:
    user = uow.users.get(claims.user_id)
    if user is None:
        raise TokenRejected(
            "This link is for an account that no longer exists.",
            code="mail_token_invalid",
        )
    return user


def _verify_key(user: User) -> str:
    return f"verify:{user.id}"


def _used(detail: str) -> TokenRejected:
    return TokenRejected(detail, code="mail_token_used")
