"""Forward passes a run makes besides its ZO steps: accuracy, features for the head, copies-per-run timing."""

from __future__ import annotations

import time

import numpy as np

from app.engine.models.objective import RowsObjective
from app.engine.tuning import zo


def evaluate(
    objective: RowsObjective, params: zo.Params, rows: np.ndarray, batch: int = 64, readout=None
) -> tuple[float, float, np.ndarray]:
    """(accuracy, mean loss, predicted class per row) with the given adapters (and read-out)."""
    if len(rows) == 0:
        return float("nan"), float("nan"), np.zeros(0, dtype=np.int64)
    copies = {k: v[None] for k, v in params.items()}
    losses, preds = [], []
    for s in range(0, len(rows), batch):
        loss, logits, _ = objective.run(rows[s : s + batch], copies, readout)
        losses.append(loss[0])
        preds.append(logits[0].argmax(-1))
    pred = np.concatenate(preds)
    truth = objective.encoded.label_index[rows]
    return float((pred == truth).mean()), float(np.concatenate(losses).mean()), pred


def features_of(objective: RowsObjective, params: zo.Params, rows: np.ndarray, batch: int = 64) -> np.ndarray:
    """[N, H] final-norm hidden states at the answer position, with the given adapters."""
    copies = {k: v[None] for k, v in params.items()}
    return np.concatenate(
        [objective.run(rows[s : s + batch], copies)[2][0] for s in range(0, len(rows), batch)]
    )


def measure_copies_per_run(objective, params: zo.Params, q: int, trials: int = 2) -> tuple[int, dict]:
    """Time sequential (1 copy per run) against batched (2q copies per run) on this PC and model.

    Batching copies was 0.75-1.0x the speed of sequential runs at ~512 tokens/run on 2 cores
    (../shared/ZO-NOTES.md §4); it can pay for very short sequences, so measure rather than assume.
    """
    timings = {}
    for per_run in sorted({1, 2 * q}):
        copies = {k: np.repeat(v[None], per_run, axis=0) for k, v in params.items()}
        objective(copies)  # warm-up: first run allocates
        best = float("inf")
        for _ in range(trials):
            t = time.perf_counter()
            for _ in range(2 * q // per_run):
                objective(copies)
            best = min(best, time.perf_counter() - t)
        timings[per_run] = best
    choice = min(timings, key=timings.get)
    return choice, {str(k): round(v, 4) for k, v in timings.items()}
