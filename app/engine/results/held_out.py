"""Which accuracy a user is shown for a run: the held-out test split's, else validation's, named as such.

Validation picks the run's result (a maximum over it flatters the result); the test split, read once at the
end, reports it. Runs without a test split (too few examples, or made before the split existed) fall back to
validation and say so.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HeldOutAccuracy:
    """The accuracy pair a user is shown for a run, and where it comes from."""

    split: str  # "test": rows never used for any choice; "val": too few rows for a test split
    before: float
    after: float
    examples: int
    keyword: float | None  # a keyword model (TF-IDF + logistic regression) on the same rows

    @classmethod
    def of(cls, report: dict) -> HeldOutAccuracy:
        # Runs without a test split (too few examples; or made before it existed) say validation.
        split = "test" if report.get("test_accuracy_after") is not None else "val"
        return cls(
            split,
            float(report[f"{split}_accuracy_before"]),
            float(report[f"{split}_accuracy_after"]),
            int(report.get(f"examples_{split}", 0)),
            report.get("keyword_accuracy" if split == "test" else "keyword_val_accuracy"),
        )
