"""Jobs queued on Redis and run by real `rq worker` processes, killed or not."""

from __future__ import annotations

import io
import secrets
import subprocess
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
from tests.support.deployment import Workers, deployment_env, kill_with_its_work_horse

# Short enough for a test to watch a dead worker's job come back; the
# heartbeat and the reaper then run every half second.
STALE_AFTER = 3


class Stack:
    """This test's database, storage and queue, and the workers serving it."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.workers = Workers(root, env)
        self.services: Services = bootstrap(load_settings(env))

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self.workers.start()

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
            if self.workers.all_exited():
                pytest.fail(f"every worker exited:\n{self.workers.logs()[-4000:]}")
            time.sleep(0.05)
        return job

    def stop(self) -> None:
        self.workers.stop()
        self.services.close()


@pytest.fixture
def stack(
    tmp_path: Path, redis_url: str, redis_prefix: str, redis_client: Redis[bytes]
) -> Iterator[Stack]:
    queue = f"imagegen-test-{secrets.token_hex(6)}"
    env = deployment_env(
        tmp_path,
        redis_url=redis_url,
        prefix=redis_prefix,
        RQ_QUEUE=queue,
        JOB_STALE_AFTER=str(STALE_AFTER),
    )
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
