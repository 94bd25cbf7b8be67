"""The memory of "my tasks" pages, answered again while nothing they depend on changed."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from datetime import datetime

from projections.rows import ONE_DAY, Page, TaskRow


class TaskListCache:
    """Pages of "my tasks", each kept while it is exactly what the query would return.

    Teachers' task lists are read far more often than the views change. A page is
    answered again only if (1) the ``follow_ups`` store's change token is the one read
    before the page was queried (no transaction changed the view since, in this process
    or another; stores that cannot tell cheaply return no token and are never cached),
    and (2) ``now`` lies between the moment the page was computed and the first moment
    that could change it: a task's ``days_overdue`` turning over, or the first task
    beyond the horizon coming within it. Earlier ``now`` (a clock set back) is a miss.
    Entries are per caller and query; the cache is bounded by answers and by the rows they
    hold together (a page holds up to 100), and simply emptied when full.
    """

    def __init__(self, max_entries: int = 4096, max_rows: int = 20_000) -> None:
        self.max_entries = max_entries
        self.max_rows = max_rows
        self._pages: dict[Hashable, tuple[Hashable, datetime, datetime | None, Page[TaskRow]]] = {}
        self._rows = 0
        self._guard = threading.Lock()  # keeps the row count true when threads store at once

    def get(self, key: Hashable, token: Hashable, now: datetime) -> Page[TaskRow] | None:
        """The cached page if it is still the answer at ``now`` with the view at ``token``."""
        entry = self._pages.get(key)
        if entry is None:
            return None
        stored_token, since, until, page = entry
        if stored_token != token or now < since or (until is not None and now >= until):
            return None
        return page

    def put(self, key: Hashable, token: Hashable, now: datetime, page: Page[TaskRow],
            joins: datetime | None) -> None:
        """Keep ``page``, computed at ``now`` after ``token`` was read; ``joins`` is when
        the next task comes within the horizon (None: no task is waiting)."""
        until = joins
        for item in page.items:
            if item.status == "open":  # its days overdue turn over a whole day after due
                turns = item.due_at + (item.days_overdue + 1) * ONE_DAY
                until = turns if until is None else min(until, turns)
        rows = len(page.items)
        with self._guard:
            if len(self._pages) >= self.max_entries or self._rows + rows > self.max_rows:
                self._pages.clear()
                self._rows = 0
            replaced = self._pages.get(key)
            if replaced is not None:
                self._rows -= len(replaced[3].items)
            self._pages[key] = (token, now, until, page)
            self._rows += rows
