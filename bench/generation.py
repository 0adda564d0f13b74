"""Generation: the local generator, a job through RQ, and a worker killed mid-job.

`python -m bench generation`. Each figure is measured in this run and set
against a baseline measured in the same run:

- ten 1024x1024 variations by the local generator, against a plain Pillow
  decode, resize and PNG save of the same source, ten times;
- request to `succeeded` for n=4 through Redis and a real `rq worker`,
  against the generator making those four pictures in this process;
- the longest a job stayed `running` after its worker was SIGKILLed, against
  JOB_STALE_AFTER (short here, so the run takes seconds, not minutes).

Redis comes from BENCH_REDIS_URL (default 127.0.0.1:6379/0); without it the
RQ figures are reported as not measured.
"""

from __future__ import annotations

import io
import os
import random
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter
from redis import Redis, RedisError
from rq import Queue
from tests.support.deployment import (
    Workers,
    deployment_env,
    kill_with_its_work_horse,
    work_horses,
)

from imagegen.adapters.local_generator import LocalImageGenerator
from imagegen.adapters.sqlalchemy.migrations import upgrade
from imagegen.application import accounts, images, jobs
from imagegen.application.ports import VariationSpec
from imagegen.bootstrap import bootstrap
from imagegen.config import load_settings
from imagegen.domain.jobs import GenerationJob

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
STALE_AFTER = 6
KILLS = 3


def main() -> None:
    source = photo()
    local_generator(source)
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except RedisError as exc:
        print(f"rq figures: not measured (Redis at {REDIS_URL}: {exc})")
        return
    stack = Stack()
    try:
        through_rq(stack, source)
        killed_workers(stack)
    finally:
        stack.close()


def local_generator(source: bytes) -> None:
    spec = VariationSpec(source, 1024, 1024, tuple(range(10)), seed="bench")
    made = timed(lambda: list(LocalImageGenerator().generate(spec)))
    baseline = timed(lambda: [plain_resize(source) for _ in range(10)])
    print(f"local generator, 10 x 1024x1024: {made:.2f} s")
    print(f"  baseline, 10 x decode+resize+PNG: {baseline:.2f} s")
    print(f"  ratio: {made / baseline:.1f}x")


def through_rq(stack: Stack, source: bytes) -> None:
    stack.start_worker()
    stack.run_job(4)  # warm up: the worker imports and connects once
    took = timed(lambda: stack.run_job(4))
    spec = VariationSpec(source, 1024, 1024, tuple(range(4)), seed="bench")
    baseline = timed(lambda: list(LocalImageGenerator().generate(spec)))
    print(f"request to succeeded, n=4 through RQ: {took:.2f} s")
    print(f"  baseline, the 4 pictures made in process: {baseline:.2f} s")
    print(f"  ratio: {took / baseline:.1f}x")


def killed_workers(stack: Stack) -> None:
    stack.start_worker()
    longest = max(stack.kill_mid_job() for _ in range(KILLS))
    print(f"longest running after SIGKILL, of {KILLS}: {longest:.2f} s")
    print(f"  against JOB_STALE_AFTER={STALE_AFTER} s: {longest / STALE_AFTER:.2f}")


class Stack:
    """A database, storage and queue of this run's own, and its workers."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="imagegen-bench-"))
        self.queue = f"imagegen-bench-{secrets.token_hex(4)}"
        self.env = deployment_env(
            self.root,
            redis_url=REDIS_URL,
            prefix=self.queue,
            JOB_STALE_AFTER=str(STALE_AFTER),
            LOG_LEVEL="WARNING",
        )
        upgrade(self.env["DATABASE_URL"])
        self.services = bootstrap(load_settings(self.env))
        self.workers = Workers(self.root, self.env)
        self.user = accounts.register(
            self.services.accounts, "Bench", "bench@example.com", "bench password 1"
        ).user
        self.image = images.upload_image(
            self.services.images, self.user, photo(), "bench.jpg"
        )

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self.workers.start()

    def run_job(self, n: int) -> GenerationJob:
        job = self.request(n)
        return self.wait(job.id, lambda j: j.status.is_final)

    def request(self, n: int) -> GenerationJob:
        ask = jobs.VariationRequest(n=n, size="1024x1024")
        return jobs.request_variations(
            self.services.jobs, self.user, self.image.id, ask
        )

    def kill_mid_job(self) -> float:
        """Kill the worker running a job; return how long the job stayed running."""
        job = self.request(10)
        running = self.wait(job.id, lambda j: j.completed >= 1)
        victim = next(
            w for w in self.workers.processes if w.poll() is None and work_horses(w)
        )
        kill_with_its_work_horse(victim)
        killed_at = time.perf_counter()
        self.start_worker()
        # Taken back: queued again under a new attempt (which another worker
        # may already be running), or failed.
        self.wait(job.id, lambda j: j.attempts > running.attempts or j.status.is_final)
        stuck = time.perf_counter() - killed_at
        self.wait(job.id, lambda j: j.status.is_final)
        return stuck

    def wait(self, job_id: str, done: Callable[[GenerationJob], bool]) -> GenerationJob:
        while True:
            with self.services.uow() as uow:
                job = uow.jobs.get(job_id)
            assert job is not None
            if done(job):
                return job
            if self.workers.all_exited():
                raise RuntimeError(f"every worker exited; see {self.root}")
            time.sleep(0.01)

    def close(self) -> None:
        self.workers.stop()
        self.services.close()
        redis = Redis.from_url(REDIS_URL)
        Queue(self.queue, connection=redis).empty()
        for key in redis.scan_iter(f"*{self.queue}*"):
            redis.delete(key)
        shutil.rmtree(self.root, ignore_errors=True)


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def plain_resize(source: bytes) -> bytes:
    with Image.open(io.BytesIO(source)) as image:
        small = image.convert("RGB").resize((1024, 1024), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    small.save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()


def photo(size: tuple[int, int] = (2048, 1536)) -> bytes:
    """A JPEG with shapes, soft edges and grain, as a photograph has."""
    rng = random.Random(7)
    image = Image.new("RGB", size, (90, 140, 200))
    draw = ImageDraw.Draw(image)
    for _ in range(80):
        x, y, r = rng.randrange(size[0]), rng.randrange(size[1]), rng.randint(20, 300)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    grain = Image.merge("RGB", [Image.effect_noise(size, 24)] * 3)
    image = Image.blend(image.filter(ImageFilter.GaussianBlur(5)), grain, 0.08)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()
