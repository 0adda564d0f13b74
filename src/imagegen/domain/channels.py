"""Who may listen to what: each user has one private channel, and only theirs.

Channel names follow the Pusher protocol's private channels, so that Pusher
clients (pusher-js, Laravel Echo) and our own event stream name them alike.
"""

from __future__ import annotations

import re

from imagegen.domain.errors import Forbidden, MalformedRequest
from imagegen.domain.users import User

CHANNEL_PREFIX = "private-user."
# A user id is what the id source makes; the bound keeps crafted names short.
CHANNEL_NAME = re.compile(r"private-user\.([A-Za-z0-9_-]{1,64})", re.ASCII)
# Pusher's socket ids are two numbers joined by a dot. Anything else could
# smuggle a ":" into the signed "socket_id:channel" string and so forge a
# signature for another channel. Both patterns are used with fullmatch.
SOCKET_ID = re.compile(r"[0-9]{1,20}\.[0-9]{1,20}")


def user_channel(user_id: str) -> str:
    """Return the name of the one channel that carries user_id's events."""
    return CHANNEL_PREFIX + user_id


def check_subscription(user: User, socket_id: str, channel: str) -> None:
    """Refuse a malformed request, or a channel that is not user's own."""
    if not SOCKET_ID.fullmatch(socket_id):
        raise MalformedRequest(
            "socket_id is not a Pusher socket id.",
            code="invalid_socket_id",
            errors={"socket_id": ["Expected two numbers joined by a dot."]},
        )
    match = CHANNEL_NAME.fullmatch(channel)
    if match is None:
        raise MalformedRequest(
            "channel_name is not a user channel.",
            code="invalid_channel_name",
            errors={"channel_name": ["Expected private-user.{your user id}."]},
        )
    if match.group(1) != user.id:
        raise Forbidden(
            "You may only listen to your own channel.", code="channel_forbidden"
        )
