"""Core tables: users, their sign-in sessions, their images.

Revision ID: 0001
Revises:
Create Date: 2026-12-01

Written by hand. The types are spelled out here rather than imported from
the application, so that this revision keeps creating the same schema
whatever later code does.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MYSQL = ("mysql", "mariadb")
MYSQL_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}

# UtcDateTime: MySQL's DATETIME keeps microseconds only when asked to.
WHEN = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), *MYSQL)
ID = sa.String(32)
ENUM = sa.String(16)
EMAIL = sa.String(320).with_variant(mysql.VARCHAR(320, collation="utf8mb4_bin"), *MYSQL)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", ID, nullable=False),
        sa.Column("email", EMAIL, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", ENUM, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("email_verified_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_users_created_at_id", "users", ["created_at", "id"])

    op.create_table(
        "auth_sessions",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_auth_sessions_user_id_users",
            ondelete="CASCADE",
        ),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])

    op.create_table(
        "images",
        sa.Column("id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("source_image_id", ID, nullable=True),
        sa.Column("job_id", ID, nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=False),
        sa.Column("thumbnail_key", sa.String(255), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_images"),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name="fk_images_owner_id_users",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_image_id"],
            ["images.id"],
            name="fk_images_source_image_id_images",
            ondelete="SET NULL",
        ),
        **MYSQL_OPTIONS,
    )
    # A user's images newest first, all of them or of one kind; the
    # variations of one source image newest first.
    op.create_index(
        "ix_images_owner_id_created_at_id", "images", ["owner_id", "created_at", "id"]
    )
    op.create_index(
        "ix_images_owner_id_kind_created_at_id",
        "images",
        ["owner_id", "kind", "created_at", "id"],
    )
    op.create_index(
        "ix_images_source_image_id_created_at_id",
        "images",
        ["source_image_id", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_table("images")
    op.drop_table("auth_sessions")
    op.drop_table("users")
