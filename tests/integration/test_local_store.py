"""LocalImageStore against a real directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from imagegen.adapters.local_store import LocalImageStore
from imagegen.domain.errors import NotFound, ServiceUnavailable

KEY = "images/ab/abcdef0123456789.png"


@pytest.fixture
def store(tmp_path: Path) -> LocalImageStore:
    return LocalImageStore(tmp_path / "storage")


def test_put_then_get_returns_the_same_bytes(store: LocalImageStore) -> None:
    store.put(KEY, b"\x89PNG picture", "image/png")

    assert store.get(KEY) == b"\x89PNG picture"


def test_put_replaces_what_was_stored(store: LocalImageStore) -> None:
    store.put(KEY, b"first", "image/png")

    store.put(KEY, b"second", "image/png")

    assert store.get(KEY) == b"second"


def test_put_leaves_no_temporary_file_behind(
    store: LocalImageStore, tmp_path: Path
) -> None:
    store.put(KEY, b"bytes", "image/png")

    files = [path for path in (tmp_path / "storage").rglob("*") if path.is_file()]
    assert files == [tmp_path / "storage" / KEY]


def test_get_of_a_missing_key_raises_not_found(store: LocalImageStore) -> None:
    with pytest.raises(NotFound):
        store.get(KEY)


def test_get_of_a_directory_key_raises_not_found(store: LocalImageStore) -> None:
    store.put(KEY, b"bytes", "image/png")

    with pytest.raises(NotFound):
        store.get("images/ab")


def test_deleted_key_is_gone(store: LocalImageStore) -> None:
    store.put(KEY, b"bytes", "image/png")

    store.delete(KEY)

    with pytest.raises(NotFound):
        store.get(KEY)


def test_deleting_twice_is_fine(store: LocalImageStore) -> None:
    store.put(KEY, b"bytes", "image/png")

    store.delete(KEY)
    store.delete(KEY)


def test_deleting_a_key_never_stored_is_fine(store: LocalImageStore) -> None:
    store.delete(KEY)


@pytest.mark.parametrize(
    "key",
    [
        "../outside.png",
        "images/../../outside.png",
        "/etc/passwd",
        "images\\..\\..\\outside.png",
        "images/a\x00.png",
        "",
        ".",
    ],
)
def test_keys_that_would_leave_the_root_are_refused(
    store: LocalImageStore, tmp_path: Path, key: str
) -> None:
    with pytest.raises(ValueError, match="unsafe storage key"):
        store.put(key, b"bytes", "image/png")

    assert not (tmp_path / "outside.png").exists()


def test_key_through_a_symlink_out_of_the_root_is_refused(
    store: LocalImageStore, tmp_path: Path
) -> None:
    (tmp_path / "storage").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "storage" / "images").symlink_to(tmp_path / "elsewhere")

    with pytest.raises(ValueError, match="unsafe storage key"):
        store.put("images/x.png", b"bytes", "image/png")

    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_signed_url_is_none_so_the_bytes_are_served(store: LocalImageStore) -> None:
    store.put(KEY, b"bytes", "image/png")

    url = store.signed_url(
        KEY, filename="cat.png", content_type="image/png", attachment=True
    )

    assert url is None


def test_ping_succeeds_on_a_writable_directory(store: LocalImageStore) -> None:
    store.ping()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_ping_fails_on_a_read_only_directory(tmp_path: Path) -> None:
    root = tmp_path / "storage"
    root.mkdir(mode=0o500)
    store = LocalImageStore(root)

    with pytest.raises(ServiceUnavailable):
        store.ping()


def test_ping_fails_when_the_root_is_a_file(tmp_path: Path) -> None:
    root = tmp_path / "storage"
    root.write_bytes(b"not a directory")
    store = LocalImageStore(root)

    with pytest.raises(ServiceUnavailable):
        store.ping()


def test_scan_lists_finished_files_under_the_prefix(store: LocalImageStore) -> None:
    store.put("images/ab/one/original.png", b"1", "image/png")
    store.put("images/cd/two/thumb.png", b"2", "image/png")
    store.put("other/three.png", b"3", "image/png")

    found = {item.key: item.modified_at for item in store.scan("images/")}

    assert set(found) == {"images/ab/one/original.png", "images/cd/two/thumb.png"}
    assert all(stamp.tzinfo is not None for stamp in found.values())
