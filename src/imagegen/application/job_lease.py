"""A run's hold on its job: a heartbeat written from a thread while it runs."""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from imagegen.application.job_support import JobDeps

log = logging.getLogger(__name__)


class LostJob(Exception):
    """This run no longer holds its job: canceled, or taken over after a stall."""


class Lease:
    """Beat the job's heartbeat from a thread while a run holds it.

    The heartbeat goes on during long provider calls too. When it finds the
    run no longer holds the job (canceled, or taken back by the reaper), the
    run stops at its next step.
    """

    def __init__(self, deps: JobDeps, job_id: str, attempt: int) -> None:
        self._deps = deps
        self._job_id = job_id
        self._attempt = attempt
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{job_id[:8]}", daemon=True
        )

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def check(self) -> None:
        """Raise LostJob once a heartbeat found the job gone from this run."""
        if self._lost.is_set():
            raise LostJob()

    def _beat(self) -> None:
        while not self._stop.wait(self._deps.heartbeat_every):
            try:
                with self._deps.uow() as uow:
                    held = uow.jobs.touch(
                        self._job_id, self._attempt, self._deps.clock.now()
                    )
                    uow.commit()
            except Exception:
                log.warning(
                    "job %s: heartbeat not written", self._job_id, exc_info=True
                )
                continue
            if not held:
                self._lost.set()
                return
