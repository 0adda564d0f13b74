"""A loopback HTTP server that answers OpenAI's image edit endpoint.

A pytest plugin. ``openai_server`` speaks enough of the API for the official
SDK: ``POST /v1/images/edits`` takes multipart form data and answers with
``data[i].b64_json`` pictures of the size asked, or with the error replies a
test scripts beforehand (quota, throttling, server errors, refusals).
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

EDITS_PATH = "/v1/images/edits"


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status and an OpenAI-shaped error body."""

    status: int
    code: str | None = None
    message: str = "scripted failure"
    kind: str = "invalid_request_error"
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        error = {"message": self.message, "type": self.kind, "code": self.code}
        return json.dumps({"error": error, "param": None}).encode()


QUOTA = Reply(429, "insufficient_quota", "You exceeded your current quota.")
THROTTLED = Reply(
    429, "rate_limit_exceeded", "Slow down.", headers={"retry-after": "0"}
)
SERVER_ERROR = Reply(500, None, "The server had an error.", kind="server_error")
MODERATION = Reply(
    400, "moderation_blocked", "Your request was rejected by the safety system."
)
BAD_KEY = Reply(401, "invalid_api_key", "Incorrect API key provided: sk-abc***xyz.")


@dataclass
class EditRequest:
    """What one call sent: its form fields, the image part and the auth header."""

    fields: dict[str, str]
    image: bytes
    image_type: str
    authorization: str


class OpenAIStandIn:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[EditRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *replies: Reply) -> None:
        """Answer the next calls with replies, in order, then succeed again."""
        with self._lock:
            self.replies.extend(replies)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_reply(self, request: EditRequest) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            return self.replies.pop(0) if self.replies else None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path != EDITS_PATH:
                    self._send(404, Reply(404, "not_found").body())
                    return
                request = _parse(self)
                reply = stand_in.next_reply(request)
                if reply is not None:
                    self._send(reply.status, reply.body(), reply.headers)
                    return
                self._send(200, _success(request.fields))

            def _send(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return None

        return Handler


def _parse(handler: BaseHTTPRequestHandler) -> EditRequest:
    length = int(handler.headers.get("Content-Length", "0"))
    raw = handler.rfile.read(length)
    head = f"Content-Type: {handler.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    fields: dict[str, str] = {}
    image, image_type = b"", ""
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        if name in ("image", "image[]"):
            image, image_type = payload, part.get_content_type()
        else:
            fields[str(name)] = payload.decode()
    return EditRequest(
        fields, image, image_type, handler.headers.get("Authorization", "")
    )


def _success(fields: dict[str, str]) -> bytes:
    width, height = (int(v) for v in fields.get("size", "1024x1024").split("x"))
    count = int(fields.get("n", "1"))
    data = [{"b64_json": _picture(width, height, i)} for i in range(count)]
    return json.dumps({"created": int(time.time()), "data": data}).encode()


def _picture(width: int, height: int, index: int) -> str:
    buffer = io.BytesIO()
    colour = (40 + 50 * index % 200, 120, 200 - 30 * index % 180)
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def openai_server() -> Iterator[OpenAIStandIn]:
    server = OpenAIStandIn()
    server.start()
    yield server
    server.stop()
