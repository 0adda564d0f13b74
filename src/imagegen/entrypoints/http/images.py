"""/api/images: the caller's image library."""

from __future__ import annotations

import io
from typing import Any

from flask import redirect, request, send_file, url_for
from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response as WerkzeugResponse

from imagegen.application import images, jobs
from imagegen.application.pagination import Page, page_request
from imagegen.application.ports import ImageFilter
from imagegen.domain.errors import PayloadTooLarge
from imagegen.domain.images import Image
from imagegen.domain.jobs import GenerationJob
from imagegen.entrypoints.http.context import current_user, services
from imagegen.entrypoints.http.job_schemas import (
    IDEMPOTENCY_KEY,
    JobSchema,
    VariationRequestSchema,
)
from imagegen.entrypoints.http.schemas import (
    ImagePageSchema,
    ImageQuerySchema,
    ImageSchema,
    PageQuerySchema,
    UploadSchema,
)
from imagegen.entrypoints.http.security import BEARER

blp = Blueprint("images", __name__, url_prefix="/api/images", description="Images")
BINARY = {"schema": {"type": "string", "format": "binary"}}
IMAGE_BYTES = {"content": {"image/png": BINARY, "image/jpeg": BINARY}}


def image_responses(description: str) -> dict[str, Any]:
    """Document a route that answers image bytes or a redirect to them."""
    return {
        "200": {"description": description} | IMAGE_BYTES,
        "302": {"description": "Redirect to a short-lived signed URL"},
    }


@blp.route("")
class ImageCollection(MethodView):
    @jwt_required()
    @blp.arguments(ImageQuerySchema, location="query")
    @blp.response(200, ImagePageSchema)
    @blp.doc(security=BEARER)
    def get(self, query: dict[str, Any]) -> Page[Image]:
        """List my images, newest first."""
        where = ImageFilter(
            owner_id=current_user().id,
            kind=query.get("kind"),
            source_image_id=query.get("source_image_id"),
        )
        page = page_request(query.get("limit"), query.get("cursor"))
        return images.list_images(services().images, current_user(), where, page)

    @jwt_required()
    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, ImageSchema)
    @blp.doc(security=BEARER)
    def post(self, files: dict[str, FileStorage]) -> Image:
        """Upload a PNG or JPEG picture."""
        return upload_from(files["file"])


@blp.route("/<image_id>")
class ImageItem(MethodView):
    @jwt_required()
    @blp.response(200, ImageSchema)
    @blp.doc(security=BEARER)
    def get(self, image_id: str) -> Image:
        """Return one of my images."""
        return images.get_image(services().images, current_user(), image_id)

    @jwt_required()
    @blp.response(204)
    @blp.doc(security=BEARER)
    def delete(self, image_id: str) -> None:
        """Delete an image and its stored files."""
        images.delete_image(services().images, current_user(), image_id)


@blp.route("/<image_id>/content")
@jwt_required()
@blp.doc(security=BEARER, responses=image_responses("The image"))
def image_content(image_id: str) -> WerkzeugResponse:
    """Return the image's bytes, or redirect to them."""
    return serve(image_id, thumbnail=False, attachment=False)


@blp.route("/<image_id>/thumbnail")
@jwt_required()
@blp.doc(security=BEARER, responses=image_responses("A copy, 512 px at most"))
def image_thumbnail(image_id: str) -> WerkzeugResponse:
    """Return a small copy of the image."""
    return serve(image_id, thumbnail=True, attachment=False)


@blp.route("/<image_id>/download")
@jwt_required()
@blp.doc(security=BEARER, responses=image_responses("The image as an attachment"))
def image_download(image_id: str) -> WerkzeugResponse:
    """Download the image under its original name."""
    return serve(image_id, thumbnail=False, attachment=True)


@blp.route("/<image_id>/variations", methods=["GET"])
@jwt_required()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, ImagePageSchema)
@blp.doc(security=BEARER)
def image_variations(query: dict[str, Any], image_id: str) -> Page[Image]:
    """List the variations made from one of my images."""
    page = page_request(query.get("limit"), query.get("cursor"))
    return images.list_variations(services().images, current_user(), image_id, page)


@blp.route("/<image_id>/variations", methods=["POST"])
@jwt_required()
@blp.arguments(VariationRequestSchema)
@blp.response(202, JobSchema)
@blp.doc(security=BEARER, parameters=[IDEMPOTENCY_KEY])
def request_variations(
    body: dict[str, Any], image_id: str
) -> tuple[GenerationJob, int, dict[str, str]]:
    """Ask for variations of one of my images; a worker makes them."""
    ask = jobs.VariationRequest(
        n=body["n"],
        size=body["size"],
        provider=body.get("provider"),
        prompt=body.get("prompt"),
    )
    key = request.headers.get("Idempotency-Key") or None
    job = jobs.request_variations(services().jobs, current_user(), image_id, ask, key)
    return job, 202, {"Location": url_for("jobs.job_item", job_id=job.id)}


def upload_from(upload: FileStorage) -> Image:
    """Read an upload within the byte limit and hand it to the use-case."""
    limit = services().settings.upload_max_bytes
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The file is larger than {limit} bytes.")
    return images.upload_image(services().images, current_user(), data, upload.filename)


def serve(image_id: str, *, thumbnail: bool, attachment: bool) -> WerkzeugResponse:
    found = images.read_image(
        services().images,
        current_user(),
        image_id,
        thumbnail=thumbnail,
        attachment=attachment,
    )
    if found.url is not None:
        response = redirect(found.url, code=302)
        response.headers["Cache-Control"] = "no-store"
        return response
    assert found.data is not None
    response = send_file(
        io.BytesIO(found.data),
        mimetype=found.content_type,
        as_attachment=attachment,
        download_name=found.image.filename,
        etag=found.image.sha256 if not thumbnail else False,
        conditional=True,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
