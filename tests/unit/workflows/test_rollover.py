"""A new school year: classes move up by the school's mapping, graduates close, continuing
children get the start-of-year re-check; checked first, idempotent, a dry run only plans."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from adapters.bootstrap import case_service
from adapters.driven.events.environment import event_store_env
from adapters.settings import Settings
from domain.errors import InvalidCommand
from domain.values import Child, WorkflowRef
from tests.conftest import SUPERVISOR, identify
from tests.fakes import FakeClock
from workflows.definition import load_definition
from workflows.engine import Workflow
from workflows.registry import BUILTIN_DIR, Registry
from workflows.rollover import UnknownClass, parse_mapping, plan_rollover, roll_over
from workflows.services import CaseService

SUMMER = datetime(2027, 7, 20, 2, tzinfo=UTC)
MAPPING = {"三年级2班": "四年级2班", "五年级1班": "六年级1班"}


def _school(service: CaseService, clock: FakeClock) -> dict[str, list[UUID]]:
    classes = {"三年级2班": [1, 2], "五年级1班": [3], "六年级1班": [4, 5]}
    ids = {c: [identify(service, clock, n, child=Child(name=f"孩子{n}", class_name=c)).case_id
               for n in ns] for c, ns in classes.items()}
    clock.set(SUMMER)
    return ids


def _plan(service: CaseService, ids: dict[str, list[UUID]], mapping: dict[str, str] = MAPPING,
          graduating: tuple[str, ...] = ("六年级1班",)):  # type: ignore[no-untyped-def]
    every = [c for cs in ids.values() for c in cs]
    return plan_rollover(service, "s1", 2027, every, mapping, graduating)


def test_a_dry_run_plans_every_class_and_writes_nothing(service: CaseService, clock: FakeClock) -> None:
    ids = _school(service, clock)
    position = service.position()
    plan = roll_over(service, _plan(service, ids), SUPERVISOR, dry_run=True)
    assert sorted((m.from_class, m.to_class) for m in plan.moves) == [
        ("三年级2班", "四年级2班"), ("三年级2班", "四年级2班"), ("五年级1班", "六年级1班")]
    assert [g.case_id for g in plan.graduates] == ids["六年级1班"]
    assert service.position() == position


def test_graduates_close_and_the_others_move_up_with_a_re_check_in_the_autumn_term(
    service: CaseService, clock: FakeClock
) -> None:
    ids = _school(service, clock)
    done = roll_over(service, _plan(service, ids), SUPERVISOR, dry_run=False)
    assert (done.moved, done.graduated, done.refused) == (3, 2, ())
    for case_id in ids["六年级1班"]:
        case = service.get_case(case_id)
        (closed,) = [e for e in service.history(case_id) if type(e).__name__ == "Closed"]
        assert (case.state, closed.reason.value) == ("closed", "graduated")
    moved = service.get_case(ids["五年级1班"][0])
    assert (moved.child.class_name, moved.school_year, moved.rolled_from) == ("六年级1班", 2027, "五年级1班")
    (recheck,) = [t for t in moved.open_tasks.values() if t.kind == "start_of_year_recheck"]
    assert recheck.due_at == datetime(2027, 9, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert recheck.assignee_id == moved.head_teacher_id
    assert service.case_as_of(moved.id, datetime(2027, 7, 1, tzinfo=UTC)).child.class_name == "五年级1班"


def test_running_the_roll_over_again_for_the_same_year_changes_nothing(
    service: CaseService, clock: FakeClock
) -> None:
    ids = _school(service, clock)
    roll_over(service, _plan(service, ids), SUPERVISOR, dry_run=False)
    position = service.position()
    again = roll_over(service, _plan(service, ids), SUPERVISOR, dry_run=False)
    assert (again.moves, again.graduates, again.already, again.moved) == ((), (), 3, 0)
    assert service.position() == position


@pytest.mark.parametrize(("mapping", "graduating", "message"), [
    ({**MAPPING, "三年级９班": "四年级9班"}, ("六年级1班",), "no child in class 三年级９班"),
    ({"三年级2班": "四年级2班"}, ("六年级1班",), r"五年级1班 \(1 children\) is neither mapped"),
    (MAPPING, ("六年级1班", "五年级1班"), "both mapped and graduating"),
])
def test_a_mapping_that_does_not_fit_the_school_stops_before_anything_is_written(
    service: CaseService, clock: FakeClock, mapping: dict[str, str], graduating: tuple[str, ...],
    message: str,
) -> None:
    ids = _school(service, clock)
    position = service.position()
    with pytest.raises(UnknownClass, match=message):
        _plan(service, ids, mapping, graduating)
    assert service.position() == position


def test_a_mapping_file_reads_arrows_commas_and_graduating_lines() -> None:
    text = "# 2027学年\n三年级2班 → 四年级2班\n五年级1班,六年级1班\n六年级1班 -> 毕业\n"
    assert parse_mapping(text) == (MAPPING, ["六年级1班"])
    with pytest.raises(InvalidCommand, match="mapping line 1"):
        parse_mapping("三年级2班\n")


@pytest.mark.parametrize("version", [1, 2])
def test_a_case_of_an_older_version_moves_to_the_newest_and_gets_the_re_check(
    tmp_path: Path, clock: FakeClock, version: int
) -> None:
    env = event_store_env(Settings(data_dir=tmp_path / "data"))
    old = Registry([Workflow(load_definition(BUILTIN_DIR / f"left_behind.v{version}.toml"))])
    before = case_service(Settings(), env, registry=old, clock=clock)
    case_id = identify(before, clock).case_id
    before.close()
    clock.set(SUMMER)
    after = case_service(Settings(), env, registry=Registry.load(), clock=clock)
    try:
        plan = plan_rollover(after, "s1", 2027, [case_id], {"三年级2班": "四年级2班"}, [])
        roll_over(after, plan, SUPERVISOR, dry_run=False)
        case = after.get_case(case_id)
        assert case.workflow == WorkflowRef(name="left_behind", version=3)
        assert [t.kind for t in case.open_tasks.values()].count("start_of_year_recheck") == 1
    finally:
        after.close()
