"""Per-client rate limits (flask-limiter), shared through Redis when there is one."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from imagegen.config import Settings

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def init_app(app: Flask, settings: Settings) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    app.config["RATELIMIT_KEY_PREFIX"] = "imagegen-limits"
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    limiter.init_app(app)


def failed_login(response: object) -> bool:
    """Count only failed sign-ins against a client address."""
    return getattr(response, "status_code", 200) in (401, 429)
