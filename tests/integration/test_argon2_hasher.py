from __future__ import annotations

from imagegen.adapters.argon2_hasher import Argon2PasswordHasher


def test_hashes_are_argon2id_salted_and_verifiable() -> None:
    hasher = Argon2PasswordHasher()

    first, second = hasher.hash("s3cret-pass"), hasher.hash("s3cret-pass")

    assert first.startswith("$argon2id$") and first != second
    assert hasher.verify(first, "s3cret-pass")
    assert not hasher.verify(first, "s3cret-pasS")


def test_a_corrupt_hash_verifies_nothing() -> None:
    assert not Argon2PasswordHasher().verify("not-a-hash", "anything")
