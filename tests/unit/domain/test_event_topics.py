"""Every case event is stored under the topic it always had: ``domain.case:Case.<Name>``.

The events live in ``domain.case_events`` and declare their topics (eventsourcing's explicit
topics): history written when they were nested in ``domain/case.py`` reads the same.
"""

from __future__ import annotations

from eventsourcing.utils import get_topic, resolve_topic

from domain.case import Case
from domain.case_events import CaseEvent
from domain.mentor import Mentor

#: The events a case has stored since version 1 of its workflow, and since.
STORED = [
    "Identified", "HomeVisited", "MentorPaired", "MentorReleased", "CounsellingHeld", "Reviewed",
    "Closed", "Reopened", "ContactLogged", "DetailsAmended", "NoteAdded", "HeadTeacherAssigned",
    "RiskLevelChanged", "FollowUpScheduled", "FollowUpCompleted", "FollowUpCancelled",
    "FollowUpReassigned", "FollowUpEscalated", "ConsentRecorded", "ConsentWithdrawn",
]


def case_events() -> dict[str, type]:
    """Every event class of the case aggregate, by its name on ``Case``."""
    return {
        name: value for name, value in vars(Case).items()
        if isinstance(value, type) and issubclass(value, CaseEvent) and value is not CaseEvent
    }


def test_every_stored_event_keeps_its_topic_and_the_topic_names_the_class() -> None:
    events = case_events()
    for name in STORED:
        topic = f"domain.case:Case.{name}"
        assert get_topic(events[name]) == topic
        assert resolve_topic(topic) is events[name]


def test_every_case_event_declares_a_topic_of_its_own() -> None:
    topics = {name: cls.__dict__.get("TOPIC") for name, cls in case_events().items()}
    assert topics == {name: f"domain.case:Case.{name}" for name in topics}  # none inherited


def test_the_aggregates_and_their_snapshots_keep_their_topics() -> None:
    assert get_topic(Case) == "domain.case:Case"
    assert get_topic(Case.Snapshot) == "domain.case:Case.Snapshot"
    assert get_topic(Mentor.ChildAssigned) == "domain.mentor:Mentor.ChildAssigned"
