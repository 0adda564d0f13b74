"""Signed, expiring, single-purpose tokens for the links in account mail.

A token (see domain.signing for its form) names the purpose, the user, the
expiry (Unix seconds) and a binding: a keyed fingerprint of the value the
token is tied to, such as the address a verification was sent to or the
password hash a reset replaces.
Nothing is stored: once the bound value changes, the token stops working.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imagegen.domain.errors import TokenRejected
from imagegen.domain.signing import BadToken, Signer, derive_key, encode

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
        self._signer = Signer(secret, _SIGNING_LABEL)
        self._binding_key = derive_key(secret, _BINDING_LABEL)

    def issue(
        self, purpose: str, user_id: str, *, bound_to: str, expires_at: datetime
    ) -> str:
        """Return a token for purpose, valid until expires_at while bound_to holds."""
        return self._signer.seal(
            {
                "p": purpose,
                "u": user_id,
                "e": int(expires_at.timestamp()),
                "b": self.fingerprint(bound_to),
            }
        )

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
        digest = hmac.digest(self._binding_key, value.encode(), "sha256")
        return encode(digest[:16])

    def _genuine_claims(self, token: str) -> TokenClaims:
        try:
            return _claims(self._signer.open(token))
        except (BadToken, TypeError, KeyError) as exc:
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
