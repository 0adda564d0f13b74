"""The image library: upload, list, read, delete."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from imagegen.application.pagination import Page, PageKey, PageRequest, make_page
from imagegen.application.ports import (
    Clock,
    IdSource,
    ImageFilter,
    ImageProcessor,
    ImageStore,
    PreparedImage,
    UnitOfWorkFactory,
)
from imagegen.domain.errors import NotFound
from imagegen.domain.images import UPLOAD_TYPES, Image, ImageKind, safe_filename
from imagegen.domain.users import User

log = logging.getLogger(__name__)

# Every stored object's key starts here: images/<2 chars>/<image id>/<role>.<ext>
IMAGE_PREFIX = "images/"


@dataclass(frozen=True)
class ImageDeps:
    """The ports the image use-cases share."""

    uow: UnitOfWorkFactory
    store: ImageStore
    processor: ImageProcessor
    clock: Clock
    ids: IdSource
    thumbnail_max_side: int


@dataclass(frozen=True)
class ImageBytes:
    """What a client receives for an image: a URL to follow, or the bytes."""

    image: Image
    content_type: str
    url: str | None = None
    data: bytes | None = None


def upload_image(
    deps: ImageDeps, user: User, data: bytes, filename: str | None
) -> Image:
    """Check, clean and store an uploaded picture for user."""
    prepared = deps.processor.prepare_upload(data)
    image_id = deps.ids.new_id()
    image = store_image(
        deps,
        prepared,
        image_id=image_id,
        owner_id=user.id,
        kind=ImageKind.UPLOAD,
        filename=safe_filename(
            filename, prepared.content_type, f"image-{image_id[:8]}"
        ),
    )
    log.info(
        "image %s: uploaded by user %s (%d bytes)", image.id, user.id, image.size_bytes
    )
    return image


def store_image(
    deps: ImageDeps,
    prepared: PreparedImage,
    *,
    image_id: str,
    owner_id: str,
    kind: ImageKind,
    filename: str,
    source_image_id: str | None = None,
    job_id: str | None = None,
) -> Image:
    """Put the bytes and their thumbnail in storage, then commit the row.

    Objects written before a failed commit are deleted again, so a failure
    leaves neither a row without bytes nor bytes without a row; unless a row
    with this id exists after all, committed by another writer of the same
    id (two runs of one job), whose objects these keys now are.
    """
    image = Image(
        id=image_id,
        owner_id=owner_id,
        kind=kind,
        filename=filename,
        content_type=prepared.content_type,
        width=prepared.width,
        height=prepared.height,
        size_bytes=len(prepared.data),
        sha256=hashlib.sha256(prepared.data).hexdigest(),
        storage_key=_key(image_id, "original", prepared.content_type),
        thumbnail_key=_key(image_id, "thumb", prepared.content_type),
        created_at=deps.clock.now(),
        source_image_id=source_image_id,
        job_id=job_id,
    )
    thumb = deps.processor.thumbnail(prepared.data, deps.thumbnail_max_side)
    try:
        deps.store.put(image.storage_key, prepared.data, image.content_type)
        deps.store.put(image.thumbnail_key, thumb.data, thumb.content_type)
        with deps.uow() as uow:
            uow.images.add(image)
            uow.commit()
    except BaseException:
        if not _has_row(deps, image.id):
            remove_objects(deps.store, image.stored_keys)
        raise
    return image


def _has_row(deps: ImageDeps, image_id: str) -> bool:
    try:
        with deps.uow() as uow:
            return uow.images.get(image_id) is not None
    except Exception:
        return False


def list_images(
    deps: ImageDeps, user: User, where: ImageFilter, page: PageRequest
) -> Page[Image]:
    """List user's images, or anyone's for an admin asking for everyone's."""
    if not user.is_admin or where.owner_id is not None:
        where = ImageFilter(
            owner_id=where.owner_id if user.is_admin else user.id,
            kind=where.kind,
            source_image_id=where.source_image_id,
        )
    with deps.uow() as uow:
        rows = uow.images.list(where, page)
    return make_page(rows, page, image_page_key)


def get_image(deps: ImageDeps, user: User, image_id: str) -> Image:
    """Return one image user may reach; another's answers as missing."""
    with deps.uow() as uow:
        image = uow.images.get(image_id)
    if image is None or not user.can_reach(image.owner_id):
        raise NotFound("No such image.", code="image_not_found")
    return image


def list_variations(
    deps: ImageDeps, user: User, image_id: str, page: PageRequest
) -> Page[Image]:
    """List the variations made from one of user's images."""
    source = get_image(deps, user, image_id)
    where = ImageFilter(
        owner_id=source.owner_id, kind=ImageKind.VARIATION, source_image_id=source.id
    )
    with deps.uow() as uow:
        rows = uow.images.list(where, page)
    return make_page(rows, page, image_page_key)


def read_image(
    deps: ImageDeps, user: User, image_id: str, *, thumbnail: bool, attachment: bool
) -> ImageBytes:
    """Return a signed URL for an image's bytes, or the bytes themselves."""
    image = get_image(deps, user, image_id)
    key = image.thumbnail_key if thumbnail else image.storage_key
    url = deps.store.signed_url(
        key,
        filename=image.filename,
        content_type=image.content_type,
        attachment=attachment,
    )
    if url is not None:
        return ImageBytes(image, image.content_type, url=url)
    return ImageBytes(image, image.content_type, data=deps.store.get(key))


def delete_image(deps: ImageDeps, user: User, image_id: str) -> None:
    """Delete an image's row, then its stored objects."""
    image = get_image(deps, user, image_id)
    with deps.uow() as uow:
        uow.images.delete(image.id)
        uow.commit()
    remove_objects(deps.store, image.stored_keys)
    log.info("image %s: deleted by user %s", image.id, user.id)


def remove_objects(store: ImageStore, keys: tuple[str, ...]) -> None:
    """Delete stored objects, logging rather than raising on failure."""
    for key in keys:
        try:
            store.delete(key)
        except Exception:
            log.error(
                "object %s: could not be deleted; left orphaned", key, exc_info=True
            )


def image_page_key(image: Image) -> PageKey:
    return PageKey(image.created_at, image.id)


def image_id_of(key: str) -> str | None:
    """Return the image id a storage key belongs to, or None for a foreign key."""
    parts = key.split("/")
    if len(parts) == 4 and parts[0] + "/" == IMAGE_PREFIX and parts[2]:
        return parts[2]
    return None


def _key(image_id: str, role: str, content_type: str) -> str:
    extension = UPLOAD_TYPES[content_type]
    return f"{IMAGE_PREFIX}{image_id[:2]}/{image_id}/{role}.{extension}"
