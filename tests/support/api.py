"""The Flask app over real adapters (SQLite file, local disk), for API tests.

A pytest plugin: ``app`` builds the app from settings like a deployment
would, ``api`` wraps its test client with the calls most tests make.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import TestResponse

from imagegen.adapters.sqlalchemy.migrations import upgrade
from imagegen.config import Settings, load_settings
from imagegen.entrypoints.http.app import create_app

PASSWORD = "correct horse battery"


def settings_for(tmp_path: Path, **extra: str) -> Settings:
    """Settings of a testing deployment rooted in tmp_path."""
    env = {
        "APP_ENV": "testing",
        "JWT_SECRET_KEY": "t" * 48,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'api.sqlite'}",
        "STORAGE_PATH": str(tmp_path / "storage"),
        "LOG_LEVEL": "WARNING",
    }
    return load_settings(env | extra)


@pytest.fixture
def app_settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path)


@pytest.fixture
def app(app_settings: Settings) -> Iterator[Flask]:
    upgrade(app_settings.database_url)
    flask_app = create_app(app_settings)
    yield flask_app
    flask_app.extensions["imagegen"].close()


@pytest.fixture
def api(app: Flask) -> ApiClient:
    return ApiClient(app.test_client())


def picture(fmt: str = "PNG", size: tuple[int, int] = (64, 48), **save: Any) -> bytes:
    """Make a small real picture in fmt."""
    buffer = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    Image.new(mode, size, (200, 40, 90)).save(buffer, fmt, **save)
    return buffer.getvalue()


class ApiClient:
    """The test client plus sign-up, sign-in and upload in one call each."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def register(self, email: str, name: str = "Test User") -> dict[str, Any]:
        response = self.client.post(
            "/api/auth/register",
            json={"name": name, "email": email, "password": PASSWORD},
        )
        assert response.status_code == 201, response.json
        body: dict[str, Any] = response.json  # type: ignore[assignment]
        return body

    def token(self, email: str) -> str:
        return str(self.register(email)["access_token"])

    def get(self, url: str, token: str | None = None, **kw: Any) -> TestResponse:
        return self.client.get(url, headers=self.auth(token), **kw)

    def post(self, url: str, token: str | None = None, **kw: Any) -> TestResponse:
        return self.client.post(url, headers=self.auth(token), **kw)

    def delete(self, url: str, token: str | None = None) -> TestResponse:
        return self.client.delete(url, headers=self.auth(token))

    def patch(self, url: str, token: str | None = None, **kw: Any) -> TestResponse:
        return self.client.patch(url, headers=self.auth(token), **kw)

    def upload(
        self,
        token: str,
        data: bytes,
        filename: str = "picture.png",
        field: str = "file",
        url: str = "/api/images",
    ) -> TestResponse:
        return self.post(
            url,
            token,
            data={field: (io.BytesIO(data), filename)},
            content_type="multipart/form-data",
        )

    @staticmethod
    def auth(token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}
