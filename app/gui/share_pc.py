"""Sharing the PC while it tunes: leave one core free for other work and run the tuning at lower priority.

Not numerics, only how many ONNX Runtime threads a run asks for and how its worker thread is scheduled.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable

from app.engine.models.ort_runtime import physical_cores

# On a PC with this many cores or fewer, a run that takes them all leaves the operator's other programs
# (and this window) crawling, so leaving one free is the default there.
SHARE_BY_DEFAULT_MAX_CORES = 4
LOWER_NICE = 10  # Linux/macOS niceness of the run's threads (0 normal, 19 lowest)


def leave_core_free_by_default(cores: int | None = None) -> bool:
    return (cores or physical_cores()) <= SHARE_BY_DEFAULT_MAX_CORES


def tuning_threads(leave_core_free: bool, cores: int | None = None) -> int | None:
    """ONNX Runtime threads for a run: cores − 1 (at least 1) when sharing, else None (the engine's default)."""
    cores = cores or physical_cores()
    return max(cores - 1, 1) if leave_core_free else None


def slowdown_bound(leave_core_free: bool, cores: int | None = None) -> float:
    """How much longer a step may take with one core fewer (upper bound: work spread over fewer threads)."""
    cores = cores or physical_cores()
    threads = tuning_threads(leave_core_free, cores)
    return cores / threads if threads else 1.0


def lower_this_thread_priority() -> Callable[[], None]:
    """Lower the scheduling priority of the calling thread (the run's worker); returns how to undo it.

    ONNX Runtime creates its pool threads from the thread that opens the session, and on Linux a new thread
    inherits its creator's niceness, so the whole run drops below the GUI and other programs. Windows has no
    per-thread equivalent that child threads inherit, so the process gets BELOW_NORMAL while the run lasts.
    Failures are ignored: a run at normal priority is still a correct run.
    """
    if sys.platform.startswith("linux"):
        tid = threading.get_native_id()
        try:
            before = os.getpriority(os.PRIO_PROCESS, tid)
            os.setpriority(os.PRIO_PROCESS, tid, max(before, LOWER_NICE))
        except OSError:
            return lambda: None
        # An unprivileged thread cannot raise its priority again; the worker thread ends with the run.
        return lambda: None
    if sys.platform == "win32":
        import psutil

        process = psutil.Process()
        try:
            before = process.nice()
            process.nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)
        except (OSError, psutil.Error):
            return lambda: None

        def restore() -> None:
            with contextlib.suppress(OSError, psutil.Error):
                process.nice(before)

        return restore
    return lambda: None  # macOS: niceness is per process and could not be raised back afterwards
