"""A loopback stand-in for Pusher's HTTP API that checks request signatures.

It speaks what the official SDK sends: POST /apps/{app_id}/events with
auth_key, auth_timestamp, auth_version, body_md5 and auth_signature in the
query, the signature being HMAC-SHA256 with the app secret over
"POST\\n{path}\\n{the other parameters, sorted, as k=v joined by &}". A
request with a wrong key or signature, a stale timestamp or a body that does
not match its MD5 is refused with 401, as Pusher does; an event whose data is
over 10 KB is refused with 413. Accepted events are recorded.

Fixture: ``pusher_server``, one server per test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

APP_ID = "4242"
KEY = "test-app-key"
SECRET = "test-app-secret"
MAX_DATA_BYTES = 10 * 1024
# Pusher refuses requests whose timestamp is further than this from its clock.
CLOCK_SKEW = 600


@dataclass(frozen=True)
class ReceivedEvent:
    channel: str
    name: str
    data: Any


@dataclass
class PusherServer:
    """What a test needs: where the server is, and what it accepted or refused."""

    port: int
    app_id: str = APP_ID
    key: str = KEY
    secret: str = SECRET
    events: list[ReceivedEvent] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)

    def check(self, method: str, target: str, body: bytes) -> tuple[int, str]:
        """Return the status and reason Pusher would answer a request with."""
        url = urlsplit(target)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        if url.path not in (f"/apps/{self.app_id}/events",):
            return 404, "unknown path"
        if params.get("auth_key") != self.key:
            return 401, "unknown auth_key"
        if params.get("auth_version") != "1.0":
            return 401, "auth_version must be 1.0"
        if abs(time.time() - float(params.get("auth_timestamp", 0))) > CLOCK_SKEW:
            return 401, "auth_timestamp too far from now"
        if params.get("body_md5") != hashlib.md5(body).hexdigest():
            return 401, "body_md5 does not match the body"
        if not hmac.compare_digest(
            params.pop("auth_signature", ""), self.sign(method, url.path, params)
        ):
            return 401, "auth_signature does not match"
        return 200, "ok"

    def sign(self, method: str, path: str, params: dict[str, str]) -> str:
        query = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
        message = f"{method}\n{path}\n{query}".encode()
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()

    def accept(self, body: bytes) -> tuple[int, str]:
        """Record the events of a signed request, or refuse an oversized one."""
        request = json.loads(body)
        data = request["data"]
        if len(data.encode()) > MAX_DATA_BYTES:
            return 413, "event data over 10 KB"
        for channel in request["channels"]:
            self.events.append(
                ReceivedEvent(channel, request["name"], json.loads(data))
            )
        return 200, "{}"


def _handler(server: PusherServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, reason = server.check("POST", self.path, body)
            if status == 200:
                status, reason = server.accept(body)
            if status != 200:
                server.refused.append((status, reason))
            payload = reason.encode() if status != 200 else b"{}"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@pytest.fixture
def pusher_server() -> Iterator[PusherServer]:
    """A signature-checking Pusher API on a free loopback port."""
    state = PusherServer(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join()
