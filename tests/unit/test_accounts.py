from __future__ import annotations

import pytest

from imagegen.application import accounts
from imagegen.application.accounts import AccountDeps
from imagegen.domain.errors import (
    Conflict,
    Forbidden,
    InvalidCredentials,
    InvalidToken,
    Throttled,
    ValidationFailed,
)
from tests.fakes import FakeClock, FakeDatabase


def test_register_stores_a_hashed_password_and_opens_a_session(
    account_deps: AccountDeps, db: FakeDatabase
) -> None:
    signed_in = accounts.register(
        account_deps, " Ada ", "Ada@Example.COM", "s3cret-pass"
    )

    stored = db.users[signed_in.user.id]
    assert stored.email == "ada@example.com"
    assert stored.name == "Ada"
    assert stored.password_hash != "s3cret-pass"
    assert db.sessions[signed_in.session.id].user_id == stored.id


def test_register_refuses_a_taken_address_whatever_its_case(
    account_deps: AccountDeps,
) -> None:
    accounts.register(account_deps, "Ada", "ada@example.com", "s3cret-pass")

    with pytest.raises(Conflict) as caught:
        accounts.register(account_deps, "Other", "ADA@example.com", "other-pass")

    assert caught.value.code == "email_taken"


def test_register_refuses_a_short_password(account_deps: AccountDeps) -> None:
    with pytest.raises(ValidationFailed) as caught:
        accounts.register(account_deps, "Ada", "ada@example.com", "short")

    assert caught.value.errors is not None and "password" in caught.value.errors


def test_wrong_password_and_unknown_address_fail_alike(
    account_deps: AccountDeps,
) -> None:
    accounts.register(account_deps, "Ada", "ada@example.com", "s3cret-pass")

    with pytest.raises(InvalidCredentials) as wrong:
        accounts.login(account_deps, "ada@example.com", "not-it-at-all")
    with pytest.raises(InvalidCredentials) as unknown:
        accounts.login(account_deps, "nobody@example.com", "not-it-at-all")

    assert (wrong.value.code, wrong.value.detail) == (
        unknown.value.code,
        unknown.value.detail,
    )


def test_repeated_failures_lock_the_account_with_a_wait(
    account_deps: AccountDeps,
) -> None:
    accounts.register(account_deps, "Ada", "ada@example.com", "s3cret-pass")
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            accounts.login(account_deps, "ada@example.com", "wrong-password")

    with pytest.raises(Throttled) as caught:
        accounts.login(account_deps, "ada@example.com", "s3cret-pass")

    assert caught.value.retry_after == 60


def test_a_good_login_forgets_earlier_failures(account_deps: AccountDeps) -> None:
    accounts.register(account_deps, "Ada", "ada@example.com", "s3cret-pass")
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            accounts.login(account_deps, "ada@example.com", "wrong-password")
    accounts.login(account_deps, "ada@example.com", "s3cret-pass")

    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            accounts.login(account_deps, "ada@example.com", "wrong-password")

    assert accounts.login(account_deps, "ada@example.com", "s3cret-pass").user


def test_refresh_works_once_per_token(account_deps: AccountDeps) -> None:
    session = accounts.register(
        account_deps, "Ada", "ada@example.com", "s3cret-pass"
    ).session

    renewed = accounts.refresh(account_deps, session.id, 0)

    assert renewed.session.generation == 1
    with pytest.raises(InvalidToken):
        accounts.refresh(account_deps, session.id, 0)


def test_reusing_a_refresh_token_ends_the_whole_session(
    account_deps: AccountDeps,
) -> None:
    signed_in = accounts.register(account_deps, "Ada", "ada@example.com", "s3cret-pass")
    accounts.refresh(account_deps, signed_in.session.id, 0)

    with pytest.raises(InvalidToken):
        accounts.refresh(account_deps, signed_in.session.id, 0)

    with pytest.raises(InvalidToken):
        accounts.authenticate(account_deps, signed_in.user.id, signed_in.session.id)


def test_logout_revokes_the_session(account_deps: AccountDeps) -> None:
    signed_in = accounts.register(account_deps, "Ada", "ada@example.com", "s3cret-pass")

    accounts.logout(account_deps, signed_in.session.id)

    with pytest.raises(InvalidToken):
        accounts.authenticate(account_deps, signed_in.user.id, signed_in.session.id)


def test_an_expired_session_no_longer_authenticates(
    account_deps: AccountDeps, clock: FakeClock
) -> None:
    signed_in = accounts.register(account_deps, "Ada", "ada@example.com", "s3cret-pass")

    clock.advance(31 * 24 * 3600)

    with pytest.raises(InvalidToken):
        accounts.authenticate(account_deps, signed_in.user.id, signed_in.session.id)


def test_a_deactivated_user_is_locked_out(
    account_deps: AccountDeps, db: FakeDatabase
) -> None:
    signed_in = accounts.register(account_deps, "Ada", "ada@example.com", "s3cret-pass")
    db.users[signed_in.user.id].active = False

    with pytest.raises(Forbidden):
        accounts.authenticate(account_deps, signed_in.user.id, signed_in.session.id)
    with pytest.raises(Forbidden):
        accounts.login(account_deps, "ada@example.com", "s3cret-pass")


def test_changing_the_password_ends_other_sessions_only(
    account_deps: AccountDeps,
) -> None:
    first = accounts.register(account_deps, "Ada", "ada@example.com", "s3cret-pass")
    second = accounts.login(account_deps, "ada@example.com", "s3cret-pass")

    accounts.change_password(
        account_deps, first.user, first.session.id, "s3cret-pass", "new-s3cret-pass"
    )

    assert accounts.authenticate(account_deps, first.user.id, first.session.id)
    with pytest.raises(InvalidToken):
        accounts.authenticate(account_deps, first.user.id, second.session.id)
    assert accounts.login(account_deps, "ada@example.com", "new-s3cret-pass")


def test_changing_the_password_needs_the_current_one(account_deps: AccountDeps) -> None:
    first = accounts.register(account_deps, "Ada", "ada@example.com", "s3cret-pass")

    with pytest.raises(ValidationFailed) as caught:
        accounts.change_password(
            account_deps, first.user, first.session.id, "not-it", "new-s3cret-pass"
        )

    assert caught.value.code == "wrong_password"
