"""Property: after any sequence of commands, the views equal the fold of the events.

Catch-ups are interleaved at random points with random batch sizes, so batches split
commands and cached rows carry across batches; the cases view must also agree with
every case as the aggregate replays it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.bootstrap import build
from adapters.settings import Settings
from tests.fakes import FakeClock
from tests.integration.projections import scenario
from tests.integration.projections.oracle import fold, read_log, views_as_rows

CASES = 2

#: A step is a command on a case, or a catch-up with a batch size of 1 to 9 events.
steps = st.lists(
    st.tuples(
        st.sampled_from((*scenario.COMMANDS, "catch_up")),
        st.integers(0, CASES - 1),
        st.integers(0, 40),
    ),
    max_size=60,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps)
def test_after_any_commands_the_views_equal_the_fold_of_the_events(
    steps: list[scenario.Step],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock()
        caretrail = build(Settings(data_dir=Path(tmp)), clock=clock, memory=True)
        try:
            # Every case exists, so most steps are legal somewhere in the sequence.
            scenario.run(caretrail.cases, clock, [("identify", n, n) for n in range(CASES)])
            for step in steps:
                if step[0] == "catch_up":
                    caretrail.runner.catch_up(batch_size=1 + step[2] % 9)
                else:
                    scenario.run(caretrail.cases, clock, [step])
            caretrail.runner.catch_up(batch_size=4)
            assert views_as_rows(caretrail.runner.stores) == fold(read_log(caretrail.cases))
            for n in range(CASES):
                case = caretrail.cases.get_case(scenario.case_id(caretrail.cases, n))
                row = caretrail.read.case(str(case.id))
                assert row is not None
                assert (row.state, row.version, row.mentor_id, row.closed_at) == (
                    case.state, case.version, case.mentor_id, case.closed_at
                )
                soonest = case.open_follow_ups[0].due_at if case.open_follow_ups else None
                assert row.next_due_at == soonest
        finally:
            caretrail.close()
