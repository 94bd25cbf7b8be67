"""How a parallel rebuild shares the views between processes.

Views share nothing but the log, so each process of a rebuild can take some of them;
each process then reads and decodes the whole log for its share. The plan balances the
views' measured costs (:attr:`Projection.rebuild_cost`) against that price.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections.base import Projection

#: What reading and decoding the log costs per event, in the units of
#: :attr:`Projection.rebuild_cost` (µs per event, measured with them: docs/performance.md,
#: a rebuild shared between processes): every process of a parallel rebuild pays it once
#: for its share of the views.
LOG_READ_COST = 16.0


def share(projections: Sequence[Projection], jobs: int) -> list[list[str]]:
    """The views' names in at most ``jobs`` groups, one process each, slowest first.

    Each group's time is reading the log plus its views' own work, so a view goes to the
    group where it ends soonest, opening a new group only when that is sooner than
    joining one (heaviest views placed first).
    """
    groups: list[tuple[float, list[str]]] = []
    for p in sorted(projections, key=lambda p: -p.rebuild_cost):
        options = [(load + p.rebuild_cost, i) for i, (load, _) in enumerate(groups)]
        if len(groups) < max(1, jobs):
            options.append((LOG_READ_COST + p.rebuild_cost, len(groups)))
        load, i = min(options)
        if i == len(groups):
            groups.append((load, [p.name]))
        else:
            groups[i] = (load, [*groups[i][1], p.name])
    return [names for _, names in sorted(groups, key=lambda g: -g[0])]
