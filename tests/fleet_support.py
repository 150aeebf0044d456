"""Fleet test helpers: a spec for the tiny model and a demo data set cut into disjoint parts per PC."""

from __future__ import annotations

from pathlib import Path

from app.engine.models.catalog import resolve_model
from app.fleet.protocol import FleetSpec
from tests.support import WORDS


def tiny_spec(model: Path, **kw) -> FleetSpec:
    base = dict(
        model=str(model),
        model_sha256=resolve_model(str(model)).sha256,
        labels=tuple(sorted(WORDS)),
        layers=(1, 2),
        projections=("q", "v"),
        rank=4,
        q=2,
        lr=0.05,
        batch_size=4,
        steps=4,
        eval_every=2,
        max_tokens=32,
    )
    base.update(kw)
    return FleetSpec(**base)


def write_parts(folder: Path, parts: int, per_label: int = 6) -> list[Path]:
    """``parts`` CSVs of short repair notes with disjoint texts (PC k's notes carry 'site k')."""
    import numpy as np

    rng = np.random.default_rng(1)
    paths = []
    for k in range(parts):
        lines = ["text,label"]
        for label, words in WORDS.items():
            for i in range(per_label):
                w = rng.choice(words, size=3)
                lines.append(f"{w[0]} {w[1]} site {k} note {i} {w[2]},{label}")
        path = folder / f"pc{k}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
