"""Server-Sent Events framing (the WHATWG HTML standard, "Server-sent events").

Kept apart from Flask: the body generator holds no request, application
context or database connection while it waits, only the stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from imagegen.application.event_stream import EventStream, Heartbeat, StreamEnd
from imagegen.application.ports import StreamedEvent

MEDIA_TYPE = "text/event-stream"
# Headers that keep proxies from buffering or transforming the stream.
HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
}
END_EVENT = "stream.end"


def body(stream: EventStream, retry_ms: int) -> Iterator[bytes]:
    """Yield the stream as SSE: an opening comment, then its items."""
    yield f"retry: {retry_ms}\n: connected\n\n".encode()
    for item in stream:
        if isinstance(item, StreamedEvent):
            yield event(item).encode()
        elif isinstance(item, Heartbeat):
            yield b": heartbeat\n\n"
        elif isinstance(item, StreamEnd):
            # No id line: the client's Last-Event-ID stays the last real event's.
            yield _frame(None, END_EVENT, {"reason": item.reason}).encode()


def event(item: StreamedEvent) -> str:
    """Frame one event with its id, so that a reconnect resumes after it."""
    return _frame(item.id, item.name, item.data)


def _frame(event_id: str | None, name: str, data: dict[str, object]) -> str:
    lines = [] if event_id is None else [f"id: {_one_line(event_id)}"]
    lines.append(f"event: {_one_line(name)}")
    # json.dumps escapes newlines inside strings, so data is one line.
    lines.append("data: " + json.dumps(data, separators=(",", ":"), default=str))
    return "\n".join(lines) + "\n\n"


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")
