from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from imagegen.application import account_mail, accounts, images, jobs
from imagegen.application.account_mail import SEND_MAIL, AccountMailDeps
from imagegen.application.accounts import AccountDeps
from imagegen.application.images import ImageDeps
from imagegen.application.job_support import JobDeps
from imagegen.application.ports import MailMessage
from imagegen.domain.errors import (
    Conflict,
    Forbidden,
    InvalidCredentials,
    InvalidToken,
    ServiceUnavailable,
    Throttled,
    TokenRejected,
    ValidationFailed,
)
from imagegen.domain.tokens import MailTokens
from imagegen.domain.users import User, check_may_generate
from tests.fakes import FakeClock, FakeDatabase, FakeTaskQueue, FakeThrottle

FRONTEND = "https://app.example.com"
PASSWORD = "s3cret-pass"


@pytest.fixture
def queue() -> FakeTaskQueue:
    return FakeTaskQueue()


@pytest.fixture
def mail_throttle() -> FakeThrottle:
    return FakeThrottle(limit=3, wait=900)


@pytest.fixture
def deps(
    account_deps: AccountDeps, queue: FakeTaskQueue, mail_throttle: FakeThrottle
) -> AccountMailDeps:
    return AccountMailDeps(
        accounts=account_deps,
        tokens=MailTokens("k" * 48),
        queue=queue,
        throttle=mail_throttle,
        frontend_url=FRONTEND,
        verify_ttl=timedelta(hours=24),
        reset_ttl=timedelta(hours=1),
    )


def sign_up(deps: AccountMailDeps, email: str = "ada@example.com") -> User:
    return account_mail.register(deps, "Ada", email, PASSWORD).user


def mails(queue: FakeTaskQueue) -> list[MailMessage]:
    return [MailMessage.from_json(payload) for payload in queue.payloads(SEND_MAIL)]


def token_in(message: MailMessage, page: str) -> str:
    link = re.search(rf"{re.escape(FRONTEND)}/{page}\?\S+", message.text)
    assert link is not None, message.text
    return parse_qs(urlsplit(link.group()).query)["token"][0]


def test_signing_up_queues_a_verification_mail_with_a_frontend_link(
    deps: AccountMailDeps, queue: FakeTaskQueue
) -> None:
    user = sign_up(deps)

    [message] = mails(queue)
    assert message.to == "ada@example.com"
    assert "imagegen" in message.subject
    token = token_in(message, "verify-email")
    assert token in message.html
    assert user.id in message.about and token not in message.about


def test_signing_up_succeeds_when_the_queue_is_down(
    deps: AccountMailDeps, queue: FakeTaskQueue, db: FakeDatabase
) -> None:
    queue.unreachable = True

    user = sign_up(deps)

    assert user.id in db.users


def test_the_verification_link_verifies_the_address_once(
    deps: AccountMailDeps, queue: FakeTaskQueue, db: FakeDatabase, clock: FakeClock
) -> None:
    user = sign_up(deps)
    token = token_in(mails(queue)[0], "verify-email")

    account_mail.verify_email(deps, token)
    with pytest.raises(TokenRejected) as again:
        account_mail.verify_email(deps, token)

    assert db.users[user.id].email_verified_at == clock.now()
    assert again.value.code == "mail_token_used"


def test_an_expired_verification_link_is_refused(
    deps: AccountMailDeps, queue: FakeTaskQueue, clock: FakeClock, db: FakeDatabase
) -> None:
    user = sign_up(deps)
    token = token_in(mails(queue)[0], "verify-email")
    clock.advance(timedelta(hours=24).total_seconds())

    with pytest.raises(TokenRejected) as caught:
        account_mail.verify_email(deps, token)

    assert caught.value.code == "mail_token_expired"
    assert not db.users[user.id].email_verified


def test_a_verification_link_for_an_old_address_is_refused(
    deps: AccountMailDeps, queue: FakeTaskQueue, db: FakeDatabase
) -> None:
    user = sign_up(deps)
    token = token_in(mails(queue)[0], "verify-email")
    db.users[user.id].email = "new@example.com"

    with pytest.raises(TokenRejected) as caught:
        account_mail.verify_email(deps, token)

    assert caught.value.code == "mail_token_used"
    assert not db.users[user.id].email_verified


