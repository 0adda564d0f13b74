"""Pictures: where bytes are kept, how uploads are checked, who makes variations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class ImageStore(Protocol):
    """Object storage for image bytes, addressed by generated keys."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store data under key, replacing what was there."""
        ...

    def get(self, key: str) -> bytes:
        """Return the bytes under key; raise NotFound when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove key; removing a missing key is not an error."""
        ...

    def signed_url(
        self, key: str, *, filename: str, content_type: str, attachment: bool
    ) -> str | None:
        """Return a short-lived URL for key, or None when bytes must be served."""
        ...

    def ping(self) -> None:
        """Raise when the store cannot be reached."""
        ...

    def scan(self, prefix: str) -> Iterator[StoredObject]:
        """Yield every object whose key starts with prefix, in no set order."""
        ...


@dataclass(frozen=True)
class StoredObject:
    key: str
    modified_at: datetime


@dataclass(frozen=True)
class PreparedImage:
    """Image bytes re-encoded by us: true type, no metadata."""

    data: bytes
    content_type: str
    width: int
    height: int


class ImageProcessor(Protocol):
    def prepare_upload(self, data: bytes) -> PreparedImage:
        """Check that data is a PNG or JPEG within limits and strip its metadata."""
        ...

    def thumbnail(self, data: bytes, max_side: int) -> PreparedImage:
        """Return a copy no longer than max_side on its longer side."""
        ...


@dataclass(frozen=True)
class VariationSpec:
    """What to make: which variations of one picture, at what size."""

    source: bytes
    width: int
    height: int
    indices: tuple[int, ...]
    # Makes a generator that can be seeded give the same picture on a re-run.
    seed: str
    prompt: str | None = None


@dataclass(frozen=True)
class Variation:
    index: int
    image: PreparedImage


class ImageGenerator(Protocol):
    def generate(self, spec: VariationSpec) -> Iterator[Variation]:
        """Yield one variation per index of spec, at its size.

        Raise ProviderUnavailable when another generator should stand in,
        GenerationRefused when this request must not be tried again, and
        GenerationError when retries did not help.
        """
        ...
