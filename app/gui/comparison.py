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

    def __init__(self, config, exported_model: str) -> None:
        super().__init__()
        self.config = config
        self.exported_model = exported_model
        self.before = None
        self.after = None

    @Slot()
    def run(self) -> None:
        """Score the run's validation split with both models (the thread stays up for predictions)."""
        from app.engine.evaluation import open_scorer
        from app.engine.examples import load_examples, split_examples

        cfg = self.config
        try:
            dataset = load_examples(cfg.data, text_column=cfg.text_column, label_column=cfg.label_column)
            val = split_examples(
                dataset.examples, val_fraction=cfg.val_fraction, seed=cfg.split_seed, max_val=cfg.max_val
            ).val
            self.before = open_scorer(
                cfg.model, dataset.labels, cfg.template, cfg.label_words, share_cores=True
            )
            self.after = open_scorer(self.exported_model, dataset.labels, share_cores=True)
            before, after = self.before.evaluate(val), self.after.evaluate(val)
        except Exception as exc:
            self.failed.emit(ErrorInfo.from_exception(exc))
            return
        labels = list(before.labels)
        self.compared.emit(
            {
                "labels": labels,
                "texts": [ex.text for ex in val],
                "truth": [labels[i] for i in before.truth],
                "before": [labels[i] for i in before.predicted],
                "after": [after.labels[i] for i in after.predicted],
                "accuracy_before": before.accuracy,
                "accuracy_after": after.accuracy,
                "confusion_before": before.confusion.tolist(),
                "confusion_after": after.confusion.tolist(),
            }
        )

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
