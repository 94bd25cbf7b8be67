"""``caretrail demo-people``: the people a newcomer logs in as, over the demo school.

A head teacher with overdue home visits (the busiest one today: the demo's history ends
now), the school's 德育主任 and an inspector; each gets a fresh password and API token at
every run, set the way a person sets one (an invitation, used at once). ``make run``
prints them. Demo data only: never run it against a real school's store.
"""

from __future__ import annotations

import secrets
from typing import Annotated

import typer

from adapters.driven.auth.models import UserRole
from adapters.driving.cli.common import CliError, JsonOpt, emit, open_caretrail
from adapters.driving.cli.users import accounts
from adapters.driving.demo import staff
from adapters.driving.demo_roster import demo_roster
from adapters.settings import Settings
from domain.values import valid_id

TOKEN_LABEL = "demo-people"  # noqa: S105 - a label, not a secret
TOKEN_DAYS = 30


def busiest_teacher(school_id: str, settings: Settings) -> str:
    """The head teacher of the school with the most overdue home visits now (then the most
    overdue tasks of any kind; then the first by id)."""
    head_teachers = set(staff(school_id)["head_teachers"])
    with open_caretrail(settings) as caretrail:
        caretrail.runner.catch_up()  # the views as of the whole log
        if not caretrail.read.cases(school_ids=[school_id], limit=1).items:
            raise CliError(f"school {school_id} has no case: load the demo first (caretrail demo)")
        counts = caretrail.read.overdue_summary(school_ids=[school_id], now=caretrail.clock())
    visits: dict[str, int] = dict.fromkeys(head_teachers, 0)
    overdue: dict[str, int] = dict.fromkeys(head_teachers, 0)
    for count in counts:
        if count.assignee_id in head_teachers:
            overdue[count.assignee_id] += count.count
            if count.kind == "home_visit":
                visits[count.assignee_id] += count.count
    return min(head_teachers, key=lambda t: (-visits[t], -overdue[t], t))


def demo_people(
    school: Annotated[str, typer.Option(help="The demo school.")] = "school-001",
    as_json: JsonOpt = False,
) -> None:
    """Add the demo people of a school and its teachers; print a new password and API token
    for each demo person."""
    settings = Settings()
    school_id = valid_id("--school", school)
    people = {
        UserRole.TEACHER: busiest_teacher(school_id, settings),
        UserRole.SUPERVISOR: f"{school_id}-supervisor",
        UserRole.AUDITOR: f"{school_id}-auditor",
    }
    found = []
    with accounts(settings) as acc:
        # Every teacher the demo names is a teacher of the school (no password: nobody logs
        # in as them) on its roster with their roles, so the board offers the school's
        # mentors, as a school would.
        for teacher in staff(school_id)["teachers"]:
            acc.add_user(teacher, UserRole.TEACHER, [school_id], if_missing=True)
        acc.roster.add(demo_roster(school_id))
        for role, user_id in people.items():
            acc.add_user(user_id, role, [school_id], if_missing=True)
            password = f"demo-{secrets.token_hex(4)}"
            acc.set_password(acc.invite(user_id, reset=None).token, password)
            token = acc.issue_token(user_id, days=TOKEN_DAYS, label=TOKEN_LABEL, replace=True)
            found.append({"role": role.value, "user_id": user_id, "password": password,
                          "token": token.token})
    lines = [f"log in at {settings.public_url}/login as one of the demo people of {school_id}",
             "(new passwords and tokens at each run):",
             f"  {'role':<11} {'user name':<22} password"]
    lines += [f"  {p['role']:<11} {p['user_id']:<22} {p['password']}" for p in found]
    lines += [f"API tokens (valid {TOKEN_DAYS} days):"]
    lines += [f"  {p['role']:<11} {p['user_id']:<22} {p['token']}" for p in found]
    emit(found, as_json, "\n".join(lines))
