"""Exported files that spreadsheet programs open as intended.

CSV is UTF-8 with a byte-order mark (without one, Chinese Excel reads UTF-8 as GBK and
shows garbage), and a cell that starts with ``= + - @`` (or a tab or carriage return) is
prefixed with ``'`` so that no spreadsheet runs it as a formula (CSV injection): a note
typed by a teacher is data, never a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from adapters.driving.api.schemas import EventOut

BOM = "\ufeff"
#: The columns of a case history, in order.
HISTORY_COLUMNS = ["version", "type", "actor_id", "role", "occurred_at", "recorded_at", "command_id",
                   "workflow", "data"]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> str:
    """A cell's text, defused if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """A CSV file a line at a time: the byte-order mark and header first, every cell escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([escape_cell(cell) for cell in row])
        yield buffer.getvalue()


def history_rows(events: Iterable[Any]) -> Iterator[list[Any]]:
    """A case's events as rows of :data:`HISTORY_COLUMNS` (the event's data as JSON)."""
    for event in events:
        row = EventOut.of(event).model_dump(mode="json")
        row["data"] = json.dumps(row["data"], ensure_ascii=False, sort_keys=True)
        yield [row[column] for column in HISTORY_COLUMNS]
