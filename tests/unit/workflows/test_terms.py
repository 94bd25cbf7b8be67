"""School terms from a workflow's calendar."""

from __future__ import annotations

from datetime import date

from workflows.registry import Registry
from workflows.terms import Calendar, Term


def test_a_term_runs_from_its_start_to_the_next_terms_start() -> None:
    calendar = Calendar(["09-01", "03-01"])
    assert calendar.term_of(date(2026, 12, 1)) == Term(date(2026, 9, 1), date(2027, 3, 1))
    assert calendar.term_of(date(2027, 2, 28)) == Term(date(2026, 9, 1), date(2027, 3, 1))
    assert calendar.term_of(date(2027, 3, 1)) == Term(date(2027, 3, 1), date(2027, 9, 1))
    assert calendar.term_of(date(2026, 8, 31)) == Term(date(2026, 3, 1), date(2026, 9, 1))


def test_without_a_calendar_spring_starts_in_february_and_autumn_in_september() -> None:
    calendar = Calendar()
    assert calendar.term_of(date(2027, 1, 31)).end == date(2027, 2, 1)
    assert calendar.term_of(date(2027, 2, 1)) == Term(date(2027, 2, 1), date(2027, 9, 1))


def test_the_shipped_workflow_has_spring_and_autumn_terms() -> None:
    calendar = Calendar.of(Registry.load().latest("left_behind").definition)
    term = calendar.term_of(date(2026, 12, 1))
    assert (term.start, term.end, term.autumn) == (date(2026, 9, 1), date(2027, 3, 1), True)


def test_the_terms_before_a_day_come_newest_first_and_a_start_names_its_term() -> None:
    calendar = Calendar(["03-01", "09-01"])
    terms = calendar.terms_until(date(2026, 12, 1), 3)
    assert [t.key() for t in terms] == ["2026-09-01", "2026-03-01", "2025-09-01"]
    assert calendar.term_starting("2026-03-01") == terms[1]
    assert calendar.term_starting("2026-03-02") is None
    assert calendar.term_starting("<b>") is None
