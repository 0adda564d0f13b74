"""The real-time routes through the Flask app, over real adapters.

Pusher is the loopback stand-in that checks signatures; the event stream is
in process, or through this machine's Redis where a test says so.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from imagegen.application.ports import Event
from imagegen.config import Settings
from imagegen.entrypoints.http.app import create_app
from tests.support.api import ApiClient, settings_for
from tests.support.pusher_server import PusherServer
from tests.support.sse import Message, SseReader

STREAM_SETTINGS = {
    "SSE_HEARTBEAT_SECONDS": "1",
    "SSE_MAX_SECONDS": "60",
    "SSE_MAX_STREAMS_PER_USER": "2",
}


def pusher_env(server: PusherServer) -> dict[str, str]:
    return {
        "PUSHER_APP_ID": server.app_id,
        "PUSHER_APP_KEY": server.key,
        "PUSHER_APP_SECRET": server.secret,
        "PUSHER_APP_CLUSTER": "eu",
        "PUSHER_HOST": "127.0.0.1",
        "PUSHER_PORT": str(server.port),
        "PUSHER_SCHEME": "http",
    }


@pytest.fixture
def app_settings(tmp_path: Path, pusher_server: PusherServer) -> Settings:
    return settings_for(tmp_path, **STREAM_SETTINGS, **pusher_env(pusher_server))


class Stream:
    """An open event stream: its response, and a reader of its body."""

    def __init__(self, response: TestResponse) -> None:
        self.response = response
        self.reader = SseReader(iter(response.response))

    def close(self) -> None:
        self.response.close()


@pytest.fixture
def streams() -> Iterator[list[Stream]]:
    opened: list[Stream] = []
    yield opened
    for stream in opened:
        stream.close()


def open_stream(
    api: ApiClient, token: str, streams: list[Stream], **headers: str
) -> Stream:
    issued = api.post("/api/realtime/stream-token", token).json
    assert issued is not None
    response = api.client.get(issued["url"], headers=headers, buffered=False)
    assert response.status_code == 200, response.get_data()
    stream = Stream(response)
    streams.append(stream)
    return stream


def publish(
    app: Flask, user_id: str, seq: int, name: str = "generation.progress"
) -> None:
    data = {"job_id": "j1", "image_id": "i1", "status": "running", "seq": seq}
    app.extensions["imagegen"].notifier.publish(Event(name, user_id, data))


def seqs(messages: list[Message]) -> list[int]:
    return [message.json()["seq"] for message in messages]


def user_id(api: ApiClient, token: str) -> str:
    body = api.get("/api/auth/me", token).json
    assert body is not None
    return str(body["id"])


def signature(secret: str, socket_id: str, channel: str) -> str:
    message = f"{socket_id}:{channel}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def test_config_names_my_channel_pusher_and_the_stream(
    api: ApiClient, pusher_server: PusherServer
) -> None:
    token = api.token("ada@example.com")

    body: dict[str, Any] = api.get("/api/realtime/config", token).json or {}

    assert body["drivers"] == ["sse", "pusher"]
    assert body["channel"] == f"private-user.{user_id(api, token)}"
    assert body["pusher"] == {
        "key": pusher_server.key,
        "cluster": "eu",
        "host": "127.0.0.1",
        "port": pusher_server.port,
        "scheme": "http",
        "auth_endpoint": "/api/realtime/pusher/auth",
    }
    assert body["sse"]["events_url"] == "http://localhost/api/realtime/events"
    assert body["sse"]["token_url"] == "http://localhost/api/realtime/stream-token"
    assert pusher_server.secret not in str(body)


def test_config_without_pusher_offers_the_stream_only(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path))
    api = ApiClient(app.test_client())
    _migrate(app)

    body = api.get("/api/realtime/config", api.token("ada@example.com")).json or {}

    assert body["drivers"] == ["sse"]
    assert body["pusher"] is None
    app.extensions["imagegen"].close()


@pytest.mark.parametrize("route", ["/api/realtime/pusher/auth", "/broadcasting/auth"])
@pytest.mark.parametrize("as_form", [True, False])
def test_my_channel_is_signed_with_pushers_hmac(
    api: ApiClient, pusher_server: PusherServer, route: str, as_form: bool
) -> None:
    token = api.token("ada@example.com")
    channel = f"private-user.{user_id(api, token)}"
    fields = {"socket_id": "1234.5678", "channel_name": channel}

    sent = {"data": fields} if as_form else {"json": fields}
    response = api.post(route, token, **sent)

    assert response.status_code == 200
    expected = signature(pusher_server.secret, "1234.5678", channel)
    assert response.json == {"auth": f"{pusher_server.key}:{expected}"}


@pytest.mark.parametrize("route", ["/api/realtime/pusher/auth", "/broadcasting/auth"])
def test_another_users_channel_answers_403(api: ApiClient, route: str) -> None:
    ada = api.token("ada@example.com")
    bob_channel = f"private-user.{user_id(api, api.token('bob@example.com'))}"

    response = api.post(
        route, ada, data={"socket_id": "1.2", "channel_name": bob_channel}
    )

    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert (response.json or {})["code"] == "channel_forbidden"


def test_pusher_auth_without_a_token_answers_401(api: ApiClient) -> None:
    response = api.post(
        "/api/realtime/pusher/auth",
        data={"socket_id": "1.2", "channel_name": "private-user.x"},
    )

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        (
            {"socket_id": "1.2:x", "channel_name": "{own}"},
            "socket_id",
            "invalid_socket_id",
        ),
        (
            {"socket_id": "1.2", "channel_name": "presence-x"},
            "channel_name",
            "invalid_channel_name",
        ),
        ({"channel_name": "{own}"}, "socket_id", "bad_request"),
        ({"socket_id": "1.2"}, "channel_name", "bad_request"),
    ],
)
def test_a_malformed_subscription_answers_400(
    api: ApiClient, fields: dict[str, str], field: str, code: str
) -> None:
    token = api.token("ada@example.com")
    own = f"private-user.{user_id(api, token)}"
    sent = {k: v.replace("{own}", own) for k, v in fields.items()}

    response = api.post("/api/realtime/pusher/auth", token, data=sent)

    assert response.status_code == 400
    body = response.json or {}
    assert body["code"] == code
    assert field in body["errors"]


def test_pusher_auth_answers_404_when_pusher_is_off(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path))
    api = ApiClient(app.test_client())
    _migrate(app)
    token = api.token("ada@example.com")

    response = api.post(
        "/api/realtime/pusher/auth",
        token,
        data={
            "socket_id": "1.2",
            "channel_name": f"private-user.{user_id(api, token)}",
        },
    )

    assert response.status_code == 404
    assert (response.json or {})["code"] == "pusher_disabled"
    app.extensions["imagegen"].close()


def test_a_stream_token_comes_with_the_url_to_open(api: ApiClient) -> None:
    body = api.post("/api/realtime/stream-token", api.token("ada@example.com")).json

    assert body is not None
    assert body["expires_in"] == 60
    assert body["url"].startswith("http://localhost/api/realtime/events?token=")
    assert body["token"] in body["url"]


@pytest.mark.parametrize("query", ["", "?token=", "?token=forged.token"])
def test_the_stream_refuses_a_missing_or_forged_token(
    api: ApiClient, query: str
) -> None:
    response = api.client.get(f"/api/realtime/events{query}")

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_an_access_token_does_not_open_the_stream(api: ApiClient) -> None:
    token = api.token("ada@example.com")

    response = api.client.get(f"/api/realtime/events?token={token}")

    assert response.status_code == 401


def test_my_events_arrive_in_order_and_another_user_hears_none(
    app: Flask, api: ApiClient, streams: list[Stream]
) -> None:
    ada, bob = api.token("ada@example.com"), api.token("bob@example.com")
    ada_stream = open_stream(api, ada, streams)
    bob_stream = open_stream(api, bob, streams)

    for seq in range(1, 6):
        publish(app, user_id(api, ada), seq)

    received = ada_stream.reader.events(5)
    assert seqs(received) == [1, 2, 3, 4, 5]
    assert {m.event for m in received} == {"generation.progress"}
    assert all(m.id for m in received)
    assert bob_stream.reader.until_heartbeat() == []


def test_sse_and_pusher_carry_the_same_events(
    app: Flask, api: ApiClient, streams: list[Stream], pusher_server: PusherServer
) -> None:
    ada = api.token("ada@example.com")
    stream = open_stream(api, ada, streams)

    publish(app, user_id(api, ada), 1, "generation.started")

    [message] = stream.reader.events(1)
    [pushed] = pusher_server.events
    assert (message.event, message.json()) == (pushed.name, pushed.data)
    assert pushed.channel == f"private-user.{user_id(api, ada)}"


def test_a_reconnect_with_last_event_id_gets_what_it_missed(
    app: Flask, api: ApiClient, streams: list[Stream]
) -> None:
    ada = api.token("ada@example.com")
    first = open_stream(api, ada, streams)
    publish(app, user_id(api, ada), 1)
    [seen] = first.reader.events(1)
    first.close()

    publish(app, user_id(api, ada), 2)
    publish(app, user_id(api, ada), 3)
    assert seen.id is not None
    again = open_stream(api, ada, streams, **{"Last-Event-ID": seen.id})

    assert seqs(again.reader.events(2)) == [2, 3]


def test_streams_past_the_cap_answer_429_until_one_closes(
    api: ApiClient, streams: list[Stream]
) -> None:
    ada = api.token("ada@example.com")
    first = open_stream(api, ada, streams)
    open_stream(api, ada, streams)
    issued = api.post("/api/realtime/stream-token", ada).json or {}

    refused = api.client.get(issued["url"])

    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert (refused.json or {})["code"] == "too_many_streams"
    assert int(refused.headers["Retry-After"]) > 0

    first.close()
    open_stream(api, ada, streams)


def test_a_stream_opens_with_a_retry_hint_and_no_caching(
    api: ApiClient, streams: list[Stream]
) -> None:
    stream = open_stream(api, api.token("ada@example.com"), streams)

    opening = stream.reader.message()

    assert stream.response.mimetype == "text/event-stream"
    assert stream.response.headers["Cache-Control"] == "no-cache, no-transform"
    assert opening.comments == ["connected"]


def test_the_demo_page_is_served_with_a_strict_policy(api: ApiClient) -> None:
    page = api.client.get("/api/realtime/demo")
    script = api.client.get("/api/realtime/demo.js")

    assert page.status_code == script.status_code == 200
    assert b"EventSource" in script.data
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def _migrate(app: Flask) -> None:
    from imagegen.adapters.sqlalchemy.migrations import upgrade

    upgrade(app.extensions["imagegen"].settings.database_url)


@pytest.fixture
def redis_env(redis_url: str, redis_prefix: str) -> dict[str, str]:
    return {"REDIS_URL": redis_url, "REDIS_PREFIX": redis_prefix}


@pytest.fixture
def web_pair(tmp_path: Path, redis_env: dict[str, str]) -> Iterator[list[Flask]]:
    """Two web processes of one deployment: one database, one Redis."""
    settings = settings_for(tmp_path, **STREAM_SETTINGS, **redis_env)
    from imagegen.adapters.sqlalchemy.migrations import upgrade

    upgrade(settings.database_url)
    apps = [create_app(settings), create_app(settings)]
    yield apps
    for made in apps:
        made.extensions["imagegen"].close()


def test_events_published_by_another_process_arrive_through_redis(
    web_pair: list[Flask], streams: list[Stream]
) -> None:
    web, worker = web_pair
    api = ApiClient(web.test_client())
    ada, bob = api.token("ada@example.com"), api.token("bob@example.com")
    ada_stream, bob_stream = (
        open_stream(api, ada, streams),
        open_stream(api, bob, streams),
    )

    for seq in range(1, 6):
        publish(worker, user_id(api, ada), seq)

    assert seqs(ada_stream.reader.events(5)) == [1, 2, 3, 4, 5]
    assert bob_stream.reader.until_heartbeat() == []


def test_a_reconnect_to_another_process_gets_what_it_missed(
    web_pair: list[Flask], streams: list[Stream]
) -> None:
    first_api, second_api = (ApiClient(web.test_client()) for web in web_pair)
    ada = first_api.token("ada@example.com")
    first = open_stream(first_api, ada, streams)
    publish(web_pair[0], user_id(first_api, ada), 1)
    [seen] = first.reader.events(1)
    first.close()

    publish(web_pair[0], user_id(first_api, ada), 2)
    assert seen.id is not None
    again = open_stream(second_api, ada, streams, **{"Last-Event-ID": seen.id})

    assert seqs(again.reader.events(1)) == [2]


def test_the_stream_cap_holds_across_processes(
    web_pair: list[Flask], streams: list[Stream]
) -> None:
    first_api, second_api = (ApiClient(web.test_client()) for web in web_pair)
    ada = first_api.token("ada@example.com")
    open_stream(first_api, ada, streams)
    open_stream(second_api, ada, streams)
    issued = second_api.post("/api/realtime/stream-token", ada).json or {}

    assert first_api.client.get(issued["url"]).status_code == 429
