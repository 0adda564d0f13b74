"""Generation jobs, and the link from each variation to the job that made it.

Revision ID: 0002_jobs
Revises: 0001
Create Date: 2026-12-01

Written by hand, with the types spelled out as in 0001.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002_jobs"
down_revision = "0001"
branch_labels = None
depends_on = None

MYSQL = ("mysql", "mariadb")
MYSQL_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}

WHEN = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), *MYSQL)
ID = sa.String(32)
ENUM = sa.String(16)
CLIENT_KEY = sa.String(255).with_variant(
    mysql.VARCHAR(255, collation="utf8mb4_bin"), *MYSQL
)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("image_id", ID, nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("size", ENUM, nullable=False),
        sa.Column("prompt", sa.String(1000), nullable=True),
        sa.Column("requested_provider", ENUM, nullable=False),
        sa.Column("provider", ENUM, nullable=False),
        sa.Column("fallback_reason", sa.String(500), nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.String(1000), nullable=True),
        sa.Column("variation_ids", sa.String(400), nullable=False),
        sa.Column("idempotency_key", CLIENT_KEY, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lost_runs", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("queued_at", WHEN, nullable=True),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("heartbeat_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name="fk_jobs_owner_id_users",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "owner_id", "idempotency_key", name="uq_jobs_owner_id_idempotency_key"
        ),
        **MYSQL_OPTIONS,
    )
    # A user's jobs newest first, all or of one status; the reaper's scans.
    op.create_index(
        "ix_jobs_owner_id_created_at_id", "jobs", ["owner_id", "created_at", "id"]
    )
    op.create_index(
        "ix_jobs_owner_id_status_created_at_id",
        "jobs",
        ["owner_id", "status", "created_at", "id"],
    )
    op.create_index("ix_jobs_status_heartbeat_at", "jobs", ["status", "heartbeat_at"])
    op.create_index("ix_jobs_status_queued_at", "jobs", ["status", "queued_at"])

    # Variations name their job; MySQL wants the index before the key.
    op.create_index("ix_images_job_id", "images", ["job_id"])
    with op.batch_alter_table("images") as batch:
        batch.create_foreign_key(
            "fk_images_job_id_jobs",
            "jobs",
            ["job_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.drop_constraint("fk_images_job_id_jobs", type_="foreignkey")
    op.drop_index("ix_images_job_id", table_name="images")
    op.drop_table("jobs")
