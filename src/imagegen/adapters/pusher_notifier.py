"""Pusher Channels: events triggered on private channels, subscriptions signed.

Speaks to Pusher's HTTP API through the official SDK, or to a self-hosted
server of the same protocol (soketi, say) at host, port and scheme. Pusher
refuses events whose data is over 10 KB; a larger event goes out with its
essentials only, and one still too large is dropped. Pusher keeps no history
and promises no delivery: clients read the truth from the API.
"""

from __future__ import annotations

import json
import logging

import pusher

from imagegen.application.ports import Event
from imagegen.domain.channels import user_channel

log = logging.getLogger(__name__)

MAX_DATA_BYTES = 10 * 1024
# What a client needs to place an event when the rest had to go.
ESSENTIALS = ("job_id", "image_id", "status", "progress", "seq")


class PusherNotifier:
    """Publishes events to `private-user.{id}` and signs subscriptions to it."""

    def __init__(
        self,
        *,
        app_id: str,
        key: str,
        secret: str,
        cluster: str | None = None,
        host: str | None = None,
        port: int | None = None,
        scheme: str = "https",
        timeout: float = 2.0,
    ) -> None:
        self._client = pusher.Pusher(
            app_id=app_id,
            key=key,
            secret=secret,
            cluster=cluster,
            host=host,
            port=port,
            ssl=scheme == "https",
            timeout=timeout,
        )

    def publish(self, event: Event) -> None:
        """Trigger event on its user's channel; raise when Pusher refuses it."""
        data = fit(event)
        if data is None:
            return
        self._client.trigger(user_channel(event.user_id), event.name, data)

    def authorize(self, socket_id: str, channel: str) -> str:
        signed: dict[str, str] = self._client.authenticate(
            channel=channel, socket_id=socket_id
        )
        return signed["auth"]


def fit(event: Event) -> str | None:
    """Return event's data as JSON within Pusher's limit, trimmed if need be."""
    encoded = _json(event.data)
    if _size(encoded) <= MAX_DATA_BYTES:
        return encoded
    essentials = {k: v for k, v in event.data.items() if k in ESSENTIALS}
    encoded = _json(essentials | {"truncated": True})
    if _size(encoded) <= MAX_DATA_BYTES:
        log.warning(
            "pusher: %s for user %s over %d bytes; sent without its details",
            event.name,
            event.user_id,
            MAX_DATA_BYTES,
        )
        return encoded
    log.warning(
        "pusher: %s for user %s over %d bytes even trimmed; not sent",
        event.name,
        event.user_id,
        MAX_DATA_BYTES,
    )
    return None


def _json(data: dict[str, object]) -> str:
    return json.dumps(data, default=str, ensure_ascii=False, separators=(",", ":"))


def _size(encoded: str) -> int:
    return len(encoded.encode())
