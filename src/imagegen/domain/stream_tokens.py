"""Short-lived tokens that open a user's event stream.

A browser's EventSource cannot send an Authorization header, so the stream
takes a token in its query string instead. Such a token is only good for
opening that stream, for about a minute, and names the session it was issued
under, so that signing out also stops it working. See domain.signing for
the token's form; nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imagegen.domain.errors import InvalidToken
from imagegen.domain.signing import BadToken, Signer

PURPOSE = "event-stream"
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
        self._signer = Signer(secret, _LABEL)

    def issue(self, user_id: str, session_id: str, expires_at: datetime) -> str:
        """Return a token that opens user_id's stream until expires_at."""
        return self._signer.seal(
            {
                "p": PURPOSE,
                "u": user_id,
                "s": session_id,
                "e": int(expires_at.timestamp()),
            }
        )

    def read(self, token: str, now: datetime) -> StreamClaims:
        """Return the claims of a genuine, unexpired stream token."""
        try:
            claims = _claims(self._signer.open(token))
        except (BadToken, TypeError, KeyError) as exc:
            raise _invalid("The stream token is not valid.") from exc
        if now.timestamp() >= claims.expires_at:
            raise _invalid("The stream token has expired; ask for a new one.")
        return claims


def _claims(data: Any) -> StreamClaims:
    if data["p"] != PURPOSE:
        raise TypeError("a token made for another purpose")
    claims = StreamClaims(user_id=data["u"], session_id=data["s"], expires_at=data["e"])
    if not (isinstance(claims.user_id, str) and isinstance(claims.session_id, str)):
        raise TypeError("token claims of the wrong type")
    if not isinstance(claims.expires_at, int):
        raise TypeError("token expiry is not a whole number")
    return claims


def _invalid(detail: str) -> InvalidToken:
    return InvalidToken(detail, code="stream_token_invalid")
