"""/api/jobs: the caller's variation jobs."""

from __future__ import annotations

from typing import Any

from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from imagegen.application import jobs
from imagegen.application.pagination import Page, page_request
from imagegen.application.ports import JobFilter
from imagegen.domain.jobs import GenerationJob
from imagegen.entrypoints.http.context import current_user, services
from imagegen.entrypoints.http.job_schemas import (
    JobPageSchema,
    JobQuerySchema,
    JobSchema,
)
from imagegen.entrypoints.http.security import BEARER

blp = Blueprint("jobs", __name__, url_prefix="/api/jobs", description="Jobs")


@blp.route("")
@jwt_required()
@blp.arguments(JobQuerySchema, location="query")
@blp.response(200, JobPageSchema)
@blp.doc(security=BEARER)
def job_list(query: dict[str, Any]) -> Page[GenerationJob]:
    """List my jobs, newest first, optionally of one status."""
    page = page_request(query.get("limit"), query.get("cursor"))
    where = JobFilter(owner_id=current_user().id, status=query.get("status"))
    return jobs.list_jobs(services().jobs, current_user(), where, page)


@blp.route("/<job_id>")
@jwt_required()
@blp.response(200, JobSchema)
@blp.doc(security=BEARER)
def job_item(job_id: str) -> GenerationJob:
    """Return one of my jobs with its progress."""
    return jobs.get_job(services().jobs, current_user(), job_id)


@blp.route("/<job_id>/cancel", methods=["POST"])
@jwt_required()
@blp.response(200, JobSchema)
@blp.doc(security=BEARER)
def job_cancel(job_id: str) -> GenerationJob:
    """Stop a queued or running job; what it made so far is kept."""
    return jobs.cancel_job(services().jobs, current_user(), job_id)


@blp.route("/<job_id>/retry", methods=["POST"])
@jwt_required()
@blp.response(202, JobSchema)
@blp.doc(security=BEARER)
def job_retry(job_id: str) -> GenerationJob:
    """Queue a failed or canceled job again; it makes only what is missing."""
    return jobs.retry_job(services().jobs, current_user(), job_id)
