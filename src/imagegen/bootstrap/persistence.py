"""Database and storage: where users, images and their bytes are kept."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData

from imagegen.application.ports import ImageProcessor, ImageStore, UnitOfWorkFactory
from imagegen.bootstrap.services import Check
from imagegen.config import Settings


def database_metadata() -> MetaData:
    """Return the schema the migrations keep in step with."""
    from imagegen.adapters.sqlalchemy.tables import metadata

    return metadata


def migrations_directory() -> Path:
    """Return the Alembic scripts' folder (Flask-Migrate's `directory`)."""
    from imagegen.adapters.sqlalchemy.migrations import MIGRATIONS_DIRECTORY

    return MIGRATIONS_DIRECTORY


def prepare_database(url: str) -> None:
    """Make what the database needs before a first connection (a SQLite folder)."""
    from imagegen.adapters.sqlalchemy.engine import ensure_sqlite_directory

    ensure_sqlite_directory(url)


def database(settings: Settings) -> tuple[UnitOfWorkFactory, Check]:
    from imagegen.adapters.sqlalchemy.engine import make_engine, ping
    from imagegen.adapters.sqlalchemy.unit_of_work import SqlUnitOfWork

    engine = make_engine(settings.database_url)
    return (lambda: SqlUnitOfWork(engine)), (lambda: ping(engine))


def image_store(settings: Settings) -> ImageStore:
    if settings.s3 is not None:
        from imagegen.adapters.s3_store import S3ImageStore

        s3 = settings.s3
        return S3ImageStore(
            s3.bucket,
            region=s3.region,
            endpoint_url=s3.endpoint_url,
            access_key_id=s3.access_key_id,
            secret_access_key=s3.secret_access_key,
            path_style=s3.path_style,
            url_ttl=s3.url_ttl,
        )
    from imagegen.adapters.local_store import LocalImageStore

    return LocalImageStore(settings.storage_path)


def image_processor(settings: Settings) -> ImageProcessor:
    from imagegen.adapters.pillow_images import PillowImageProcessor

    return PillowImageProcessor(settings.upload_max_pixels)
