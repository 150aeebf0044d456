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
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from app.engine.errors import GenbaError
from app.engine.events import Event, StepEvent


def error_log_path() -> Path:
    """Where unexpected errors are written in full: ``logs/errors.log`` in the user data folder."""
    from app.engine.storage import user_data_dir

    return user_data_dir() / "logs" / "errors.log"


def write_error_log(detail: str) -> str:
    """Append ``detail`` with a time stamp to the error log; returns its path, or '' if it cannot be written."""
    path = error_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n{detail.rstrip()}\n")
    except OSError:
        return ""
    return str(path)


@dataclass(frozen=True)
class ErrorInfo:
    """A failure as the GUI shows it: a sentence in both languages; the technical detail is only copied or
    logged (never shown as the message: no raw Python on screen)."""

    message_en: str
    message_ja: str
    detail: str = ""
    kept: str = ""  # what survived (e.g. a run folder with its checkpoint), or ''
    log_path: str = ""  # the log file holding the detail, for unexpected errors

    def message(self, lang: str) -> str:
        return self.message_ja if lang == "ja" else self.message_en

    def details_text(self) -> str:
        """What "Copy details" puts on the clipboard: both messages, the log path and the detail."""
        parts = [self.message_en, self.message_ja]
        if self.log_path:
            parts.append(f"Log: {self.log_path}")
        if self.detail:
            parts.append(self.detail.rstrip())
        return "\n\n".join(parts)

    @classmethod
    def from_exception(cls, exc: BaseException, kept: str = "") -> ErrorInfo:
        if isinstance(exc, GenbaError):
            return cls(exc.message("en"), exc.message("ja"), exc.detail or "", kept)
        detail = "".join(traceback.format_exception(exc))
        log = write_error_log(detail)
        where_en = f" The details were saved to {log}." if log else ""
        where_ja = f"詳しい情報は {log} に保存しました。" if log else ""
        return cls(
            "Something unexpected went wrong, and this step could not be finished."
            f"{where_en} Press Copy details and send them to whoever looks after this PC.",
            f"予期しない問題が起きたため、この操作を完了できませんでした。{where_ja}"
            "「詳細をコピー」を押して、この PC の管理担当者に送ってください。",
            detail,
            kept,
            log,
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

    def __init__(self, config, lower_priority: bool = False) -> None:
        super().__init__()
        from app.engine.tuning.tuner import RunControl

        self.config = config
        self.lower_priority = lower_priority  # share the PC: the run below the GUI and other programs
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

    def ask(self, text: str) -> int:
        """Queue a question the run answers between steps (an ``AnswerEvent``); returns its number."""
        return self.control.ask(text)

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
        from app.engine.tuning.tuner import tune
        from app.gui.share_pc import lower_this_thread_priority

        restore_priority = lower_this_thread_priority() if self.lower_priority else None
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
            if restore_priority is not None:
                restore_priority()
            self.done.emit()

    def _kept(self) -> str:
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
