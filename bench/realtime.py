"""How long a stored variation takes to reach an event-stream (SSE) client.

Serves the app over real HTTP on loopback with jobs on its own threads, reads
the event stream with http.client, and for each generation.variation event
takes the time from the image's created_at (stamped as it is stored) to the
moment the client has read the event. Once with the embedded in-process hub,
once through Redis pub/sub; the baseline is a bare Redis pub/sub round trip
measured in the same run. `python -m bench realtime`.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import os
import queue
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image
from redis import Redis, RedisError
from werkzeug.serving import make_server

from imagegen.adapters.sqlalchemy.migrations import upgrade
from imagegen.config import load_settings
from imagegen.entrypoints.http.app import create_app

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
JOBS = 4
PER_JOB = 10
SAMPLES = JOBS * PER_JOB
PASSWORD = "bench password 1"
# What the stream reader hands on: when it read the event, its id, name, data.
Received = tuple[float, str, str, dict[str, Any]]


def main() -> None:
    redis_up = _redis_up()
    print(f"realtime: variation stored -> read by an SSE client, {SAMPLES} events")
    baseline = _pubsub_round_trips(SAMPLES) if redis_up else None
    _report("baseline: bare Redis pub/sub round trip", baseline, None)
    for label, redis in (("embedded, in-process hub", False), ("Redis hub", True)):
        if redis and not redis_up:
            continue
        stored, published = _run_stack(redis=redis)
        _report(f"{label}: stored -> read", stored, baseline)
        _report(f"{label}: published -> read", published, baseline)
    if not redis_up:
        print(f"  Redis at {REDIS_URL} is unreachable: baseline and Redis hub skipped")


def _report(
    label: str, delays: list[float] | None, baseline: list[float] | None
) -> None:
    if not delays:
        return
    median, worst = statistics.median(delays), max(delays)
    line = f"  {label:<44} median {median * 1000:7.2f} ms  worst {worst * 1000:7.2f} ms"
    if baseline:
        ratio_median = median / statistics.median(baseline)
        ratio_worst = worst / max(baseline)
        line += f"  (x{ratio_median:.1f} / x{ratio_worst:.1f} the baseline)"
    print(line, flush=True)


def _redis_up() -> bool:
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except RedisError:
        return False
    return True


def _pubsub_round_trips(count: int) -> list[float]:
    """Time PUBLISH to a subscriber thread's receipt, count times."""
    client: Redis[bytes] = Redis.from_url(REDIS_URL)
    channel = f"bench-{secrets.token_hex(6)}"
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel)
    while pubsub.get_message(timeout=1.0) is None and not pubsub.subscribed:
        pass
    delays = []
    for _ in range(count):
        sent = time.time()
        client.publish(channel, str(sent))
        message = None
        while message is None:
            message = pubsub.get_message(timeout=5.0)
        delays.append(time.time() - float(message["data"]))
    pubsub.close()
    client.close()
    return delays


def _run_stack(*, redis: bool) -> tuple[list[float], list[float]]:
    """Return each variation's delays: since it was stored, since published."""
    with tempfile.TemporaryDirectory() as root, _served(Path(root), redis) as base:
        token = _call(base, "POST", "/api/auth/register", body=_account())[
            "access_token"
        ]
        image_id = _upload(base, token)
        received: queue.Queue[Received] = queue.Queue()
        _listen(base, token, received.put)
        stored: list[float] = []
        published: list[float] = []
        for _ in range(JOBS):
            job = _call(
                base,
                "POST",
                f"/api/images/{image_id}/variations",
                token,
                body={"n": PER_JOB, "size": "256x256", "provider": "local"},
            )
            for since_stored, since_published in _variation_delays(received, job["id"]):
                stored.append(since_stored)
                published.append(since_published)
        return stored, published


def _variation_delays(
    received: queue.Queue[Received], job_id: str
) -> list[tuple[float, float]]:
    """Read one job's events; event ids start with their publishing millisecond."""
    delays = []
    while True:
        read_at, event_id, name, data = received.get(timeout=120)
        if data.get("job_id") != job_id:
            continue
        if name == "generation.variation":
            stored = datetime.fromisoformat(data["image"]["created_at"]).timestamp()
            published = int(event_id.split("-")[0]) / 1000
            delays.append((read_at - stored, read_at - published))
        if name in ("generation.succeeded", "generation.failed"):
            return delays


@contextmanager
def _served(root: Path, redis: bool) -> Iterator[str]:
    env = {
        "APP_ENV": "testing",
        "JWT_SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{root / 'bench.sqlite'}",
        "STORAGE_PATH": str(root / "storage"),
        "LOG_LEVEL": "WARNING",
        "QUEUE_CONNECTION": "thread",
        "REDIS_PREFIX": f"imagegen-bench-{secrets.token_hex(4)}",
    }
    if redis:
        env["REDIS_URL"] = REDIS_URL
    settings = load_settings(env)
    upgrade(settings.database_url)
    app = create_app(settings)
    # The development server's request lines would drown the figures.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        app.extensions["imagegen"].close()
        if redis:
            _forget(env["REDIS_PREFIX"])


def _listen(base: str, token: str, deliver: Callable[[Received], None]) -> None:
    """Read the event stream on a thread, handing each event on as it is read."""
    url = urlsplit(_call(base, "POST", "/api/realtime/stream-token", token)["url"])
    connection = http.client.HTTPConnection(url.netloc, timeout=120)
    connection.request("GET", f"{url.path}?{url.query}")
    response = connection.getresponse()

    def read() -> None:
        fields: dict[str, str] = {}
        for raw in iter(response.readline, b""):
            line = raw.decode().rstrip("\n")
            if line and not line.startswith(":"):
                key, _, value = line.partition(": ")
                fields[key] = value
            elif not line and "id" in fields:
                event = (fields["id"], fields["event"], json.loads(fields["data"]))
                deliver((time.time(), *event))
            if not line:
                fields = {}

    threading.Thread(target=read, daemon=True).start()


def _account() -> dict[str, str]:
    return {
        "name": "Bench",
        "email": f"{secrets.token_hex(6)}@example.com",
        "password": PASSWORD,
    }


def _upload(base: str, token: str) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (20, 90, 160)).save(buffer, "PNG")
    boundary = secrets.token_hex(8)
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="a.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
        + buffer.getvalue()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return str(
        _call(base, "POST", "/api/images", token, raw=body, headers=headers)["id"]
    )


def _call(
    base: str,
    method: str,
    path: str,
    token: str | None = None,
    *,
    body: Any = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    url = urlsplit(base)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if body is not None:
        raw = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection(url.netloc, timeout=60)
    connection.request(method, path, body=raw, headers=sent)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    if response.status >= 400:
        raise RuntimeError(f"{method} {path}: {response.status} {payload[:200]!r}")
    return json.loads(payload)


def _forget(prefix: str) -> None:
    client: Redis[bytes] = Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


if __name__ == "__main__":
    main()
