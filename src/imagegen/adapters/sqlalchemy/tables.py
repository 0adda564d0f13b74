"""The schema: one table per aggregate, mapped to the domain by the repositories.

The migrations in ``migrations/versions`` build exactly this; a test compares
the two on every database we support. A new table follows the same pattern:
``ID`` primary keys, ``UtcDateTime`` times, enums as short strings, an index
leading with each foreign key's column (MySQL would otherwise add its own,
which autogenerate would then report as drift).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql

from imagegen.adapters.sqlalchemy.types import MYSQL_DIALECTS, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Every table stores text as full UTF-8 on MySQL, whatever the server's default.
MYSQL_OPTIONS: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}

ID = String(32)
ENUM = String(16)

# Addresses are stored normalized (lower case), so uniqueness must compare
# bytes: MySQL's default collations would also equate "é" with "e".
EMAIL = String(320).with_variant(
    mysql.VARCHAR(320, collation="utf8mb4_bin"), *MYSQL_DIALECTS
)

# Idempotency keys are the client's and compare byte for byte, as emails do.
CLIENT_KEY = String(255).with_variant(
    mysql.VARCHAR(255, collation="utf8mb4_bin"), *MYSQL_DIALECTS
)

metadata = MetaData(naming_convention=NAMING_CONVENTION)

users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True),
    Column("email", EMAIL, nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", ENUM, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("email_verified_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "created_at", "id"),
    **MYSQL_OPTIONS,
)

auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "user_id",
        ID,
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Index(None, "user_id"),
    **MYSQL_OPTIONS,
)

images = Table(
    "images",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "owner_id",
        ID,
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", ENUM, nullable=False),
    Column(
        "source_image_id",
        ID,
        ForeignKey("images.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("job_id", ID, ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", String(255), nullable=False),
    Column("thumbnail_key", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "owner_id", "created_at", "id"),
    Index(None, "owner_id", "kind", "created_at", "id"),
    Index(None, "source_image_id", "created_at", "id"),
    Index(None, "job_id"),
    **MYSQL_OPTIONS,
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "owner_id",
        ID,
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # No foreign key: a job outlives its source image, to say it was deleted.
    Column("image_id", ID, nullable=False),
    Column("status", ENUM, nullable=False),
    Column("n", Integer, nullable=False),
    Column("size", ENUM, nullable=False),
    Column("prompt", String(1000), nullable=True),
    Column("requested_provider", ENUM, nullable=False),
    Column("provider", ENUM, nullable=False),
    Column("fallback_reason", String(500), nullable=True),
    Column("error_code", String(64), nullable=True),
    Column("error_message", String(1000), nullable=True),
    # At most ten 32-character ids, comma-separated, in the order made.
    Column("variation_ids", String(400), nullable=False),
    Column("idempotency_key", CLIENT_KEY, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("lost_runs", Integer, nullable=False),
    Column("event_seq", Integer, nullable=False),
    # Bumped by every write: a write that read an older version is refused.
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("queued_at", UtcDateTime, nullable=True),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("heartbeat_at", UtcDateTime, nullable=True),
    UniqueConstraint("owner_id", "idempotency_key"),
    # A user's jobs newest first, all or of one status; the reaper's scans.
    Index(None, "owner_id", "created_at", "id"),
    Index(None, "owner_id", "status", "created_at", "id"),
    Index(None, "status", "heartbeat_at"),
    Index(None, "status", "queued_at"),
    **MYSQL_OPTIONS,
)
