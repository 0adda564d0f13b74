"""Stored pictures: what users upload and what generation makes of them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

UPLOAD_TYPES = {"image/png": "png", "image/jpeg": "jpg"}


class ImageKind(enum.StrEnum):
    UPLOAD = "upload"
    VARIATION = "variation"


@dataclass
class Image:
    id: str
    owner_id: str
    kind: ImageKind
    filename: str
    content_type: str
    width: int
    height: int
    size_bytes: int
    sha256: str
    storage_key: str
    thumbnail_key: str
    created_at: datetime
    source_image_id: str | None = None
    job_id: str | None = None

    @property
    def stored_keys(self) -> tuple[str, str]:
        return (self.storage_key, self.thumbnail_key)


def safe_filename(name: str | None, content_type: str, fallback: str) -> str:
    """Return a display name that keeps the client's stem but our extension.

    The name is only ever shown and offered on download; storage keys never
    derive from it.
    """
    extension = UPLOAD_TYPES[content_type]
    stem = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '"<>|:*?')
    stem = stem.rsplit(".", 1)[0].strip(" .")[:120]
    return f"{stem or fallback}.{extension}"
