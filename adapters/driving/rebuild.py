"""Rebuilding views in parallel: the views shared between processes, each reading the log.

One process replays the log into its views at the speed of one core, most of it spent in
Python (decoding events, folding rows) and in SQLite's inserts, neither of which a
thread can overlap with another. Views are independent (each has its own tables, file
and tracking position), so a rebuild can give each process a share of them: every
process reads and decodes the log once for its share (the price of not sharing decoded
events between processes), and the shares run side by side on separate cores.
:func:`projections.rebuild_plan.share` balances them with the views' measured costs.

Each process rebuilds its views exactly as :meth:`ViewRunner.rebuild` does in
one process (drop, replay in batches with the position committed with the rows, build
the indexes), so an interrupted parallel rebuild leaves each view where an interrupted
rebuild would: behind, resumable, its indexes built at the next start.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Sequence
from typing import Any

from adapters.bootstrap import Caretrail, build
from adapters.settings import Settings
from projections.rebuild_plan import share


class RebuildFailed(Exception):
    """A process of a parallel rebuild failed; its views are behind and can be rebuilt again."""


def default_jobs() -> int:
    """One process per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def rebuild_views(
    caretrail: Caretrail,
    names: Sequence[str] | None = None,
    *,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int | None = None,
) -> int:
    """Drop and replay the named views (default: all) in up to ``jobs`` processes (default:
    one per core); return how many notifications were read.

    ``progress`` is told how far the slowest process got. With one job, or one view, the
    views are rebuilt in this process.
    """
    groups = rebuild_plan(caretrail, names, jobs)
    every = [name for group in groups for name in group]
    if len(groups) <= 1:
        return caretrail.runner.rebuild(every, progress, batch_size=batch_size)
    try:
        return _in_processes(caretrail.settings, groups, progress, batch_size)
    finally:
        caretrail.runner.forget(every)


def rebuild_plan(
    caretrail: Caretrail, names: Sequence[str] | None = None, jobs: int | None = None
) -> list[list[str]]:
    """The views each process of :func:`rebuild_views` would rebuild (one group: this
    process); LookupError for an unknown view."""
    return share(caretrail.runner.views(names), default_jobs() if jobs is None else jobs)


def _in_processes(
    settings: Settings,
    groups: list[list[str]],
    progress: Callable[[int], None] | None,
    batch_size: int | None,
) -> int:
    # spawn, not fork: this process may hold database connections and threads.
    context = multiprocessing.get_context("spawn")
    messages: Any = context.Queue()
    workers = [
        context.Process(
            target=_rebuild_share, args=(settings, names, i, messages, batch_size),
            name=f"rebuild-{'+'.join(names)}", daemon=True,
        )
        for i, names in enumerate(groups)
    ]
    for worker in workers:
        worker.start()
    done = [0] * len(groups)
    read: dict[int, int] = {}
    failures: dict[int, str] = {}
    reported = 0
    finished = False
    try:
        while len(read) + len(failures) < len(groups):
            try:
                kind, i, value = messages.get(timeout=0.2)
            except queue.Empty:
                for i, worker in enumerate(workers):
                    if worker.exitcode not in (None, 0) and i not in read and i not in failures:
                        failures[i] = f"its process ended with exit code {worker.exitcode}"
                continue
            if kind == "progress":
                done[i] += value
                slowest = min(done)
                if progress is not None and slowest > reported:
                    progress(slowest - reported)
                    reported = slowest
            elif kind == "done":
                read[i] = value
                done[i] = value
            else:
                failures[i] = value
        finished = True
    finally:
        for worker in workers:
            if not finished and worker.is_alive():
                worker.terminate()  # interrupted here: the views stay behind, resumable
            worker.join()
    if failures:
        raise RebuildFailed("; ".join(
            f"rebuilding {', '.join(groups[i])} failed: {why}" for i, why in sorted(failures.items())
        ))
    if progress is not None and min(done) > reported:
        progress(min(done) - reported)
    return max(read.values())


def _rebuild_share(
    settings: Settings, names: list[str], index: int, messages: Any, batch_size: int | None
) -> None:
    """One process's share: rebuild ``names``, reporting progress and the outcome."""
    try:
        # The parent created every table; a setup here could index a view another
        # process is still loading.
        caretrail = build(settings, create_tables=False)
        try:
            read = caretrail.runner.only(names).rebuild(
                progress=lambda n: messages.put(("progress", index, n)), batch_size=batch_size,
            )
        finally:
            caretrail.close()
    except Exception as e:  # reported to the parent, which names the views and fails
        # The first line only: a validation error's further lines quote the event's data.
        first = (str(e).splitlines() or [""])[0]
        messages.put(("failed", index, f"{type(e).__name__}: {first}"))
        raise SystemExit(1) from None
    messages.put(("done", index, read))
