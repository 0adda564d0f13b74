"""Swagger UI's assets, served from the installed swagger-ui-bundle package."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import NotFound

ASSETS_URL = "/api/docs/assets/"
ALLOWED = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"}

blp = Blueprint("docs_assets", __name__)


@blp.route(ASSETS_URL + "<name>")
def asset(name: str) -> Response:
    """Serve one Swagger UI file, so the docs work with no internet."""
    if name not in ALLOWED:
        raise NotFound()
    return send_from_directory(swagger_ui_path, name, max_age=86400)
