"""Helpers shared by several test modules: demo data and a small tuning configuration.

Test modules import from here, never from each other.
"""

from pathlib import Path

import numpy as np

from app.engine.tuning.budget import Budget
from app.engine.tuning.config import TuneConfig

WORDS = {
    "bucket": ["bucket", "tooth", "pin"],
    "engine": ["engine", "oil", "start"],
    "hydraulic": ["hose", "pump", "leak"],
}


def write_demo_csv(path: Path, per_label: int = 12) -> Path:
    """A CSV of ``per_label`` short repair notes per label, each naming words of its label."""
    rng = np.random.default_rng(0)
    lines = ["text,label"]
    for label, words in WORDS.items():
        for i in range(per_label):
            w = rng.choice(words, size=3)
            lines.append(f"{w[0]} {w[1]} number {i} {w[2]},{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tiny_config(model: Path, data: Path, out: Path, steps: int, **kw) -> TuneConfig:
    """A run of ``steps`` steps on the tiny model that finishes in seconds."""
    base = dict(
        model=str(model),
        data=str(data),
        out_dir=str(out),
        budget=Budget(steps=steps),
        eval_every=10,
        checkpoint_every=5,
        max_tuned_layers=2,
        projections=("q", "v", "down"),
        lr=0.05,
        q=2,
        threads=1,
    )
    base.update(kw)
    return TuneConfig(**base)


def flat_accuracy(objective, params, rows, *args, **kwargs):
    """A stand-in for ``tuner.evaluate``: the same accuracy and loss whatever the model, every class 0."""
    import numpy as np

    return 0.5, 1.0, np.zeros(len(rows), dtype=np.int64)


def tune_args(model: Path, data: Path, out: Path, *options: str) -> list[str]:
    """The CLI's arguments for a tune run (after any global options such as --lang)."""
    return ["tune", "--model", str(model), "--data", str(data), "--out", str(out), *options]
