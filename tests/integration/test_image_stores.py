"""What every ImageStore adapter promises, checked on each against its real
counterpart: a local directory, and S3 over HTTP (moto's server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagegen.adapters.local_store import LocalImageStore
from imagegen.application.ports import ImageStore
from imagegen.domain.errors import NotFound
from tests.support.s3 import S3Bucket

KEY = "images/ab/abcdef0123456789/original.png"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ImageStore:
    if request.param == "local":
        return LocalImageStore(tmp_path / "storage")
    bucket: S3Bucket = request.getfixturevalue("s3_bucket")
    return bucket.store()


def test_put_then_get_returns_the_same_bytes(store: ImageStore) -> None:
    store.put(KEY, b"\x89PNG picture", "image/png")

    assert store.get(KEY) == b"\x89PNG picture"


def test_put_replaces_what_was_stored(store: ImageStore) -> None:
    store.put(KEY, b"first", "image/png")

    store.put(KEY, b"second", "image/png")

    assert store.get(KEY) == b"second"


def test_get_of_a_missing_key_raises_not_found(store: ImageStore) -> None:
    with pytest.raises(NotFound):
        store.get(KEY)


def test_deleted_key_is_gone(store: ImageStore) -> None:
    store.put(KEY, b"bytes", "image/png")

    store.delete(KEY)

    with pytest.raises(NotFound):
        store.get(KEY)


def test_deleting_twice_or_a_key_never_stored_is_fine(store: ImageStore) -> None:
    store.put(KEY, b"bytes", "image/png")

    store.delete(KEY)
    store.delete(KEY)
    store.delete("images/zz/never-stored/original.png")


def test_scan_lists_every_object_under_the_prefix_with_its_time(
    store: ImageStore,
) -> None:
    keys = {f"images/{n:02d}/{n:032d}/original.png" for n in range(12)}
    for key in keys:
        store.put(key, b"x", "image/png")
    store.put("elsewhere/other.png", b"x", "image/png")

    found = {item.key: item.modified_at for item in store.scan("images/")}

    assert set(found) == keys
    assert all(stamp.tzinfo is not None for stamp in found.values())
