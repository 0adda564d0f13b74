"""A deployment of this run's own, and `rq worker` processes serving it.

Used by the tests that need real worker processes and by the benchmarks:
each gets its own SQLite file, storage folder, Redis key prefix and queue.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path

# What `make worker` runs.
WORKER = [sys.executable, "-m", "imagegen.entrypoints.rq_worker"]


def deployment_env(
    root: Path, *, redis_url: str, prefix: str, **extra: str
) -> dict[str, str]:
    """The environment a web or worker process of this deployment reads."""
    return {
        **os.environ,
        "APP_ENV": "testing",
        "JWT_SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{root / 'imagegen.sqlite'}",
        "STORAGE_PATH": str(root / "storage"),
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": prefix,
        "QUEUE_CONNECTION": "redis",
        "RQ_QUEUE": prefix,
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "INFO",
        **extra,
    }


class Workers:
    """Worker processes for one deployment, each logging to a file under root."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = self.root / f"worker-{len(self.processes)}.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                WORKER, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.processes.append(worker)
        return worker

    def all_exited(self) -> bool:
        return all(worker.poll() is not None for worker in self.processes)

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.root.glob("worker-*.log")))

    def stop(self) -> None:
        for worker in self.processes:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait()


def work_horses(worker: subprocess.Popen[bytes]) -> list[int]:
    """Return the processes a worker forked to run its current job."""
    return [
        int(pid)
        for pid in os.listdir("/proc")
        if pid.isdigit() and _parent_of(int(pid)) == worker.pid
    ]


def kill_with_its_work_horse(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL a worker and the process it forked to run its current job."""
    for pid in [worker.pid, *work_horses(worker)]:
        os.kill(pid, signal.SIGKILL)
    worker.wait()


def free_port() -> int:
    """Return a loopback port that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])
