"""The maintenance commands, run as `flask imagegen ...` would run them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask

from imagegen.config import Settings
from imagegen.entrypoints.http.app import create_app
from tests.support.api import ApiClient, picture, settings_for


def test_seed_creates_the_demo_accounts_once(app: Flask) -> None:
    runner = app.test_cli_runner()

    first = runner.invoke(args=["imagegen", "seed"])
    again = runner.invoke(args=["imagegen", "seed"])

    assert "admin@example.com" in first.output and "user@example.com" in first.output
    assert "nothing to do" in again.output


def test_seed_refuses_in_production(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path,
        APP_ENV="production",
        MAIL_MAILER="smtp",
        MAIL_HOST="127.0.0.1",
        MAIL_FROM_ADDRESS="noreply@example.com",
    )
    app = create_app(settings)

    result = app.test_cli_runner().invoke(args=["imagegen", "seed"])

    assert result.exit_code != 0
    assert "never seeded in production" in result.output
    app.extensions["imagegen"].close()


def test_sweep_removes_only_old_objects_no_image_claims(
    app: Flask, api: ApiClient, app_settings: Settings
) -> None:
    token = api.token("ada@example.com")
    api.upload(token, picture())
    root = app_settings.storage_path
    old, fresh = root / "images/ab/gone/original.png", root / "images/cd/new/thumb.png"
    for path in (old, fresh):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"left behind")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))

    result = app.test_cli_runner().invoke(args=["imagegen", "sweep-orphans"])

    assert "removed: 1 objects" in result.output
    assert not old.exists() and fresh.exists()
    assert len([p for p in root.rglob("*") if p.is_file()]) == 3


def test_promote_makes_an_account_an_administrator(app: Flask, api: ApiClient) -> None:
    token = api.token("ada@example.com")
    assert api.get("/api/admin/stats", token).status_code == 403

    result = app.test_cli_runner().invoke(
        args=["imagegen", "promote", "ADA@example.com"]
    )

    assert "ada@example.com is now an administrator" in result.output
    assert api.get("/api/admin/stats", token).status_code == 200


def test_promote_names_an_unknown_address(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["imagegen", "promote", "x@example.com"])

    assert result.exit_code != 0
    assert "No account has this address" in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["flask", "--app", "imagegen.entrypoints.http.app", "db", "upgrade"],
        [
            "gunicorn",
            "--config",
            "python:imagegen.entrypoints.gunicorn_conf",
            "imagegen.entrypoints.http.app:create_app()",
        ],
    ],
    ids=["flask", "gunicorn"],
)
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(
    command: list[str], tmp_path: Path
) -> None:
    env = {**os.environ, "APP_ENV": "production", "PORT": "0"}
    for name in ("JWT_SECRET_KEY", "APP_KEY"):
        env.pop(name, None)

    result = subprocess.run(
        [str(Path(sys.executable).parent / command[0]), *command[1:]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,  # a guard against a server that starts anyway and runs on
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "imagegen:" in line]
    assert len(errors) == 1 and "JWT_SECRET_KEY" in errors[0]
