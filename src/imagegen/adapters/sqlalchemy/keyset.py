"""Keyset pagination on (created_at, id), newest first, for any table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, and_, or_

from imagegen.application.pagination import PageRequest


def newest_first(query: Select[Any], table: Table, page: PageRequest) -> Select[Any]:
    """Order query newest first and keep the rows after page's key, plus one.

    The id breaks ties between rows created in the same microsecond, so a
    page boundary that falls among them neither repeats nor skips a row.
    """
    created_at, row_id = table.c.created_at, table.c.id
    if page.after is not None:
        key = page.after
        # The bare bound on created_at lets every database range-scan the
        # index; the OR then settles ties on id.
        query = query.where(
            created_at <= key.created_at,
            or_(
                created_at < key.created_at,
                and_(created_at == key.created_at, row_id < key.id),
            ),
        )
    return query.order_by(created_at.desc(), row_id.desc()).limit(page.fetch)
