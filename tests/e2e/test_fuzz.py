"""Generated requests for every documented operation: none makes a 5xx.

Schemathesis reads /api/openapi.json from the running service and sends
bodies, queries, headers and paths built from it (valid ones and near
misses), signed in as an ordinary user and as an administrator.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import BIN
from tests.e2e.test_core_service import call, register

# Operations that end the caller's session, or hold a stream open until its end.
SKIPPED = r"/api/auth/(logout|password|refresh)$|/api/realtime/events$"


@pytest.mark.parametrize("role", ["user", "admin"])
def test_no_generated_request_makes_a_server_error(
    web: str, stack_env: dict[str, str], tmp_path: Path, role: str
) -> None:
    token = register(web, f"{uuid.uuid4().hex}@example.com")["access_token"]
    if role == "admin":
        token = promoted(web, stack_env, token)

    result = subprocess.run(
        [
            BIN / "schemathesis",
            "run",
            f"{web}/api/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "10",
            "--exclude-path-regex",
            SKIPPED,
            "--seed",
            "20261203",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stdout[-4000:]
    assert "passed" in result.stdout


def promoted(web: str, stack_env: dict[str, str], token: str) -> str:
    """Make the token's user an administrator through the CLI, as ops would."""
    email = json.loads(call("GET", f"{web}/api/auth/me", token)[2])["email"]
    subprocess.run(
        [
            BIN / "flask",
            "--app",
            "imagegen.entrypoints.http.app",
            "imagegen",
            "promote",
            email,
        ],
        env=stack_env,
        check=True,
        capture_output=True,
    )
    return token
