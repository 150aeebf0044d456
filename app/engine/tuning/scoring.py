"""Forward passes a run makes besides its ZO steps: accuracy, features for the head, copies-per-run timing."""

from __future__ import annotations

import time

import numpy as np

from app.engine.models.objective import Readout, RowsObjective
from app.engine.tuning import zo


def evaluate(
    objective: RowsObjective, params: zo.Params, rows: np.ndarray, batch: int = 64, readout=None
) -> tuple[float, float, np.ndarray]:
    """(accuracy, mean loss, predicted class per row) with the given adapters (and read-out)."""
    return evaluate_features(objective, params, rows, batch, readout)[:3]


def evaluate_features(
    objective: RowsObjective, params: zo.Params, rows: np.ndarray, batch: int = 64, readout=None
) -> tuple[float, float, np.ndarray, np.ndarray | None]:
    """``evaluate`` and the rows' features [N, H] it computed on the way (None: the graph reads out by
    itself), so that another read-out of the same adapters needs no second forward pass (``read_out``)."""
    if len(rows) == 0:
        return float("nan"), float("nan"), np.zeros(0, dtype=np.int64), None
    copies = {k: v[None] for k, v in params.items()}
    losses, preds, features = [], [], []
    for s in range(0, len(rows), batch):
        loss, logits, feats = objective.run(rows[s : s + batch], copies, readout)
        losses.append(loss[0])
        preds.append(logits[0].argmax(-1))
        features.append(None if feats is None else feats[0])
    pred = np.concatenate(preds)
    truth = objective.encoded.label_index[rows]
    kept = None if any(f is None for f in features) else np.concatenate(features)
    return float((pred == truth).mean()), float(np.concatenate(losses).mean()), pred, kept


def beats(accuracy: float, loss: float, best_accuracy: float, best_loss: float) -> bool:
    """The run's rule for keeping a model over the best so far, on validation: a higher accuracy, or the same
    accuracy with a lower loss."""
    return accuracy > best_accuracy or (accuracy == best_accuracy and loss < best_loss)


def read_out(
    features: np.ndarray, readout: Readout, rows: np.ndarray, labels: np.ndarray
) -> tuple[float, float, np.ndarray]:
    """(accuracy, mean loss, predicted class per row) of ``readout`` on features already computed for the
    encoded examples ``rows``: what the loss graph computes from them (``features @ head.T + offset``, then
    cross-entropy), in float32 as the graph does."""
    logits = features.astype(np.float32) @ readout.head.T.astype(np.float32) + readout.offset[rows]
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -logp[np.arange(len(labels)), labels]
    pred = logits.argmax(axis=1)
    return float((pred == labels).mean()), float(loss.mean()), pred


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
