"""Errors rendered as RFC 9457 problem details, in one place."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, json
from werkzeug.exceptions import HTTPException

from imagegen.domain import errors

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "https://imagegen.dev/problems/"

STATUS_BY_ERROR: list[tuple[type[errors.DomainError], int]] = [
    (errors.ValidationFailed, 422),
    (errors.MalformedRequest, 400),
    (errors.NotFound, 404),
    (errors.Forbidden, 403),
    (errors.Unauthenticated, 401),
    (errors.Conflict, 409),
    (errors.TokenRejected, 400),
    (errors.Throttled, 429),
    (errors.PayloadTooLarge, 413),
    (errors.UnsupportedImage, 415),
    (errors.InvalidImage, 422),
    (errors.ImageTooLarge, 422),
    (errors.ServiceUnavailable, 503),
]

CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    code: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build a problem+json response carrying the request id."""
    code = code or CODE_BY_STATUS.get(status, "error")
    body: dict[str, Any] = {
        "type": TYPE_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": g.get("request_id"),
    }
    if errors:
        body["errors"] = dict(errors)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    response.headers.update(headers or {})
    return response


def status_of(error: errors.DomainError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 400


def from_domain(error: errors.DomainError) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return problem(
        status_of(error),
        error.title,
        error.detail,
        code=error.code,
        errors=error.errors,
        headers=headers,
    )


def from_http(error: HTTPException) -> Response:
    """Render a werkzeug or webargs HTTP error, flattening validation messages."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = _flatten(data.get("messages")) if isinstance(data, dict) else None
    headers = dict(error.get_headers()) if status in (405, 429) else {}
    headers.pop("Content-Type", None)
    detail = error.description or error.name
    if messages:
        detail = "Some fields are invalid."
    return problem(status, error.name, detail, errors=messages, headers=headers)


def unexpected(error: Exception) -> Response:
    log.error(
        "request %s: unhandled %s",
        g.get("request_id"),
        type(error).__name__,
        exc_info=error,
    )
    return problem(500, "Internal Server Error", "Something went wrong on our side.")


def register(app: Flask) -> None:
    app.register_error_handler(errors.DomainError, from_domain)
    app.register_error_handler(HTTPException, from_http)
    app.register_error_handler(Exception, unexpected)


def _flatten(messages: object) -> dict[str, list[str]] | None:
    """Turn webargs' {location: {field: [msg]}} into {field: [msg]}."""
    if not isinstance(messages, dict):
        return None
    flat: dict[str, list[str]] = {}
    for location in messages.values():
        items = location.items() if isinstance(location, dict) else []
        for field_name, value in items:
            flat.setdefault(str(field_name), []).extend(_strings(value))
    return flat or None


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [
            f"{key}: {text}" for key, item in value.items() for text in _strings(item)
        ]
    return [str(value)]
