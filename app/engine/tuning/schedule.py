"""What each step of a run sees: its batch of examples and its number of perturbations.

Both are pure functions of (seed, step), so a resumed run repeats the steps it would have taken.
"""

from __future__ import annotations

import numpy as np

from app.engine.tuning.config import TuneConfig


def batch_rows(run_seed: int, step: int, n_train: int, batch_size: int) -> np.ndarray:
    """The examples of a step: a pure function of (seed, step), so a resumed run sees the same batches."""
    rng = np.random.default_rng([run_seed, step, 0xBA7C4])
    return np.sort(rng.choice(n_train, size=min(batch_size, n_train), replace=False))


def queries_at(cfg: TuneConfig, step: int, n_train: int) -> int:
    """Perturbations for this step under the configured schedule."""
    if cfg.q_schedule == "fixed":
        return cfg.q
    epoch = step * cfg.batch_size / max(1, n_train)
    return int(min(max(int(np.floor(epoch**0.5)), 1), cfg.q_max))
