"""Before/after comparison of a finished run, and the "try it" box, in one long-lived worker thread.

The two scorers (base model with the run's prompt; exported model with the prompt it carries) hold ONNX
Runtime sessions, so they stay in the worker's thread; the GUI sends texts in and gets label names and
probabilities back as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

from app.gui.worker import ErrorInfo


@dataclass(frozen=True)
class _Typed:
    """A typed text in the shape ``Scorer.evaluate`` reads (its label is a placeholder)."""

    text: str
    label: str


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
        self.before = None
        self.after = None

    @Slot()
    def run(self) -> None:
        """Score the run's held-out rows with both models (the thread stays up for predictions)."""
        from app.engine.results.comparison import compare_held_out

        try:
            result = compare_held_out(self.config, self.exported_model, self.data_sha256, share_cores=True)
        except Exception as exc:
            self.failed.emit(ErrorInfo.from_exception(exc))
            return
        self.before, self.after = result.base, result.tuned
        self.compared.emit(result.result)

    @Slot(str)
    def predict(self, text: str) -> None:
        if self.before is None or self.after is None:
            return
        try:
            out = {"text": text}
            for name, scorer in (("before", self.before), ("after", self.after)):
                result = scorer.evaluate([_Typed(text, scorer.spec.labels[0])])
                best = int(result.predicted[0])
                out[name] = (scorer.spec.labels[best], float(result.probabilities[0, best]))
        except Exception as exc:
            self.failed.emit(ErrorInfo.from_exception(exc))
            return
        self.predicted.emit(out)

    @Slot()
    def finish(self) -> None:
        self.before = self.after = None
        self.done.emit()
