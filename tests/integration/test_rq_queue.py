"""Jobs queued on Redis and run by real `rq worker` processes, killed or not."""

from __future__ import annotations

import io
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from redis import Redis

from imagegen.adapters.rq_queue import RqTaskQueue
from imagegen.adapters.sqlalchemy.migrations import upgrade
from imagegen.application import accounts, images, jobs
from imagegen.bootstrap import Services, bootstrap
from imagegen.config import load_settings
from imagegen.domain.jobs import GenerationJob, JobStatus
from imagegen.domain.users import User

# Short enough for a test to watch a dead worker's job come back; the
# heartbeat and the reaper then run every half second.
STALE_AFTER = 3


class Stack:
    """This test's database, storage and queue, and the workers serving it."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.workers: list[subprocess.Popen[bytes]] = []
        self.services: Services = bootstrap(load_settings(env))

    def start_worker(self) -> subprocess.Popen[bytes]:
        log = self.root / f"worker-{len(self.workers)}.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "imagegen.entrypoints.rq_worker"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.workers.append(worker)
        return worker

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.root.glob("worker-*.log")))

    def job(self, job_id: str) -> GenerationJob:
        with self.services.uow() as uow:
            job = uow.jobs.get(job_id)
        assert job is not None
        return job

    def wait_for(
        self, job_id: str, done: Callable[[GenerationJob], bool]
    ) -> GenerationJob:
        """Poll the job until done says so; fail if every worker has died."""
        while not done(job := self.job(job_id)):
            if all(worker.poll() is not None for worker in self.workers):
                pytest.fail(f"every worker exited:\n{self.logs()[-4000:]}")
            time.sleep(0.05)
        return job

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait()
        self.services.close()


@pytest.fixture
def stack(
    tmp_path: Path, redis_url: str, redis_prefix: str, redis_client: Redis[bytes]
) -> Iterator[Stack]:
    queue = f"imagegen-test-{secrets.token_hex(6)}"
    env = {
        **os.environ,
        "APP_ENV": "testing",
        "JWT_SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'jobs.sqlite'}",
        "STORAGE_PATH": str(tmp_path / "storage"),
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": redis_prefix,
        "QUEUE_CONNECTION": "redis",
        "RQ_QUEUE": queue,
        "JOB_STALE_AFTER": str(STALE_AFTER),
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "INFO",
    }
    upgrade(env["DATABASE_URL"])
    running = Stack(tmp_path, env)
    yield running
    running.stop()
    for key in redis_client.scan_iter(f"rq:*{queue}*"):
        redis_client.delete(key)


def register(stack: Stack) -> User:
    email = f"ada-{secrets.token_hex(3)}@example.com"
    deps = stack.services.accounts
    return accounts.register(deps, "Ada", email, "correct horse battery").user


def ask(stack: Stack, n: int, size: str) -> GenerationJob:
    user = register(stack)
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize((1200, 900)).convert("RGB").save(buffer, "JPEG")
    picture = images.upload_image(
        stack.services.images, user, buffer.getvalue(), "gradient.jpg"
    )
    request = jobs.VariationRequest(n=n, size=size)
    return jobs.request_variations(stack.services.jobs, user, picture.id, request)


def stored_files(stack: Stack) -> list[Path]:
    return [p for p in (stack.root / "storage").rglob("*") if p.is_file()]


def kill_with_its_work_horse(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and the process it forked to run the job."""
    horses = [
        int(pid)
        for pid in os.listdir("/proc")
        if pid.isdigit() and _parent_of(int(pid)) == worker.pid
    ]
    for pid in [worker.pid, *horses]:
        os.kill(pid, signal.SIGKILL)
    worker.wait()


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_the_queue_is_rq_on_this_runs_own_queue(stack: Stack) -> None:
    queue = stack.services.queue

    assert isinstance(queue, RqTaskQueue)
    assert queue.name == stack.env["RQ_QUEUE"]


def test_a_worker_process_runs_a_queued_job_to_success(stack: Stack) -> None:
    stack.start_worker()
    job = ask(stack, n=3, size="512x512")

    done = stack.wait_for(job.id, lambda j: j.status.is_final)

    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.completed == 3 and done.attempts == 1
    with stack.services.uow() as uow:
        made = [uow.images.get(i) for i in done.variation_ids]
    assert all(image is not None and image.job_id == job.id for image in made)


def test_a_killed_worker_job_is_taken_back_and_finished_once(stack: Stack) -> None:
    first = stack.start_worker()
    job = ask(stack, n=10, size="1536x1024")
    stack.wait_for(job.id, lambda j: j.completed >= 1)

    kill_with_its_work_horse(first)
    killed_at = time.monotonic()
    stuck = stack.job(job.id)
    stack.start_worker()
    back = stack.wait_for(job.id, lambda j: j.attempts > stuck.attempts)
    running_for = time.monotonic() - killed_at
    done = stack.wait_for(job.id, lambda j: j.status.is_final)

    assert stuck.status is JobStatus.RUNNING
    assert back.lost_runs == 1
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert (done.attempts, done.lost_runs, done.completed) == (2, 1, 10)
    # One original and one thumbnail per image: the source and ten variations.
    assert len(stored_files(stack)) == 2 * 11
    print(f"job {job.id}: running {running_for:.1f} s after its worker died")
