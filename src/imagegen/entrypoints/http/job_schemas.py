"""What the API reads and writes about variation jobs."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, fields, validate

from imagegen.application.jobs import MAX_PROMPT
from imagegen.domain.jobs import MAX_VARIATIONS, SIZES, JobStatus, Provider
from imagegen.entrypoints.http.schemas import PageQuerySchema

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "A repeat with the same key gives back the same job.",
}


class VariationRequestSchema(Schema):
    n = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=MAX_VARIATIONS)
    )
    size = fields.String(load_default="1024x1024", validate=validate.OneOf(SIZES))
    provider = fields.Enum(Provider, by_value=True, allow_none=True)
    prompt = fields.String(allow_none=True, validate=validate.Length(max=MAX_PROMPT))


class LegacyVariationQuerySchema(Schema):
    n = fields.Integer(
        load_default=4, validate=validate.Range(min=1, max=MAX_VARIATIONS)
    )
    size = fields.String(load_default="1024x1024", validate=validate.OneOf(SIZES))


class JobQuerySchema(PageQuerySchema):
    status = fields.Enum(JobStatus, by_value=True)


class AdminJobQuerySchema(JobQuerySchema):
    owner_id = fields.String(validate=validate.Length(max=64))


class ProgressSchema(Schema):
    completed = fields.Integer()
    total = fields.Integer()


class JobErrorSchema(Schema):
    code = fields.String()
    message = fields.String()


class JobSchema(Schema):
    id = fields.String()
    owner_id = fields.String()
    image_id = fields.String()
    status = fields.Enum(JobStatus, by_value=True)
    n = fields.Integer()
    size = fields.String()
    prompt = fields.String(allow_none=True)
    provider = fields.Enum(
        Provider, by_value=True, metadata={"description": "What made the images"}
    )
    requested_provider = fields.Enum(Provider, by_value=True)
    fallback_reason = fields.String(allow_none=True)
    progress = fields.Method("_progress", metadata={"type": "object"})
    variation_ids = fields.List(fields.String())
    error = fields.Nested(JobErrorSchema, allow_none=True)
    attempts = fields.Integer()
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    links = fields.Method("_links", metadata={"type": "object"})

    def _progress(self, job: Any) -> dict[str, int]:
        return {"completed": job.completed, "total": job.n}

    def _links(self, job: Any) -> dict[str, str]:
        return {
            "self": url_for("jobs.job_item", job_id=job.id),
            "cancel": url_for("jobs.job_cancel", job_id=job.id),
            "retry": url_for("jobs.job_retry", job_id=job.id),
            "image": url_for("images.ImageItem", image_id=job.image_id),
            "variations": url_for("images.image_variations", image_id=job.image_id),
        }


class JobPageSchema(Schema):
    items = fields.List(fields.Nested(JobSchema))
    next_cursor = fields.String(allow_none=True)


class LegacyJobSchema(Schema):
    job = fields.Nested(JobSchema)
