"""Keyset pagination, written once for every list query.

A page's cursor is the sort key of its last row, so the next page starts right after it
and neither repeats nor skips rows while writes continue (offsets would shift under
them). Each list's sort key ends an index its filters use, so rows come out of that
index in page order with no sort (``test_query_plans`` checks each list's plan).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from projections.rows import MAX_PAGE, Page, decode_cursor, encode_cursor
from projections.store import ViewStore

T = TypeVar("T")


def keyset_page(
    store: ViewStore,
    *,
    table: str,
    columns: Sequence[str],
    where: Sequence[str],
    params: Sequence[Any],
    order_by: Sequence[str],
    kinds: Sequence[type],
    after: str | None,
    limit: int,
    to_item: Callable[[Sequence[Any]], T],
    page: type[Page[T]],
) -> Page[T]:
    """One page of ``table``'s rows matching ``where``, in ``order_by`` order after the
    cursor ``after``; the next cursor is the last row's ``order_by`` values, whose types
    are ``kinds`` (see :func:`projections.rows.decode_cursor`)."""
    limit = max(1, min(limit, MAX_PAGE))
    if after:
        condition, values = after_key(order_by, decode_cursor(after, *kinds))
        where, params = [*where, condition], [*params, *values]
    sql = f"SELECT {', '.join(columns)} FROM {table}"
    if where:
        sql += f" WHERE {' AND '.join(where)}"
    sql += f" ORDER BY {', '.join(order_by)} LIMIT ?"
    # One row beyond the page tells whether there is a next one.
    rows = store.fetch_all(sql, (*params, limit + 1))
    items = [to_item(row) for row in rows[:limit]]
    cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        cursor = encode_cursor(*(last[columns.index(name)] for name in order_by))
    return page(items=items, next_cursor=cursor)


def after_key(order_by: Sequence[str], key: Sequence[Any]) -> tuple[str, list[Any]]:
    """The condition (and its parameters) of rows sorting after ``key`` in ``order_by``
    order: ``a > ?`` for one column, ``(a > ? OR (a = ? AND b > ?))`` for two, and so on."""
    first, *rest = order_by
    if not rest:
        return f"{first} > ?", [key[0]]
    inner, values = after_key(rest, key[1:])
    return f"({first} > ? OR ({first} = ? AND {inner}))", [key[0], key[0], *values]
