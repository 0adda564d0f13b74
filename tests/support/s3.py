"""Pytest plugin: a real S3 server over HTTP on loopback, and fresh buckets.

moto's ThreadedMotoServer speaks S3's HTTP protocol, so the adapter reaches it
through boto3 exactly as it would reach AWS or MinIO. It accepts any
credentials and does not check presigned-URL signatures or their expiry.

Fixtures:
    s3_server: the endpoint URL, one server per test session.
    s3_bucket: an ``S3Bucket`` naming a bucket made for one test; build the
        store with ``s3_bucket.store()`` or hand ``s3_bucket.environment()``
        to a process that reads the usual AWS_* settings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from imagegen.adapters.s3_store import S3ImageStore

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

REGION = "us-east-1"
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"


@dataclass(frozen=True)
class S3Bucket:
    """A bucket on the test server and what it takes to reach it."""

    name: str
    endpoint_url: str
    region: str = REGION
    access_key_id: str = ACCESS_KEY_ID
    secret_access_key: str = SECRET_ACCESS_KEY

    def store(self, **overrides: Any) -> S3ImageStore:
        """Return an S3ImageStore on this bucket; keywords override settings."""
        settings: dict[str, Any] = {
            "bucket": self.name,
            "region": self.region,
            "endpoint_url": self.endpoint_url,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "path_style": True,
        }
        settings.update(overrides)
        return S3ImageStore(**settings)

    def environment(self) -> dict[str, str]:
        """Return the AWS_* settings a service process reads for this bucket."""
        return {
            "AWS_BUCKET": self.name,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_USE_PATH_STYLE_ENDPOINT": "true",
        }


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """Start an S3 server on a free loopback port; yield its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()

    yield f"http://{host}:{port}"

    server.stop()


@pytest.fixture(scope="session")
def _s3_admin(s3_server: str) -> S3Client:
    """Return a client that makes and removes test buckets."""
    return boto3.session.Session().client(
        "s3",
        region_name=REGION,
        endpoint_url=s3_server,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )


@pytest.fixture
def s3_bucket(s3_server: str, _s3_admin: S3Client) -> Iterator[S3Bucket]:
    """Create a uniquely named, empty bucket; empty and remove it afterwards."""
    bucket = S3Bucket(name=f"test-{uuid.uuid4().hex}", endpoint_url=s3_server)
    _s3_admin.create_bucket(Bucket=bucket.name)

    yield bucket

    pages = _s3_admin.get_paginator("list_objects_v2").paginate(Bucket=bucket.name)
    for page in pages:
        for item in page.get("Contents", []):
            _s3_admin.delete_object(Bucket=bucket.name, Key=item["Key"])
    _s3_admin.delete_bucket(Bucket=bucket.name)
