"""Case ids differ between deployments: the id namespace is the deployment's own, kept with
its data, and always the one its store was written with."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

import pytest

from adapters.bootstrap import StartupError, build
from adapters.driven.events.namespace import FILE_NAME, FORMER_DEFAULT
from adapters.settings import Settings
from domain.errors import CaseAlreadyExists
from tests.conftest import identify
from tests.fakes import FakeClock


def _case_id(data: Path, clock: FakeClock, **settings: object) -> UUID:
    """The id the case of school s1's student 20260001 has in this deployment."""
    caretrail = build(Settings(data_dir=data, **settings), clock=clock)  # type: ignore[arg-type]
    try:
        return caretrail.cases.case_id_for("s1", "20260001")
    finally:
        caretrail.close()


def _identified(data: Path, clock: FakeClock, **settings: object) -> UUID:
    caretrail = build(Settings(data_dir=data, **settings), clock=clock)  # type: ignore[arg-type]
    try:
        return UUID(str(identify(caretrail.cases, clock).case_id))
    finally:
        caretrail.close()


def test_two_fresh_deployments_give_the_same_student_different_case_ids(
    tmp_path: Path, clock: FakeClock
) -> None:
    first, second = _case_id(tmp_path / "a", clock), _case_id(tmp_path / "b", clock)
    assert first != second
    for data in (tmp_path / "a", tmp_path / "b"):
        kept = UUID((data / FILE_NAME).read_text().strip())
        assert kept != FORMER_DEFAULT
        assert (data / FILE_NAME).stat().st_mode & 0o077 == 0


def test_a_restart_keeps_the_namespace_and_the_same_child_is_refused(
    tmp_path: Path, clock: FakeClock
) -> None:
    data = tmp_path / "data"
    case_id = _identified(data, clock)
    assert _case_id(data, clock) == case_id
    caretrail = build(Settings(data_dir=data), clock=clock)
    try:
        with pytest.raises(CaseAlreadyExists):
            identify(caretrail.cases, clock)
    finally:
        caretrail.close()


def test_a_store_written_before_the_file_keeps_the_former_shared_namespace(
    tmp_path: Path, clock: FakeClock
) -> None:
    data = tmp_path / "data"
    old = _identified(data, clock, id_namespace=FORMER_DEFAULT)  # as every deployment did
    assert not (data / FILE_NAME).exists()
    assert _case_id(data, clock) == old
    assert UUID((data / FILE_NAME).read_text().strip()) == FORMER_DEFAULT


def test_a_namespace_the_store_was_not_written_with_is_refused_at_start(
    tmp_path: Path, clock: FakeClock
) -> None:
    data = tmp_path / "data"
    _identified(data, clock)
    with pytest.raises(StartupError, match="CARETRAIL_ID_NAMESPACE is not the id namespace"):
        build(Settings(data_dir=data, id_namespace=uuid4()), clock=clock)
    (data / FILE_NAME).unlink()  # lost: the former default does not fit this store either
    with pytest.raises(StartupError, match=f"{FILE_NAME} is not the id namespace"):
        build(Settings(data_dir=data), clock=clock)


def test_a_configured_namespace_is_used_and_no_file_is_written(tmp_path: Path, clock: FakeClock) -> None:
    chosen = uuid4()
    data = tmp_path / "data"
    case_id = _identified(data, clock, id_namespace=chosen)
    assert _case_id(data, clock, id_namespace=chosen) == case_id
    assert not (data / FILE_NAME).exists()
