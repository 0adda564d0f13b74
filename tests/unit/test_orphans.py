from __future__ import annotations

from datetime import timedelta

from imagegen.application import images
from imagegen.application.images import ImageDeps
from imagegen.application.orphans import sweep_orphans
from imagegen.domain.users import User
from tests.fakes import FakeClock, FakeImageStore

ADA = User("ada", "ada@example.com", "Ada", "x", FakeClock().now())
PNG = b"PNG:64x64;pixels"
HOUR = timedelta(hours=1)


def test_objects_without_a_row_are_removed_once_past_the_grace(
    image_deps: ImageDeps, store: FakeImageStore, clock: FakeClock
) -> None:
    kept = images.upload_image(image_deps, ADA, PNG, "kept.png")
    store.put("images/ab/abandoned/original.png", b"x", "image/png")
    store.put("images/ab/abandoned/thumb.png", b"x", "image/png")
    clock.advance(2 * 3600)

    removed = sweep_orphans(image_deps, grace=HOUR)

    assert removed == 2
    assert set(store.objects) == set(kept.stored_keys)


def test_fresh_orphans_are_spared_as_uploads_in_flight(
    image_deps: ImageDeps, store: FakeImageStore, clock: FakeClock
) -> None:
    store.now = clock.now()
    store.put("images/ab/inflight/original.png", b"x", "image/png")
    clock.advance(60)

    assert sweep_orphans(image_deps, grace=HOUR) == 0
    assert "images/ab/inflight/original.png" in store.objects


def test_keys_outside_our_scheme_are_left_alone(
    image_deps: ImageDeps, store: FakeImageStore, clock: FakeClock
) -> None:
    store.put("images/readme.txt", b"x", "text/plain")
    store.put("backups/db.sql", b"x", "text/plain")
    clock.advance(2 * 3600)

    assert sweep_orphans(image_deps, grace=HOUR) == 0
    assert len(store.objects) == 2
