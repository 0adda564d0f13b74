from __future__ import annotations

import logging

import pytest

from imagegen.application.mail_delivery import DeliveryDeps, deliver_mail
from imagegen.application.ports import MailMessage, MailNotSent
from tests.fakes import FakeMailer

MESSAGE = MailMessage(
    to="ada@example.com",
    subject="Hello",
    text="Open https://app.example.com/verify-email?token=SECRET-TOKEN\n",
    html="<p>Hello</p>",
    about="verify-email for user u1",
)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def deps_for(mailer: FakeMailer, sleeps: Sleeps, attempts: int = 3) -> DeliveryDeps:
    return DeliveryDeps(mailer=mailer, attempts=attempts, retry_delay=5, sleep=sleeps)


def busy() -> MailNotSent:
    return MailNotSent("server replied 451 try later", temporary=True)


def test_a_queued_message_is_sent_as_it_was_queued() -> None:
    mailer = FakeMailer()

    deliver_mail(deps_for(mailer, Sleeps()), MESSAGE.to_json())

    assert mailer.sent == [MESSAGE]


def test_temporary_failures_are_retried_with_doubling_waits() -> None:
    mailer, sleeps = FakeMailer(busy(), busy()), Sleeps()

    deliver_mail(deps_for(mailer, sleeps), MESSAGE.to_json())

    assert mailer.sent == [MESSAGE]
    assert sleeps.delays == [5, 10]


def test_a_message_still_refused_after_every_attempt_is_logged_as_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailer, sleeps = FakeMailer(busy(), busy(), busy()), Sleeps()

    deliver_mail(deps_for(mailer, sleeps), MESSAGE.to_json())

    assert (mailer.attempts, mailer.sent, sleeps.delays) == (3, [], [5, 10])
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "verify-email for user u1" in error.getMessage()


def test_a_permanent_failure_is_not_retried(caplog: pytest.LogCaptureFixture) -> None:
    mailer, sleeps = (
        FakeMailer(MailNotSent("550 no such user", temporary=False)),
        Sleeps(),
    )

    deliver_mail(deps_for(mailer, sleeps), MESSAGE.to_json())

    assert (mailer.attempts, sleeps.delays) == (1, [])
    assert any(r.levelno == logging.ERROR for r in caplog.records)


def test_an_unexpected_mailer_error_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BrokenMailer(FakeMailer):
        def send(self, message: MailMessage) -> None:
            raise RuntimeError("bug")

    deliver_mail(deps_for(BrokenMailer(), Sleeps()), MESSAGE.to_json())

    assert any(r.levelno == logging.ERROR for r in caplog.records)


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", '{"to": 5}'])
def test_a_payload_that_is_not_a_message_is_dropped_with_an_error(
    payload: str, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = FakeMailer()

    deliver_mail(deps_for(mailer, Sleeps()), payload)

    assert mailer.attempts == 0
    assert any(r.levelno == logging.ERROR for r in caplog.records)


def test_no_log_line_carries_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    mailer = FakeMailer(busy(), MailNotSent("550 gone", temporary=False))

    deliver_mail(deps_for(mailer, Sleeps()), MESSAGE.to_json())

    assert caplog.records
    assert all("SECRET-TOKEN" not in r.getMessage() for r in caplog.records)
