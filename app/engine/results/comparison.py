"""Before and after, side by side: the base model and a run's exported model on the run's held-out rows.

The one place the app, the report and the CLI compare a run with its starting point. It scores the test
split (never used for any choice during the run); a run whose data was too small for a test split is
compared on validation, and the result says which split it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from app.engine.data.examples import load_examples
from app.engine.data.fingerprint import data_fingerprint
from app.engine.errors import GenbaError
from app.engine.results.evaluation import Scorer, open_scorer
from app.engine.tuning.config import TuneConfig

DATA_CHANGED = (
    "The examples file changed since this run, so its split cannot be rebuilt for the comparison.",
    "実行後に学習データのファイルが変更されたため、比較用のデータを作り直せません。",
)


@dataclass
class Comparison:
    split: str  # "test" or "val"
    result: dict  # labels, texts, truth, before, after, accuracy_before/after, confusion_before/after
    base: Scorer  # kept so the app can answer typed-in texts with both models
    tuned: Scorer

    def answer(self, text: str) -> dict:
        """Both models' answer to a typed text: ``{"text", "before": (label, p), "after": (label, p)}``."""
        return {"text": text, "before": self.base.answer(text), "after": self.tuned.answer(text)}


def compare_held_out(
    config: TuneConfig,
    exported_model: str | os.PathLike[str],
    data_sha256: str | None = None,
    share_cores: bool = False,
) -> Comparison:
    """Score the run's test split (else validation) with the base model and the exported model."""
    dataset = load_examples(config.data, text_column=config.text_column, label_column=config.label_column)
    if data_sha256 and data_fingerprint(dataset.sources) != data_sha256:
        raise GenbaError(*DATA_CHANGED, path=config.data)
    split = config.split(dataset.examples)
    name, rows = ("test", split.test) if split.test else ("val", split.val)
    # share_cores: ORT threads yield, for a caller (the app) whose own thread must stay responsive.
    texts = [ex.text for ex in dataset.examples]
    base = open_scorer(
        config.for_examples(texts).model,
        dataset.labels,
        config.prompt_template(texts),
        config.label_words,
        max_tokens=config.max_tokens,  # the run's zero-shot saw its texts cut this way
        long_text=config.long_text,
        share_cores=share_cores,
    )
    tuned = open_scorer(exported_model, dataset.labels, share_cores=share_cores)  # its prompt is beside it
    before, after = base.evaluate(rows), tuned.evaluate(rows)
    labels = list(before.labels)
    result = {
        "split": name,
        "labels": labels,
        "texts": [ex.text for ex in rows],
        "truth": [labels[i] for i in before.truth],
        "before": [labels[i] for i in before.predicted],
        "after": [after.labels[i] for i in after.predicted],
        "confidence_after": [float(after.probabilities[i, p]) for i, p in enumerate(after.predicted)],
        "accuracy_before": before.accuracy,
        "accuracy_after": after.accuracy,
        "confusion_before": before.confusion.tolist(),
        "confusion_after": after.confusion.tolist(),
    }
    return Comparison(name, result, base, tuned)
