"""S3ImageStore over HTTP against a real S3 server (moto) on loopback."""

from __future__ import annotations

import logging
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

from imagegen.adapters.s3_store import S3ImageStore, content_disposition
from imagegen.domain.errors import ServiceUnavailable
from tests.support.deployment import free_port
from tests.support.s3 import S3Bucket

KEY = "images/ab/abcdef0123456789.png"


@pytest.fixture
def store(s3_bucket: S3Bucket) -> S3ImageStore:
    return s3_bucket.store()


def fetch(url: str) -> tuple[bytes, str | None, str | None]:
    """GET url; return the body, Content-Type and Content-Disposition."""
    with urllib.request.urlopen(url) as response:
        body = response.read()
        return (
            body,
            response.headers["Content-Type"],
            response.headers["Content-Disposition"],
        )


def test_signed_url_serves_the_bytes_as_an_attachment(store: S3ImageStore) -> None:
    store.put(KEY, b"\x89PNG picture", "application/octet-stream")

    url = store.signed_url(
        KEY, filename="cat.png", content_type="image/png", attachment=True
    )

    assert url is not None
    body, content_type, disposition = fetch(url)
    assert body == b"\x89PNG picture"
    assert content_type == "image/png"
    assert disposition == "attachment; filename=\"cat.png\"; filename*=UTF-8''cat.png"


def test_signed_url_carries_a_non_ascii_filename_inline(store: S3ImageStore) -> None:
    store.put(KEY, b"\xff\xd8\xff picture", "image/jpeg")

    url = store.signed_url(
        KEY, filename='café "☕".jpg', content_type="image/jpeg", attachment=False
    )

    assert url is not None
    _, content_type, disposition = fetch(url)
    assert content_type == "image/jpeg"
    assert disposition == (
        'inline; filename="caf_ ___.jpg"; '
        "filename*=UTF-8''caf%C3%A9%20%22%E2%98%95%22.jpg"
    )


def test_signed_url_expires_after_the_configured_time(s3_bucket: S3Bucket) -> None:
    # moto ignores expiry, so this checks what the URL asks of a real S3.
    store = s3_bucket.store(url_ttl=120)

    url = store.signed_url(
        KEY, filename="cat.png", content_type="image/png", attachment=True
    )

    assert url is not None
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["120"]


def test_ping_succeeds_for_an_existing_bucket(store: S3ImageStore) -> None:
    store.ping()


def test_ping_fails_for_a_missing_bucket(s3_bucket: S3Bucket) -> None:
    store = s3_bucket.store(bucket=f"{s3_bucket.name}-missing")

    with pytest.raises(ServiceUnavailable):
        store.ping()


def test_ping_fails_when_nothing_listens_at_the_endpoint(
    s3_bucket: S3Bucket,
) -> None:
    store = s3_bucket.store(endpoint_url=f"http://127.0.0.1:{free_port()}")

    with pytest.raises(ServiceUnavailable):
        store.ping()


def test_failures_are_logged_without_the_secret_key(
    s3_bucket: S3Bucket, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = s3_bucket.store(
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        secret_access_key="very-secret-key-value",
    )

    with pytest.raises(ServiceUnavailable):
        store.ping()

    assert f"s3 bucket {s3_bucket.name}: ping failed" in caplog.text
    assert "very-secret-key-value" not in caplog.text


def test_put_into_a_missing_bucket_is_unavailable(s3_bucket: S3Bucket) -> None:
    store = s3_bucket.store(bucket=f"{s3_bucket.name}-missing")

    with pytest.raises(ServiceUnavailable):
        store.put(KEY, b"bytes", "image/png")


@pytest.mark.parametrize("url_ttl", [0, 7 * 24 * 3600 + 1])
def test_url_lifetime_outside_what_s3_signs_is_rejected(url_ttl: int) -> None:
    with pytest.raises(ValueError, match="url_ttl"):
        S3ImageStore("bucket", region="us-east-1", url_ttl=url_ttl)


def test_content_disposition_keeps_header_breaking_characters_out() -> None:
    value = content_disposition('evil\r\nSet-Cookie: x=1;"\\.png', attachment=True)

    assert "\r" not in value and "\n" not in value
    assert value.startswith('attachment; filename="evil__Set-Cookie: x=1;__.png"')
