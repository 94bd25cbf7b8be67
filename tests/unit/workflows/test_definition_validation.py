"""A bad definition file is refused with an error naming the file, the rule and the problem.

Each bad file is the shipped ``left_behind.v1.toml`` with one thing broken, so the test
shows that exactly that one thing is caught.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.definition import DefinitionError, load_definition
from workflows.registry import BUILTIN_DIR, Registry

V1_TEXT = (BUILTIN_DIR / "left_behind.v1.toml").read_text(encoding="utf-8")
V1 = "left_behind.v1.toml"


def broken(tmp_path: Path, old: str, new: str, name: str = V1) -> Path:
    """A copy of v1 with ``old`` (which must occur exactly once) replaced by ``new``."""
    assert V1_TEXT.count(old) == 1, f"{old!r} must occur once in {V1}"
    path = tmp_path / name
    path.write_text(V1_TEXT.replace(old, new), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    """The problems a load reports (each already prefixed with the file name)."""
    with pytest.raises(DefinitionError) as refused:
        load_definition(path)
    assert refused.value.source == path.name
    lines = str(refused.value).splitlines()
    assert all(line.startswith(f"{path.name}: ") for line in lines)
    return refused.value.problems


HOME_VISIT_DUE = 'due_days = 14\nassignee = "head_teacher"'
MENTOR_TALK_MATCH = '{ event = "ContactLogged", party = "child" }'
COUNSELLING_DONE = 'completed_by = [{ event = "CounsellingHeld" }]\nactive_in = ["paired"]'

BAD_FILES = [
    pytest.param(
        'action = "pair_mentor"\nfrom = ["visited"]\nto = "paired"',
        'action = "pair_mentor"\nfrom = ["visited"]\nto = "pairred"',
        "transitions[2] (pair_mentor) names unknown state 'pairred' (known: identified, visited,",
        id="unknown state",
    ),
    pytest.param(
        'states = ["identified",', 'states = ["archived", "identified",',
        "state 'archived' is unreachable from initial state 'identified'",
        id="unreachable state",
    ),
    pytest.param(
        HOME_VISIT_DUE, 'due_days = -3\nassignee = "head_teacher"',
        "follow_ups[0] (id=home_visit): negative offset: due_days is -3",
        id="negative offset",
    ),
    pytest.param(
        'id = "mentor_replacement"', 'id = "mentor_pairing"',
        "follow_ups[3] (id=mentor_pairing): duplicate rule id, also follow_ups[2]",
        id="duplicate follow-up rule",
    ),
    pytest.param(
        'action = "pair_mentor"\nfrom = ["visited"]', 'action = "pair_mentor"\nfrom = ["visited", "paired"]',
        "transitions[3] (pair_mentor): duplicate rule: pair_mentor from 'paired' is already "
        "defined by transitions[2]",
        id="duplicate transition",
    ),
    pytest.param(
        COUNSELLING_DONE, COUNSELLING_DONE.replace("CounsellingHeld", "CounselingHeld"),
        "follow_ups[5] (id=counselling): completed_by[0]: unknown event 'CounselingHeld' (known:",
        id="unknown event",
    ),
    pytest.param(
        MENTOR_TALK_MATCH, MENTOR_TALK_MATCH.replace("party", "person"),
        "follow_ups[4] (id=mentor_talk): completed_by[0]: event ContactLogged has no field 'person'",
        id="bad matcher field",
    ),
    pytest.param(
        MENTOR_TALK_MATCH, MENTOR_TALK_MATCH.replace('"child"', '"grandma"'),
        "follow_ups[4] (id=mentor_talk): completed_by[0]: 'grandma' is not a valid ContactLogged.party",
        id="bad matcher value",
    ),
    pytest.param(
        'assignee = "supervisor"\ncompleted_by = [{ event = "MentorPaired" }]\nactive_in = ["visited"]',
        'assignee = "boss"\ncompleted_by = [{ event = "MentorPaired" }]\nactive_in = ["visited"]',
        "follow_ups[2] (id=mentor_pairing).assignee: Input should be 'head_teacher', 'mentor',",
        id="unknown assignee role",
    ),
    pytest.param(
        HOME_VISIT_DUE, 'due_days = 14\ndue_dayz = 3\nassignee = "head_teacher"',
        "follow_ups[0] (id=home_visit).due_dayz: Extra inputs are not permitted",
        id="misspelt field",
    ),
    pytest.param(
        'recur_every_days = 14\nassignee = "mentor"', 'recur_every_days = 0\nassignee = "mentor"',
        "follow_ups[4] (id=mentor_talk): recur_every_days must be from 1/24 (an hour) to 3650, got 0",
        id="zero recurrence",
    ),
    *(pytest.param(
        'recur_every_days = 14\nassignee = "mentor"', f'recur_every_days = {value}\nassignee = "mentor"',
        "follow_ups[4] (id=mentor_talk): recur_every_days must be from 1/24 (an hour) to 3650",
        id=f"recurrence {value}",
    ) for value in ("nan", "inf", "1e-300", "3651")),
    *(pytest.param(
        HOME_VISIT_DUE, f'due_days = {value}\nassignee = "head_teacher"',
        "follow_ups[0] (id=home_visit): due_days must be at most 3650",
        id=f"due_days {value}",
    ) for value in ("nan", "inf", "1e300", "100000000")),
    pytest.param(
        'after_days = 14', 'after_days = 99999999999999999',
        "escalation[1].after_days: Input should be less than or equal to 3650",
        id="escalation beyond ten years",
    ),
    pytest.param(
        'term_starts = ["03-01", "09-01"]', 'term_starts = ["03-01", "02-30"]',
        "calendar.term_starts: '02-30' is no day of the year",
        id="term start on no day",
    ),
    pytest.param(
        'after_days = 14', 'after_days = 2',
        "escalation: after_days must strictly increase, got [3, 2]",
        id="escalation ladder out of order",
    ),
    pytest.param(
        'term_starts = ["03-01", "09-01"]', 'term_starts = ["03-01", "9-1"]',
        "calendar.term_starts: '9-1' is not MM-DD",
        id="bad term start",
    ),
    pytest.param(
        'timezone = "Asia/Shanghai"', 'timezone = "Asia/Beijing"',
        "timezone 'Asia/Beijing' is unknown",
        id="unknown time zone",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), BAD_FILES)
def test_a_bad_definition_is_refused_with_file_rule_and_problem(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    found = problems(broken(tmp_path, old, new))
    assert any(p.startswith(expected) for p in found), found


def test_an_unknown_state_is_the_first_problem_reported(tmp_path: Path) -> None:
    found = problems(broken(
        tmp_path, 'action = "pair_mentor"\nfrom = ["visited"]\nto = "paired"',
        'action = "pair_mentor"\nfrom = ["visited"]\nto = "pairred"'))
    assert found[0].startswith("transitions[2] (pair_mentor) names unknown state 'pairred'")


def test_every_problem_of_a_file_is_listed_at_once(tmp_path: Path) -> None:
    path = broken(tmp_path, HOME_VISIT_DUE, 'due_days = -1\nassignee = "head_teacher"')
    path.write_text(path.read_text().replace('id = "mentor_replacement"', 'id = "mentor_pairing"'))
    found = problems(path)
    assert len(found) == 2
    assert "negative offset" in found[0]
    assert "duplicate rule id" in found[1]


def test_a_file_named_for_another_version_is_refused(tmp_path: Path) -> None:
    path = broken(tmp_path, "version = 1", "version = 1", name="left_behind.v2.toml")
    assert problems(path) == ["file name must be left_behind.v1.toml for its name and version"]


def test_a_file_that_is_not_toml_is_refused_with_the_line(tmp_path: Path) -> None:
    found = problems(broken(tmp_path, "version = 1", "version = 1 ]]"))
    assert len(found) == 1
    assert found[0].startswith("not valid TOML: ")
    assert "line 5" in found[0]


def test_a_registry_refuses_a_directory_holding_a_bad_file(tmp_path: Path) -> None:
    v2 = V1_TEXT.replace("version = 1", "version = 2").replace(
        HOME_VISIT_DUE, 'due_days = -1\nassignee = "head_teacher"')
    (tmp_path / "left_behind.v2.toml").write_text(v2, encoding="utf-8")
    expected = r"^left_behind\.v2\.toml: follow_ups\[0\] \(id=home_visit\): negative offset"
    with pytest.raises(DefinitionError, match=expected):
        Registry.load(tmp_path)


def test_publishing_a_version_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / V1).write_text(V1_TEXT, encoding="utf-8")
    with pytest.raises(DefinitionError, match="left_behind v1: published twice"):
        Registry.load(tmp_path)


def test_the_shipped_definition_is_valid() -> None:
    definition = load_definition(BUILTIN_DIR / V1)
    assert (definition.name, definition.version, definition.initial) == ("left_behind", 1, "identified")


@pytest.mark.parametrize("version", ['"1"', "1.0"])
def test_a_version_is_a_whole_number_not_text_or_a_float(tmp_path: Path, version: str) -> None:
    found = problems(broken(tmp_path, "\nversion = 1\n", f"\nversion = {version}\n"))
    assert any(p.startswith("version: Input should be a valid integer") for p in found), found


def test_a_file_nested_too_deeply_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / V1
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert problems(path) == ["not valid TOML: nested too deeply"]
