"""A variation job from request to downloadable pictures, web and worker apart."""

from __future__ import annotations

import io
import json
import subprocess
import time
import urllib.request
import uuid
from typing import Any

import pytest
from PIL import Image

from tests.e2e.test_core_service import call, png, register


def follow(web: str, job_id: str, token: str, worker: subprocess.Popen[bytes]) -> Any:
    """Poll the job until it ends; fail if the worker process died meanwhile."""
    while True:
        status, _, body = call("GET", f"{web}/api/jobs/{job_id}", token)
        assert status == 200, body
        job = json.loads(body)
        if job["status"] in ("succeeded", "failed", "canceled"):
            return job
        if worker.poll() is not None:
            pytest.fail(f"the worker exited with {worker.returncode}")
        time.sleep(0.1)


def download(web: str, url: str, token: str) -> bytes:
    """Fetch an image's bytes, following the redirect to a signed URL if any."""
    status, headers, body = call("GET", web + url, token)
    if status == 302:
        with urllib.request.urlopen(headers["Location"], timeout=30) as response:
            return bytes(response.read())
    assert status == 200, body
    return body


def test_a_job_runs_on_the_worker_and_its_variations_download(
    web: str, worker: subprocess.Popen[bytes]
) -> None:
    token = register(web, f"{uuid.uuid4().hex}@example.com")["access_token"]
    _, _, body = call(
        "POST", f"{web}/api/images", token, files={"file": ("a.png", png())}
    )
    image_id = json.loads(body)["id"]

    status, _, body = call(
        "POST",
        f"{web}/api/images/{image_id}/variations",
        token,
        body={"n": 4, "size": "512x512"},
    )
    assert status == 202, body
    job = follow(web, json.loads(body)["id"], token, worker)

    assert job["status"] == "succeeded", job
    assert job["progress"] == {"completed": 4, "total": 4}
    assert job["provider"] == "local" and job["fallback_reason"] is None
    status, _, body = call("GET", f"{web}/api/images/{image_id}/variations", token)
    made = json.loads(body)["items"]
    assert {m["id"] for m in made} == set(job["variation_ids"])
    for variation in made:
        picture = Image.open(
            io.BytesIO(download(web, variation["links"]["content"], token))
        )
        assert (picture.format, picture.size) == ("PNG", (512, 512))
        assert variation["job_id"] == job["id"]


def test_an_idempotency_key_holds_across_web_processes(
    web: str, second_web: str
) -> None:
    token = register(web, f"{uuid.uuid4().hex}@example.com")["access_token"]
    _, _, body = call(
        "POST", f"{web}/api/images", token, files={"file": ("a.png", png())}
    )
    image_id = json.loads(body)["id"]
    key = {"Idempotency-Key": uuid.uuid4().hex}

    ids = []
    for base in (web, second_web):
        request = urllib.request.Request(
            f"{base}/api/images/{image_id}/variations",
            data=json.dumps({"n": 1, "size": "256x256"}).encode(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            }
            | key,
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 202
            ids.append(json.loads(response.read())["id"])

    assert ids[0] == ids[1]
