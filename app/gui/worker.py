"""Engine calls off the GUI thread: one worker object per job, moved to its own QThread.

Workers talk to the GUI only through signals carrying plain data: the engine's frozen event dataclasses,
dicts of numbers and strings, or an :class:`ErrorInfo`. Errors cross the thread as data, never as
exceptions. Pause and stop are flags on the engine's ``RunControl``; threads are never terminated.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from app.engine.errors import GenbaError
from app.engine.events import Event, StepEvent


@dataclass(frozen=True)
class ErrorInfo:
    """A failure as the GUI shows it: a message in both languages and the technical detail for the log."""

    message_en: str
    message_ja: str
    detail: str = ""
    kept: str = ""  # what survived (e.g. a run folder with its checkpoint), or ''

    def message(self, lang: str) -> str:
        return self.message_ja if lang == "ja" else self.message_en

    @classmethod
    def from_exception(cls, exc: BaseException, kept: str = "") -> ErrorInfo:
        if isinstance(exc, GenbaError):
            return cls(exc.message("en"), exc.message("ja"), exc.detail or "", kept)
        return cls(
            f"Unexpected error: {exc!r}. Please send the details below to whoever maintains this PC.",
            f"予期しないエラーが発生しました: {exc!r}。下の詳細を、この PC の管理担当者にお知らせください。",
            traceback.format_exc(),
            kept,
        )


class FunctionWorker(QObject):
    """Runs ``fn(progress, *args)`` once in its thread; ``progress`` takes a float 0..1 or an Event."""

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)  # ErrorInfo
    done = Signal()  # after succeeded or failed; the thread quits on it

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        super().__init__()
        self._fn = fn
        self._args = args

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(self.progress.emit, *self._args)
        except Exception as exc:  # every failure reaches the user as data
            self.failed.emit(ErrorInfo.from_exception(exc))
        else:
            self.succeeded.emit(result)
        finally:
            self.done.emit()


class TuneWorker(QObject):
    """One tuning run. Engine events leave in batches at most every ``BATCH_SECONDS`` (plots redraw at
    10 Hz anyway; the tiny test model makes hundreds of steps a second, one queued signal per step would
    flood the GUI thread's event queue)."""

    BATCH_SECONDS = 0.05

    events = Signal(object)  # tuple[Event, ...]
    succeeded = Signal(object)  # dict: out_dir, report, stop_reason
    failed = Signal(object)  # ErrorInfo
    done = Signal()

    def __init__(self, config) -> None:
        super().__init__()
        from app.engine.tuner import RunControl

        self.config = config
        self.control = RunControl()
        self._pending: list[Event] = []
        self._lock = threading.Lock()
        self._last_emit = 0.0

    # Called from the GUI thread: they only set flags the engine reads between steps.
    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        self.control.stop()

    def _sink(self, event: Event) -> None:
        now = time.monotonic()
        with self._lock:
            self._pending.append(event)
            urgent = not isinstance(event, StepEvent) or self.control.paused or self.control.stopped
            if not urgent and now - self._last_emit < self.BATCH_SECONDS:
                return
            batch, self._pending = tuple(self._pending), []
            self._last_emit = now
        self.events.emit(batch)

    def _flush(self) -> None:
        with self._lock:
            batch, self._pending = tuple(self._pending), []
        if batch:
            self.events.emit(batch)

    @Slot()
    def run(self) -> None:
        from app.engine.tuner import tune

        try:
            result = tune(self.config, self._sink, self.control)
        except Exception as exc:
            self._flush()
            self.failed.emit(ErrorInfo.from_exception(exc, kept=self._kept()))
        else:
            self._flush()
            self.succeeded.emit(
                {"out_dir": result.out_dir, "report": result.report, "stop_reason": result.stop_reason}
            )
        finally:
            self.done.emit()

    def _kept(self) -> str:
        from pathlib import Path

        folder = Path(self.config.out_dir)
        return str(folder) if (folder / "checkpoint.npz").is_file() else ""


class ThreadPool(QObject):
    """Owns the QThreads of running workers (a garbage-collected QThread crashes) until they finish."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: dict[QThread, QObject] = {}

    def start(self, worker: QObject) -> QThread:
        """Move ``worker`` (with ``run`` and ``done``) to a new thread and start it."""
        thread = QThread()
        thread.setObjectName(type(worker).__name__)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued call would wait for a GUI thread that may be
        # blocked in wait_all() (closing the window).
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._forget)
        self._jobs[thread] = worker
        thread.start()
        return thread

    @Slot()
    def _forget(self) -> None:
        thread = self.sender()
        if thread in self._jobs:
            # finished() is emitted just before the thread exits: wait for it, then drop both objects
            # (Python owns them; deleteLater on an object of a finished thread would never run).
            thread.wait()
            del self._jobs[thread]

    def busy(self) -> bool:
        return any(t.isRunning() for t in self._jobs)

    def wait_all(self, timeout_ms: int = 60_000) -> bool:
        """Block until every thread has finished (used when the window closes); True if all did."""
        deadline = time.monotonic() + timeout_ms / 1000
        ok = True
        for thread in list(self._jobs):
            left = max(int((deadline - time.monotonic()) * 1000), 0)
            ok = thread.wait(left) and ok
        return ok
