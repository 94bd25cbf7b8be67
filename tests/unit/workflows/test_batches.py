"""``handle_batch``: the commands ``handle`` takes, their cases saved in one transaction."""

from __future__ import annotations

from uuid import uuid4

from domain.errors import CaseAlreadyExists, DomainError
from domain.values import Child, Guardian, Parents, ParentsAway
from tests.fakes import FakeClock
from tests.unit.domain.journeys import TEACHER
from workflows.batches import handle_batch
from workflows.commands import AddNote, IdentifyChild, PairMentor, RecordHomeVisit
from workflows.services import CaseService, CommandResult


def _identify(n: int, clock: FakeClock) -> IdentifyChild:
    return IdentifyChild(
        school_id="s1", student_no=f"2026{n:04d}", child=Child(name="王小明"),
        guardian=Guardian(name="李奶奶", relation="grandmother"), parents=Parents(away=ParentsAway.BOTH),
        head_teacher_id=TEACHER.user_id, occurred_at=clock(), command_id=uuid4(),
    )


def test_a_batch_saves_every_case_in_one_transaction_and_answers_each_command(
    service: CaseService, clock: FakeClock,
) -> None:
    first, second = _identify(1, clock), _identify(2, clock)
    case_id = service.case_id_for("s1", first.student_no)
    visit = RecordHomeVisit(case_id=case_id, guardian_met=True, occurred_at=clock(), command_id=uuid4())
    saves: list[int] = []
    service.on_saved(saves.append)
    outcomes = handle_batch(service, [first, visit, second, _identify(1, clock)], TEACHER)
    assert len(saves) == 1  # one transaction
    assert [type(o) for o in outcomes] == [CommandResult, CommandResult, CommandResult, CaseAlreadyExists]
    opened, visited = outcomes[0], outcomes[1]
    assert isinstance(opened, CommandResult)
    assert isinstance(visited, CommandResult)
    assert opened.events[0] == "Identified"
    assert "HomeVisited" in visited.events
    assert "Identified" not in visited.events
    assert service.get_case(case_id).state == "visited"
    assert service.position() == max(o.position for o in outcomes[:3] if isinstance(o, CommandResult))


def test_a_batch_again_records_nothing_and_a_refused_command_leaves_the_others_saved(
    service: CaseService, clock: FakeClock,
) -> None:
    first = _identify(1, clock)
    case_id = service.case_id_for("s1", first.student_no)
    handle_batch(service, [first], TEACHER)
    position = service.position()
    again = handle_batch(service, [first], TEACHER)[0]
    assert isinstance(again, CommandResult)
    assert again.replayed
    assert service.position() == position
    refused, noted = handle_batch(service, [
        PairMentor(case_id=case_id, teacher_id="m1", command_id=uuid4()),  # not visited yet
        AddNote(case_id=case_id, text="seen", command_id=uuid4()),
    ], TEACHER)
    assert isinstance(refused, DomainError)
    assert isinstance(noted, CommandResult)
    assert "NoteAdded" in noted.events
