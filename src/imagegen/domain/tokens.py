"""Signed, expiring, single-purpose tokens for the links in account mail.

A token is ``<payload>.<signature>``, both base64url without padding. The
payload is JSON naming the purpose, the user, the expiry (Unix seconds) and a
binding: a keyed fingerprint of the value the token is tied to, such as the
address a verification was sent to or the password hash a reset replaces.
Nothing is stored: once the bound value changes, the token stops working.
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

from imagegen.domain.errors import TokenRejected

VERIFY_EMAIL = "verify-email"
RESET_PASSWORD = "reset-password"

# Both keys are derived from the application secret under their own label, so
# a signature made with the secret for another use (a JWT) never checks out
# here, and a binding fingerprint can never serve as a signature.
_SIGNING_LABEL = b"imagegen mail token signature v1"
_BINDING_LABEL = b"imagegen mail token binding v1"


@dataclass(frozen=True)
class TokenClaims:
    """What a genuine token says."""

    purpose: str
    user_id: str
    expires_at: int
    binding: str


class MailTokens:
    """Issue and check the tokens that links in account mail carry."""

    def __init__(self, secret: str) -> None:
        root = secret.encode()
        self._signing_key = hmac.new(root, _SIGNING_LABEL, hashlib.sha256).digest()
        self._binding_key = hmac.new(root, _BINDING_LABEL, hashlib.sha256).digest()

    def issue(
        self, purpose: str, user_id: str, *, bound_to: str, expires_at: datetime
    ) -> str:
        """Return a token for purpose, valid until expires_at while bound_to holds."""
        claims = {
            "p": purpose,
            "u": user_id,
            "e": int(expires_at.timestamp()),
            "b": self.fingerprint(bound_to),
        }
        payload = _encode(json.dumps(claims, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def read(self, token: str, purpose: str, now: datetime) -> TokenClaims:
        """Return the claims of a genuine, unexpired token made for purpose."""
        claims = self._genuine_claims(token)
        if claims.purpose != purpose:
            raise _invalid()
        if now.timestamp() >= claims.expires_at:
            raise TokenRejected(
                "This link has expired; ask for a new one.",
                code="mail_token_expired",
            )
        return claims

    def is_bound_to(self, claims: TokenClaims, value: str) -> bool:
        """Tell whether the token was issued while value held."""
        return hmac.compare_digest(claims.binding, self.fingerprint(value))

    def fingerprint(self, value: str) -> str:
        """Return a short keyed digest of value that reveals nothing about it."""
        digest = hmac.new(self._binding_key, value.encode(), hashlib.sha256).digest()
        return _encode(digest[:16])

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._signing_key, payload.encode(), hashlib.sha256)
        return _encode(mac.digest())

    def _genuine_claims(self, token: str) -> TokenClaims:
        payload, _, signature = token.partition(".")
        expected = self._sign(payload).encode()
        if not hmac.compare_digest(signature.encode(), expected):
            raise _invalid()
        try:
            return _claims(json.loads(_decode(payload)))
        except (ValueError, TypeError, KeyError) as exc:
            raise _invalid() from exc


def _claims(data: Any) -> TokenClaims:
    claims = TokenClaims(
        purpose=data["p"], user_id=data["u"], expires_at=data["e"], binding=data["b"]
    )
    texts = (claims.purpose, claims.user_id, claims.binding)
    if not all(isinstance(text, str) for text in texts):
        raise TypeError("token claims of the wrong type")
    if not isinstance(claims.expires_at, int):
        raise TypeError("token expiry is not a whole number")
    return claims


def _invalid() -> TokenRejected:
    return TokenRejected(
        "This link is not valid; check that it was copied whole.",
        code="mail_token_invalid",
    )


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc
