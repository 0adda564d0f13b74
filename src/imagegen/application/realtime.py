"""Live progress: what a client needs to listen, and who may listen to what."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from imagegen.application import accounts
from imagegen.application.accounts import AccountDeps
from imagegen.application.event_stream import EventStream, StreamLimits
from imagegen.application.ports import ChannelAuthorizer, EventFeed, StreamSlots
from imagegen.domain.channels import check_subscription, user_channel
from imagegen.domain.errors import Forbidden, InvalidToken, NotFound, Throttled
from imagegen.domain.stream_tokens import StreamTokens
from imagegen.domain.users import User

log = logging.getLogger(__name__)

SSE = "sse"
PUSHER = "pusher"
# The ids our feeds hand out; a Last-Event-ID of any other shape is ignored.
EVENT_ID = re.compile(r"[0-9]{1,15}-[0-9]{1,10}")


@dataclass(frozen=True)
class PusherClientConfig:
    """What a Pusher client (pusher-js, Laravel Echo) needs: nothing secret."""

    key: str
    cluster: str
    host: str | None
    port: int | None
    scheme: str


@dataclass(frozen=True)
class RealtimeDeps:
    """The ports and limits the real-time use-cases share."""

    accounts: AccountDeps
    feed: EventFeed
    slots: StreamSlots
    tokens: StreamTokens
    limits: StreamLimits
    token_ttl: int
    pusher: PusherClientConfig | None = None
    authorizer: ChannelAuthorizer | None = None
    # Paces heartbeats and stream ends; tests pass a clock they move by hand.
    monotonic: Callable[[], float] = time.monotonic
    # Says the process is shutting down: open streams then end early.
    stopping: Callable[[], bool] = lambda: False


@dataclass(frozen=True)
class RealtimeConfig:
    drivers: list[str]
    channel: str
    pusher: PusherClientConfig | None


@dataclass(frozen=True)
class StreamToken:
    token: str
    expires_in: int


def realtime_config(deps: RealtimeDeps, user: User) -> RealtimeConfig:
    """Tell a client which drivers are on and where user's events arrive."""
    drivers = [SSE] + ([PUSHER] if deps.pusher is not None else [])
    return RealtimeConfig(drivers, user_channel(user.id), deps.pusher)


def authorize_pusher(
    deps: RealtimeDeps, user: User, socket_id: str, channel: str
) -> str:
    """Sign user's subscription to a private channel, if it is their own."""
    if deps.authorizer is None:
        raise NotFound("Pusher is not configured here.", code="pusher_disabled")
    check_subscription(user, socket_id, channel)
    return deps.authorizer.authorize(socket_id, channel)


def issue_stream_token(deps: RealtimeDeps, user: User, session_id: str) -> StreamToken:
    """Give user a token that opens their event stream for a short while."""
    expires_at = deps.accounts.clock.now() + timedelta(seconds=deps.token_ttl)
    token = deps.tokens.issue(user.id, session_id, expires_at)
    return StreamToken(token, deps.token_ttl)


def open_event_stream(
    deps: RealtimeDeps, token: str, last_event_id: str | None
) -> EventStream:
    """Open the stream a token names, resuming after last_event_id if given.

    The token's session and account must still be live, and the user must
    have a stream slot left.
    """
    claims = deps.tokens.read(token, deps.accounts.clock.now())
    accounts.authenticate(deps.accounts, claims.user_id, claims.session_id)
    slot = _take_slot(deps, claims.user_id)
    try:
        subscription = deps.feed.subscribe(claims.user_id, _resume_after(last_event_id))
    except BaseException:
        deps.slots.release(claims.user_id, slot)
        raise
    log.info("user %s: event stream %s opened", claims.user_id, slot)
    return EventStream(
        subscription,
        user_id=claims.user_id,
        slot=slot,
        still_allowed=lambda: _still_allowed(deps, claims.user_id, claims.session_id),
        slots=deps.slots,
        limits=deps.limits,
        monotonic=deps.monotonic,
        stopping=deps.stopping,
    )


def _take_slot(deps: RealtimeDeps, user_id: str) -> str:
    slot = deps.accounts.ids.new_id()
    limits = deps.limits
    if not deps.slots.acquire(
        user_id, slot, limit=limits.max_streams, lease=limits.slot_lease
    ):
        raise Throttled(
            f"At most {limits.max_streams} event streams may be open at once.",
            code="too_many_streams",
            retry_after=limits.slot_lease,
        )
    return slot


def _resume_after(last_event_id: str | None) -> str | None:
    if last_event_id and EVENT_ID.fullmatch(last_event_id):
        return last_event_id
    return None


def _still_allowed(deps: RealtimeDeps, user_id: str, session_id: str) -> bool:
    try:
        accounts.authenticate(deps.accounts, user_id, session_id)
    except (InvalidToken, Forbidden):
        return False
    return True
