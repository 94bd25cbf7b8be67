"""What each role may do. Every route declares exactly one permission (see ``deps.allow``).

A teacher reads and acts on the cases of their own schools; a supervisor does too, sees
every overdue list of their schools and may reassign a case's head teacher; an auditor
reads everything in their schools, including history, exports and the logs, and writes
nothing; an admin manages users (from the CLI) and reads no children's data but for one
thing: answering a guardian's access request (as a supervisor may for their schools); the
reports, counts per school, they may read. A named list in a report takes ``history:export``
besides.
"""

from __future__ import annotations

from enum import StrEnum

from adapters.driven.auth.models import UserRole
from workflows.commands import AssignHeadTeacher, CaseCommand


class Permission(StrEnum):
    """A right a route requires."""

    PUBLIC = "public"                   # health probes, problem descriptions: no token
    SELF = "self:read"                  # who am I
    CASE_READ = "case:read"
    CASE_CREATE = "case:create"
    CASE_ACT = "case:act"
    CASE_REASSIGN = "case:reassign"
    CASE_ERASE = "case:erase"               # erase a child's personal data (docs/privacy.md)
    HISTORY_READ = "history:read"
    HISTORY_EXPORT = "history:export"
    TASKS_OWN = "tasks:own"
    TASKS_ALL = "tasks:all"
    STATS_READ = "stats:read"
    AUDIT_READ = "audit:read"
    ACCESS_LOG_READ = "access-log:read"
    REGISTER_IMPORT = "register:import"  # a school's registers of children and teachers
    REPORTS_READ = "reports:read"       # counts per school, never a child: admins too
    ACCESS_REQUEST = "access-request:answer"  # a guardian's: the child's data, and its readers


#: Permissions that change something; a route answering a write method must declare one.
WRITES = frozenset({
    Permission.CASE_CREATE, Permission.CASE_ACT, Permission.CASE_REASSIGN, Permission.CASE_ERASE,
    Permission.REGISTER_IMPORT,
})

_READ_CASES = {Permission.SELF, Permission.CASE_READ, Permission.HISTORY_READ}

GRANTS: dict[UserRole, frozenset[Permission]] = {
    UserRole.TEACHER: frozenset(
        _READ_CASES | {Permission.CASE_CREATE, Permission.CASE_ACT, Permission.TASKS_OWN}
    ),
    UserRole.SUPERVISOR: frozenset(_READ_CASES | {
        Permission.CASE_CREATE, Permission.CASE_ACT, Permission.CASE_REASSIGN, Permission.CASE_ERASE,
        Permission.HISTORY_EXPORT, Permission.TASKS_OWN, Permission.TASKS_ALL, Permission.STATS_READ,
        Permission.REGISTER_IMPORT,
        Permission.REPORTS_READ,
        Permission.ACCESS_REQUEST,
    }),
    UserRole.AUDITOR: frozenset(_READ_CASES | {
        Permission.HISTORY_EXPORT, Permission.TASKS_ALL, Permission.STATS_READ,
        Permission.AUDIT_READ, Permission.ACCESS_LOG_READ, Permission.REPORTS_READ,
    }),
    UserRole.ADMIN: frozenset({Permission.SELF, Permission.REPORTS_READ, Permission.ACCESS_REQUEST}),
}


def step_permission(command: type[CaseCommand]) -> Permission:
    """The permission a step needs, from the API and from the pages alike."""
    return Permission.CASE_REASSIGN if command is AssignHeadTeacher else Permission.CASE_ACT


def granted(role: UserRole, permission: Permission) -> bool:
    """True if ``role`` carries ``permission`` (everyone carries ``public``)."""
    return permission is Permission.PUBLIC or permission in GRANTS[role]
