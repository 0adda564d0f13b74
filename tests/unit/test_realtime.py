"""Real-time use-cases: who may listen to what, stream tokens, open streams."""

from __future__ import annotations

from datetime import timedelta

import pytest

from imagegen.application import accounts, realtime
from imagegen.application.accounts import AccountDeps, SignedIn
from imagegen.application.event_stream import EventStream, StreamLimits
from imagegen.application.realtime import PusherClientConfig, RealtimeDeps
from imagegen.domain.errors import (
    Forbidden,
    InvalidToken,
    MalformedRequest,
    NotFound,
    ServiceUnavailable,
    Throttled,
)
from imagegen.domain.stream_tokens import StreamTokens
from imagegen.domain.tokens import MailTokens
from tests.fakes import (
    FakeChannelAuthorizer,
    FakeClock,
    FakeDatabase,
    FakeEventFeed,
    FakeStreamSlots,
    FakeTimer,
)

SECRET = "s" * 40
LIMITS = StreamLimits(heartbeat=15, max_duration=60, max_streams=2, recheck=30)


@pytest.fixture
def timer() -> FakeTimer:
    return FakeTimer()


@pytest.fixture
def feed(timer: FakeTimer) -> FakeEventFeed:
    return FakeEventFeed(timer)


@pytest.fixture
def slots() -> FakeStreamSlots:
    return FakeStreamSlots()


@pytest.fixture
def authorizer() -> FakeChannelAuthorizer:
    return FakeChannelAuthorizer()


@pytest.fixture
def deps(
    account_deps: AccountDeps,
    feed: FakeEventFeed,
    slots: FakeStreamSlots,
    authorizer: FakeChannelAuthorizer,
    timer: FakeTimer,
) -> RealtimeDeps:
    return RealtimeDeps(
        accounts=account_deps,
        feed=feed,
        slots=slots,
        tokens=StreamTokens(SECRET),
        limits=LIMITS,
        token_ttl=60,
        pusher=PusherClientConfig("app-key", "eu", None, None, "https"),
        authorizer=authorizer,
        monotonic=timer,
    )


@pytest.fixture
def ada(account_deps: AccountDeps) -> SignedIn:
    return accounts.register(account_deps, "Ada", "ada@example.com", "password1")


def open_stream(
    deps: RealtimeDeps, who: SignedIn, after: str | None = None
) -> EventStream:
    token = realtime.issue_stream_token(deps, who.user, who.session.id).token
    return realtime.open_event_stream(deps, token, after)


def test_config_names_my_channel_and_the_drivers_on(
    deps: RealtimeDeps, ada: SignedIn
) -> None:
    found = realtime.realtime_config(deps, ada.user)

    assert found.channel == f"private-user.{ada.user.id}"
    assert found.drivers == ["sse", "pusher"]
    assert found.pusher is not None and found.pusher.key == "app-key"


def test_config_without_pusher_offers_the_stream_only(
    deps: RealtimeDeps, ada: SignedIn
) -> None:
    bare = RealtimeDeps(**(vars(deps) | {"pusher": None, "authorizer": None}))

    assert realtime.realtime_config(bare, ada.user).drivers == ["sse"]


def test_my_own_channel_is_signed(
    deps: RealtimeDeps, ada: SignedIn, authorizer: FakeChannelAuthorizer
) -> None:
    channel = f"private-user.{ada.user.id}"

    auth = realtime.authorize_pusher(deps, ada.user, "123.456", channel)

    assert auth == f"key:signed(123.456:{channel})"
    assert authorizer.signed == [("123.456", channel)]


def test_another_users_channel_is_forbidden_and_never_signed(
    deps: RealtimeDeps,
    ada: SignedIn,
    account_deps: AccountDeps,
    authorizer: FakeChannelAuthorizer,
) -> None:
    bob = accounts.register(account_deps, "Bob", "bob@example.com", "password1")

    with pytest.raises(Forbidden):
        realtime.authorize_pusher(
            deps, ada.user, "123.456", f"private-user.{bob.user.id}"
        )
    assert authorizer.signed == []


@pytest.mark.parametrize(
    "socket_id",
    ["", "123", "abc.def", "1.2:private-user.x", "123.456\n", "١٢.٣٤", " 1.2"],
)
def test_a_malformed_socket_id_is_refused(
    deps: RealtimeDeps, ada: SignedIn, socket_id: str
) -> None:
    with pytest.raises(MalformedRequest) as caught:
        realtime.authorize_pusher(
            deps, ada.user, socket_id, f"private-user.{ada.user.id}"
        )
    assert caught.value.code == "invalid_socket_id"