def test_a_reset_token_does_not_verify_an_address(
    deps: AccountMailDeps, queue: FakeTaskQueue
) -> None:
    sign_up(deps)
    account_mail.forgot_password(deps, "ada@example.com")
    reset_token = token_in(mails(queue)[1], "reset-password")

    with pytest.raises(TokenRejected) as caught:
        account_mail.verify_email(deps, reset_token)

    assert caught.value.code == "mail_token_invalid"


def test_resending_queues_a_new_link_until_the_limit(
    deps: AccountMailDeps, queue: FakeTaskQueue
) -> None:
    user = sign_up(deps)
    account_mail.resend_verification(deps, user)
    account_mail.resend_verification(deps, user)

    with pytest.raises(Throttled) as caught:
        account_mail.resend_verification(deps, user)

    assert len(mails(queue)) == 3
    assert (caught.value.code, caught.value.retry_after) == ("mail_throttled", 900)


def test_resending_to_a_verified_address_is_a_conflict(
    deps: AccountMailDeps, queue: FakeTaskQueue, db: FakeDatabase
) -> None:
    user = sign_up(deps)
    account_mail.verify_email(deps, token_in(mails(queue)[0], "verify-email"))

    with pytest.raises(Conflict) as caught:
        account_mail.resend_verification(deps, db.users[user.id])

    assert caught.value.code == "email_already_verified"


def test_resending_with_the_queue_down_answers_unavailable_and_counts_nothing(
    deps: AccountMailDeps, queue: FakeTaskQueue, mail_throttle: FakeThrottle
) -> None:
    user = sign_up(deps)
    queue.unreachable = True

    with pytest.raises(ServiceUnavailable):
        account_mail.resend_verification(deps, user)

    assert mail_throttle.recorded == [f"verify:{user.id}"]


def test_forgetting_a_password_queues_a_reset_link(
    deps: AccountMailDeps, queue: FakeTaskQueue
) -> None:
    sign_up(deps)

    account_mail.forgot_password(deps, " ADA@example.com ")

    message = mails(queue)[1]
    assert message.to == "ada@example.com"
    assert token_in(message, "reset-password")
    assert "reset" in message.subject.lower()


def test_an_unknown_address_sends_nothing_but_counts_like_a_known_one(
    deps: AccountMailDeps, queue: FakeTaskQueue, mail_throttle: FakeThrottle
) -> None:
    account_mail.forgot_password(deps, "nobody@example.com")

    assert mails(queue) == []
    assert mail_throttle.recorded == ["reset:nobody@example.com"]


def test_forgot_requests_over_the_limit_are_dropped_quietly(
    deps: AccountMailDeps, queue: FakeTaskQueue
) -> None:
    sign_up(deps)

    for _ in range(5):
        account_mail.forgot_password(deps, "ada@example.com")

    assert len(mails(queue)) == 1 + 3


def test_a_deactivated_account_gets_no_reset_mail(
    deps: AccountMailDeps, queue: FakeTaskQueue, db: FakeDatabase
) -> None:
    user = sign_up(deps)
    db.users[user.id].active = False

    account_mail.forgot_password(deps, "ada@example.com")

    assert len(mails(queue)) == 1


def test_forgot_with_the_queue_down_still_succeeds(
    deps: AccountMailDeps, queue: FakeTaskQueue
) -> None:
    sign_up(deps)
    queue.unreachable = True

    account_mail.forgot_password(deps, "ada@example.com")


def reset_token(deps: AccountMailDeps, queue: FakeTaskQueue) -> str:
    account_mail.forgot_password(deps, "ada@example.com")
    return token_in(mails(queue)[-1], "reset-password")


def test_a_reset_sets_the_password_and_ends_every_session(
    deps: AccountMailDeps, queue: FakeTaskQueue, db: FakeDatabase
) -> None:
    signed_in = account_mail.register(deps, "Ada", "ada@example.com", PASSWORD)
    token = reset_token(deps, queue)

    account_mail.reset_password(deps, token, "brand-new-pass")

    assert db.sessions[signed_in.session.id].revoked_at is not None
    with pytest.raises(InvalidToken):
        accounts.refresh(deps.accounts, signed_in.session.id, 0)
    accounts.login(deps.accounts, "ada@example.com", "brand-new-pass")


