"""SmtpMailer against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from imagegen.adapters.smtp_mailer import SmtpMailer
from imagegen.application.mail_delivery import DeliveryDeps, deliver_mail
from imagegen.application.ports import MailMessage, MailNotSent
from tests.support.deployment import free_port
from tests.support.smtp import (
    HOST,
    Inbox,
    Passwords,
    client_context,
    html_part,
    links_in,
    running,
    self_signed,
    server_context,
    text_part,
)

MESSAGE = MailMessage(
    to="ada@example.com",
    subject="Verify your email address for imagegen",
    text="Hello Ada,\n\nhttps://app.example.com/verify-email?token=abc.def\n",
    html='<p>Hello Ada, <a href="https://app.example.com/verify-email?token=abc.def">'
    "verify</a></p>",
    about="verify-email for user u1",
)


def mailer(port: int, **options: object) -> SmtpMailer:
    settings: dict[str, object] = {
        "from_address": "noreply@imagegen.test",
        "from_name": "imagegen",
        "timeout": 5.0,
    }
    return SmtpMailer(HOST, port, **(settings | options))  # type: ignore[arg-type]


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def plain_server(inbox: Inbox) -> Iterator[int]:
    with running(inbox) as port:
        yield port


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


def test_a_message_arrives_with_a_text_and_an_html_part(
    plain_server: int, inbox: Inbox
) -> None:
    mailer(plain_server).send(MESSAGE)

    [received] = inbox.messages
    assert inbox.recipients == [["ada@example.com"]]
    assert received["Subject"] == MESSAGE.subject
    assert received["From"] == "imagegen <noreply@imagegen.test>"
    assert received["Message-ID"].endswith("@imagegen.test>")
    assert received["Date"]
    assert text_part(received) == MESSAGE.text
    assert "<a href=" in html_part(received)
    assert links_in(received) == ["https://app.example.com/verify-email?token=abc.def"]


def test_a_login_is_sent_when_a_username_is_set(inbox: Inbox) -> None:
    passwords = Passwords("mailer", "s3cret-smtp")

    with running(inbox, authenticator=passwords, auth_require_tls=False) as port:
        mailer(port, username="mailer", password="s3cret-smtp").send(MESSAGE)

    assert passwords.tried == ["mailer"]
    assert len(inbox.messages) == 1


def test_a_wrong_password_is_a_permanent_failure(inbox: Inbox) -> None:
    passwords = Passwords("mailer", "s3cret-smtp")

    with (
        running(inbox, authenticator=passwords, auth_require_tls=False) as port,
        pytest.raises(MailNotSent) as caught,
    ):
        mailer(port, username="mailer", password="wrong").send(MESSAGE)

    assert not caught.value.temporary
    assert "wrong" not in str(caught.value)
    assert inbox.messages == []


def test_starttls_upgrades_the_connection_before_login(
    inbox: Inbox, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    passwords = Passwords("mailer", "s3cret-smtp")
    tls = server_context(cert, key)

    with running(
        inbox, tls_context=tls, require_starttls=True, authenticator=passwords
    ) as port:
        mailer(
            port,
            encryption="tls",
            username="mailer",
            password="s3cret-smtp",
            ssl_context=client_context(cert),
        ).send(MESSAGE)

    assert passwords.tried == ["mailer"]
    assert len(inbox.messages) == 1


def test_implicit_tls_speaks_tls_from_the_first_byte(
    inbox: Inbox, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate

    with running(inbox, ssl_context=server_context(cert, key)) as port:
        mailer(port, encryption="ssl", ssl_context=client_context(cert)).send(MESSAGE)

    assert len(inbox.messages) == 1


def test_an_untrusted_certificate_is_a_permanent_failure(
    inbox: Inbox, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate

    with (
        running(inbox, ssl_context=server_context(cert, key)) as port,
        pytest.raises(MailNotSent) as caught,
    ):
        mailer(port, encryption="ssl", ssl_context=ssl.create_default_context()).send(
            MESSAGE
        )

    assert not caught.value.temporary


def test_a_4xx_reply_is_a_temporary_failure(plain_server: int, inbox: Inbox) -> None:
    inbox.refusals.append("451 4.3.0 Try again later")

    with pytest.raises(MailNotSent) as caught:
        mailer(plain_server).send(MESSAGE)

    assert caught.value.temporary
    assert "451" in str(caught.value)


def test_a_5xx_reply_is_a_permanent_failure(plain_server: int, inbox: Inbox) -> None:
    inbox.refusals.append("554 5.7.1 Rejected")

    with pytest.raises(MailNotSent) as caught:
        mailer(plain_server).send(MESSAGE)

    assert not caught.value.temporary


def test_no_server_listening_is_a_temporary_failure() -> None:
    with pytest.raises(MailNotSent) as caught:
        mailer(free_port()).send(MESSAGE)

    assert caught.value.temporary


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind((HOST, 0))
        silent.listen()

        with pytest.raises(MailNotSent) as caught:
            mailer(silent.getsockname()[1], timeout=0.2).send(MESSAGE)

    assert caught.value.temporary


def delivery(port: int, attempts: int = 3) -> DeliveryDeps:
    return DeliveryDeps(
        mailer=mailer(port), attempts=attempts, retry_delay=0, sleep=lambda _: None
    )


def test_a_refusing_server_is_retried_until_it_takes_the_message(
    plain_server: int, inbox: Inbox
) -> None:
    inbox.refusals.extend(["421 4.7.0 Busy", "451 4.3.0 Later"])

    deliver_mail(delivery(plain_server), MESSAGE.to_json())

    assert inbox.attempts == 3
    assert len(inbox.messages) == 1


def test_a_server_that_keeps_refusing_is_given_up_with_an_error_logged(
    plain_server: int, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    inbox.refusals.extend(["451 4.3.0 Later"] * 3)

    deliver_mail(delivery(plain_server), MESSAGE.to_json())

    assert (inbox.attempts, inbox.messages) == (3, [])
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "verify-email for user u1" in errors[0].getMessage()
    assert all("abc.def" not in r.getMessage() for r in caplog.records)


def test_a_server_that_is_down_is_retried_then_given_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    deliver_mail(delivery(free_port(), attempts=2), MESSAGE.to_json())

    levels = [r.levelno for r in caplog.records if r.name.startswith("imagegen")]
    assert levels.count(logging.WARNING) >= 1
    assert levels.count(logging.ERROR) == 1
