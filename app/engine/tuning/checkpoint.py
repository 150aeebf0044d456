"""Checkpoints: everything a killed run needs to continue bit-identically, written atomically.

One ``checkpoint.npz`` holds the adapters (current and best) and a JSON state: step, lr, the step log
(seeds and projected gradients), evaluation history, budget spent, data split, layer choice and the
hashes of the model and data, so a resume can refuse when either changed underneath it.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.engine.errors import GenbaError
from app.engine.run_files import CHECKPOINT
from app.engine.storage import atomic_save_npz
from app.engine.tuning.zo import Params


@dataclass
class RunState:
    step: int = 0
    lr: float = 0.0
    fail_streak: int = 0
    seconds: float = 0.0
    energy_wh: float = 0.0
    records: list[list] = field(default_factory=list)  # StepRecord.to_list()
    evals: list[dict] = field(default_factory=list)
    best_accuracy: float = -1.0
    best_loss: float = float("inf")
    best_step: int = 0
    accuracy_before: float | None = None
    loss_before: float | None = None
    info: dict = field(default_factory=dict)  # config, split, layers, hashes: fixed for the run

    def to_json(self) -> str:
        d = dict(self.__dict__)
        d["best_loss"] = None if not np.isfinite(self.best_loss) else self.best_loss
        return json.dumps(d, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> RunState:
        d = json.loads(text)
        d["best_loss"] = float("inf") if d.get("best_loss") is None else d["best_loss"]
        return cls(**d)


def save_checkpoint(
    folder: str | os.PathLike[str],
    params: Params,
    best: Params,
    state: RunState,
    extra: dict[str, np.ndarray] | None = None,
) -> Path:
    """``extra``: further arrays the run needs to continue bit-identically (the head and its feature bank)."""
    path = Path(folder) / CHECKPOINT
    arrays = {f"B/{k}": v for k, v in params.items()}
    arrays |= {f"best/{k}": v for k, v in best.items()}
    arrays |= {f"x/{k}": v for k, v in (extra or {}).items()}
    arrays["state"] = np.frombuffer(state.to_json().encode("utf-8"), dtype=np.uint8)
    atomic_save_npz(path, **arrays)
    return path


def load_checkpoint(folder: str | os.PathLike[str]) -> tuple[Params, Params, RunState]:
    params, best, state, _ = load_checkpoint_all(folder)
    return params, best, state


def load_checkpoint_all(folder: str | os.PathLike[str]) -> tuple[Params, Params, RunState, dict]:
    """Adapters (current, best), the state and the extra arrays saved with them."""
    path = Path(folder) / CHECKPOINT
    if not path.is_file():
        raise GenbaError(
            "There is no checkpoint to resume in this folder.",
            "このフォルダーには再開できるチェックポイントがありません。",
            path=path,
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            params = {k[2:]: z[k].copy() for k in z.files if k.startswith("B/")}
            best = {k[5:]: z[k].copy() for k in z.files if k.startswith("best/")}
            extra = {k[2:]: z[k].copy() for k in z.files if k.startswith("x/")}
            state = RunState.from_json(z["state"].tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, TypeError) as exc:
        raise GenbaError(
            "The checkpoint is damaged and cannot be resumed.",
            "チェックポイントが壊れているため再開できません。",
            path=path,
            detail=repr(exc),
        ) from exc
    return params, best, state, extra
