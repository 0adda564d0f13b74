"""The SQLAlchemy repositories on SQLite, MariaDB and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError

from imagegen.adapters.sqlalchemy.tables import users
from imagegen.application.pagination import (
    PageKey,
    PageRequest,
    make_page,
    page_request,
)
from imagegen.application.ports import ImageFilter, Usage
from imagegen.domain.errors import Conflict
from imagegen.domain.images import Image, ImageKind
from imagegen.domain.users import Role
from tests.support.databases import UowFactory
from tests.support.records import T0, a_session, a_user, an_image, new_id, store


def ids_newest_first(images: list[Image]) -> list[str]:
    return [
        i.id for i in sorted(images, key=lambda i: (i.created_at, i.id), reverse=True)
    ]


# Users


def test_added_user_reads_back_with_every_field(uow_factory: UowFactory) -> None:
    user = a_user(
        role=Role.ADMIN, active=False, email_verified_at=T0 + timedelta(hours=1)
    )

    store(uow_factory, user)

    with uow_factory() as uow:
        assert uow.users.get(user.id) == user


def test_unknown_user_reads_as_none(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert uow.users.get(new_id()) is None
        assert uow.users.get_by_email("nobody@example.com") is None


def test_user_is_found_by_email_in_any_case(uow_factory: UowFactory) -> None:
    user = a_user(email="ann@example.com")
    store(uow_factory, user)

    with uow_factory() as uow:
        found = uow.users.get_by_email("  Ann@EXAMPLE.com ")

    assert found == user


def test_email_is_stored_in_normalized_form(uow_factory: UowFactory) -> None:
    user = a_user(email="Ann@Example.COM")

    store(uow_factory, user)

    with uow_factory() as uow:
        stored = uow.users.get(user.id)
    assert stored is not None
    assert stored.email == "ann@example.com"


def test_taken_email_raises_conflict_and_the_transaction_goes_on(
    uow_factory: UowFactory,
) -> None:
    store(uow_factory, a_user(email="ann@example.com"))
    later = a_user(email="bob@example.com")

    with uow_factory() as uow:
        with pytest.raises(Conflict) as raised:
            uow.users.add(a_user(email="ANN@example.com"))
        uow.users.add(later)
        uow.commit()

    assert raised.value.code == "email_taken"
    with uow_factory() as uow:
        assert uow.users.get(later.id) == later
        assert uow.users.count() == 2


def test_emails_differing_only_by_an_accent_are_two_accounts(
    uow_factory: UowFactory,
) -> None:
    plain, accented = a_user(email="jose@example.com"), a_user(email="josé@example.com")

    store(uow_factory, plain, accented)

    with uow_factory() as uow:
        assert uow.users.get_by_email("josé@example.com") == accented
        assert uow.users.get_by_email("jose@example.com") == plain


def test_saved_user_changes_read_back(uow_factory: UowFactory) -> None:
    user = a_user()
    store(uow_factory, user)
    changed = replace(
        user, name="Ann B.", role=Role.ADMIN, active=False, email_verified_at=T0
    )

    with uow_factory() as uow:
        uow.users.save(changed)
        uow.commit()

    with uow_factory() as uow:
        assert uow.users.get(user.id) == changed


def test_saving_a_taken_email_raises_conflict(uow_factory: UowFactory) -> None:
    ann, bob = a_user(email="ann@example.com"), a_user(email="bob@example.com")
    store(uow_factory, ann, bob)

    with uow_factory() as uow, pytest.raises(Conflict):
        uow.users.save(replace(bob, email="ann@example.com"))


def test_users_are_listed_newest_first_with_one_extra_row(
    uow_factory: UowFactory,
) -> None:
    old, mid, new = (a_user(created_at=T0 + timedelta(minutes=m)) for m in (1, 2, 3))
    store(uow_factory, old, new, mid)

    with uow_factory() as uow:
        first = uow.users.list(PageRequest(limit=1))
        rest = uow.users.list(
            PageRequest(limit=5, after=PageKey(new.created_at, new.id))
        )
        total = uow.users.count()

    assert first == [new, mid]
    assert rest == [mid, old]
    assert total == 3


# Sessions


def test_saved_session_keeps_its_rotation_and_revocation(
    uow_factory: UowFactory,
) -> None:
    user = a_user()
    session = a_session(user)
    store(uow_factory, user, session)

    with uow_factory() as uow:
        stored = uow.sessions.get(session.id)
        assert stored == session
        stored.rotate()
        stored.revoke(T0 + timedelta(minutes=5))
        uow.sessions.save(stored)
        uow.commit()

    with uow_factory() as uow:
        assert uow.sessions.get(session.id) == stored
        assert uow.sessions.get(new_id()) is None


def test_revoke_all_spares_the_kept_session_and_other_users(
    uow_factory: UowFactory,
) -> None:
    ann, bob = a_user(), a_user()
    earlier = T0 + timedelta(minutes=1)
    kept, live, revoked = (
        a_session(ann),
        a_session(ann),
        a_session(ann, revoked_at=earlier),
    )
    bobs = a_session(bob)
    store(uow_factory, ann, bob, kept, live, revoked, bobs)
    now = T0 + timedelta(hours=1)

    with uow_factory() as uow:
        uow.sessions.revoke_all(ann.id, now, keep=kept.id)
        uow.commit()

    with uow_factory() as uow:
        after = {s.id: uow.sessions.get(s.id) for s in (kept, live, revoked, bobs)}
    assert after[kept.id] == kept
    assert after[live.id] == replace(live, revoked_at=now)
    assert after[revoked.id] == revoked
    assert after[bobs.id] == bobs


def test_revoke_all_without_keep_revokes_every_session(
    uow_factory: UowFactory,
) -> None:
    user = a_user()
    sessions = [a_session(user) for _ in range(3)]
    store(uow_factory, user, *sessions)
    now = T0 + timedelta(hours=1)

    with uow_factory() as uow:
        uow.sessions.revoke_all(user.id, now)
        uow.commit()

    with uow_factory() as uow:
        stored = [uow.sessions.get(s.id) for s in sessions]
    assert stored == [replace(s, revoked_at=now) for s in sessions]


# Images


def test_added_variation_reads_back_with_its_source(uow_factory: UowFactory) -> None:
    owner = a_user()
    source = an_image(owner)
    # job_id stays None: it must name a stored job (see the jobs tests).
    variation = an_image(owner, kind=ImageKind.VARIATION, source_image_id=source.id)

    store(uow_factory, owner, source, variation)

    with uow_factory() as uow:
        assert uow.images.get(variation.id) == variation
        assert uow.images.get(new_id()) is None


def test_listing_filters_by_owner_kind_and_source(
    uow_factory: UowFactory,
) -> None:
    ann, bob = a_user(), a_user()
    upload = an_image(ann, created_at=T0)
    variation = an_image(
        ann,
        kind=ImageKind.VARIATION,
        source_image_id=upload.id,
        created_at=T0 + timedelta(seconds=1),
    )
    other_upload = an_image(ann, created_at=T0 + timedelta(seconds=2))
    bobs = an_image(bob, created_at=T0 + timedelta(seconds=3))
    store(uow_factory, ann, bob, upload, variation, other_upload, bobs)
    page = PageRequest(limit=10)

    with uow_factory() as uow:
        everyone = uow.images.list(ImageFilter(), page)
        anns = uow.images.list(ImageFilter(owner_id=ann.id), page)
        anns_uploads = uow.images.list(
            ImageFilter(owner_id=ann.id, kind=ImageKind.UPLOAD), page
        )
        of_upload = uow.images.list(ImageFilter(source_image_id=upload.id), page)

    assert everyone == [bobs, other_upload, variation, upload]
    assert anns == [other_upload, variation, upload]
    assert anns_uploads == [other_upload, upload]
    assert of_upload == [variation]


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
def test_keyset_pages_neither_repeat_nor_skip_rows_sharing_a_time(
    uow_factory: UowFactory, limit: int
) -> None:
    owner = a_user()
    times = [T0, T0, T0, T0 + timedelta(microseconds=1), T0, T0 - timedelta(seconds=1)]
    images = [an_image(owner, created_at=when) for when in times]
    store(uow_factory, owner, *images)

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    with uow_factory() as uow:
        while True:
            request = page_request(limit, cursor)
            rows = uow.images.list(ImageFilter(owner_id=owner.id), request)
            page = make_page(rows, request, key=lambda i: PageKey(i.created_at, i.id))
            seen += [image.id for image in page.items]
            pages += 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor

    assert seen == ids_newest_first(images)
    assert pages == -(-len(images) // limit)


def test_usage_sums_each_owners_images_and_bytes(
    uow_factory: UowFactory,
) -> None:
    ann, bob, cid = a_user(), a_user(), a_user()
    upload = an_image(ann, size_bytes=3_000_000_000)
    variations = [
        an_image(ann, kind=ImageKind.VARIATION, source_image_id=upload.id, size_bytes=n)
        for n in (10, 20)
    ]
    store(uow_factory, ann, bob, cid, upload, *variations, an_image(bob, size_bytes=7))

    with uow_factory() as uow:
        usage = uow.images.usage([ann.id, bob.id, cid.id])
        nobody = uow.images.usage([])

    assert usage == {
        ann.id: Usage(images=3, uploads=1, variations=2, bytes_stored=3_000_000_030),
        bob.id: Usage(images=1, uploads=1, variations=0, bytes_stored=7),
        cid.id: Usage(),
    }
    assert nobody == {}


def test_count_covers_every_owner(uow_factory: UowFactory) -> None:
    ann, bob = a_user(), a_user()
    store(uow_factory, ann, bob, an_image(ann), an_image(ann), an_image(bob))

    with uow_factory() as uow:
        assert uow.images.count() == 3


def test_existing_ids_names_only_the_rows_there_are(uow_factory: UowFactory) -> None:
    owner = a_user()
    first, second = an_image(owner), an_image(owner)
    store(uow_factory, owner, first, second)

    with uow_factory() as uow:
        found = uow.images.existing_ids({first.id, second.id, new_id()})
        nothing = uow.images.existing_ids(set())

    assert found == {first.id, second.id}
    assert nothing == set()


def test_deleting_a_source_image_keeps_its_variations_without_source(
    uow_factory: UowFactory,
) -> None:
    owner = a_user()
    source = an_image(owner)
    variation = an_image(owner, kind=ImageKind.VARIATION, source_image_id=source.id)
    store(uow_factory, owner, source, variation)

    with uow_factory() as uow:
        uow.images.delete(source.id)
        uow.images.delete(new_id())
        uow.commit()

    with uow_factory() as uow:
        assert uow.images.get(source.id) is None
        assert uow.images.get(variation.id) == replace(variation, source_image_id=None)


def test_deleting_a_user_deletes_their_sessions_and_images(
    uow_factory: UowFactory, migrated_engine: Engine
) -> None:
    ann, bob = a_user(), a_user()
    source = an_image(ann)
    variation = an_image(ann, kind=ImageKind.VARIATION, source_image_id=source.id)
    session, bobs = a_session(ann), an_image(bob)
    store(uow_factory, ann, bob, source, variation, session, bobs)

    with migrated_engine.begin() as connection:
        connection.execute(delete(users).where(users.c.id == ann.id))

    with uow_factory() as uow:
        assert uow.images.get(source.id) is None
        assert uow.images.get(variation.id) is None
        assert uow.sessions.get(session.id) is None
        assert uow.images.get(bobs.id) == bobs


def test_image_of_an_unknown_owner_is_refused(uow_factory: UowFactory) -> None:
    orphan = an_image(a_user())

    with uow_factory() as uow, pytest.raises(IntegrityError):
        uow.images.add(orphan)
