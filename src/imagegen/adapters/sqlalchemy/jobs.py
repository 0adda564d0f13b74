"""Generation jobs in the ``jobs`` table, written with optimistic versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from imagegen.adapters.sqlalchemy.keyset import newest_first
from imagegen.adapters.sqlalchemy.tables import jobs
from imagegen.application.pagination import PageRequest
from imagegen.application.ports import JobFilter, JobUsage
from imagegen.domain.errors import ConcurrentUpdate, Conflict
from imagegen.domain.jobs import (
    ACTIVE,
    GenerationJob,
    JobError,
    JobStatus,
    Provider,
)

# Jobs whose variations count against the daily quota.
COUNTED = [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED]


class SqlJobRepository:
    """Jobs over one connection; the unit of work owns the transaction.

    ``save`` writes only over the version it read, so of two writers racing
    (a cancel and a worker, say) the second is told and must read again.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, job: GenerationJob) -> None:
        try:
            with self._connection.begin_nested():
                self._connection.execute(insert(jobs).values(_values(job)))
        except IntegrityError as exc:
            if job.idempotency_key is None:
                raise
            raise Conflict(
                "This Idempotency-Key is in use.", code="idempotency_key_in_use"
            ) from exc

    def get(self, job_id: str) -> GenerationJob | None:
        row = self._connection.execute(
            select(jobs).where(jobs.c.id == job_id)
        ).one_or_none()
        return None if row is None else _job(row)

    def get_by_idempotency_key(self, owner_id: str, key: str) -> GenerationJob | None:
        query = select(jobs).where(
            jobs.c.owner_id == owner_id, jobs.c.idempotency_key == key
        )
        row = self._connection.execute(query).one_or_none()
        return None if row is None else _job(row)

    def save(self, job: GenerationJob) -> None:
        values = _values(job)
        del values["id"]
        values["version"] = job.version + 1
        result = self._connection.execute(
            update(jobs)
            .where(jobs.c.id == job.id, jobs.c.version == job.version)
            .values(values)
        )
        if result.rowcount != 1:
            raise ConcurrentUpdate(f"Job {job.id} changed since it was read.")
        job.version += 1

    def delete(self, job_id: str) -> None:
        self._connection.execute(delete(jobs).where(jobs.c.id == job_id))

    def touch(self, job_id: str, attempt: int, now: datetime) -> bool:
        result = self._connection.execute(
            update(jobs)
            .where(
                jobs.c.id == job_id,
                jobs.c.status == JobStatus.RUNNING.value,
                jobs.c.attempts == attempt,
            )
            .values(heartbeat_at=now)
        )
        return bool(result.rowcount == 1)

    def stale(self, silent_since: datetime, limit: int) -> list[GenerationJob]:
        query = (
            select(jobs)
            .where(
                jobs.c.status == JobStatus.RUNNING.value,
                or_(
                    jobs.c.heartbeat_at < silent_since,
                    jobs.c.heartbeat_at.is_(None),
                ),
            )
            .order_by(jobs.c.heartbeat_at)
            .limit(limit)
        )
        return [_job(row) for row in self._connection.execute(query)]

    def waiting(self, queued_before: datetime, limit: int) -> list[GenerationJob]:
        query = (
            select(jobs)
            .where(
                jobs.c.status == JobStatus.QUEUED.value,
                jobs.c.queued_at < queued_before,
            )
            .order_by(jobs.c.queued_at)
            .limit(limit)
        )
        return [_job(row) for row in self._connection.execute(query)]

    def usage(self, owner_id: str | None, since: datetime) -> JobUsage:
        asked = select(func.coalesce(func.sum(jobs.c.n), 0)).where(
            jobs.c.created_at >= since,
            jobs.c.status.in_([status.value for status in COUNTED]),
        )
        active = select(func.count()).where(
            jobs.c.status.in_([status.value for status in ACTIVE])
        )
        if owner_id is not None:
            asked = asked.where(jobs.c.owner_id == owner_id)
            active = active.where(jobs.c.owner_id == owner_id)
        return JobUsage(
            variations=int(self._connection.execute(asked).scalar_one()),
            active_jobs=int(self._connection.execute(active).scalar_one()),
        )

    def count_by_status(self) -> dict[JobStatus, int]:
        query = select(jobs.c.status, func.count()).group_by(jobs.c.status)
        found = {
            JobStatus(status): int(n) for status, n in self._connection.execute(query)
        }
        return {status: found.get(status, 0) for status in JobStatus}

    def list(self, where: JobFilter, page: PageRequest) -> list[GenerationJob]:
        query = select(jobs)
        if where.owner_id is not None:
            query = query.where(jobs.c.owner_id == where.owner_id)
        if where.status is not None:
            query = query.where(jobs.c.status == where.status.value)
        rows = self._connection.execute(newest_first(query, jobs, page))
        return [_job(row) for row in rows]


def _values(job: GenerationJob) -> dict[str, Any]:
    provider = job.provider or job.requested_provider
    return {
        "id": job.id,
        "owner_id": job.owner_id,
        "image_id": job.image_id,
        "status": job.status.value,
        "n": job.n,
        "size": job.size,
        "prompt": job.prompt,
        "requested_provider": job.requested_provider.value,
        "provider": provider.value,
        "fallback_reason": job.fallback_reason,
        "error_code": job.error.code if job.error else None,
        "error_message": job.error.message if job.error else None,
        "variation_ids": ",".join(job.variation_ids),
        "idempotency_key": job.idempotency_key,
        "attempts": job.attempts,
        "lost_runs": job.lost_runs,
        "event_seq": job.event_seq,
        "version": job.version,
        "created_at": job.created_at,
        "queued_at": job.queued_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "heartbeat_at": job.heartbeat_at,
    }


def _job(row: Row[Any]) -> GenerationJob:
    error = (
        JobError(row.error_code, row.error_message or "")
        if row.error_code is not None
        else None
    )
    return GenerationJob(
        id=row.id,
        owner_id=row.owner_id,
        image_id=row.image_id,
        n=row.n,
        size=row.size,
        requested_provider=Provider(row.requested_provider),
        created_at=row.created_at,
        prompt=row.prompt,
        idempotency_key=row.idempotency_key,
        status=JobStatus(row.status),
        provider=Provider(row.provider),
        fallback_reason=row.fallback_reason,
        error=error,
        variation_ids=[i for i in row.variation_ids.split(",") if i],
        attempts=row.attempts,
        lost_runs=row.lost_runs,
        queued_at=row.queued_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        heartbeat_at=row.heartbeat_at,
        event_seq=row.event_seq,
        version=row.version,
    )
