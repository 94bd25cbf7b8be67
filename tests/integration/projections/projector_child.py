"""The projector as its own process, for the crash test: catch up, report, exit.

``python -m tests.integration.projections.projector_child DATA_DIR BATCH_SIZE``
prints ``ready`` once built, then ``at POSITION`` after every committed batch
(the lowest position of the views), then ``done``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from adapters.bootstrap import build
from adapters.settings import Settings


def main() -> None:
    """Run the views' catch-up once."""
    data_dir, batch_size = Path(sys.argv[1]), int(sys.argv[2])
    caretrail = build(Settings(data_dir=data_dir))
    print("ready", flush=True)

    def report(_: int) -> None:
        print(f"at {min(s.position for s in caretrail.runner.status())}", flush=True)

    caretrail.runner.catch_up(report, batch_size=batch_size)
    print("done", flush=True)
    caretrail.close()


if __name__ == "__main__":
    main()
