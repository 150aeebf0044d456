"""LoRA-FA adapters: A frozen (regenerated from a seed), B tuned (zero at start), per adapted linear layer.

``y = W x + (alpha / r) * B (A x)``. We store A transposed with alpha/r folded in (``a_scaled [in, r]``)
so the graph does ``(x @ a_scaled) @ B[copy]``; B is ``[r, out]``, fed with a leading copy dimension.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The linear layers of a decoder block that can carry an adapter.
PROJECTIONS = ("q", "k", "v", "o", "gate", "up", "down")


@dataclass(frozen=True)
class SiteShape:
    key: str  # "<layer>.<proj>" for Llama graphs; a node name for imported ONNX graphs
    d_in: int
    d_out: int


@dataclass(frozen=True)
class AdapterConfig:
    rank: int = 8
    alpha: float = 16.0
    seed: int = 0


def frozen_a(site: SiteShape, cfg: AdapterConfig) -> np.ndarray:
    """A^T * alpha/r, [in, r]; Kaiming-uniform like LoRA's init, reproducible from (seed, site key)."""
    rng = np.random.default_rng([cfg.seed, *site.key.encode()])
    bound = 1.0 / np.sqrt(site.d_in)
    a = rng.uniform(-bound, bound, size=(site.d_in, cfg.rank)).astype(np.float32)
    return a * np.float32(cfg.alpha / cfg.rank)


def zero_b(sites: list[SiteShape], cfg: AdapterConfig) -> dict[str, np.ndarray]:
    return {s.key: np.zeros((cfg.rank, s.d_out), dtype=np.float32) for s in sites}


def merged_delta(a_scaled: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The weight change [in, out] that folds one adapter into ``W_t`` (MatMul layout)."""
    return (a_scaled.astype(np.float64) @ b.astype(np.float64)).astype(np.float32)
