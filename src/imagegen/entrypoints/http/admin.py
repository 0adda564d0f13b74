"""/api/admin: everything, for administrators only."""

from __future__ import annotations

from typing import Any

from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from imagegen.application import admin
from imagegen.application.admin import UserWithUsage
from imagegen.application.pagination import Page, page_request
from imagegen.application.ports import ImageFilter, JobFilter
from imagegen.domain.images import Image
from imagegen.domain.jobs import GenerationJob
from imagegen.entrypoints.http.context import current_user, services
from imagegen.entrypoints.http.job_schemas import AdminJobQuerySchema, JobPageSchema
from imagegen.entrypoints.http.schemas import (
    AdminImageQuerySchema,
    AdminUserPageSchema,
    AdminUserSchema,
    ImagePageSchema,
    PageQuerySchema,
    StatsSchema,
    UserPatchSchema,
)
from imagegen.entrypoints.http.security import BEARER

blp = Blueprint(
    "admin", __name__, url_prefix="/api/admin", description="Administration"
)


@blp.route("/images")
@jwt_required()
@blp.arguments(AdminImageQuerySchema, location="query")
@blp.response(200, ImagePageSchema)
@blp.doc(security=BEARER)
def admin_images(query: dict[str, Any]) -> Page[Image]:
    """List every user's images, newest first."""
    where = ImageFilter(
        owner_id=query.get("owner_id"),
        kind=query.get("kind"),
        source_image_id=query.get("source_image_id"),
    )
    page = page_request(query.get("limit"), query.get("cursor"))
    return admin.list_all_images(services().images, current_user(), where, page)


@blp.route("/users")
@jwt_required()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, AdminUserPageSchema)
@blp.doc(security=BEARER)
def admin_users(query: dict[str, Any]) -> dict[str, Any]:
    """List every account with its usage."""
    page = page_request(query.get("limit"), query.get("cursor"))
    found = admin.list_users(services().uow, current_user(), page)
    return {
        "items": [_row(row) for row in found.items],
        "next_cursor": found.next_cursor,
    }


@blp.route("/users/<user_id>", methods=["PATCH"])
@jwt_required()
@blp.arguments(UserPatchSchema)
@blp.response(200, AdminUserSchema)
@blp.doc(security=BEARER)
def admin_update_user(body: dict[str, Any], user_id: str) -> dict[str, Any]:
    """Change a user's role or deactivate them (locked out at once)."""
    svc = services()
    row = admin.update_user(
        svc.uow,
        svc.clock,
        current_user(),
        user_id,
        role=body.get("role"),
        active=body.get("active"),
    )
    return _row(row)


@blp.route("/jobs")
@jwt_required()
@blp.arguments(AdminJobQuerySchema, location="query")
@blp.response(200, JobPageSchema)
@blp.doc(security=BEARER)
def admin_jobs(query: dict[str, Any]) -> Page[GenerationJob]:
    """List every user's jobs, newest first, by owner or status."""
    where = JobFilter(owner_id=query.get("owner_id"), status=query.get("status"))
    page = page_request(query.get("limit"), query.get("cursor"))
    return admin.list_all_jobs(services().jobs, current_user(), where, page)


@blp.route("/stats")
@jwt_required()
@blp.response(200, StatsSchema)
@blp.doc(security=BEARER)
def admin_stats() -> admin.Stats:
    """Count users, images and jobs by status; report today's quota use."""
    svc = services()
    return admin.stats(svc.uow, current_user(), svc.jobs.quota, svc.clock)


def _row(row: UserWithUsage) -> dict[str, Any]:
    user = row.user
    return vars(user) | {"email_verified": user.email_verified, "usage": row.usage}
