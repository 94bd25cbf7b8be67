"""schemathesis against the app's own OpenAPI document: valid and invalid requests alike.

No 5xx, every response (status, content type, headers, body) as documented, invalid
requests refused. Bounded (a few examples per operation and mode) to fit CI time; runs as
an authenticated supervisor, so scope checks answer the 404/403 the schema declares.

schemathesis 4.32's pytest plugin reads a private attribute pytest 9 no longer has, so
the operations are driven through their Hypothesis strategies directly: one test per
operation of the matrix's route list (which must match the app's routes).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from adapters.bootstrap import build, build_accounts
from adapters.driven.auth.models import UserRole
from adapters.driving.api.app import create_app
from adapters.driving.api.config import ApiConfig
from adapters.settings import Settings
from tests.e2e.api.test_authorization_matrix import EXAMPLES
from tests.fakes import FakeClock

EXAMPLES_PER_MODE = 12
OPERATIONS = sorted(EXAMPLES, key=lambda k: (k[1], k[0]))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One app for the module (building one per example would dominate the time)."""
    data: Path = tmp_path_factory.mktemp("fuzz")
    clock = FakeClock()
    caretrail = build(Settings(data_dir=data), clock=clock)
    accounts = build_accounts(caretrail.settings, clock)
    accounts.add_user("fuzz-supervisor", UserRole.SUPERVISOR, ["school-a"])
    token = accounts.issue_token("fuzz-supervisor").token
    app = create_app(caretrail, accounts=accounts, config=ApiConfig(wait_seconds=0.05))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # Schema-valid input the API still refuses by a rule the schema cannot state (a
    # cursor it did not issue, a min_position past the log, a name of blanks, a step the
    # case's state forbids, an If-Match of another version, views still catching up).
    schema.config.checks.positive_data_acceptance.expected_statuses = [
        "2xx", "401", "403", "404", "409", "412", "422", "503",
    ]
    yield {"schema": schema, "headers": {"Authorization": f"Bearer {token}"}}
    accounts.close()
    caretrail.close()


def test_the_fuzzed_operations_are_every_operation_of_the_schema(fuzzed: dict[str, Any]) -> None:
    listed = {(op.ok().method.upper(), op.ok().path) for op in fuzzed["schema"].get_all_operations()}
    assert listed == {(m, "/api/v1" + p) for m, p in OPERATIONS}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_honours_its_own_schema_for_generated_requests(
    fuzzed: dict[str, Any], method: str, path: str, mode: GenerationMode
) -> None:
    operation = fuzzed["schema"]["/api/v1" + path][method]
    if mode is GenerationMode.NEGATIVE and not list(operation.iter_parameters()) and not operation.body:
        pytest.skip("no input to make invalid")

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_MODE, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate(headers=fuzzed["headers"])

    check()
