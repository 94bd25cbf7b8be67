"""The same behaviour on every backend: a write reaches the store and the views."""

from __future__ import annotations

from adapters.bootstrap import Caretrail
from projections.queries import TaskStatus
from tests.conftest import identify
from tests.fakes import FakeClock


def test_an_identified_child_is_stored_and_reaches_every_view(
    backend: Caretrail, clock: FakeClock
) -> None:
    result = identify(backend.cases, clock)
    backend.runner.catch_up()
    assert backend.cases.get_case(result.case_id).state == "identified"
    row = backend.read.case(str(result.case_id))
    assert row is not None
    assert row.next_due_kind == "home_visit"
    clock.advance(days=15)
    overdue = backend.read.tasks(now=clock(), status=TaskStatus.OVERDUE, school_ids=["s1"])
    assert [t.kind for t in overdue.items] == ["home_visit"]
    assert len(backend.read.audit_events(case_id=str(result.case_id)).items) == result.version
