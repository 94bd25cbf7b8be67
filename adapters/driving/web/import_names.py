"""What the import of a register says about a bad file or a bad row, by its code.

Shared by the CLI, the API and the upload page: each translates them with the pages'
catalogs (``adapters.driving.imports.messages``), so a school reads them in its language.
"""

from __future__ import annotations

from collections.abc import Mapping

from adapters.driving.web.names import N_

#: Why a whole file is refused (nothing is written).
FILE_PROBLEMS: Mapping[str, str] = {
    "too-large": N_("The file is larger than %(limit)s MB: split the register."),
    "too-many-rows": N_("The register has more than %(limit)s rows: split it."),
    "empty": N_("The sheet is empty: there is nothing to import."),
    "no-header": N_("No header row names the columns %(columns)s in the first ten rows."),
    "not-a-spreadsheet": N_("This is not an .xlsx workbook or a .csv file (an old .xls: save it as .xlsx)."),
    "encrypted": N_("The workbook is protected by a password: save it without one and import it again."),
    "corrupt": N_("The .xlsx file is damaged and cannot be read."),
    "merged-header": N_(
        "The header row has merged cells (%(cells)s): unmerge them so each column has its own heading."
    ),
    "missing-columns": N_("The header row lacks the columns %(columns)s."),
}

#: Why one row is refused (the other rows are imported).
ROW_PROBLEMS: Mapping[str, str] = {
    "missing-student-no": N_("the student number is missing"),
    "bad-student-no": N_(
        "the student number %(value)s is not valid (letters, digits, '.', '_', ':', '@', '-')"
    ),
    "missing-value": N_("%(column)s is empty"),
    "impossible-date": N_("%(column)s: %(value)s is not a possible date"),
    "future-date": N_("%(column)s: %(value)s is in the future"),
    "visit-before-identified": N_("the last home visit is before the date identified"),
    "bad-value": N_("%(column)s: %(value)s is not a value this column takes"),
    "unknown-teacher": N_("%(value)s is not an active head teacher of this school"),
    "ambiguous-teacher": N_(
        "several head teachers of this school are called %(value)s: write their teacher id"
    ),
    "unknown-role": N_(
        "%(value)s is not a role (head teacher, subject teacher, counselling teacher, mentor)"
    ),
    "duplicate-student-no": N_("the student number %(value)s is also on row %(rows)s"),
    "duplicate-teacher-id": N_("the teacher id %(value)s is also on row %(rows)s"),
    "bad-teacher-id": N_("the teacher id %(value)s is not valid (letters, digits, '.', '_', ':', '@', '-')"),
    "invalid": N_("%(reason)s"),
    "refused": N_("refused: %(reason)s"),
}

#: The words of a report.
REPORT: Mapping[str, str] = {
    "row": N_("Row %(row)s: %(reason)s"),
    "dry-run": N_(
        "Dry run: nothing was written. %(created)s to create, %(skipped)s already there, "
        "%(refused)s refused."
    ),
    "done": N_("%(created)s created, %(skipped)s already there (skipped), %(refused)s refused."),
}