def test_a_reset_link_works_once(deps: AccountMailDeps, queue: FakeTaskQueue) -> None:
    sign_up(deps)
    token = reset_token(deps, queue)
    account_mail.reset_password(deps, token, "brand-new-pass")

    with pytest.raises(TokenRejected) as caught:
        account_mail.reset_password(deps, token, "another-new-pass")

    assert caught.value.code == "mail_token_used"


def test_every_earlier_reset_link_dies_with_the_first_used(
    deps: AccountMailDeps, queue: FakeTaskQueue
) -> None:
    sign_up(deps)
    first, second = reset_token(deps, queue), reset_token(deps, queue)
    account_mail.reset_password(deps, second, "brand-new-pass")

    with pytest.raises(TokenRejected) as caught:
        account_mail.reset_password(deps, first, "another-new-pass")

    assert caught.value.code == "mail_token_used"


def test_an_expired_reset_link_leaves_the_password_alone(
    deps: AccountMailDeps, queue: FakeTaskQueue, clock: FakeClock
) -> None:
    sign_up(deps)
    token = reset_token(deps, queue)
    clock.advance(3600)

    with pytest.raises(TokenRejected) as caught:
        account_mail.reset_password(deps, token, "brand-new-pass")

    assert caught.value.code == "mail_token_expired"
    accounts.login(deps.accounts, "ada@example.com", PASSWORD)


def test_a_reset_refuses_a_short_password_and_keeps_the_link_usable(
    deps: AccountMailDeps, queue: FakeTaskQueue
) -> None:
    sign_up(deps)
    token = reset_token(deps, queue)

    with pytest.raises(ValidationFailed) as caught:
        account_mail.reset_password(deps, token, "short")
    account_mail.reset_password(deps, token, "long-enough-now")

    assert caught.value.errors is not None and "password" in caught.value.errors


def test_a_reset_lifts_a_sign_in_lockout(
    deps: AccountMailDeps, queue: FakeTaskQueue
) -> None:
    sign_up(deps)
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            accounts.login(deps.accounts, "ada@example.com", "wrong-password")

    account_mail.reset_password(deps, reset_token(deps, queue), "brand-new-pass")

    accounts.login(deps.accounts, "ada@example.com", "brand-new-pass")


def test_a_verification_token_does_not_reset_a_password(
    deps: AccountMailDeps, queue: FakeTaskQueue
) -> None:
    sign_up(deps)

    with pytest.raises(TokenRejected) as caught:
        account_mail.reset_password(
            deps, token_in(mails(queue)[0], "verify-email"), "brand-new-pass"
        )

    assert caught.value.code == "mail_token_invalid"


def test_generation_needs_a_verified_address_only_when_required(
    deps: AccountMailDeps, queue: FakeTaskQueue, db: FakeDatabase
) -> None:
    user = sign_up(deps)

    check_may_generate(user, require_verified_email=False)
    with pytest.raises(Forbidden) as caught:
        check_may_generate(user, require_verified_email=True)
    account_mail.verify_email(deps, token_in(mails(queue)[0], "verify-email"))
    check_may_generate(db.users[user.id], require_verified_email=True)

    assert caught.value.code == "email_not_verified"


@pytest.fixture
def strict_jobs(job_deps: JobDeps) -> JobDeps:
    return replace(job_deps, require_verified_email=True)


def test_asking_for_variations_needs_a_verified_address_when_required(
    strict_jobs: JobDeps, image_deps: ImageDeps, db: FakeDatabase, clock: FakeClock
) -> None:
    ada = User("ada", "ada@example.com", "Ada", "x", clock.now())
    picture = images.upload_image(image_deps, ada, b"PNG:64x64;pixels", "cat.png")
    ask = jobs.VariationRequest(n=1, size="512x512")

    with pytest.raises(Forbidden) as caught:
        jobs.request_variations(strict_jobs, ada, picture.id, ask)
    ada.email_verified_at = clock.now()
    job = jobs.request_variations(strict_jobs, ada, picture.id, ask)

    assert caught.value.code == "email_not_verified"
    assert [j.id for j in db.jobs.values()] == [job.id]
