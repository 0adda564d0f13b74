"""Stored objects that no image claims: left by a crash between storage and
database, or by a delete whose storage half failed. Found and removed here."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice

from imagegen.application.images import IMAGE_PREFIX, ImageDeps, image_id_of
from imagegen.application.ports import StoredObject

log = logging.getLogger(__name__)

BATCH = 500


def sweep_orphans(deps: ImageDeps, *, grace: timedelta) -> int:
    """Delete stored objects older than grace whose image has no row; count them.

    The grace period spares the objects of uploads and jobs in flight, which
    are stored a moment before their row is committed.
    """
    cutoff = deps.clock.now() - grace
    removed = 0
    for batch in _batches(_old_objects(deps.store.scan(IMAGE_PREFIX), cutoff)):
        removed += _remove_unclaimed(deps, batch)
    if removed:
        log.warning("storage: %d orphaned objects removed", removed)
    return removed


def _old_objects(
    objects: Iterable[StoredObject], cutoff: datetime
) -> Iterator[tuple[str, str]]:
    for stored in objects:
        image_id = image_id_of(stored.key)
        if image_id is not None and stored.modified_at < cutoff:
            yield image_id, stored.key


def _batches(pairs: Iterator[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    while batch := list(islice(pairs, BATCH)):
        yield batch


def _remove_unclaimed(deps: ImageDeps, batch: list[tuple[str, str]]) -> int:
    with deps.uow() as uow:
        claimed = uow.images.existing_ids({image_id for image_id, _ in batch})
    orphans = [key for image_id, key in batch if image_id not in claimed]
    for key in orphans:
        deps.store.delete(key)
    return len(orphans)
