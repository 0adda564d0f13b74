"""Domain objects with plausible defaults, and a way to store them, for tests."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from imagegen.domain.images import Image, ImageKind
from imagegen.domain.users import AuthSession, User
from tests.support.databases import UowFactory

T0 = datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=UTC)


def new_id() -> str:
    return secrets.token_hex(16)


def a_user(**changes: Any) -> User:
    user = User(
        id=new_id(),
        email=f"{new_id()[:12]}@example.com",
        name="Ann",
        password_hash="$argon2id$hash",
        created_at=T0,
    )
    return replace(user, **changes)


def a_session(user: User, **changes: Any) -> AuthSession:
    session = AuthSession(
        id=new_id(), user_id=user.id, created_at=T0, expires_at=T0 + timedelta(days=30)
    )
    return replace(session, **changes)


def an_image(owner: User, **changes: Any) -> Image:
    image_id = new_id()
    image = Image(
        id=image_id,
        owner_id=owner.id,
        kind=ImageKind.UPLOAD,
        filename="cat.png",
        content_type="image/png",
        width=640,
        height=480,
        size_bytes=1000,
        sha256="ab" * 32,
        storage_key=f"images/{image_id}.png",
        thumbnail_key=f"thumbnails/{image_id}.png",
        created_at=T0,
    )
    return replace(image, **changes)


def store(uow_factory: UowFactory, *items: User | AuthSession | Image) -> None:
    with uow_factory() as uow:
        for item in items:
            if isinstance(item, User):
                uow.users.add(item)
            elif isinstance(item, AuthSession):
                uow.sessions.add(item)
            else:
                uow.images.add(item)
        uow.commit()
