"""The original service's documented routes, kept for its clients, holes closed."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from werkzeug.datastructures import FileStorage

from imagegen.application import images, jobs
from imagegen.application.pagination import MAX_LIMIT, PageRequest
from imagegen.application.ports import ImageFilter
from imagegen.domain.images import Image
from imagegen.domain.jobs import GenerationJob
from imagegen.domain.users import User
from imagegen.entrypoints.http.context import current_user, services
from imagegen.entrypoints.http.images import upload_from
from imagegen.entrypoints.http.job_schemas import (
    IDEMPOTENCY_KEY,
    LegacyJobSchema,
    LegacyVariationQuerySchema,
)
from imagegen.entrypoints.http.schemas import (
    ImageSchema,
    LegacyUploadSchema,
    UserSchema,
)
from imagegen.entrypoints.http.security import BEARER

blp = Blueprint(
    "legacy", __name__, url_prefix="/api", description="Routes of the original service"
)


class LegacyImageSchema(Schema):
    image = fields.Nested(ImageSchema)


class LegacyImageListSchema(Schema):
    images = fields.List(fields.Nested(ImageSchema))


@blp.route("/upload-image", methods=["POST"])
@jwt_required()
@blp.arguments(LegacyUploadSchema, location="files")
@blp.response(201, LegacyImageSchema)
@blp.doc(security=BEARER)
def upload_image(files: dict[str, FileStorage]) -> dict[str, Image]:
    """Upload a picture (field `image`); same rules as POST /api/images."""
    return {"image": upload_from(files["image"])}


@blp.route("/user-images")
@jwt_required()
@blp.response(200, LegacyImageListSchema)
@blp.doc(security=BEARER)
def user_images() -> dict[str, Any]:
    """List my newest images (at most 100; use /api/images to page through all)."""
    user = current_user()
    page = images.list_images(
        services().images, user, ImageFilter(owner_id=user.id), PageRequest(MAX_LIMIT)
    )
    return {"images": page.items}


@blp.route("/user")
@jwt_required()
@blp.response(200, UserSchema)
@blp.doc(security=BEARER)
def user() -> User:
    """Return the signed-in user with their role."""
    return current_user()


@blp.route("/generate-variations/<image_id>")
@jwt_required()
@blp.arguments(LegacyVariationQuerySchema, location="query")
@blp.response(202, LegacyJobSchema)
@blp.doc(security=BEARER, parameters=[IDEMPOTENCY_KEY])
def generate_variations(
    query: dict[str, Any], image_id: str
) -> dict[str, GenerationJob]:
    """Queue variations of one of my images (as POST /api/images/{id}/variations).

    A GET that starts work, kept for the original service's clients; send
    an Idempotency-Key to make a repeated GET harmless.
    """
    ask = jobs.VariationRequest(n=query["n"], size=query["size"])
    key = request.headers.get("Idempotency-Key") or None
    job = jobs.request_variations(services().jobs, current_user(), image_id, ask, key)
    return {"job": job}
