from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from imagegen.domain.errors import TokenRejected
from imagegen.domain.signing import Signer
from imagegen.domain.tokens import RESET_PASSWORD, VERIFY_EMAIL, MailTokens

SECRET = "s" * 48
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def issue(tokens: MailTokens, purpose: str = VERIFY_EMAIL, ttl: int = 3600) -> str:
    return tokens.issue(
        purpose,
        "user-1",
        bound_to="ada@example.com",
        expires_at=NOW + timedelta(seconds=ttl),
    )


def rejection(tokens: MailTokens, token: str, purpose: str = VERIFY_EMAIL) -> str:
    with pytest.raises(TokenRejected) as caught:
        tokens.read(token, purpose, NOW)
    return caught.value.code


def test_a_fresh_token_reads_back_its_claims() -> None:
    tokens = MailTokens(SECRET)

    claims = tokens.read(issue(tokens), VERIFY_EMAIL, NOW)

    assert (claims.purpose, claims.user_id) == (VERIFY_EMAIL, "user-1")
    assert tokens.is_bound_to(claims, "ada@example.com")


def test_a_token_is_refused_from_the_second_it_expires() -> None:
    tokens = MailTokens(SECRET)
    token = issue(tokens, ttl=60)

    tokens.read(token, VERIFY_EMAIL, NOW + timedelta(seconds=59))
    with pytest.raises(TokenRejected) as caught:
        tokens.read(token, VERIFY_EMAIL, NOW + timedelta(seconds=60))

    assert caught.value.code == "mail_token_expired"


def test_a_token_serves_only_its_own_purpose() -> None:
    tokens = MailTokens(SECRET)

    assert rejection(tokens, issue(tokens, VERIFY_EMAIL), RESET_PASSWORD) == (
        "mail_token_invalid"
    )


def test_a_token_signed_with_another_secret_is_refused() -> None:
    forged = issue(MailTokens("x" * 48))

    assert rejection(MailTokens(SECRET), forged) == "mail_token_invalid"


def test_a_changed_payload_breaks_the_signature() -> None:
    tokens = MailTokens(SECRET)
    payload, signature = issue(tokens, ttl=60).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["e"] += 365 * 86400
    longer = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")

    assert rejection(tokens, f"{longer.decode()}.{signature}") == "mail_token_invalid"


def test_a_changed_signature_is_refused() -> None:
    tokens = MailTokens(SECRET)
    payload, signature = issue(tokens).split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    assert rejection(tokens, f"{payload}.{flipped}") == "mail_token_invalid"


@pytest.mark.parametrize(
    "token", ["", ".", "not-a-token", "a.b.c", "é.ü", "%%%.%%%", "x" * 1024]
)
def test_malformed_tokens_are_refused_as_invalid(token: str) -> None:
    assert rejection(MailTokens(SECRET), token) == "mail_token_invalid"


def test_a_genuine_signature_over_claims_of_the_wrong_shape_is_refused() -> None:
    signer = Signer(SECRET, b"imagegen mail token signature v1")
    wrong_shape = signer.seal({"p": "verify-email", "u": 7, "e": "soon"})

    assert rejection(MailTokens(SECRET), wrong_shape) == "mail_token_invalid"


def test_a_token_no_longer_binds_once_its_value_changes() -> None:
    tokens = MailTokens(SECRET)
    token = tokens.issue(
        RESET_PASSWORD,
        "user-1",
        bound_to="hash-before",
        expires_at=NOW + timedelta(hours=1),
    )

    claims = tokens.read(token, RESET_PASSWORD, NOW)

    assert tokens.is_bound_to(claims, "hash-before")
    assert not tokens.is_bound_to(claims, "hash-after")


def test_the_token_does_not_carry_the_bound_value_in_clear() -> None:
    tokens = MailTokens(SECRET)

    payload = issue(tokens).split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))

    assert b"ada@example.com" not in decoded
