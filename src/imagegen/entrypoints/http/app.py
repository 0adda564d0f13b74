"""The Flask application factory: `flask --app imagegen.entrypoints.http.app`."""

from __future__ import annotations

import re
import secrets
from typing import Any

from dotenv import load_dotenv
from flask import Flask, Response, g, request
from flask_cors import CORS
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from imagegen.bootstrap import (
    Services,
    bootstrap,
    database_metadata,
    migrations_directory,
    prepare_database,
)
from imagegen.config import ConfigError, Settings, load_settings
from imagegen.entrypoints import cli
from imagegen.entrypoints.http import (
    admin,
    auth,
    docs,
    images,
    jobs,
    legacy,
    limits,
    metrics,
    ops,
    problems,
    realtime,
    security,
)
from imagegen.entrypoints.http.context import EXTENSION
from imagegen.entrypoints.http.schemas import ProblemSchema
from imagegen.entrypoints.logging_setup import configure_logging

# Room for the multipart framing around a file of the largest allowed size.
MULTIPART_SLACK = 64 * 1024
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, answering HTTP errors as problem+json.

    The document lists error bodies under application/json, the library's one
    error content type; the service sends them as application/problem+json.
    """

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        return problems.from_http(error)


def create_app(
    settings: Settings | None = None, services: Services | None = None
) -> Flask:
    """Build the web application around one set of services."""
    if settings is None:
        settings = services.settings if services else settings_or_exit()
    configure_logging(settings)
    app = Flask("imagegen")
    app.extensions[EXTENSION] = services or bootstrap(settings)
    app.config.update(_flask_config(settings))
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    _request_ids(app)
    problems.register(app)
    security.init_app(app)
    limits.init_app(app, settings)
    metrics.init_app(app, settings.metrics_dir)
    CORS(
        app,
        resources={r"/api/*": {"origins": list(settings.cors_origins)}},
        expose_headers=["Retry-After", "X-Request-ID", "Location"],
    )
    _api(app)
    app.register_blueprint(docs.blp)
    _migrations(app, settings)
    cli.init_app(app)
    return app


def settings_or_exit() -> Settings:
    """Read the settings from the environment and .env; on a bad one, exit
    with one line naming it rather than a traceback."""
    load_dotenv()
    try:
        return load_settings()
    except ConfigError as exc:
        raise SystemExit(f"imagegen: {exc}") from None


def _flask_config(settings: Settings) -> dict[str, Any]:
    return {
        "MAX_CONTENT_LENGTH": settings.upload_max_bytes + MULTIPART_SLACK,
        "API_TITLE": "imagegen",
        "API_VERSION": "1.0.0",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": docs.ASSETS_URL,
        "SQLALCHEMY_DATABASE_URI": settings.database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    }


def _api(app: Flask) -> None:
    api = ProblemApi(app, spec_kwargs={"info": {"description": _DESCRIPTION}})
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    for module in (auth, images, jobs, admin, legacy, ops, realtime):
        api.register_blueprint(module.blp)


def _migrations(app: Flask, settings: Settings) -> None:
    prepare_database(settings.database_url)
    db = SQLAlchemy(metadata=database_metadata())
    db.init_app(app)
    Migrate(
        app,
        db,
        directory=str(migrations_directory()),
        render_as_batch=True,
        compare_type=True,
    )


def _request_ids(app: Flask) -> None:
    @app.before_request
    def _assign() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.match(given) else secrets.token_hex(8)

    @app.after_request
    def _stamp(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


_DESCRIPTION = (
    "JSON API of imagegen. Authenticate with `Authorization: Bearer <access_token>`"
    " from /api/auth/login. Errors are application/problem+json (RFC 9457)."
)
