"""The import of a register, as the CLI, the API and the upload page call it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from adapters.driving.imports.children import ChildPlanner, head_teachers
from adapters.driving.imports.columns import (
    CHILD_COLUMNS,
    CHILD_REQUIRED,
    TEACHER_COLUMNS,
    TEACHER_REQUIRED,
)
from adapters.driving.imports.messages import say
from adapters.driving.imports.reading import FileRefused, Table, read_table
from adapters.driving.imports.run import ImportReport, import_children, import_teachers
from adapters.driving.imports.teachers import plan_teachers
from domain.values import Actor

if TYPE_CHECKING:
    from adapters.bootstrap import Caretrail
    from adapters.driven.auth.accounts import Accounts

#: Called with how many more rows are done, for a progress bar.
Progress = Callable[[int], None]
#: Called with the number of rows about to be written, before the first; gives a Progress.
StartProgress = Callable[[int], Progress | None]


def describe(error: FileRefused, locale: str) -> str:
    """A refused file's reason in words."""
    return say(locale, "file", error.code, **error.params)


class Imports:
    """Imports of a school's registers into one deployment.

    The case application must be guarded (``bootstrap.guard_assignments``): every row's
    head teacher is checked against the roster again when its command is handled.
    """

    def __init__(self, caretrail: Caretrail, accounts: Accounts) -> None:
        self.caretrail = caretrail
        self.accounts = accounts

    def children(
        self, data: bytes, filename: str, school_id: str, actor: Actor, *, dry_run: bool,
        start: StartProgress | None = None,
    ) -> ImportReport:
        """Import a children's register (:class:`FileRefused` for a file that is none)."""
        table = _read(data, filename, CHILD_COLUMNS, CHILD_REQUIRED)
        planner = ChildPlanner(
            school_id, head_teachers(self.accounts.roster.active(school_id)),
            self.caretrail.cases.case_id_for, self.caretrail.clock(),
            ZoneInfo(self.caretrail.settings.timezone),
        )
        rows, problems = planner.plan(table)
        progress = start(len(rows)) if start is not None and rows else None
        report = import_children(self.caretrail.cases, rows, problems, actor, dry_run=dry_run,
                                 progress=progress)
        if report.created and not dry_run:
            self.caretrail.runner.catch_up()  # the lists show the new cases at once
        return report

    def teachers(self, data: bytes, filename: str, school_id: str, *, dry_run: bool) -> ImportReport:
        """Import a teachers' register onto the school's roster."""
        rows, problems = plan_teachers(_read(data, filename, TEACHER_COLUMNS, TEACHER_REQUIRED), school_id)
        return import_teachers(self.accounts.roster, rows, problems, dry_run=dry_run)


def _read(data: bytes, filename: str, columns: Mapping[str, tuple[str, ...]],
          required: Sequence[str]) -> Table:
    try:
        return read_table(data, filename, columns, required)
    except FileRefused as e:
        if e.code == "no-header":
            e.params["columns"] = "、".join(columns[k][0] for k in required[:2])
        raise
