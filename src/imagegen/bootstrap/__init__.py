"""The composition root: the one place that turns settings into adapters.

bootstrap() is called by the Flask factory and by the worker; each module
here builds the adapters of one area.
"""

from imagegen.bootstrap.persistence import (
    database_metadata,
    migrations_directory,
    prepare_database,
)
from imagegen.bootstrap.root import bootstrap, start_maintenance
from imagegen.bootstrap.services import Services

__all__ = [
    "Services",
    "bootstrap",
    "database_metadata",
    "migrations_directory",
    "prepare_database",
    "start_maintenance",
]
