"""The ZO objective of one batch, shared by our own graphs and a user's ONNX graph.

``zo.zo_step`` calls ``objective(copies)`` for the mean loss of each perturbed copy. The batch is bound
here, explicitly, and the features each call returns are kept so a fitted head can follow the adapters
without another forward pass (``app.engine.tuning.head``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class RowsObjective(Protocol):
    def run(
        self, rows: np.ndarray, copies: dict[str, np.ndarray], readout=None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """loss [P, E], label_logits [P, E, C], features [P, E, H] (or None)."""
        ...


class BatchObjective:
    """``objective(copies) -> [P]`` mean batch loss per copy, for one fixed batch of examples."""

    def __init__(self, objective: RowsObjective, rows: np.ndarray, readout=None) -> None:
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
