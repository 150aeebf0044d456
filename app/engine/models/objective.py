"""The ZO objective of one batch, shared by every tunable model, and the read-out a loss goes through.

``zo.zo_step`` calls ``objective(copies)`` for the mean loss of each perturbed copy. The batch is bound
here, explicitly (``model_objective.on(rows)``), and the features each call returns are kept so a fitted
head can follow the adapters without another forward pass (``app.engine.tuning.head``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from app.engine.data.prompting import EncodedExamples


@dataclass(frozen=True)
class Readout:
    """How the features become class scores: ``features @ head.T + offset[example]``.

    The label-word read-out is the LM head's label-word rows with zero offsets; a fitted head
    (``app.engine.tuning.head``) brings its own weights and, per example, its bias plus its n-gram part.
    """

    head: np.ndarray  # [C, H] fp32
    offset: np.ndarray  # [N, C] fp32, one row per encoded example

    @classmethod
    def label_words(cls, label_head: np.ndarray, n_examples: int) -> Readout:
        return cls(label_head, np.zeros((n_examples, label_head.shape[0]), dtype=np.float32))


class RowsObjective(Protocol):
    """The loss of perturbed copies on any rows of the encoded examples (one per tuning run)."""

    encoded: EncodedExamples
    readout: Readout | None  # the read-out losses go through when a call names none
    forward_examples: int  # example-forwards run so far (per copy)

    def run(
        self, rows: np.ndarray, copies: dict[str, np.ndarray], readout: Readout | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """loss [P, E], label_logits [P, E, C], features [P, E, H] (or None: the graph reads out itself)."""
        ...

    def on(self, rows: np.ndarray, readout: Readout | None = None) -> BatchObjective:
        """The ZO objective of one batch."""
        ...


class BatchObjective:
    """``objective(copies) -> [P]`` mean batch loss per copy, for one fixed batch of examples."""

    def __init__(self, objective: RowsObjective, rows: np.ndarray, readout: Readout | None = None) -> None:
        self.objective, self.rows, self.readout = objective, np.asarray(rows), readout
        self.features: list[np.ndarray] = []  # [P, E, H] per call, when the graph gives them

    def __call__(self, copies: dict[str, np.ndarray]) -> np.ndarray:
        loss, _, features = self.objective.run(self.rows, copies, self.readout)
        if features is not None:
            self.features.append(features)
        return loss.mean(axis=1)

    def mean_features(self) -> np.ndarray | None:
        """[E, H]: the batch's features averaged over every perturbed copy (+/- cancel to first order)."""
        if not self.features:
            return None
        return np.concatenate(self.features, axis=0).mean(axis=0)
