"""The real clock and id source."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIdSource:
    """128 random bits as 32 hex characters: opaque and not guessable."""

    def new_id(self) -> str:
        return secrets.token_hex(16)
