"""/api/realtime: live progress over Pusher or our own event stream (SSE).

Also POST /broadcasting/auth, where Laravel Echo clients sign their
subscriptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from flask import Response, request, url_for
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from imagegen.application import realtime
from imagegen.domain.errors import MalformedRequest
from imagegen.entrypoints.http import sse
from imagegen.entrypoints.http.context import current_session_id, current_user, services
from imagegen.entrypoints.http.security import BEARER

blp = Blueprint("realtime", __name__, description="Live progress")

# How long a browser waits before reconnecting a dropped stream.
RETRY_MS = 2000
STATIC = files("imagegen.entrypoints.http") / "static"
DEMO_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self';"
    " style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)


class PusherConfigSchema(Schema):
    key = fields.String()
    cluster = fields.String()
    host = fields.String(allow_none=True)
    port = fields.Integer(allow_none=True)
    scheme = fields.String()
    auth_endpoint = fields.String()


class StreamConfigSchema(Schema):
    token_url = fields.String()
    events_url = fields.String()
    heartbeat_seconds = fields.Integer()


class RealtimeConfigSchema(Schema):
    drivers = fields.List(fields.String(), metadata={"example": ["sse", "pusher"]})
    channel = fields.String(metadata={"example": "private-user.0f3a..."})
    pusher = fields.Nested(PusherConfigSchema, allow_none=True)
    sse = fields.Nested(StreamConfigSchema)


class ChannelAuthSchema(Schema):
    auth = fields.String(metadata={"description": "key:signature, for the client"})


class StreamTokenSchema(Schema):
    token = fields.String()
    expires_in = fields.Integer(metadata={"description": "Seconds to open a stream"})
    url = fields.String(metadata={"description": "The event stream, token included"})


SUBSCRIPTION_BODY = {
    "required": True,
    "content": {
        media: {
            "schema": {
                "type": "object",
                "required": ["socket_id", "channel_name"],
                "properties": {
                    "socket_id": {"type": "string", "example": "123.456"},
                    "channel_name": {"type": "string"},
                },
            }
        }
        for media in ("application/x-www-form-urlencoded", "application/json")
    },
}
STREAM_RESPONSES = {
    "200": {
        "description": "Server-Sent Events: id, event (the event name), data (JSON)",
        "content": {sse.MEDIA_TYPE: {"schema": {"type": "string"}}},
    }
}


@blp.route("/api/realtime/config")
@jwt_required()
@blp.response(200, RealtimeConfigSchema)
@blp.doc(security=BEARER)
def config() -> dict[str, Any]:
    """Tell which drivers are on, my channel, and where to connect."""
    found = realtime.realtime_config(services().realtime, current_user())
    pusher = None
    if found.pusher is not None:
        pusher = vars(found.pusher) | {"auth_endpoint": url_for("realtime.pusher_auth")}
    return {
        "drivers": found.drivers,
        "channel": found.channel,
        "pusher": pusher,
        "sse": {
            "token_url": url_for("realtime.stream_token", _external=True),
            "events_url": url_for("realtime.events", _external=True),
            "heartbeat_seconds": services().settings.realtime.heartbeat_seconds,
        },
    }


@blp.route("/api/realtime/pusher/auth", methods=["POST"])
@jwt_required()
@blp.response(200, ChannelAuthSchema)
@blp.doc(security=BEARER, requestBody=SUBSCRIPTION_BODY)
def pusher_auth() -> dict[str, str]:
    """Sign a Pusher subscription to my own private channel."""
    return _sign_subscription()


@blp.route("/broadcasting/auth", methods=["POST"])
@jwt_required()
@blp.response(200, ChannelAuthSchema)
@blp.doc(security=BEARER, requestBody=SUBSCRIPTION_BODY)
def echo_auth() -> dict[str, str]:
    """Sign a subscription for Laravel Echo, as POST /api/realtime/pusher/auth."""
    return _sign_subscription()


@blp.route("/api/realtime/stream-token", methods=["POST"])
@jwt_required()
@blp.response(200, StreamTokenSchema)
@blp.doc(security=BEARER)
def stream_token() -> dict[str, Any]:
    """Get a short-lived token that opens my event stream (EventSource)."""
    issued = realtime.issue_stream_token(
        services().realtime, current_user(), current_session_id()
    )
    url = url_for("realtime.events", token=issued.token, _external=True)
    return {"token": issued.token, "expires_in": issued.expires_in, "url": url}


@blp.route("/api/realtime/events")
@blp.doc(
    responses=STREAM_RESPONSES,
    parameters=[
        {"name": "token", "in": "query", "required": True, "schema": {"type": "string"}}
    ],
)
def events() -> Response:
    """Stream my events; resume with Last-Event-ID (or ?last_event_id=)."""
    stream = realtime.open_event_stream(
        services().realtime,
        request.args.get("token", ""),
        request.headers.get("Last-Event-ID") or request.args.get("last_event_id"),
    )
    response = Response(
        sse.body(stream, RETRY_MS), mimetype=sse.MEDIA_TYPE, headers=sse.HEADERS
    )
    # Frees the slot even when the client leaves before the first byte.
    response.call_on_close(stream.close)
    return response


@blp.route("/api/realtime/demo")
@blp.doc(responses={"200": {"description": "An HTML page"}})
def demo() -> Response:
    """Serve a small page that signs in and shows live progress."""
    return _static("realtime-demo.html", "text/html")


@blp.route("/api/realtime/demo.js")
@blp.doc(responses={"200": {"description": "The demo page's script"}})
def demo_script() -> Response:
    """Serve the demo page's script."""
    return _static("realtime-demo.js", "text/javascript")


def _sign_subscription() -> dict[str, str]:
    socket_id, channel = _subscription_fields()
    auth = realtime.authorize_pusher(
        services().realtime, current_user(), socket_id, channel
    )
    return {"auth": auth}


def _subscription_fields() -> tuple[str, str]:
    """Read socket_id and channel_name from a form or a JSON body."""
    body: Any = request.form if request.form else request.get_json(silent=True)
    body = body if isinstance(body, Mapping) else {}
    values = {name: body.get(name) for name in ("socket_id", "channel_name")}
    missing = {
        name: ["A non-empty string is required."]
        for name, value in values.items()
        if not isinstance(value, str) or not value
    }
    if missing:
        raise MalformedRequest(
            "socket_id and channel_name are required.", errors=missing
        )
    return str(values["socket_id"]), str(values["channel_name"])


def _static(name: str, mimetype: str) -> Response:
    response = Response((STATIC / name).read_bytes(), mimetype=mimetype)
    response.headers["Content-Security-Policy"] = DEMO_POLICY
    response.headers["Cache-Control"] = "no-cache"
    return response
