from __future__ import annotations

from datetime import timedelta

import pytest

from imagegen.application import images
from imagegen.application.images import ImageDeps
from imagegen.application.pagination import PageRequest, page_request
from imagegen.application.ports import ImageFilter
from imagegen.domain.errors import InvalidImage, NotFound, ValidationFailed
from imagegen.domain.users import Role, User
from tests.fakes import FakeClock, FakeDatabase, FakeImageStore


def make_user(user_id: str, role: Role = Role.USER) -> User:
    return User(
        id=user_id,
        email=f"{user_id}@example.com",
        name=user_id,
        password_hash="x",
        created_at=FakeClock().now(),
        role=role,
    )


ADA = make_user("ada")
BOB = make_user("bob")
ADMIN = make_user("root", Role.ADMIN)
PNG = b"PNG:1024x768;pixels"


def test_upload_stores_bytes_and_a_thumbnail_under_generated_keys(
    image_deps: ImageDeps, store: FakeImageStore, db: FakeDatabase
) -> None:
    image = images.upload_image(image_deps, ADA, PNG, "../../etc/passwd.png")

    assert set(store.objects) == {image.storage_key, image.thumbnail_key}
    assert "passwd" not in image.storage_key
    assert image.filename == "passwd.png"
    assert (image.width, image.height, image.size_bytes) == (1024, 768, len(PNG))
    assert db.images[image.id].owner_id == "ada"


def test_a_refused_upload_leaves_nothing_behind(
    image_deps: ImageDeps, store: FakeImageStore, db: FakeDatabase
) -> None:
    with pytest.raises(InvalidImage):
        images.upload_image(image_deps, ADA, b"GIF89a...", "cat.png")

    assert store.objects == {}
    assert db.images == {}


def test_a_failed_commit_removes_the_stored_objects(
    image_deps: ImageDeps, store: FakeImageStore, db: FakeDatabase
) -> None:
    db.fail_next_commit = True

    with pytest.raises(RuntimeError):
        images.upload_image(image_deps, ADA, PNG, "cat.png")

    assert store.objects == {}
    assert db.images == {}


def test_a_storage_failure_midway_removes_what_was_written(
    image_deps: ImageDeps, store: FakeImageStore, db: FakeDatabase
) -> None:
    store.fail_puts_after = 1

    with pytest.raises(OSError):
        images.upload_image(image_deps, ADA, PNG, "cat.png")

    assert store.objects == {}
    assert db.images == {}


def test_other_users_image_answers_as_missing(image_deps: ImageDeps) -> None:
    image = images.upload_image(image_deps, ADA, PNG, "cat.png")

    with pytest.raises(NotFound):
        images.get_image(image_deps, BOB, image.id)
    with pytest.raises(NotFound):
        images.delete_image(image_deps, BOB, image.id)
    with pytest.raises(NotFound):
        images.read_image(image_deps, BOB, image.id, thumbnail=False, attachment=True)


def test_an_admin_reaches_anyones_image(image_deps: ImageDeps) -> None:
    image = images.upload_image(image_deps, ADA, PNG, "cat.png")

    assert images.get_image(image_deps, ADMIN, image.id).id == image.id


def test_delete_removes_the_row_and_both_objects(
    image_deps: ImageDeps, store: FakeImageStore, db: FakeDatabase
) -> None:
    image = images.upload_image(image_deps, ADA, PNG, "cat.png")

    images.delete_image(image_deps, ADA, image.id)

    assert db.images == {}
    assert store.objects == {}


def test_listing_pages_through_only_my_images_newest_first(
    image_deps: ImageDeps, clock: FakeClock
) -> None:
    mine = []
    for _ in range(5):
        mine.append(images.upload_image(image_deps, ADA, PNG, "a.png").id)
        images.upload_image(image_deps, BOB, PNG, "b.png")
        clock.advance(1)
    where = ImageFilter(owner_id=ADA.id)

    first = images.list_images(image_deps, ADA, where, page_request(2, None))
    second = images.list_images(
        image_deps, ADA, where, page_request(2, first.next_cursor)
    )
    third = images.list_images(
        image_deps, ADA, where, page_request(2, second.next_cursor)
    )

    seen = [i.id for page in (first, second, third) for i in page.items]
    assert seen == list(reversed(mine))
    assert third.next_cursor is None


def test_a_user_cannot_list_someone_elses_images_by_filter(
    image_deps: ImageDeps,
) -> None:
    images.upload_image(image_deps, ADA, PNG, "a.png")

    page = images.list_images(
        image_deps, BOB, ImageFilter(owner_id=ADA.id), PageRequest()
    )

    assert page.items == []


def test_an_admin_lists_everyones_images(
    image_deps: ImageDeps, clock: FakeClock
) -> None:
    images.upload_image(image_deps, ADA, PNG, "a.png")
    clock.current += timedelta(seconds=1)
    images.upload_image(image_deps, BOB, PNG, "b.png")

    page = images.list_images(image_deps, ADMIN, ImageFilter(), PageRequest())

    assert [i.owner_id for i in page.items] == ["bob", "ada"]


def test_a_forged_cursor_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed) as caught:
        page_request(10, "not-a-cursor!!")

    assert caught.value.errors == {"cursor": ["Not a valid cursor."]}
