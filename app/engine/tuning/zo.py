"""Zeroth-order optimisation (MeZO / P-RGE) with the seed trick.

A step perturbs the tuned tensors B by +eps*z_i and -eps*z_i for q directions z_i drawn from per-direction
seeds, evaluates all 2q copies, and moves B along -mean_i(g_i z_i) with g_i = (l+_i - l-_i) / (2 eps).
A whole run is therefore the start point plus a list of (seeds, projected gradients, lr): ``replay``
rebuilds the adapters bit for bit from it without a single forward pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Params = dict[str, np.ndarray]  # site key -> B [r, out], fp32
# copies: site key -> [P, r, out]; returns the mean batch loss of each copy, [P]
Objective = Callable[[dict[str, np.ndarray]], np.ndarray]


def direction_seed(run_seed: int, step: int, i: int) -> int:
    """The seed of perturbation i of a step: a pure function of (run seed, step, i)."""
    return int(np.random.SeedSequence([run_seed, step, i]).generate_state(1, np.uint32)[0])


def perturbation(seed: int, params: Params) -> Params:
    """z ~ N(0, I) in fp32 shaped like params, regenerated identically from its seed."""
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(params[k].shape, dtype=np.float32) for k in sorted(params)}


@dataclass(frozen=True)
class StepRecord:
    step: int
    seeds: tuple[int, ...]
    projected_grads: tuple[float, ...]
    lr: float
    loss: float  # mean of all 2q copy losses
    accepted: bool

    def to_list(self) -> list:
        return [self.step, list(self.seeds), list(self.projected_grads), self.lr, self.loss, self.accepted]

    @classmethod
    def from_list(cls, v: list) -> StepRecord:
        return cls(
            int(v[0]),
            tuple(int(s) for s in v[1]),
            tuple(float(g) for g in v[2]),
            float(v[3]),
            float(v[4]),
            bool(v[5]),
        )


def evaluate_copies(
    objective: Objective, params: Params, zs: list[Params], eps: float, copies_per_run: int
) -> np.ndarray:
    """Losses of the 2q copies [B+eps z_0, ..., B+eps z_{q-1}, B-eps z_0, ...], in runs of copies_per_run."""
    signs = [(+1.0, z) for z in zs] + [(-1.0, z) for z in zs]
    eps32 = np.float32(eps)
    losses = []
    for start in range(0, len(signs), copies_per_run):
        chunk = signs[start : start + copies_per_run]
        copies = {
            k: np.stack([params[k] + np.float32(s) * eps32 * z[k] for s, z in chunk]) for k in params
        }  # [P, r, out]
        losses.append(np.asarray(objective(copies), dtype=np.float64))
    return np.concatenate(losses)


def apply_update(params: Params, seeds: tuple[int, ...], grads: tuple[float, ...], lr: float) -> Params:
    """B <- B - lr * mean_i(g_i z_i); z_i regenerated from seeds. Pure: returns new arrays."""
    new = {k: v.copy() for k, v in params.items()}
    scale = np.float32(lr / len(seeds))
    for seed, g in zip(seeds, grads, strict=True):
        z = perturbation(seed, params)
        for k in sorted(new):
            new[k] -= scale * np.float32(g) * z[k]
    return new


def zo_step(
    objective: Objective,
    params: Params,
    *,
    step: int,
    run_seed: int,
    q: int,
    eps: float,
    lr: float,
    copies_per_run: int = 1,
) -> tuple[Params, StepRecord]:
    """One SPSA step: sample, evaluate, estimate, update. Non-finite losses reject the step."""
    seeds = tuple(direction_seed(run_seed, step, i) for i in range(q))
    zs = [perturbation(s, params) for s in seeds]
    losses = evaluate_copies(objective, params, zs, eps, copies_per_run)
    plus, minus = losses[:q], losses[q:]
    grads = tuple(float(g) for g in (plus - minus) / (2.0 * eps))
    mean_loss = float(losses.mean())
    if not (np.isfinite(losses).all() and np.isfinite(grads).all()):
        return params, StepRecord(step, seeds, grads, lr, mean_loss, accepted=False)
    return apply_update(params, seeds, grads, lr), StepRecord(
        step, seeds, grads, lr, mean_loss, accepted=True
    )


def replay(start: Params, records: list[StepRecord]) -> Params:
    """Rebuild the adapters from the start point and the step log alone."""
    params = start
    for rec in records:
        if rec.accepted:
            params = apply_update(params, rec.seeds, rec.projected_grads, rec.lr)
    return params
