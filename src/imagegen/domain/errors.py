"""The one family of errors the application raises.

Each error carries a stable machine ``code``; the HTTP edge maps the class to
a status and renders RFC 9457 problem details.
"""


class DomainError(Exception):
    """Base of every error a use-case may raise on purpose."""

    code = "error"
    title = "Request failed"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: dict[str, list[str]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.errors = errors
        self.retry_after = retry_after


class ValidationFailed(DomainError):
    code = "validation_failed"
    title = "Invalid input"


class MalformedRequest(DomainError):
    """The request is not even well-formed (a socket id that is not one, say)."""

    code = "bad_request"
    title = "Bad request"


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Forbidden"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    title = "Authentication required"


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    title = "Invalid credentials"


class InvalidToken(Unauthenticated):
    code = "invalid_token"
    title = "Invalid token"


class TokenRejected(DomainError):
    """A token from a mail link is malformed, forged, expired or already used."""

    code = "mail_token_invalid"
    title = "Invalid link"


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict"


class Throttled(DomainError):
    code = "too_many_requests"
    title = "Too many requests"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    title = "Payload too large"


class UnsupportedImage(DomainError):
    """The bytes are not a PNG or a JPEG, whatever the name or declared type."""

    code = "unsupported_image_type"
    title = "Unsupported image type"


class InvalidImage(DomainError):
    """The bytes claim to be a PNG or JPEG but are empty, broken or truncated."""

    code = "invalid_image"
    title = "Invalid image"


class ImageTooLarge(DomainError):
    """The picture has more pixels than the configured limit."""

    code = "image_too_many_pixels"
    title = "Image too large"


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    title = "Service unavailable"


class ConcurrentUpdate(Conflict):
    """Someone else changed the object between our read and our write."""

    code = "concurrent_update"
    title = "Changed meanwhile"


class GenerationError(DomainError):
    """A generator could not make the variations asked for."""

    code = "generation_failed"
    title = "Generation failed"


class ProviderUnavailable(GenerationError):
    """The provider will not serve us now (quota, billing, key, model): fall back."""

    code = "provider_unavailable"
    title = "Provider unavailable"


class GenerationRefused(GenerationError):
    """The provider refused this very request (moderation, bad input): never retry."""

    code = "generation_refused"
    title = "Generation refused"
