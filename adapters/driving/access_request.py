"""A guardian's access request answered in one file: the child's data and who read it.

The file is one record per line (JSON Lines) or row (CSV as ``adapters.driving.exports``
writes it: a BOM, every cell escaped against formulas), in three parts:

1. ``request``: which case, when the answer was made, by whom and why;
2. ``event``: every event of the case in order, its personal content decoded (``data``);
3. ``access``: every read of the case's personal data in the access log, in order: who,
   in which role, when, through what, and the stated purpose — this answer included,
   since it is logged before it is written.

An erased case's events show what erasure left of them (the seam: whatever
``CaseService.stream_history`` decodes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from adapters.driven.auth.models import AccessEntry
from adapters.driven.auth.port import AuthStore
from adapters.driving.api.schemas import EventOut
from adapters.driving.exports import csv_lines

Format = Literal["jsonl", "csv"]
#: The columns of the CSV file; a record leaves empty what it does not have.
COLUMNS = ["record", "number", "type", "occurred_at", "recorded_at", "who", "role", "purpose", "data"]
#: Access log entries read per query.
PAGE = 500


def reads_of(store: AuthStore, case_id: UUID) -> Iterator[AccessEntry]:
    """Every access log entry of one case, in order of recording, a page at a time."""
    after: int | None = None
    while True:
        page = store.access_log(case_id=str(case_id), after=after, limit=PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].entry_id


def records(
    case_id: UUID, answered: AccessEntry, events: Iterable[Any], reads: Iterable[AccessEntry]
) -> Iterator[dict[str, Any]]:
    """The records of the answer: the request, the events, the reads (see the module)."""
    yield {"record": "request", "number": None, "type": "access-request", "occurred_at": None,
           "recorded_at": answered.at, "who": answered.user_id, "role": answered.role,
           "purpose": answered.purpose, "data": {"case_id": str(case_id), "school_id": answered.school_id}}
    for event in events:
        out = EventOut.of(event)
        yield {"record": "event", "number": out.version, "type": out.type,
               "occurred_at": out.occurred_at, "recorded_at": out.recorded_at, "who": out.actor_id,
               "role": out.role, "purpose": None, "data": out.data}
    for entry in reads:
        yield {"record": "access", "number": entry.entry_id, "type": entry.resource,
               "occurred_at": None, "recorded_at": entry.at, "who": entry.user_id,
               "role": entry.role, "purpose": entry.purpose, "data": None}


def lines(found: Iterable[dict[str, Any]], format: Format) -> Iterator[str]:
    """The records as the lines of a JSON Lines or CSV file."""
    if format == "jsonl":
        return (json.dumps(record, ensure_ascii=False, default=_plain) + "\n" for record in found)
    return csv_lines(COLUMNS, ([_cell(record[c]) for c in COLUMNS] for record in found))


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _plain(value) if isinstance(value, datetime) else value


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
