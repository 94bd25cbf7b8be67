"""The event store keeps cases exactly: close it, open it again, read back the same thing.

Runs on SQLite files and on PostgreSQL (the ``backend_settings`` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import MapperDeserialisationError
from pydantic import SecretStr

from adapters.bootstrap import Caretrail, build
from adapters.settings import Settings
from domain.case import Case
from domain.errors import CaseNotFound
from domain.values import ContactChannel, ContactParty
from tests.conftest import TEACHER
from tests.fakes import FakeClock
from tests.unit.domain.journeys import MENTOR, aggregate_state, case_in
from workflows.commands import AddNote, LogContact, PairMentor, RecordHomeVisit


@contextmanager
def opened(settings: Settings, clock: FakeClock) -> Iterator[Caretrail]:
    """The whole service on ``settings``, closed afterwards (one process's lifetime)."""
    caretrail = build(settings, clock=clock, create_tables=True)
    try:
        yield caretrail
    finally:
        caretrail.close()


def busy_case(caretrail: Caretrail, clock: FakeClock, contacts: int = 3) -> UUID:
    """A reviewed case with a mentor, and a few logged contacts on top."""
    case_id = case_in(caretrail.cases, clock, "reviewed")
    for n in range(contacts):
        clock.advance(days=2)
        caretrail.cases.handle(
            LogContact(
                case_id=case_id,
                occurred_at=clock(),
                party=list(ContactParty)[n % 3],
                channel=ContactChannel.PHONE,
                summary=f"call {n}",
            ),
            TEACHER,
        )
    return case_id


def everything(caretrail: Caretrail, case_id: UUID) -> dict[str, Any]:
    """The case, its history and its mentor, as comparable values."""
    mentor = caretrail.cases.get_mentor(MENTOR)
    return {
        "case": aggregate_state(caretrail.cases.get_case(case_id)),
        "history": [(type(e).__name__, e.model_dump()) for e in caretrail.cases.history(case_id)],
        "mentor": aggregate_state(mentor) if mentor else None,
        "position": caretrail.cases.position(),
    }


def replayed_without_snapshots(caretrail: Caretrail, case_id: UUID) -> Case:
    """The case folded from every one of its events, ignoring any snapshot."""
    case: Any = None
    for event in caretrail.cases.events.get(case_id):
        case = event.mutate(case)  # type: ignore[attr-defined]
    assert isinstance(case, Case)
    return case


def test_a_case_reads_back_identically_after_the_store_is_closed_and_reopened(
    backend_settings: Settings, clock: FakeClock
) -> None:
    with opened(backend_settings, clock) as caretrail:
        case_id = busy_case(caretrail, clock)
        written = everything(caretrail, case_id)
    if not backend_settings.is_postgres:
        assert (backend_settings.sqlite_dir / "events.sqlite").stat().st_size > 0
    with opened(backend_settings, clock) as caretrail:
        assert everything(caretrail, case_id) == written
        assert written["history"][0][0] == "Identified"
        assert len(written["history"]) == written["case"]["_version"]


def test_a_case_rebuilt_from_snapshots_equals_one_rebuilt_from_every_event(
    backend_settings: Settings, clock: FakeClock
) -> None:
    settings = backend_settings.model_copy(update={"snapshot_interval": 10})
    with opened(settings, clock) as caretrail:
        case_id = busy_case(caretrail, clock, contacts=8)
        version = caretrail.cases.get_case(case_id).version
    with opened(settings, clock) as caretrail:
        assert caretrail.cases.snapshots is not None
        snapshots = [s.originator_version for s in caretrail.cases.snapshots.get(case_id)]
        # Each save that crossed a multiple of 10 left a snapshot at its last version.
        assert len(snapshots) >= 2
        assert snapshots == sorted(set(snapshots))
        assert len({v // 10 for v in snapshots}) == len(snapshots)
        assert snapshots[-1] // 10 == version // 10
        via_snapshot = caretrail.cases.get_case(case_id)
        folded = replayed_without_snapshots(caretrail, case_id)
        assert aggregate_state(via_snapshot) == aggregate_state(folded)
        for v in (snapshots[0], snapshots[0] + 1, version):  # at, just after, latest
            assert aggregate_state(caretrail.cases.get_case(case_id, version=v)) == aggregate_state(
                _fold_until(caretrail, case_id, v))


def test_snapshots_can_be_switched_off_and_the_case_is_the_same(
    backend_settings: Settings, clock: FakeClock
) -> None:
    settings = backend_settings.model_copy(update={"snapshot_interval": 0})
    with opened(settings, clock) as caretrail:
        case_id = busy_case(caretrail, clock, contacts=8)
        assert caretrail.cases.snapshots is None
        assert aggregate_state(caretrail.cases.get_case(case_id)) == aggregate_state(
            replayed_without_snapshots(caretrail, case_id))


def test_compressed_and_encrypted_events_round_trip_and_hide_the_childs_data(
    backend_settings: Settings, clock: FakeClock
) -> None:
    key = AESCipher.create_key(32)
    settings = backend_settings.model_copy(update={"cipher_key": SecretStr(key), "compress_events": True})
    with opened(settings, clock) as caretrail:
        case_id = busy_case(caretrail, clock)
        written = everything(caretrail, case_id)
        stored = list(caretrail.cases.recorder.select_events(case_id))
        plain = sum(len(e.model_dump_json().encode()) for e in caretrail.cases.history(case_id))
    assert len(stored) == len(written["history"])
    assert sum(len(r.state) for r in stored) < 0.8 * plain  # compressed before encryption
    for record in stored:
        assert "王小明".encode() not in record.state
        assert b"school_id" not in record.state
    with opened(settings, clock) as caretrail:
        assert everything(caretrail, case_id) == written


def test_opening_with_the_wrong_key_fails_clearly_at_start_and_names_the_event(
    backend_settings: Settings, clock: FakeClock
) -> None:
    right = backend_settings.model_copy(update={"cipher_key": SecretStr(AESCipher.create_key(32))})
    with opened(right, clock) as caretrail:
        case_id = case_in(caretrail.cases, clock, "visited")
        written = caretrail.cases.position()
    wrong = backend_settings.model_copy(update={"cipher_key": SecretStr(AESCipher.create_key(32))})
    with pytest.raises(MapperDeserialisationError) as failed, opened(wrong, clock):
        pass  # refused before anything could be read or written
    with opened(right, clock) as caretrail:
        assert caretrail.cases.position() == written
    message = str(failed.value)
    assert f"cannot read stored event {case_id} v1" in message
    assert "Invalid cipher tag" in message
    assert "王小明" not in message


def test_the_case_as_of_a_recorded_time_and_as_of_a_version(
    backend_settings: Settings, clock: FakeClock
) -> None:
    with opened(backend_settings, clock) as caretrail:
        opened_at = clock()
        case_id = case_in(caretrail.cases, clock, "identified")
        identified_version = caretrail.cases.get_case(case_id).version
        clock.advance(days=1)
        visit = RecordHomeVisit(case_id=case_id, occurred_at=clock(), guardian_met=True)
        caretrail.cases.handle(visit, TEACHER)
        visited_at = clock()
        clock.advance(days=1)
        caretrail.cases.handle(PairMentor(case_id=case_id, occurred_at=clock(), teacher_id=MENTOR), TEACHER)

        assert caretrail.cases.case_as_of(case_id, opened_at).state == "identified"
        before = caretrail.cases.case_as_of(case_id, visited_at - timedelta(seconds=1))
        assert before.version == identified_version
        assert caretrail.cases.case_as_of(case_id, visited_at).state == "visited"
        assert caretrail.cases.case_as_of(case_id, clock()).state == "paired"
        with pytest.raises(CaseNotFound):
            caretrail.cases.case_as_of(case_id, opened_at - timedelta(seconds=1))

        by_version = caretrail.cases.get_case(case_id, version=identified_version)
        assert by_version.state == "identified"
        assert by_version.mentor_id is None
        assert [t.kind for t in by_version.open_follow_ups] == ["home_visit", "guardian_contact",
                                                                 "parent_contact"]
        assert caretrail.cases.get_case(case_id, version=1).follow_ups == {}


def _fold_until(caretrail: Caretrail, case_id: UUID, version: int) -> Case:
    case: Any = None
    for event in caretrail.cases.events.get(case_id, lte=version):
        case = event.mutate(case)  # type: ignore[attr-defined]
    assert isinstance(case, Case)
    return case


def test_a_process_sees_what_another_process_wrote_after_its_own_save(
    backend_settings: Settings, clock: FakeClock
) -> None:
    # Two services on one store, as an API worker and the scheduler worker are: each keeps
    # the aggregate it saved in its cache, and must still see the other's later events.
    with opened(backend_settings, clock) as first, opened(backend_settings, clock) as second:
        case_id = case_in(first.cases, clock, "visited")
        first.cases.handle(AddNote(case_id=case_id, occurred_at=clock(), text="first writes"), TEACHER)
        second.cases.handle(PairMentor(case_id=case_id, occurred_at=clock(), teacher_id=MENTOR), TEACHER)
        seen = first.cases.get_case(case_id)
        assert (seen.state, seen.mentor_id) == ("paired", MENTOR)
        result = first.cases.handle(
            AddNote(case_id=case_id, occurred_at=clock(), text="and goes on"), TEACHER
        )
        assert result.version == second.cases.get_case(case_id).version == seen.version + 1
