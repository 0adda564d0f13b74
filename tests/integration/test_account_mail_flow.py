"""Account mail end to end: the Flask app, SQLite, the in-process queue and a
real SMTP server on loopback. Each test reads the delivered mail, takes the
link out of it and follows it, as the frontend would.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from imagegen.adapters.sqlalchemy.migrations import upgrade
from imagegen.adapters.thread_queue import ThreadTaskQueue
from imagegen.bootstrap import Services, bootstrap
from imagegen.entrypoints.http.app import create_app
from tests.fakes import FakeClock
from tests.support.api import PASSWORD, ApiClient, picture, settings_for
from tests.support.deployment import free_port
from tests.support.smtp import Inbox, html_part, links_in, running

FRONTEND = "https://app.example.com"
ADDRESS = "ada@example.com"


@dataclass
class MailApp:
    api: ApiClient
    services: Services
    inbox: Inbox
    clock: FakeClock

    def settle(self) -> None:
        """Wait until every queued mail has been handed to the SMTP server."""
        queue = self.services.queue
        assert isinstance(queue, ThreadTaskQueue)
        queue.join()

    def links(self, page: str) -> list[str]:
        """Return the links to a frontend page in the mail delivered so far.

        Two queue threads send, so mails may arrive in either order.
        """
        found = [link for m in self.inbox.messages for link in links_in(m)]
        return [link for link in found if link.startswith(f"{FRONTEND}/{page}?")]

    def link(self, page: str) -> str:
        [link] = self.links(page)
        return link


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def build(tmp_path: Path, inbox: Inbox, mail_port: int, **env: str) -> MailApp:
    settings = settings_for(
        tmp_path,
        MAIL_MAILER="smtp",
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=str(mail_port),
        MAIL_FROM_ADDRESS="noreply@imagegen.test",
        MAIL_RETRY_DELAY="0",
        FRONTEND_URL=FRONTEND,
        **env,
    )
    upgrade(settings.database_url)
    clock = FakeClock(datetime.now(UTC))
    services = bootstrap(settings, queue=ThreadTaskQueue(), clock=clock)
    app: Flask = create_app(settings, services)
    return MailApp(ApiClient(app.test_client()), services, inbox, clock)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def mail(tmp_path: Path, inbox: Inbox) -> Iterator[MailApp]:
    with running(inbox) as port:
        built = build(tmp_path, inbox, port)
        yield built
        built.services.close()


def test_the_verification_link_verifies_the_address_once(mail: MailApp) -> None:
    access = mail.api.register(ADDRESS)["access_token"]
    mail.settle()
    [message] = mail.inbox.messages
    link = mail.link("verify-email")

    first = mail.api.post("/api/auth/email/verify", json={"token": token_of(link)})
    again = mail.api.post("/api/auth/email/verify", json={"token": token_of(link)})

    assert message["To"] == ADDRESS and "imagegen" in message["Subject"]
    assert link in html_part(message)
    assert first.status_code == 204
    assert mail.api.get("/api/auth/me", access).json["email_verified"] is True
    assert again.status_code == 400
    assert again.json["code"] == "mail_token_used"


def test_resend_mails_a_fresh_link_until_the_limit(mail: MailApp) -> None:
    access = mail.api.register(ADDRESS)["access_token"]
    answers = [
        mail.api.post("/api/auth/email/resend", access).status_code for _ in range(3)
    ]
    mail.settle()

    links = mail.links("verify-email")
    verified = mail.api.post(
        "/api/auth/email/verify", json={"token": token_of(links[0])}
    )

    assert answers == [202, 202, 429]
    assert len(links) == len(mail.inbox.messages) == 3
    assert verified.status_code == 204
    resent = mail.api.post("/api/auth/email/resend", access)
    assert (resent.status_code, resent.json["code"]) == (409, "email_already_verified")


def test_resend_needs_a_signed_in_user(mail: MailApp) -> None:
    assert mail.api.post("/api/auth/email/resend").status_code == 401


def test_the_reset_link_works_once_and_ends_every_earlier_session(
    mail: MailApp,
) -> None:
    registered = mail.api.register(ADDRESS)
    forgot = mail.api.post("/api/auth/password/forgot", json={"email": ADDRESS})
    mail.settle()
    token = token_of(mail.link("reset-password"))

    reset = mail.api.post(
        "/api/auth/password/reset", json={"token": token, "password": "new-password-1"}
    )
    reused = mail.api.post(
        "/api/auth/password/reset", json={"token": token, "password": "new-password-2"}
    )

    assert (forgot.status_code, reset.status_code) == (202, 204)
    assert (reused.status_code, reused.json["code"]) == (400, "mail_token_used")
    old_refresh = mail.api.post("/api/auth/refresh", registered["refresh_token"])
    assert old_refresh.status_code == 401
    assert mail.api.get("/api/auth/me", registered["access_token"]).status_code == 401
    assert login(mail, PASSWORD) == 401
    assert login(mail, "new-password-1") == 200


def login(mail: MailApp, password: str) -> int:
    response = mail.api.post(
        "/api/auth/login", json={"email": ADDRESS, "password": password}
    )
    return response.status_code


def test_forgot_for_an_unknown_address_answers_202_and_sends_nothing(
    mail: MailApp,
) -> None:
    mail.api.register(ADDRESS)
    mail.settle()

    response = mail.api.post(
        "/api/auth/password/forgot", json={"email": "nobody@example.com"}
    )
    mail.settle()

    assert response.status_code == 202
    assert len(mail.inbox.messages) == 1
    assert mail.inbox.to("nobody@example.com") == []


def test_an_expired_link_is_refused(mail: MailApp) -> None:
    mail.api.register(ADDRESS)
    mail.api.post("/api/auth/password/forgot", json={"email": ADDRESS})
    mail.settle()
    verify, reset = mail.link("verify-email"), mail.link("reset-password")
    mail.clock.advance(mail.services.settings.email_verification_ttl)

    verified = mail.api.post("/api/auth/email/verify", json={"token": token_of(verify)})
    reset_done = mail.api.post(
        "/api/auth/password/reset",
        json={"token": token_of(reset), "password": "new-password-1"},
    )

    assert (verified.status_code, verified.json["code"]) == (400, "mail_token_expired")
    assert (reset_done.status_code, reset_done.json["code"]) == (
        400,
        "mail_token_expired",
    )
    assert login(mail, PASSWORD) == 200


def test_a_tampered_link_is_refused(mail: MailApp) -> None:
    mail.api.register(ADDRESS)
    mail.settle()
    token = token_of(mail.link("verify-email"))
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = mail.api.post("/api/auth/email/verify", json={"token": tampered})

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "mail_token_invalid"


def test_a_mail_server_that_is_down_fails_no_request(
    tmp_path: Path, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    mail = build(tmp_path, inbox, free_port())

    registered = mail.api.client.post(
        "/api/auth/register",
        json={"name": "Ada", "email": ADDRESS, "password": PASSWORD},
    )
    forgot = mail.api.post("/api/auth/password/forgot", json={"email": ADDRESS})
    mail.settle()
    mail.services.close()

    assert (registered.status_code, forgot.status_code) == (201, 202)
    lost = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(lost) == 2
    assert all("token=" not in r.getMessage() for r in caplog.records)


def test_forgot_is_limited_per_client(tmp_path: Path, inbox: Inbox) -> None:
    with running(inbox) as port:
        mail = build(tmp_path, inbox, port, CLIENT_MAIL_LIMIT="2 per minute")
        answers = [
            mail.api.post(
                "/api/auth/password/forgot", json={"email": f"{n}@example.com"}
            )
            for n in range(3)
        ]
        mail.services.close()

    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[2].json["code"] == "too_many_requests"
    assert "Retry-After" in answers[2].headers


def test_generation_waits_for_a_verified_address_when_required(
    tmp_path: Path, inbox: Inbox
) -> None:
    ask = {"n": 1, "size": "256x256", "provider": "local"}
    with running(inbox) as port:
        mail = build(tmp_path, inbox, port, REQUIRE_VERIFIED_EMAIL="true")
        access = mail.api.register(ADDRESS)["access_token"]
        image_id = mail.api.upload(access, picture()).json["id"]
        variations = f"/api/images/{image_id}/variations"

        refused = mail.api.post(variations, access, json=ask)
        mail.settle()
        verify = {"token": token_of(mail.link("verify-email"))}
        mail.api.post("/api/auth/email/verify", json=verify)
        accepted = mail.api.post(variations, access, json=ask)
        mail.settle()
        mail.services.close()

    assert (refused.status_code, refused.json["code"]) == (403, "email_not_verified")
    assert accepted.status_code == 202
