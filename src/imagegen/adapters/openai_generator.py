"""Variations made by OpenAI's image edit endpoint, with a GPT image model.

The SDK's own retries are off (``max_retries=0``): this adapter decides
itself what is worth another try. Throttling, server errors and timeouts
are retried with jittered exponential backoff; quota, billing, key and
model errors mean another generator should stand in; a refused request
fails at once. No message stored or logged here carries the API key.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import openai
from PIL import Image, ImageOps

from imagegen.application.ports import PreparedImage, Variation, VariationSpec
from imagegen.domain.errors import (
    GenerationError,
    GenerationRefused,
    ProviderUnavailable,
)

log = logging.getLogger(__name__)

DEFAULT_PROMPT = (
    "Make a variation of this picture: keep its subject and composition, and"
    " change its style, palette and details."
)
# Sizes the API makes; smaller asks are made at 1024x1024 and scaled down.
API_SIZES = {"1024x1024", "1536x1024", "1024x1536"}
UPLOAD_MAX_SIDE = 1536
MAX_BACKOFF_S = 30.0
QUOTA_WORDS = ("quota", "billing", "spend", "budget")
REFUSAL_CODES = {"moderation_blocked", "content_policy_violation", "safety_violation"}
SECRETS = re.compile(r"\b(sk|sess|org)-[A-Za-z0-9_\-*.]{6,}")


@dataclass(frozen=True)
class _Verdict:
    """What to do about one failed call."""

    retry: bool = False
    fallback: str | None = None
    refusal: GenerationRefused | None = None


class OpenAIImageGenerator:
    def __init__(
        self,
        api_key: str | None,
        *,
        model: str,
        base_url: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 3,
        retry_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = (
            openai.OpenAI(
                api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout
            )
            if api_key
            else None
        )
        self._model = model
        self._max_retries = max_retries
        self._retry_base = retry_base
        self._sleep = sleep

    def generate(self, spec: VariationSpec) -> Iterator[Variation]:
        if self._client is None:
            raise ProviderUnavailable(
                "OpenAI is not configured (no API key).", code="openai_key_missing"
            )
        upload = _upload_of(spec.source)
        pictures = self._call_with_retries(self._client, spec, upload)
        for index, b64 in zip(spec.indices, pictures, strict=False):
            yield Variation(index, _fit(_decode(b64), spec.width, spec.height))

    def _call_with_retries(
        self, client: openai.OpenAI, spec: VariationSpec, upload: bytes
    ) -> list[str]:
        for attempt in range(self._max_retries + 1):
            try:
                return self._call(client, spec, upload)
            except openai.APIError as exc:
                verdict = _judge(exc)
                if verdict.refusal is not None:
                    raise verdict.refusal from None
                if verdict.fallback is not None:
                    raise ProviderUnavailable(
                        verdict.fallback, code="openai_unavailable"
                    ) from None
                if attempt == self._max_retries:
                    raise GenerationError(
                        f"OpenAI did not answer after {attempt + 1} tries"
                        f" ({_describe(exc)}).",
                        code="provider_error",
                    ) from None
                self._back_off(exc, attempt)
        raise AssertionError("unreachable")

    def _call(
        self, client: openai.OpenAI, spec: VariationSpec, upload: bytes
    ) -> list[str]:
        size = f"{spec.width}x{spec.height}"
        response = client.images.edit(
            model=self._model,
            image=("source.png", upload, "image/png"),
            prompt=spec.prompt or DEFAULT_PROMPT,
            n=len(spec.indices),
            size=size if size in API_SIZES else "1024x1024",
        )
        return [item.b64_json for item in response.data or [] if item.b64_json]

    def _back_off(self, exc: openai.APIError, attempt: int) -> None:
        delay = self._retry_base * 2**attempt * random.uniform(0.5, 1.0)
        delay = min(MAX_BACKOFF_S, max(delay, _retry_after(exc)))
        log.warning(
            "openai: %s; try %d of %d in %.1f s",
            _describe(exc),
            attempt + 2,
            self._max_retries + 1,
            delay,
        )
        self._sleep(delay)


def _judge(exc: openai.APIError) -> _Verdict:
    """Sort a failure into retry, fall back, or refuse."""
    code = (exc.code or "").lower()
    if isinstance(exc, openai.APIConnectionError):
        return _Verdict(retry=True)
    if isinstance(exc, openai.AuthenticationError):
        return _Verdict(fallback="OpenAI rejected the API key.")
    if isinstance(exc, openai.PermissionDeniedError):
        return _Verdict(fallback="OpenAI denied this account access to the model.")
    if any(word in code for word in QUOTA_WORDS):
        return _Verdict(fallback=f"OpenAI quota or billing limit reached ({code}).")
    if isinstance(exc, openai.NotFoundError) or code == "model_not_found":
        return _Verdict(fallback="The configured OpenAI image model is not available.")
    if isinstance(exc, openai.RateLimitError | openai.InternalServerError):
        return _Verdict(retry=True)
    status = getattr(exc, "status_code", None)
    if status is None or status >= 500 or status in (408, 409):
        return _Verdict(retry=True)
    return _Verdict(refusal=_refusal(exc, code))


def _refusal(exc: openai.APIError, code: str) -> GenerationRefused:
    if code in REFUSAL_CODES or "safety" in code or "moderation" in code:
        return GenerationRefused(
            "OpenAI's safety system refused this request: " + _scrub(exc.message),
            code="content_refused",
        )
    return GenerationRefused(
        "OpenAI refused the request as invalid: " + _scrub(exc.message),
        code="invalid_request",
    )


def _describe(exc: openai.APIError) -> str:
    status = getattr(exc, "status_code", None)
    kind = type(exc).__name__
    return f"{kind} {status}, {exc.code}" if status else kind


def _retry_after(exc: openai.APIError) -> float:
    response = getattr(exc, "response", None)
    raw = response.headers.get("retry-after") if response is not None else None
    try:
        return min(MAX_BACKOFF_S, float(raw)) if raw else 0.0
    except ValueError:
        return 0.0


def _scrub(message: str) -> str:
    """Keep a provider's message readable but free of anything key-like."""
    return SECRETS.sub("[redacted]", message)[:300]


def _upload_of(source: bytes) -> bytes:
    """Re-encode the source as a PNG no larger than the largest output size."""
    with Image.open(io.BytesIO(source), formats=["PNG", "JPEG"]) as image:
        picture = ImageOps.exif_transpose(image).convert("RGB")
    picture.thumbnail((UPLOAD_MAX_SIDE, UPLOAD_MAX_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()


def _decode(b64: str) -> Image.Image:
    try:
        raw = base64.b64decode(b64, validate=True)
        image = Image.open(io.BytesIO(raw), formats=["PNG", "JPEG", "WEBP"])
        image.load()
    except (binascii.Error, OSError, ValueError) as exc:
        raise GenerationError(
            "OpenAI sent an image that cannot be read.", code="provider_error"
        ) from exc
    return image


def _fit(image: Image.Image, width: int, height: int) -> PreparedImage:
    """Scale (and if need be crop) the provider's picture to the size asked."""
    picture = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if picture.size != (width, height):
        picture = ImageOps.fit(picture, (width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=3)
    return PreparedImage(buffer.getvalue(), "image/png", width, height)
