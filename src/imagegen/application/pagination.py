"""Keyset pagination: opaque cursors over (created_at, id), newest first."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from imagegen.domain.errors import ValidationFailed

T = TypeVar("T")

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class PageKey:
    """The position of the last item a client has seen."""

    created_at: datetime
    id: str


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    after: PageKey | None = None

    @property
    def fetch(self) -> int:
        """How many rows to read: one more than asked tells whether more follow."""
        return self.limit + 1


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def page_request(limit: int | None, cursor: str | None) -> PageRequest:
    """Build a page request from a client's limit and cursor."""
    size = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= size <= MAX_LIMIT:
        raise ValidationFailed(
            "limit is out of range", errors={"limit": [f"Must be 1 to {MAX_LIMIT}."]}
        )
    return PageRequest(limit=size, after=decode_cursor(cursor) if cursor else None)


def make_page(
    rows: Sequence[T], request: PageRequest, key: Callable[[T], PageKey]
) -> Page[T]:
    """Cut the extra row off and turn the last kept row into the next cursor."""
    items = list(rows[: request.limit])
    more = len(rows) > request.limit
    return Page(items, encode_cursor(key(items[-1])) if more and items else None)


def encode_cursor(key: PageKey) -> str:
    raw = json.dumps([key.created_at.isoformat(), key.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> PageKey:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, key_id = json.loads(raw)
        return PageKey(datetime.fromisoformat(stamp), str(key_id))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "cursor is not one this service issued",
            errors={"cursor": ["Not a valid cursor."]},
        ) from exc
