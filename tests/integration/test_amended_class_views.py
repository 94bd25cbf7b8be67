"""A class amendment reaches the read models: the case row, the open tasks, the overdue board."""

from __future__ import annotations

from datetime import timedelta

from adapters.bootstrap import Caretrail
from projections.queries import TaskStatus
from tests.conftest import TEACHER, identify
from tests.fakes import FakeClock
from workflows.commands import AmendDetails, RecordHomeVisit


def test_the_case_row_and_its_open_tasks_move_to_the_new_class_and_done_tasks_keep_theirs(
    backend: Caretrail, clock: FakeClock
) -> None:
    case_id = identify(backend.cases, clock).case_id
    clock.advance(days=1)
    backend.cases.handle(RecordHomeVisit(case_id=case_id, guardian_met=True), TEACHER)
    backend.runner.catch_up()
    clock.advance(days=2)
    backend.cases.handle(AmendDetails(case_id=case_id, class_name="四年级2班"), TEACHER)
    backend.runner.catch_up()
    row = backend.read.case(str(case_id))
    assert row is not None
    assert row.class_name == "四年级2班"
    now = clock() + timedelta(days=60)
    open_classes = {t.kind: t.class_name for t in backend.read.tasks(
        now=now, status=TaskStatus.OPEN, school_ids=["s1"]).items}
    assert open_classes
    assert set(open_classes.values()) == {"四年级2班"}
    done = backend.read.tasks(now=now, status=TaskStatus.DONE, school_ids=["s1"]).items
    assert [t.class_name for t in done] == ["三年级2班"]
    assert dict(backend.read.overdue_by_class(school_ids=["s1"], now=now)) == {
        "四年级2班": len(open_classes)}
