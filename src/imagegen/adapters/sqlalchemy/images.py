"""Stored pictures in the ``images`` table."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    case,
    delete,
    func,
    insert,
    select,
)

from imagegen.adapters.sqlalchemy.keyset import newest_first
from imagegen.adapters.sqlalchemy.tables import images
from imagegen.application.pagination import PageRequest
from imagegen.application.ports import ImageFilter, Usage
from imagegen.domain.images import Image, ImageKind


class SqlImageRepository:
    """Images over one connection; the unit of work owns the transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, image: Image) -> None:
        self._connection.execute(insert(images).values(_values(image)))

    def get(self, image_id: str) -> Image | None:
        query = select(images).where(images.c.id == image_id)
        row = self._connection.execute(query).one_or_none()
        return None if row is None else _image(row)

    def delete(self, image_id: str) -> None:
        self._connection.execute(delete(images).where(images.c.id == image_id))

    def usage(self, owner_ids: Collection[str]) -> dict[str, Usage]:
        """Count each owner's images and bytes in one query; zeros for none."""
        if not owner_ids:
            return {}
        query = _usage_query().where(images.c.owner_id.in_(set(owner_ids)))
        found = {row.owner_id: _usage(row) for row in self._connection.execute(query)}
        return {owner_id: found.get(owner_id, Usage()) for owner_id in owner_ids}

    def count(self) -> int:
        query = select(func.count()).select_from(images)
        return self._connection.execute(query).scalar_one()

    def existing_ids(self, image_ids: Collection[str]) -> set[str]:
        if not image_ids:
            return set()
        query = select(images.c.id).where(images.c.id.in_(set(image_ids)))
        return set(self._connection.execute(query).scalars())

    def list(self, where: ImageFilter, page: PageRequest) -> list[Image]:
        query = select(images)
        if where.owner_id is not None:
            query = query.where(images.c.owner_id == where.owner_id)
        if where.kind is not None:
            query = query.where(images.c.kind == where.kind.value)
        if where.source_image_id is not None:
            query = query.where(images.c.source_image_id == where.source_image_id)
        rows = self._connection.execute(newest_first(query, images, page))
        return [_image(row) for row in rows]


def _usage_query() -> Select[Any]:
    return select(
        images.c.owner_id,
        func.count().label("images"),
        _count_of(ImageKind.UPLOAD).label("uploads"),
        _count_of(ImageKind.VARIATION).label("variations"),
        func.sum(images.c.size_bytes).label("bytes_stored"),
    ).group_by(images.c.owner_id)


def _count_of(kind: ImageKind) -> ColumnElement[Any]:
    return func.sum(case((images.c.kind == kind.value, 1), else_=0))


def _usage(row: Row[Any]) -> Usage:
    # SUM comes back as Decimal on MySQL and PostgreSQL.
    return Usage(
        images=int(row.images),
        uploads=int(row.uploads),
        variations=int(row.variations),
        bytes_stored=int(row.bytes_stored),
    )


def _values(image: Image) -> dict[str, Any]:
    return {
        "id": image.id,
        "owner_id": image.owner_id,
        "kind": image.kind.value,
        "filename": image.filename,
        "content_type": image.content_type,
        "width": image.width,
        "height": image.height,
        "size_bytes": image.size_bytes,
        "sha256": image.sha256,
        "storage_key": image.storage_key,
        "thumbnail_key": image.thumbnail_key,
        "created_at": image.created_at,
        "source_image_id": image.source_image_id,
        "job_id": image.job_id,
    }


def _image(row: Row[Any]) -> Image:
    return Image(
        id=row.id,
        owner_id=row.owner_id,
        kind=ImageKind(row.kind),
        filename=row.filename,
        content_type=row.content_type,
        width=row.width,
        height=row.height,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        storage_key=row.storage_key,
        thumbnail_key=row.thumbnail_key,
        created_at=row.created_at,
        source_image_id=row.source_image_id,
        job_id=row.job_id,
    )
