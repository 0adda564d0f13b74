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


def test_put_leaves_no_temporary_file_behind(
    store: LocalImageStore, tmp_path: Path
) -> None:
    store.put(KEY, b"bytes", "image/png")

    files = [path for path in (tmp_path / "storage").rglob("*") if path.is_file()]
    assert files == [tmp_path / "storage" / KEY]


def test_get_of_a_directory_key_raises_not_found(store: LocalImageStore) -> None:
    store.put(KEY, b"bytes", "image/png")

    with pytest.raises(NotFound):
        store.get("images/ab")


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
