"""Before/after comparison of a finished run, and the "try it" box, in one long-lived worker thread.

The engine's ``Comparison`` holds two scorers (base model with the run's prompt; exported model with the
prompt it carries) with ONNX Runtime sessions, so it stays in the worker's thread; the GUI sends texts in
and gets label names and probabilities back as plain data.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from app.gui.worker import ErrorInfo


class ComparisonWorker(QObject):
    compared = Signal(object)  # dict, see run()
    predicted = Signal(object)  # dict: text, before, after (label, probability)
    failed = Signal(object)  # ErrorInfo
    done = Signal()

    def __init__(self, config, exported_model: str, data_sha256: str | None = None) -> None:
        super().__init__()
        self.config = config
        self.exported_model = exported_model
        self.data_sha256 = data_sha256  # the run's: changed data cannot rebuild its split
        self.comparison = None  # the engine's Comparison, once run() has scored the held-out rows

    @Slot()
    def run(self) -> None:
        """Score the run's held-out rows with both models (the thread stays up for predictions)."""
        from app.engine.results.comparison import compare_held_out

        try:
            result = compare_held_out(self.config, self.exported_model, self.data_sha256, share_cores=True)
        except Exception as exc:
            self.failed.emit(ErrorInfo.from_exception(exc))
            return
        self.comparison = result
        self.compared.emit(result.result)

    @Slot(str)
    def predict(self, text: str) -> None:
        if self.comparison is None:
            return
        try:
            out = self.comparison.answer(text)
        except Exception as exc:
            self.failed.emit(ErrorInfo.from_exception(exc))
            return
        self.predicted.emit(out)

    @Slot()
    def finish(self) -> None:
        self.comparison = None
        self.done.emit()
