"""Pause and stop for a run: flags a face sets from any thread and the engine checks between steps."""

from __future__ import annotations

import threading
import time


class RunControl:
    """Pause/stop flags set by the face (any thread) and checked by the engine between steps."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self) -> float:
        """Block while paused; returns the seconds spent paused (not charged to the budget)."""
        if self._running.is_set():
            return 0.0
        t = time.monotonic()
        self._running.wait()
        return time.monotonic() - t
