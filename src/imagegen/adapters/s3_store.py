"""Keep image bytes in Amazon S3 or any S3-compatible store (MinIO, R2...)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from imagegen.application.ports import StoredObject
from imagegen.domain.errors import NotFound, ServiceUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

logger = logging.getLogger(__name__)

# Signature version 4 refuses presigned URLs that live longer than a week.
MAX_URL_TTL = 7 * 24 * 3600


class S3ImageStore:
    """Store each key as an object in one bucket; hand out presigned URLs."""

    def __init__(
        self,
        bucket: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        path_style: bool = False,
        url_ttl: int = 300,
    ) -> None:
        if not bucket:
            raise ValueError("bucket must be named")
        if not 1 <= url_ttl <= MAX_URL_TTL:
            raise ValueError(f"url_ttl must be between 1 and {MAX_URL_TTL} seconds")

        self._bucket = bucket
        self._url_ttl = url_ttl
        # Credentials left out fall back to boto3's own chain (instance roles).
        self._client: S3Client = boto3.session.Session().client(
            "s3",
            region_name=region or None,
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=_config(path_style, third_party=bool(endpoint_url)),
        )

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store data under key, replacing what was there."""
        with self._errors("put"):
            self._client.put_object(
                Bucket=self._bucket, Key=key, Body=data, ContentType=content_type
            )

    def get(self, key: str) -> bytes:
        """Return the bytes under key; raise NotFound when there are none."""
        with self._errors("get"):
            # AWS answers a missing key with 403, not NoSuchKey, to callers
            # that may not list the bucket: grant s3:ListBucket too.
            try:
                response = self._client.get_object(Bucket=self._bucket, Key=key)
            except self._client.exceptions.NoSuchKey as exc:
                raise NotFound("The stored image is missing.") from exc
            return response["Body"].read()

    def delete(self, key: str) -> None:
        """Remove key; removing a missing key is not an error."""
        with self._errors("delete"):
            self._client.delete_object(Bucket=self._bucket, Key=key)

    def signed_url(
        self, key: str, *, filename: str, content_type: str, attachment: bool
    ) -> str | None:
        """Return a presigned GET that answers with our type and filename."""
        params = {
            "Bucket": self._bucket,
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition(
                filename, attachment=attachment
            ),
        }
        with self._errors("sign"):
            return self._client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=self._url_ttl
            )

    def ping(self) -> None:
        """Raise unless the bucket exists and our credentials reach it."""
        with self._errors("ping"):
            self._client.head_bucket(Bucket=self._bucket)

    def scan(self, prefix: str) -> Iterator[StoredObject]:
        """Yield every object under prefix, a page of listing at a time."""
        pages = self._client.get_paginator("list_objects_v2")
        with self._errors("list"):
            for page in pages.paginate(Bucket=self._bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield StoredObject(item["Key"], item["LastModified"])

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn SDK failures into ServiceUnavailable, naming no secret."""
        try:
            yield
        except (BotoCoreError, ClientError) as exc:
            reason = _reason(exc)
            logger.warning("s3 bucket %s: %s failed: %s", self._bucket, action, reason)
            raise ServiceUnavailable("Image storage is unavailable.") from exc


def content_disposition(filename: str, *, attachment: bool) -> str:
    """Return a Content-Disposition value for any filename (RFC 6266, 5987).

    Old clients read the ASCII ``filename``; current ones the UTF-8
    ``filename*``.
    """
    disposition = "attachment" if attachment else "inline"
    fallback = "".join(
        char if " " <= char <= "~" and char not in '"\\' else "_" for char in filename
    )
    encoded = quote(filename, safe="")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _config(path_style: bool, *, third_party: bool) -> Config:
    # Since boto3 1.36 every request carries a CRC checksum by default, which
    # several S3-compatible servers refuse; send one only where S3 requires it.
    checksums: Literal["when_supported", "when_required"] = (
        "when_required" if third_party else "when_supported"
    )
    return Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if path_style else "auto"},
        connect_timeout=5,
        read_timeout=30,
        retries={"mode": "standard", "max_attempts": 3},
        request_checksum_calculation=checksums,
        response_checksum_validation=checksums,
    )


def _reason(exc: BotoCoreError | ClientError) -> str:
    """Name a failure by S3's error code or the exception class.

    Never by its message: some quote the endpoint URL.
    """
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", "unknown")
    return type(exc).__name__
