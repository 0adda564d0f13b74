"""The running service: Gunicorn web processes and an RQ worker, as subprocesses.

Everything a deployment has, on loopback: SQLite in WAL mode shared by the
processes, moto's S3 server for storage, this machine's Redis for the queue,
throttles and events (under a key prefix of this run's own).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.support.deployment import WORKER, deployment_env, free_port
from tests.support.s3 import S3Bucket

BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait for url to answer 200; fail with the process's log if it died."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not come up:\n{log.read_text()[-3000:]}")


def spawn(
    command: list[str | Path], env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """Start command with its output in log."""
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def redis_server() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    return REDIS_URL


@pytest.fixture(scope="session")
def stack_env(
    tmp_path_factory: pytest.TempPathFactory,
    redis_server: str,
    s3_server: str,
    _s3_admin: Any,
) -> Iterator[dict[str, str]]:
    """The environment every process of the deployment under test shares."""
    root = tmp_path_factory.mktemp("stack")
    prefix = f"imagegen-e2e-{secrets.token_hex(4)}"
    bucket = S3Bucket(name=f"e2e-{secrets.token_hex(4)}", endpoint_url=s3_server)
    _s3_admin.create_bucket(Bucket=bucket.name)
    env = deployment_env(
        root,
        redis_url=redis_server,
        prefix=prefix,
        **bucket.environment(),
        STACK_LOGS=str(root),
    )
    subprocess.run(
        [BIN / "flask", "--app", "imagegen.entrypoints.http.app", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )
    yield env
    client = redis.Redis.from_url(redis_server)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    for key in client.scan_iter(f"rq:*{prefix}*"):
        client.delete(key)


def start_web(env: dict[str, str], name: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    log = Path(env["STACK_LOGS"]) / f"{name}.log"
    process = spawn(
        [
            BIN / "gunicorn",
            "--config",
            "python:imagegen.entrypoints.gunicorn_conf",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "imagegen.entrypoints.http.app:create_app()",
        ],
        env,
        log,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url + "/healthz", process, log)
    return url, process


@pytest.fixture(scope="session")
def web(stack_env: dict[str, str]) -> Iterator[str]:
    """The base URL of Gunicorn serving the app (two worker processes)."""
    url, process = start_web(stack_env, "web")
    yield url
    stop(process)


@pytest.fixture(scope="session")
def second_web(stack_env: dict[str, str]) -> Iterator[str]:
    """Another Gunicorn on its own port: a second machine behind the balancer."""
    url, process = start_web(stack_env, "web2")
    yield url
    stop(process)


def start_worker(env: dict[str, str], name: str = "worker") -> subprocess.Popen[bytes]:
    """Start `make worker`'s command; the caller stops it."""
    log = Path(env["STACK_LOGS"]) / f"{name}.log"
    return spawn(list(WORKER), env, log)


@pytest.fixture(scope="session")
def worker(stack_env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """One RQ worker process serving the stack's queue."""
    process = start_worker(stack_env)
    yield process
    stop(process)
