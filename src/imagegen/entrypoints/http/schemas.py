"""Marshmallow schemas: what the API reads and writes, and so its OpenAPI."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from imagegen.application.pagination import MAX_LIMIT
from imagegen.domain.images import ImageKind
from imagegen.domain.users import Role


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error is answered."""

    type = fields.String(metadata={"description": "A URI naming the kind of error"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String(metadata={"description": "Stable machine-readable code"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages by field name, for invalid input"},
    )
    request_id = fields.String(metadata={"description": "Also in X-Request-ID"})


class RegisterSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True)


class LoginSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True)


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True)


class MailTokenSchema(Schema):
    token = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=1024),
        metadata={"description": "The token from the link in the mail"},
    )


class ForgotPasswordSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class PasswordResetSchema(MailTokenSchema):
    password = fields.String(required=True, load_only=True)


class AcceptedSchema(Schema):
    message = fields.String(metadata={"description": "What happens next"})


class UserSchema(Schema):
    id = fields.String()
    name = fields.String()
    email = fields.String()
    role = fields.Enum(Role, by_value=True)
    active = fields.Boolean()
    email_verified = fields.Boolean()
    created_at = fields.DateTime()


class TokenPairSchema(Schema):
    user = fields.Nested(UserSchema)
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "Access token lifetime, s"})


class ImageLinksSchema(Schema):
    self = fields.String()
    content = fields.String()
    thumbnail = fields.String()
    download = fields.String()


class ImageSchema(Schema):
    id = fields.String()
    owner_id = fields.String()
    kind = fields.Enum(ImageKind, by_value=True)
    source_image_id = fields.String(allow_none=True)
    job_id = fields.String(allow_none=True)
    filename = fields.String()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    created_at = fields.DateTime()
    links = fields.Method("_links", metadata={"type": "object"})

    def _links(self, image: Any) -> dict[str, str]:
        return {
            "self": url_for("images.ImageItem", image_id=image.id),
            "content": url_for("images.image_content", image_id=image.id),
            "thumbnail": url_for("images.image_thumbnail", image_id=image.id),
            "download": url_for("images.image_download", image_id=image.id),
        }


class PageQuerySchema(Schema):
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(max=512))


class ImageQuerySchema(PageQuerySchema):
    kind = fields.Enum(ImageKind, by_value=True)
    source_image_id = fields.String(validate=validate.Length(max=64))


class AdminImageQuerySchema(ImageQuerySchema):
    owner_id = fields.String(validate=validate.Length(max=64))


class UploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "A PNG or JPEG picture"})


class LegacyUploadSchema(Schema):
    image = Upload(required=True, metadata={"description": "A PNG or JPEG picture"})


class ImagePageSchema(Schema):
    items = fields.List(fields.Nested(ImageSchema))
    next_cursor = fields.String(allow_none=True)


class UsageSchema(Schema):
    images = fields.Integer()
    uploads = fields.Integer()
    variations = fields.Integer()
    bytes_stored = fields.Integer()


class AdminUserSchema(UserSchema):
    usage = fields.Nested(UsageSchema)


class AdminUserPageSchema(Schema):
    items = fields.List(fields.Nested(AdminUserSchema))
    next_cursor = fields.String(allow_none=True)


class UserPatchSchema(Schema):
    role = fields.Enum(Role, by_value=True)
    active = fields.Boolean()


class StatsSchema(Schema):
    users = fields.Integer()
    images = fields.Integer()
    jobs = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Jobs by status"},
    )
    quota = fields.Dict(
        keys=fields.String(), metadata={"description": "Today's variations (UTC)"}
    )
    extra = fields.Dict(keys=fields.String())
