"""Signed, self-contained tokens: ``<payload>.<signature>``, both base64url.

The payload is compact JSON; the signature is HMAC-SHA256 under a key derived
from the application secret and a label of the token's own kind, so that a
signature made for one kind (or for a JWT under the same secret) never checks
out for another. Nothing is stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any


class BadToken(ValueError):
    """The token was not made by this signer, or is not well formed."""


class Signer:
    """Seal claims into a token and open only tokens sealed with the same key."""

    def __init__(self, secret: str, label: bytes) -> None:
        self._key = derive_key(secret, label)

    def seal(self, claims: dict[str, Any]) -> str:
        payload = encode(json.dumps(claims, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def open(self, token: str) -> dict[str, Any]:
        """Return the claims of a token this signer sealed; raise BadToken."""
        payload, _, signature = token.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            raise BadToken("signature does not match")
        try:
            claims = json.loads(decode(payload))
        except ValueError as exc:
            raise BadToken("payload is not JSON") from exc
        if not isinstance(claims, dict):
            raise BadToken("payload is not an object")
        return claims

    def _sign(self, payload: str) -> str:
        return encode(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())


def derive_key(secret: str, label: bytes) -> bytes:
    """Return a key for one use, derived from the application secret."""
    return hmac.new(secret.encode(), label, hashlib.sha256).digest()


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise BadToken("not base64url") from exc
