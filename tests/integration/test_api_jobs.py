"""Variation jobs through the HTTP API, with the in-process queue or Redis."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from redis import Redis
from rq import Queue

from imagegen.adapters.sqlalchemy.migrations import upgrade
from imagegen.entrypoints.http.app import create_app
from tests.integration.test_api_admin import admin_token
from tests.support.api import ApiClient, picture, settings_for
from tests.support.openai_server import MODERATION, QUOTA, OpenAIStandIn

PROBLEM = "application/problem+json"


def finish_background_work(app: Flask) -> None:
    """Wait until the in-process queue has run everything queued."""
    app.extensions["imagegen"].queue.join()


def make_app(tmp_path: Path, **env: str) -> Iterator[Flask]:
    settings = settings_for(tmp_path, **env)
    upgrade(settings.database_url)
    flask_app = create_app(settings)
    yield flask_app
    flask_app.extensions["imagegen"].close()


@pytest.fixture
def small_quota_api(tmp_path: Path) -> Iterator[ApiClient]:
    for app in make_app(tmp_path, VARIATION_DAILY_QUOTA="5", MAX_ACTIVE_JOBS="1"):
        yield ApiClient(app.test_client())


@pytest.fixture
def queue_name(redis_client: Redis[bytes]) -> Iterator[str]:
    name = f"imagegen-test-{secrets.token_hex(6)}"
    yield name
    Queue(name, connection=redis_client).empty()
    redis_client.delete(f"rq:queue:{name}")


@pytest.fixture
def redis_api(
    tmp_path: Path, redis_url: str, redis_prefix: str, queue_name: str
) -> Iterator[ApiClient]:
    """The app queueing on Redis with no worker: jobs stay queued."""
    env = {
        "QUEUE_CONNECTION": "redis",
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": redis_prefix,
        "RQ_QUEUE": queue_name,
    }
    for app in make_app(tmp_path, **env):
        yield ApiClient(app.test_client())


def ask(api: ApiClient, token: str, image_id: str, **body: Any) -> Any:
    body = {"n": 2, "size": "256x256"} | body
    return api.post(f"/api/images/{image_id}/variations", token, json=body)


def upload(api: ApiClient, token: str) -> str:
    return str(api.upload(token, picture(size=(320, 240))).json["id"])


def test_variations_are_made_in_the_background_and_downloadable(
    api: ApiClient, app: Flask
) -> None:
    token = api.token("ada@example.com")
    image_id = upload(api, token)

    queued = ask(api, token, image_id, n=3, size="512x512")
    finish_background_work(app)

    assert queued.status_code == 202
    job = queued.json
    assert queued.headers["Location"] == f"/api/jobs/{job['id']}"
    assert (job["status"], job["n"], job["provider"]) == ("queued", 3, "local")
    done = api.get(f"/api/jobs/{job['id']}", token).json
    assert done["status"] == "succeeded"
    assert done["progress"] == {"completed": 3, "total": 3}
    assert done["started_at"] and done["finished_at"] and done["error"] is None
    made = api.get(f"/api/images/{image_id}/variations", token).json["items"]
    assert {m["id"] for m in made} == set(done["variation_ids"])
    first = api.get(made[0]["links"]["download"], token)
    assert first.headers["Content-Disposition"].startswith("attachment")
    assert Image.open(io.BytesIO(first.data)).size == (512, 512)


def test_a_repeat_with_the_same_idempotency_key_gives_the_same_job(
    api: ApiClient,
) -> None:
    token = api.token("ada@example.com")
    image_id = upload(api, token)
    headers = {"Idempotency-Key": "retry-safe-1"}

    first = api.client.post(
        f"/api/images/{image_id}/variations",
        json={"n": 1},
        headers=api.auth(token) | headers,
    )
    again = api.client.post(
        f"/api/images/{image_id}/variations",
        json={"n": 1},
        headers=api.auth(token) | headers,
    )

    assert first.status_code == again.status_code == 202
    assert again.json["id"] == first.json["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"n": 11}, "n"),
        ({"n": 0}, "n"),
        ({"size": "300x300"}, "size"),
        ({"provider": "dall-e"}, "provider"),
        ({"prompt": "x" * 1001}, "prompt"),
    ],
)
def test_bad_fields_answer_422_and_make_no_job(
    api: ApiClient, body: dict[str, Any], field: str
) -> None:
    token = api.token("ada@example.com")
    image_id = upload(api, token)

    response = ask(api, token, image_id, **body)

    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert field in response.json["errors"]
    assert api.get("/api/jobs", token).json["items"] == []


def test_another_users_image_and_job_answer_404(api: ApiClient, app: Flask) -> None:
    ada, bob = api.token("ada@example.com"), api.token("bob@example.com")
    image_id = upload(api, ada)
    job_id = ask(api, ada, image_id).json["id"]
    finish_background_work(app)

    assert ask(api, bob, image_id).status_code == 404
    assert api.get(f"/api/jobs/{job_id}", bob).status_code == 404
    for action in ("cancel", "retry"):
        assert api.post(f"/api/jobs/{job_id}/{action}", bob).status_code == 404
    assert api.get("/api/jobs", bob).json["items"] == []


def test_a_finished_job_cannot_be_canceled(api: ApiClient, app: Flask) -> None:
    token = api.token("ada@example.com")
    job_id = ask(api, token, upload(api, token)).json["id"]
    finish_background_work(app)

    response = api.post(f"/api/jobs/{job_id}/cancel", token)

    assert response.status_code == 409
    assert response.json["code"] == "job_not_cancelable"


def test_the_quota_answers_429_with_retry_after(small_quota_api: ApiClient) -> None:
    api = small_quota_api
    token = api.token("ada@example.com")
    image_id = upload(api, token)

    too_many = ask(api, token, image_id, n=6)

    assert too_many.status_code == 429 and too_many.mimetype == PROBLEM
    assert too_many.json["code"] == "variation_quota_exceeded"
    assert 0 < int(too_many.headers["Retry-After"]) <= 86400


def test_the_original_route_queues_a_job_for_its_clients(
    api: ApiClient, app: Flask
) -> None:
    token = api.token("ada@example.com")
    image_id = upload(api, token)

    response = api.get(f"/api/generate-variations/{image_id}?n=2", token)
    finish_background_work(app)

    assert response.status_code == 202
    job = response.json["job"]
    assert (job["image_id"], job["n"]) == (image_id, 2)
    assert api.get(f"/api/generate-variations/{image_id}").status_code == 401


def test_an_admin_sees_every_job_and_stats_by_status_and_quota(
    api: ApiClient, app: Flask
) -> None:
    token = api.token("ada@example.com")
    job_id = ask(api, token, upload(api, token), n=2).json["id"]
    finish_background_work(app)
    root = admin_token(api, app)

    listed = api.get("/api/admin/jobs?status=succeeded", root).json["items"]
    stats = api.get("/api/admin/stats", root).json

    assert [j["id"] for j in listed] == [job_id]
    assert stats["jobs"]["succeeded"] == 1 and stats["jobs"]["failed"] == 0
    assert stats["quota"]["variations_today"] == 2
    assert stats["quota"]["daily_variations_per_user"] == 100
    assert api.get("/api/admin/jobs", token).status_code == 403


def test_queued_jobs_can_be_canceled_and_retried(redis_api: ApiClient) -> None:
    api = redis_api
    token = api.token("ada@example.com")
    job_id = ask(api, token, upload(api, token)).json["id"]

    canceled = api.post(f"/api/jobs/{job_id}/cancel", token)
    retried = api.post(f"/api/jobs/{job_id}/retry", token)

    assert canceled.status_code == 200 and canceled.json["status"] == "canceled"
    assert retried.status_code == 202 and retried.json["status"] == "queued"
    assert retried.json["attempts"] == 2
    listed = api.get("/api/jobs?status=queued", token).json["items"]
    assert [j["id"] for j in listed] == [job_id]


def test_an_unreachable_redis_answers_503_and_leaves_no_job(
    api: ApiClient, tmp_path: Path
) -> None:
    token = api.token("ada@example.com")
    image_id = upload(api, token)
    down = {"QUEUE_CONNECTION": "redis", "REDIS_URL": "redis://127.0.0.1:1/0"}
    for app in make_app(tmp_path, **down):
        same_data_no_redis = ApiClient(app.test_client())

        response = ask(same_data_no_redis, token, image_id)

        assert response.status_code == 503 and response.mimetype == PROBLEM
        assert response.json["code"] == "queue_unavailable"
        assert "Retry-After" in response.headers
        assert same_data_no_redis.get("/api/jobs", token).json["items"] == []


@pytest.fixture
def openai_api(tmp_path: Path, openai_server: OpenAIStandIn) -> Iterator[ApiClient]:
    """The embedded app with OpenAI as its provider, at the loopback stand-in."""
    env = {
        "OPENAI_API_KEY": "sk-test-not-a-real-key-0123456789",
        "OPENAI_BASE_URL": openai_server.base_url,
        "OPENAI_MAX_RETRIES": "0",
    }
    for app in make_app(tmp_path, **env):
        yield ApiClient(app.test_client())


def run_one(api: ApiClient) -> dict[str, Any]:
    token = api.token("ada@example.com")
    job_id = ask(api, token, upload(api, token), n=2, size="1024x1024").json["id"]
    finish_background_work(api.client.application)
    job: dict[str, Any] = api.get(f"/api/jobs/{job_id}", token).json
    return job


def test_openai_makes_the_variations_when_it_has_a_key(openai_api: ApiClient) -> None:
    job = run_one(openai_api)

    assert job["status"] == "succeeded"
    assert (job["requested_provider"], job["provider"]) == ("openai", "openai")
    assert job["fallback_reason"] is None


def test_an_exhausted_openai_quota_falls_back_and_says_so(
    openai_api: ApiClient, openai_server: OpenAIStandIn
) -> None:
    openai_server.script(QUOTA)

    job = run_one(openai_api)

    assert job["status"] == "succeeded"
    assert (job["requested_provider"], job["provider"]) == ("openai", "local")
    assert "quota" in job["fallback_reason"]


def test_a_refused_prompt_fails_the_job_with_the_reason(
    openai_api: ApiClient, openai_server: OpenAIStandIn
) -> None:
    openai_server.script(MODERATION)

    job = run_one(openai_api)

    assert job["status"] == "failed"
    assert job["error"]["code"] == "content_refused"
    assert job["variation_ids"] == []