@pytest.mark.parametrize(
    "template",
    [
        "",
        "private-user.",
        "presence-user.{id}",
        "user.{id}",
        "private-user.{id}\n",
        "private-user.{id},private-user.x",
        "private-encrypted-user.{id}",
        "private-user.{id}.extra",
    ],
)
def test_a_malformed_channel_name_is_refused(
    deps: RealtimeDeps, ada: SignedIn, template: str
) -> None:
    channel = template.replace("{id}", ada.user.id)

    with pytest.raises(MalformedRequest) as caught:
        realtime.authorize_pusher(deps, ada.user, "1.2", channel)
    assert caught.value.code == "invalid_channel_name"


def test_pusher_auth_is_not_found_when_pusher_is_off(
    deps: RealtimeDeps, ada: SignedIn
) -> None:
    bare = RealtimeDeps(**(vars(deps) | {"pusher": None, "authorizer": None}))

    with pytest.raises(NotFound):
        realtime.authorize_pusher(bare, ada.user, "1.2", f"private-user.{ada.user.id}")


def test_a_stream_token_opens_my_stream_resuming_after_last_event_id(
    deps: RealtimeDeps, ada: SignedIn, feed: FakeEventFeed
) -> None:
    stream = open_stream(deps, ada, after="1733054400000-3")

    assert [(s.user_id, s.after) for s in feed.subscriptions] == [
        (ada.user.id, "1733054400000-3")
    ]
    assert stream.user_id == ada.user.id


def test_a_last_event_id_of_another_shape_is_ignored(
    deps: RealtimeDeps, ada: SignedIn, feed: FakeEventFeed
) -> None:
    open_stream(deps, ada, after="0); DROP TABLE")

    assert feed.subscriptions[0].after is None


def test_a_stream_token_expires(
    deps: RealtimeDeps, ada: SignedIn, clock: FakeClock
) -> None:
    token = realtime.issue_stream_token(deps, ada.user, ada.session.id).token
    clock.advance(61)

    with pytest.raises(InvalidToken):
        realtime.open_event_stream(deps, token, None)


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: token.split(".")[0],
        lambda token: "",
        lambda token: StreamTokens("another secret" * 4).issue(
            "u", "s", FakeClock().now() + timedelta(minutes=1)
        ),
    ],
)
def test_a_forged_or_foreign_stream_token_is_refused(
    deps: RealtimeDeps, ada: SignedIn, forge: object
) -> None:
    token = realtime.issue_stream_token(deps, ada.user, ada.session.id).token

    with pytest.raises(InvalidToken):
        realtime.open_event_stream(deps, forge(token), None)  # type: ignore[operator]


def test_a_token_signed_for_mail_does_not_open_a_stream(
    deps: RealtimeDeps, ada: SignedIn, clock: FakeClock
) -> None:
    mail_token = MailTokens(SECRET).issue(
        "verify-email",
        ada.user.id,
        bound_to=ada.user.email,
        expires_at=clock.now() + timedelta(hours=1),
    )

    with pytest.raises(InvalidToken):
        realtime.open_event_stream(deps, mail_token, None)


def test_signing_out_stops_a_stream_token_working(
    deps: RealtimeDeps, ada: SignedIn, account_deps: AccountDeps
) -> None:
    token = realtime.issue_stream_token(deps, ada.user, ada.session.id).token
    accounts.logout(account_deps, ada.session.id)

    with pytest.raises(InvalidToken):
        realtime.open_event_stream(deps, token, None)


def test_a_deactivated_account_cannot_open_a_stream(
    deps: RealtimeDeps, ada: SignedIn, db: FakeDatabase
) -> None:
    token = realtime.issue_stream_token(deps, ada.user, ada.session.id).token
    db.users[ada.user.id].active = False

    with pytest.raises(Forbidden):
        realtime.open_event_stream(deps, token, None)


def test_streams_past_the_cap_are_refused_until_one_closes(
    deps: RealtimeDeps, ada: SignedIn
) -> None:
    first = open_stream(deps, ada)
    open_stream(deps, ada)

    with pytest.raises(Throttled) as caught:
        open_stream(deps, ada)
    assert caught.value.code == "too_many_streams"
    assert caught.value.retry_after == LIMITS.slot_lease

    first.close()
    open_stream(deps, ada)


def test_a_feed_that_cannot_subscribe_gives_the_slot_back(
    deps: RealtimeDeps, ada: SignedIn, feed: FakeEventFeed, slots: FakeStreamSlots
) -> None:
    feed.fail_with = ServiceUnavailable("redis is down")

    with pytest.raises(ServiceUnavailable):
        open_stream(deps, ada)
    assert slots.held[ada.user.id] == set()
