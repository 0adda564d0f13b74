"""Read a Server-Sent Events stream in tests, from any iterator of bytes.

The Flask test client's streamed body and an http.client response both give
one; the server's heartbeats keep each read short.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Generous: a healthy stream delivers well within this.
DEADLINE = 30.0


@dataclass
class Message:
    """One blank-line-terminated block: an event, or only comments."""

    id: str | None = None
    event: str | None = None
    data: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    @property
    def is_event(self) -> bool:
        return self.event is not None or bool(self.data)

    def json(self) -> Any:
        return json.loads("\n".join(self.data))


class SseReader:
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def message(self) -> Message:
        """Return the next block; raise EOFError when the stream has ended."""
        while b"\n\n" not in self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                raise EOFError("the stream ended")
            self._buffer += chunk.replace(b"\r\n", b"\n")
        block, self._buffer = self._buffer.split(b"\n\n", 1)
        return parse(block.decode())

    def events(self, count: int, deadline: float = DEADLINE) -> list[Message]:
        """Return the next count events, skipping comments; fail past deadline."""
        found: list[Message] = []
        give_up = time.monotonic() + deadline
        while len(found) < count:
            assert time.monotonic() < give_up, f"{len(found)} of {count} events came"
            message = self.message()
            if message.is_event:
                found.append(message)
        return found

    def until_heartbeat(self) -> list[Message]:
        """Return the events that come before the next heartbeat comment."""
        found: list[Message] = []
        while "heartbeat" not in (message := self.message()).comments:
            if message.is_event:
                found.append(message)
        return found


def parse(block: str) -> Message:
    message = Message()
    for line in block.split("\n"):
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "":
            message.comments.append(value)
        elif name == "id":
            message.id = value
        elif name == "event":
            message.event = value
        elif name == "data":
            message.data.append(value)
    return message
