"""PusherNotifier through the official SDK, against a signature-checking server."""

from __future__ import annotations

import hashlib
import hmac
import logging
import socket

import pytest
from pusher.errors import PusherBadAuth

from imagegen.adapters.fanout_notifier import FanOutNotifier
from imagegen.adapters.pusher_notifier import PusherNotifier
from imagegen.application.ports import Event
from tests.support.pusher_server import PusherServer, ReceivedEvent


def notifier_for(server: PusherServer, **overrides: object) -> PusherNotifier:
    settings: dict[str, object] = {
        "app_id": server.app_id,
        "key": server.key,
        "secret": server.secret,
        "host": "127.0.0.1",
        "port": server.port,
        "scheme": "http",
        "timeout": 5,
    }
    return PusherNotifier(**(settings | overrides))  # type: ignore[arg-type]


def progress(user_id: str = "u1", **data: object) -> Event:
    body = {"job_id": "j1", "image_id": "i1", "status": "running", "seq": 3}
    return Event("generation.progress", user_id, body | data)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_event_reaches_the_users_private_channel(
    pusher_server: PusherServer,
) -> None:
    notifier = notifier_for(pusher_server)

    notifier.publish(progress(progress={"completed": 1, "total": 4}))

    assert pusher_server.refused == []
    assert pusher_server.events == [
        ReceivedEvent(
            "private-user.u1",
            "generation.progress",
            {
                "job_id": "j1",
                "image_id": "i1",
                "status": "running",
                "seq": 3,
                "progress": {"completed": 1, "total": 4},
            },
        )
    ]


def test_a_wrong_secret_is_refused_by_the_server(pusher_server: PusherServer) -> None:
    notifier = notifier_for(pusher_server, secret="not-the-secret")

    with pytest.raises(PusherBadAuth):
        notifier.publish(progress())

    assert pusher_server.events == []
    assert pusher_server.refused == [(401, "auth_signature does not match")]


def test_a_refused_event_never_reaches_the_job_and_is_logged_once(
    pusher_server: PusherServer, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = FanOutNotifier(
        {"pusher": notifier_for(pusher_server, secret="not-the-secret")}
    )

    with caplog.at_level(logging.WARNING):
        notifier.publish(progress(seq=1))
        notifier.publish(progress(seq=2))

    assert [r.getMessage() for r in caplog.records] == [
        "notifier pusher: generation.progress for user u1 not delivered"
        " (PusherBadAuth); pausing for 30 s"
    ]
    assert "not-the-secret" not in caplog.text


def test_an_unreachable_server_never_reaches_the_job() -> None:
    notifier = FanOutNotifier(
        {
            "pusher": PusherNotifier(
                app_id="1",
                key="k",
                secret="s",
                host="127.0.0.1",
                port=closed_port(),
                scheme="http",
                timeout=1,
            )
        }
    )

    notifier.publish(progress())


def test_an_oversized_event_goes_out_with_its_essentials(
    pusher_server: PusherServer,
) -> None:
    notifier = notifier_for(pusher_server)

    notifier.publish(progress(image={"filename": "x" * 20_000}))

    [received] = pusher_server.events
    assert received.data == {
        "job_id": "j1",
        "image_id": "i1",
        "status": "running",
        "seq": 3,
        "truncated": True,
    }


def test_an_event_too_large_even_trimmed_is_not_sent(
    pusher_server: PusherServer,
) -> None:
    notifier = notifier_for(pusher_server)

    notifier.publish(progress(job_id="j" * 20_000))

    assert pusher_server.events == []
    assert pusher_server.refused == []


def test_a_subscription_signature_is_pushers_hmac(pusher_server: PusherServer) -> None:
    notifier = notifier_for(pusher_server)

    auth = notifier.authorize("123.456", "private-user.u1")

    expected = hmac.new(
        pusher_server.secret.encode(), b"123.456:private-user.u1", hashlib.sha256
    ).hexdigest()
    assert auth == f"{pusher_server.key}:{expected}"
