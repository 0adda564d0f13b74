"""Account mail queued on Redis, sent by a real `rq worker` process over SMTP."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from redis import Redis

from imagegen.adapters.sqlalchemy.migrations import upgrade
from imagegen.application import account_mail
from imagegen.bootstrap import Services, bootstrap
from imagegen.config import load_settings
from tests.support.deployment import Workers, deployment_env
from tests.support.smtp import Inbox, links_in, running

FRONTEND = "https://app.example.com"


class MailStack:
    """Services queuing on Redis, one worker process, and the SMTP inbox."""

    def __init__(self, root: Path, env: dict[str, str], inbox: Inbox) -> None:
        self.inbox = inbox
        self.services: Services = bootstrap(load_settings(env))
        self.workers = Workers(root, env)
        self.workers.start()

    def wait_for_mail(self, count: int) -> None:
        """Poll the inbox until count mails are in; fail if the worker dies."""
        while len(self.inbox.messages) < count:
            if self.workers.all_exited():
                pytest.fail(f"the worker exited:\n{self.workers.logs()[-4000:]}")
            time.sleep(0.05)

    def stop(self) -> str:
        """Stop the worker and return what it logged."""
        self.workers.stop()
        self.services.close()
        return self.workers.logs()


@pytest.fixture
def stack(
    tmp_path: Path, redis_url: str, redis_prefix: str, redis_client: Redis[bytes]
) -> Iterator[MailStack]:
    inbox = Inbox()
    queue = f"imagegen-test-{secrets.token_hex(6)}"
    with running(inbox) as port:
        env = deployment_env(
            tmp_path,
            redis_url=redis_url,
            prefix=redis_prefix,
            RQ_QUEUE=queue,
            MAIL_MAILER="smtp",
            MAIL_HOST="127.0.0.1",
            MAIL_PORT=str(port),
            MAIL_FROM_ADDRESS="noreply@imagegen.test",
            FRONTEND_URL=FRONTEND,
        )
        upgrade(env["DATABASE_URL"])
        yield MailStack(tmp_path, env, inbox)
    for key in redis_client.scan_iter(f"rq:*{queue}*"):
        redis_client.delete(key)


def test_a_worker_process_sends_the_mail_and_logs_no_token(stack: MailStack) -> None:
    deps = stack.services.account_mail
    user = account_mail.register(deps, "Ada", "ada@example.com", "s3cret-pass").user
    account_mail.forgot_password(deps, "ada@example.com")

    stack.wait_for_mail(2)
    worker_log = stack.stop()

    links = [link for message in stack.inbox.messages for link in links_in(message)]
    tokens = [parse_qs(urlsplit(link).query)["token"][0] for link in links]
    assert sorted(urlsplit(link).path for link in links) == [
        "/reset-password",
        "/verify-email",
    ]
    assert "sent" in worker_log
    assert not [token for token in tokens if token in worker_log]
    verify = next(t for t, link in zip(tokens, links, strict=True) if "verify" in link)
    account_mail.verify_email(deps, verify)
    with deps.accounts.uow() as uow:
        stored = uow.users.get(user.id)
    assert stored is not None and stored.email_verified
