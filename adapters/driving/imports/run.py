"""Running an import: a dry run that only reports, or a real run through ``CaseService.handle``.

Every row ends in exactly one of created, skipped (already there: a second run of the same
file) and refused (with its reason). A file refused as a whole (``FileRefused``) writes
nothing: the whole file is read and checked before the first command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.driven.auth.models import Teacher
from adapters.driven.auth.roster import Roster
from adapters.driving.imports.children import ChildRow, RowProblem
from adapters.driving.imports.messages import say
from domain.errors import CaseAlreadyExists, DomainError
from domain.values import Actor
from workflows.batches import handle_batch
from workflows.services import CaseService, CommandResult

Progress = Callable[[int], None]


@dataclass
class ImportReport:
    """What an import did (or, dry, would do), by row number."""

    dry_run: bool
    created: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    refused: list[RowProblem] = field(default_factory=list)

    def summary(self, locale: str) -> str:
        """The report's last line in words."""
        return say(locale, "report", "dry-run" if self.dry_run else "done", created=len(self.created),
                   skipped=len(self.skipped), refused=len(self.refused))

    def lines(self, locale: str) -> list[str]:
        """One line per refused row, then the summary."""
        return [say(locale, "report", "row", row=p.row, reason=say(locale, "row", p.code, **p.params))
                for p in self.refused] + [self.summary(locale)]

    def as_json(self, locale: str) -> dict[str, Any]:
        """The report for ``--json`` and the API."""
        return {
            "dry_run": self.dry_run, "created": len(self.created), "skipped": len(self.skipped),
            "refused": [{"row": p.row, "code": p.code, "params": p.params,
                         "message": say(locale, "row", p.code, **p.params)} for p in self.refused],
            "created_rows": self.created, "skipped_rows": self.skipped,
        }


#: Rows whose commands are saved in one transaction (``workflows.batches``).
BATCH_ROWS = 250


def import_children(
    cases: CaseService, rows: Sequence[ChildRow], problems: Sequence[RowProblem], actor: Actor, *,
    dry_run: bool, progress: Progress | None = None,
) -> ImportReport:
    """Import the good rows (or, dry, say which would be created); the bad ones are reported.

    The rows of new children are handled in batches of :data:`BATCH_ROWS`, each batch
    saved in one transaction; a row whose case exists already is handled alone (a second
    run of a file: each of its commands is replayed, recording nothing).
    """
    report = ImportReport(dry_run=dry_run, refused=list(problems))
    for start in range(0, len(rows), BATCH_ROWS):
        chunk = rows[start:start + BATCH_ROWS]
        known = [r for r in chunk if cases.has_events(r.case_id)]
        if dry_run:
            report.skipped += [r.row for r in known]
            report.created += [r.row for r in chunk if r not in known]
        else:
            for row in known:
                _import_known(cases, row, actor, report)
            _import_new(cases, [r for r in chunk if r not in known], actor, report)
        if progress is not None:
            progress(len(chunk))
    for found in (report.created, report.skipped):
        found.sort()
    report.refused.sort(key=lambda p: p.row)
    return report


def _import_new(cases: CaseService, rows: Sequence[ChildRow], actor: Actor, report: ImportReport) -> None:
    commands = [c for r in rows for c in (r.identify, r.visit) if c is not None]
    outcomes = iter(handle_batch(cases, commands, actor))
    for row in rows:
        done = [next(outcomes) for c in (row.identify, row.visit) if c is not None]
        refusal = next((o for o in done if isinstance(o, DomainError)), None)
        if isinstance(done[0], CaseAlreadyExists):  # opened meanwhile, not by this import
            report.skipped.append(row.row)
        elif refusal is not None:
            report.refused.append(RowProblem(row.row, "refused", {"reason": str(refusal)}))
        elif all(isinstance(o, CommandResult) and o.replayed for o in done):
            report.skipped.append(row.row)
        else:
            report.created.append(row.row)


def _import_known(cases: CaseService, row: ChildRow, actor: Actor, report: ImportReport) -> None:
    try:
        new = not cases.handle(row.identify, actor).replayed
        if row.visit is not None:  # again after a run cut short between the two: replayed or new
            new = not cases.handle(row.visit, actor).replayed or new
    except CaseAlreadyExists:  # opened before, not by an import: left as it is
        report.skipped.append(row.row)
        return
    except DomainError as e:
        report.refused.append(RowProblem(row.row, "refused", {"reason": str(e)}))
        return
    (report.created if new else report.skipped).append(row.row)


def import_teachers(
    roster: Roster, rows: Sequence[tuple[int, Teacher]], problems: Sequence[RowProblem], *,
    dry_run: bool,
) -> ImportReport:
    """Put the good rows on the roster in one transaction (unchanged records are skipped)."""
    report = ImportReport(dry_run=dry_run, refused=list(problems))
    changed = []
    for number, teacher in rows:
        if roster.get(teacher.school_id, teacher.teacher_id) == teacher:
            report.skipped.append(number)
        else:
            report.created.append(number)
            changed.append(teacher)
    if not dry_run:
        roster.add(changed)
    return report
