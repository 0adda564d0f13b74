from __future__ import annotations

import pytest

from imagegen.domain.signing import BadToken, Signer, encode

SECRET = "s" * 40


def test_sealed_claims_open_again() -> None:
    signer = Signer(SECRET, b"kind one")

    assert signer.open(signer.seal({"u": "ada", "e": 5})) == {"u": "ada", "e": 5}


def test_a_token_of_another_kind_or_secret_does_not_open() -> None:
    token = Signer(SECRET, b"kind one").seal({"u": "ada"})

    for other in (Signer(SECRET, b"kind two"), Signer("t" * 40, b"kind one")):
        with pytest.raises(BadToken):
            other.open(token)


def test_a_changed_payload_does_not_open() -> None:
    signer = Signer(SECRET, b"kind one")
    _payload, signature = signer.seal({"u": "ada"}).split(".")
    forged = encode(b'{"u":"root"}') + "." + signature

    with pytest.raises(BadToken):
        signer.open(forged)


@pytest.mark.parametrize("token", ["", ".", "abc", "a.b.c", "%%%.%%%"])
def test_malformed_tokens_do_not_open(token: str) -> None:
    with pytest.raises(BadToken):
        Signer(SECRET, b"kind one").open(token)
