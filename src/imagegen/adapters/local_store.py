"""Keep image bytes in a local directory, for development and single machines."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from imagegen.application.ports import StoredObject
from imagegen.domain.errors import NotFound, ServiceUnavailable

logger = logging.getLogger(__name__)


class LocalImageStore:
    """Store each key as a file under root; writes are atomic."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store data under key, replacing what was there."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, data)
        except OSError as exc:
            raise _unavailable(exc) from exc

    def get(self, key: str) -> bytes:
        """Return the bytes under key; raise NotFound when there are none."""
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFound("The stored image is missing.") from exc
        except OSError as exc:
            raise _unavailable(exc) from exc

    def delete(self, key: str) -> None:
        """Remove key; removing a missing key is not an error."""
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise _unavailable(exc) from exc

    def signed_url(
        self, key: str, *, filename: str, content_type: str, attachment: bool
    ) -> str | None:
        """Return None: a directory has no URLs, so the HTTP layer serves bytes."""
        return None

    def ping(self) -> None:
        """Raise unless a file can be created in the root directory."""
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self._root, prefix=".ping-"):
                pass
        except OSError as exc:
            raise _unavailable(exc) from exc

    def scan(self, prefix: str) -> Iterator[StoredObject]:
        """Yield stored files under prefix; half-written temporary files are skipped."""
        try:
            for path in self._root.rglob("*"):
                key = path.relative_to(self._root).as_posix()
                if key.startswith(prefix) and path.is_file() and _finished(path):
                    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                    yield StoredObject(key, modified)
        except OSError as exc:
            raise _unavailable(exc) from exc

    def _path(self, key: str) -> Path:
        """Map key to a file under root, refusing any key that would leave it."""
        path = None if _malformed(key) else self._root.joinpath(key).resolve()
        if path is None or path == self._root or not path.is_relative_to(self._root):
            raise ValueError(f"unsafe storage key: {key!r}")
        return path


def _finished(path: Path) -> bool:
    return not path.name.startswith(".")


def _malformed(key: str) -> bool:
    parts = PurePosixPath(key).parts
    return (
        not parts
        or key.startswith("/")
        or "\\" in key
        or "\x00" in key
        or any(part in {".", ".."} for part in parts)
    )


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary sibling, then rename it over path in one step."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself survive a crash, as POSIX allows."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _unavailable(exc: OSError) -> ServiceUnavailable:
    logger.warning("local image store: %s", exc.strerror or type(exc).__name__)
    return ServiceUnavailable("Image storage is unavailable.")
