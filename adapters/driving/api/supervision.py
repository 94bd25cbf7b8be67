"""An API worker of ``caretrail serve --workers N`` lives only as long as its supervisor.

The supervising process (``serve`` itself) keeps the views current and runs the scheduler;
a worker left behind by a ``kill -9`` of it would keep taking writes that no view ever
shows, and keep the port from a new ``serve``. Two guards end such a worker:

- on Linux, the kernel sends it SIGTERM when its parent dies (``PR_SET_PDEATHSIG``);
- everywhere, a thread waits on the parent's sentinel (the pipe ``multiprocessing`` keeps
  open from the parent to the child, closed by the kernel when the parent dies), sends
  SIGTERM, and SIGKILL if the worker has not finished its requests after a grace period.

SIGTERM is uvicorn's graceful stop: the worker stops listening at once and finishes the
requests it holds.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess

import structlog

#: ``PR_SET_PDEATHSIG`` from ``<linux/prctl.h>``.
PR_SET_PDEATHSIG = 1
#: How long a worker whose supervisor died may finish its requests (uvicorn gives them 10 s).
GRACE_SECONDS = 15.0


def follow_supervisor(grace_seconds: float = GRACE_SECONDS) -> Callable[[], bool] | None:
    """Make this process end when the process that spawned it ends.

    Returns a probe that says whether the supervisor is still alive, or None when this
    process was not spawned by one (a single ``uvicorn`` process, a test).
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return None
    _ask_the_kernel()
    threading.Thread(
        target=_watch, args=(parent, grace_seconds), name="supervisor-watch", daemon=True,
    ).start()  # also covers a parent that died before the kernel was asked
    return parent.is_alive


def _ask_the_kernel() -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        structlog.get_logger().warning(
            "parent_death_signal_refused", errno=ctypes.get_errno())


def _watch(parent: BaseProcess, grace_seconds: float) -> None:
    parent.join()  # returns when the parent's end of the pipe is closed: it has exited
    structlog.get_logger().error("supervisor_gone", supervisor_pid=parent.pid)
    os.kill(os.getpid(), signal.SIGTERM)
    threading.Event().wait(grace_seconds)
    os.kill(os.getpid(), signal.SIGKILL)
