"""Live progress over real HTTP: the event stream while a worker runs a job.

The worker process publishes through Redis; the stream is read from a
Gunicorn process of its own (heartbeats every second, so that a silent
stream shows it is silent quickly, and a closed one is noticed). The last
test drives the demo page in headless Chromium: Debian's chromium (apt-get
install chromium) through Playwright, never a browser Playwright downloads.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.e2e.conftest import start_web, stop
from tests.e2e.test_core_service import PASSWORD, call, png, register
from tests.support.sse import Message, SseReader

FINAL = {"generation.succeeded", "generation.failed", "generation.canceled"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous: the page updates well within this once the job runs.
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def live_web(stack_env: dict[str, str]) -> Iterator[str]:
    """A web process of the stack whose streams beat every second."""
    url, process = start_web({**stack_env, "SSE_HEARTBEAT_SECONDS": "1"}, "live-web")
    yield url
    stop(process)


@contextmanager
def event_stream(
    web: str, token: str, last_event_id: str | None = None
) -> Iterator[SseReader]:
    """Open my event stream over HTTP with a fresh stream token."""
    status, _, body = call("POST", f"{web}/api/realtime/stream-token", token)
    assert status == 200, body
    url = urlsplit(json.loads(body)["url"])
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Accept": "text/event-stream"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    connection.request("GET", f"{url.path}?{url.query}", headers=headers)
    response = connection.getresponse()
    assert response.status == 200, response.read()
    assert response.getheader("Content-Type", "").startswith("text/event-stream")
    try:
        yield SseReader(iter(response.readline, b""))
    finally:
        connection.close()


def upload_and_ask(web: str, token: str, n: int) -> dict[str, Any]:
    """Upload a picture and ask for n local variations of it; return the job."""
    status, _, body = call(
        "POST", f"{web}/api/images", token, files={"file": ("a.png", png())}
    )
    assert status == 201, body
    image_id = json.loads(body)["id"]
    status, _, body = call(
        "POST",
        f"{web}/api/images/{image_id}/variations",
        token,
        body={"n": n, "size": "256x256", "provider": "local"},
    )
    assert status == 202, body
    job: dict[str, Any] = json.loads(body)
    return job


def until_final(reader: SseReader, job_id: str) -> list[Message]:
    """Read the job's events up to and including its final one."""
    seen: list[Message] = []
    while not seen or seen[-1].event not in FINAL:
        [message] = reader.events(1)
        if message.json().get("job_id") == job_id:
            seen.append(message)
    return seen


def test_a_jobs_events_stream_in_order_while_the_worker_runs_it(
    live_web: str, web: str, worker: subprocess.Popen[bytes]
) -> None:
    token = register(web, f"{uuid.uuid4().hex}@example.com")["access_token"]

    with event_stream(live_web, token) as stream:
        job = upload_and_ask(web, token, n=3)
        received = until_final(stream, job["id"])

    names = [m.event for m in received]
    data = [m.json() for m in received]
    assert names[0] == "generation.queued"
    assert names[-1] == "generation.succeeded"
    assert names.count("generation.variation") == 3
    assert names.index("generation.started") < names.index("generation.variation")
    assert [d["seq"] for d in data] == list(
        range(data[0]["seq"], data[0]["seq"] + len(data))
    )
    completed = [d["progress"]["completed"] for d in data]
    assert completed == sorted(completed) and data[-1]["progress"] == {
        "completed": 3,
        "total": 3,
    }
    made = {d["image"]["id"] for d in data if "image" in d}
    status, _, body = call("GET", f"{web}/api/jobs/{job['id']}", token)
    assert status == 200 and json.loads(body)["status"] == "succeeded"
    assert made == set(json.loads(body)["variation_ids"])
    assert "Signature" not in json.dumps(data)


def test_another_users_stream_stays_silent(
    live_web: str, web: str, worker: subprocess.Popen[bytes]
) -> None:
    ada = register(web, f"{uuid.uuid4().hex}@example.com")["access_token"]
    bob = register(web, f"{uuid.uuid4().hex}@example.com")["access_token"]

    with event_stream(live_web, bob) as bob_stream:
        with event_stream(live_web, ada) as ada_stream:
            job = upload_and_ask(web, ada, n=2)
            until_final(ada_stream, job["id"])
        heard = bob_stream.until_heartbeat()

    assert heard == []


def test_a_reconnect_with_last_event_id_replays_what_it_missed(
    live_web: str, web: str, worker: subprocess.Popen[bytes]
) -> None:
    token = register(web, f"{uuid.uuid4().hex}@example.com")["access_token"]
    with event_stream(live_web, token) as stream:
        job = upload_and_ask(web, token, n=2)
        everything = until_final(stream, job["id"])

    with event_stream(web, token, last_event_id=everything[0].id) as again:
        replayed = until_final(again, job["id"])

    assert [m.id for m in replayed] == [m.id for m in everything[1:]]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def test_the_demo_page_shows_a_job_progressing_to_its_end(
    browser: Browser, live_web: str, web: str, worker: subprocess.Popen[bytes]
) -> None:
    email = f"{uuid.uuid4().hex}@example.com"
    token = register(web, email)["access_token"]
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_web}/api/realtime/demo")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("state")).to_have_text("connected", timeout=WAIT_MS)
    job = upload_and_ask(web, token, n=3)

    expect(page.get_by_test_id("status")).to_have_text("succeeded", timeout=WAIT_MS)
    expect(page.get_by_test_id("job")).to_have_text(job["id"])
    expect(page.get_by_test_id("progress-text")).to_have_text("3 / 3")
    lines = page.get_by_test_id("events").locator("li").all_inner_texts()
    assert lines[0].startswith("generation.queued #1")
    assert sum(line.startswith("generation.variation") for line in lines) == 3
    assert lines[-1].startswith("generation.succeeded")
    assert errors == []
    page.close()


def test_a_graceful_stop_ends_open_streams_with_a_last_event(
    stack_env: dict[str, str],
) -> None:
    web, process = start_web({**stack_env, "SSE_HEARTBEAT_SECONDS": "1"}, "stopping")
    token = register(web, f"{uuid.uuid4().hex}@example.com")["access_token"]
    try:
        with event_stream(web, token) as stream:
            assert "connected" in stream.message().comments

            process.send_signal(signal.SIGTERM)

            last = stream.events(1)[0]
            assert last.event == "stream.end"
            assert last.json() == {"reason": "server_stopping"}
            with pytest.raises(EOFError):
                stream.events(1)
    finally:
        stop(process)
    assert process.returncode == 0
