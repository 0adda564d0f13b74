from __future__ import annotations

from datetime import UTC, datetime, timedelta

from imagegen.domain.images import safe_filename
from imagegen.domain.users import AuthSession, Role, User

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_a_user_reaches_only_their_own_objects_and_an_admin_all() -> None:
    ada = User("ada", "ada@example.com", "Ada", "x", NOW)
    root = User("root", "root@example.com", "Root", "x", NOW, role=Role.ADMIN)

    assert ada.can_reach("ada")
    assert not ada.can_reach("bob")
    assert root.can_reach("bob")


def test_a_session_is_dead_once_revoked_or_expired() -> None:
    session = AuthSession("s", "ada", NOW, NOW + timedelta(hours=1))

    assert session.is_live(NOW)
    assert not session.is_live(NOW + timedelta(hours=2))
    session.revoke(NOW)
    assert not session.is_live(NOW)


def test_safe_filename_keeps_the_stem_and_our_extension() -> None:
    assert safe_filename("holiday.photo.JPG", "image/jpeg", "x") == "holiday.photo.jpg"
    assert safe_filename("C:\\evil\\..\\cat.gif", "image/png", "x") == "cat.png"
    assert safe_filename('"><script>.png', "image/png", "fallback") == "script.png"
    assert safe_filename("", "image/png", "fallback") == "fallback.png"
