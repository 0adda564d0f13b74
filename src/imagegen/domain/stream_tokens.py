"""Short-lived tokens that open a user's event stream.

A browser's EventSource cannot send an Authorization header, so the stream
takes a token in its query string instead. Such a token is only good for
opening that stream, for about a minute, and names the session it was issued
under, so that signing out also stops it working. It is
``<payload>.<signature>``, both base64url without padding; the payload is
JSON. Nothing is stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imagegen.domain.errors import InvalidToken

PURPOSE = "event-stream"
# The key is derived from the application secret under its own label, so a
# signature made with that secret for anything else never checks out here.
_LABEL = b"imagegen event stream token v1"


@dataclass(frozen=True)
class StreamClaims:
    """What a genuine stream token says."""

    user_id: str
    session_id: str
    expires_at: int


class StreamTokens:
    """Issue and check event-stream tokens."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), _LABEL, hashlib.sha256).digest()

    def issue(self, user_id: str, session_id: str, expires_at: datetime) -> str:
        """Return a token that opens user_id's stream until expires_at."""
        claims = {
            "p": PURPOSE,
            "u": user_id,
            "s": session_id,
            "e": int(expires_at.timestamp()),
        }
        payload = _encode(json.dumps(claims, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def read(self, token: str, now: datetime) -> StreamClaims:
        """Return the claims of a genuine, unexpired stream token."""
        payload, _, signature = token.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            raise _invalid("The stream token is not valid.")
        try:
            claims = _claims(json.loads(_decode(payload)))
        except (ValueError, TypeError, KeyError) as exc:
            raise _invalid("The stream token is not valid.") from exc
        if now.timestamp() >= claims.expires_at:
            raise _invalid("The stream token has expired; ask for a new one.")
        return claims

    def _sign(self, payload: str) -> str:
        return _encode(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())


def _claims(data: Any) -> StreamClaims:
    if data["p"] != PURPOSE:
        raise ValueError("a token made for another purpose")
    claims = StreamClaims(user_id=data["u"], session_id=data["s"], expires_at=data["e"])
    if not (isinstance(claims.user_id, str) and isinstance(claims.session_id, str)):
        raise TypeError("token claims of the wrong type")
    if not isinstance(claims.expires_at, int):
        raise TypeError("token expiry is not a whole number")
    return claims


def _invalid(detail: str) -> InvalidToken:
    return InvalidToken(detail, code="stream_token_invalid")


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc
