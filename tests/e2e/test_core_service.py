"""The core service over real HTTP: Gunicorn processes, S3, Redis, SQLite."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from PIL import Image

from tests.e2e.conftest import start_web, stop

PASSWORD = "correct horse battery"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def call(
    method: str,
    url: str,
    token: str | None = None,
    body: Any = None,
    files: dict[str, tuple[str, bytes]] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Make one HTTP request with the standard library; never follow redirects."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if files:
        boundary = uuid.uuid4().hex
        data = multipart(boundary, files)
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def multipart(boundary: str, files: dict[str, tuple[str, bytes]]) -> bytes:
    parts = []
    for field, (filename, content) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def register(web: str, email: str) -> dict[str, Any]:
    status, _, body = call(
        "POST",
        f"{web}/api/auth/register",
        body={"name": "E2E", "email": email, "password": PASSWORD},
    )
    assert status == 201, body
    result: dict[str, Any] = json.loads(body)
    return result


def png(size: tuple[int, int] = (320, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_an_uploaded_image_downloads_through_a_signed_s3_url(web: str) -> None:
    token = register(web, f"{uuid.uuid4().hex}@example.com")["access_token"]
    status, _, body = call(
        "POST", f"{web}/api/images", token, files={"file": ("sky.png", png())}
    )
    assert status == 201, body
    image = json.loads(body)

    status, headers, _ = call("GET", f"{web}/api/images/{image['id']}/download", token)

    assert status == 302
    with urllib.request.urlopen(headers["Location"], timeout=30) as signed:
        assert signed.headers["Content-Type"] == "image/png"
        assert "sky.png" in signed.headers["Content-Disposition"]
        assert Image.open(io.BytesIO(signed.read())).size == (320, 200)


def test_a_logout_on_one_machine_holds_on_another(web: str, second_web: str) -> None:
    tokens = register(web, f"{uuid.uuid4().hex}@example.com")
    assert call("GET", f"{second_web}/api/auth/me", tokens["access_token"])[0] == 200

    assert call("POST", f"{web}/api/auth/logout", tokens["access_token"])[0] == 204

    assert call("GET", f"{second_web}/api/auth/me", tokens["access_token"])[0] == 401
    status, _, _ = call(
        "POST", f"{second_web}/api/auth/refresh", tokens["refresh_token"]
    )
    assert status == 401


def test_login_throttling_holds_across_machines(web: str, second_web: str) -> None:
    email = f"{uuid.uuid4().hex}@example.com"
    register(web, email)
    wrong = {"email": email, "password": "not the password"}
    for base in (web, second_web, web, second_web, web):
        assert call("POST", f"{base}/api/auth/login", body=wrong)[0] == 401

    status, headers, body = call(
        "POST",
        f"{second_web}/api/auth/login",
        body={"email": email, "password": PASSWORD},
    )

    assert status == 429, body
    assert int(headers["Retry-After"]) > 0


def test_readiness_checks_database_storage_and_redis(web: str) -> None:
    status, _, body = call("GET", f"{web}/readyz")

    assert status == 200
    checks = json.loads(body)["checks"]
    assert {"database", "storage", "redis"} <= set(checks)
    assert set(checks.values()) == {"ok"}


def test_metrics_add_up_every_gunicorn_process(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {**stack_env, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    web, process = start_web(env, "metrics-web")
    try:
        before = health_checks_counted(web)
        for _ in range(20):
            assert call("GET", f"{web}/healthz")[0] == 200

        after = health_checks_counted(web)
    finally:
        stop(process)

    assert after - before == 20


def health_checks_counted(web: str) -> float:
    """Read the total of answered GET /healthz from a scrape of /metrics."""
    _, _, body = call("GET", f"{web}/metrics")
    rows = [
        row
        for row in body.decode().splitlines()
        if row.startswith("imagegen_http_requests_total") and 'route="/healthz"' in row
    ]
    return sum(float(row.rsplit(" ", 1)[1]) for row in rows)
