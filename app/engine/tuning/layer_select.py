"""Choosing which layers to tune, by a short forward-only probe.

For each candidate layer we estimate the norm of the loss gradient with respect to its adapters from a few
random directions: E[((L(B+eps z) - L(B-eps z)) / 2eps)^2] = ||grad||^2 for z ~ N(0, I).

Which layers to tune is then a trade between that signal and speed. A step costs the forward FLOPs of every
layer from the lowest tuned one up (the layers below come from the prefix cache), and for ZO-SGD at a stable
learning rate the expected loss decrease per step is proportional to ||grad_S||^2 / d_S (d_S: tuned
parameters, the same for every set of ``max_layers`` layers). So the expected decrease per second of a set S
is proportional to ``sum(sensitivity[l]^2 for l in S) / (n_layers - min(S))``. For every possible lowest
layer we take the most sensitive layers at or above it and keep the set with the best ratio. Only the top
``2 * max_layers`` layers are probed: any deeper set would cost at least twice the shallowest one.
"""

from __future__ import annotations

import numpy as np

from app.engine.data.prompting import EncodedExamples
from app.engine.models.adapters import AdapterConfig, zero_b
from app.engine.models.tunable import ProbedModel
from app.engine.tuning import zo


def probe_layer_sensitivity(
    model: ProbedModel,
    encoded: EncodedExamples,
    rows: np.ndarray,
    candidates: list[int],
    projections: tuple[str, ...],
    adapter_cfg: AdapterConfig,
    *,
    directions: int = 4,
    eps: float = 1e-2,
    seed: int = 0,
) -> dict[int, float]:
    """Root-mean-square projected gradient of each candidate layer's adapters on a probe batch."""
    objective, sites = model.probe_objective(encoded, rows, candidates, projections, adapter_cfg)
    base = zero_b(model.site_shapes(sites), adapter_cfg)
    sensitivity = {}
    for layer in candidates:
        keys = {s.key for s in sites if s.layer == layer}
        grads = []
        for i in range(directions):
            z = zo.perturbation(zo.direction_seed(seed, layer, i), base)
            z = {k: (v if k in keys else np.zeros_like(v)) for k, v in z.items()}  # perturb this layer only
            losses = zo.evaluate_copies(objective, base, [z], eps, copies_per_run=2)
            grads.append((losses[0] - losses[1]) / (2 * eps))
        sensitivity[layer] = float(np.sqrt(np.mean(np.square(grads))))
    return sensitivity


def pick_layers(sensitivity: dict[int, float], n_layers: int, max_layers: int) -> tuple[list[int], list]:
    """The set of ``max_layers`` probed layers with the most gradient energy per layer of forward cost.

    Returns the chosen layers and every option considered (layers, cost in layers, energy, score), shallowest
    lowest layer first. Ties go to the cheaper option.
    """
    candidates = sorted(sensitivity)
    options = []
    for floor in candidates:
        above = [layer for layer in candidates if layer >= floor]
        if len(above) < min(max_layers, len(candidates)):
            break
        chosen = sorted(sorted(above, key=lambda layer: -sensitivity[layer])[:max_layers])
        cost = n_layers - min(chosen)
        energy = float(sum(sensitivity[layer] ** 2 for layer in chosen))
        option = {"layers": chosen, "cost_layers": cost, "energy": energy, "score": energy / cost}
        if option["layers"] not in [o["layers"] for o in options]:
            options.append(option)
    best = max(options, key=lambda o: (o["score"], -o["cost_layers"]))
    return best["layers"], options


def choose_layers(
    model: ProbedModel,
    encoded: EncodedExamples,
    train_rows: np.ndarray,
    projections: tuple[str, ...],
    adapter_cfg: AdapterConfig,
    max_layers: int,
    *,
    seed: int = 0,
    probe_examples: int = 16,
) -> tuple[list[int], dict]:
    """The ``max_layers`` layers (of the top ``2 * max_layers``) with the best signal per cost, and why."""
    n = model.n_layers
    max_layers = min(max_layers, n)
    candidates = list(range(max(0, n - 2 * max_layers), n))
    rng = np.random.default_rng([seed, 0x1A7E5])
    rows = np.sort(rng.choice(train_rows, size=min(probe_examples, len(train_rows)), replace=False))
    sensitivity = probe_layer_sensitivity(
        model, encoded, rows, candidates, projections, adapter_cfg, seed=seed
    )
    chosen, options = pick_layers(sensitivity, n, max_layers)
    reason = {
        "method": (
            "forward-only probe: RMS projected gradient of each layer's adapters (4 directions, eps 1e-2); "
            "chosen set maximises sum(gradient^2) / layers run per forward"
        ),
        "candidates": candidates,
        "sensitivity": {str(k): round(v, 6) for k, v in sensitivity.items()},
        "options": [{**o, "energy": round(o["energy"], 8), "score": round(o["score"], 8)} for o in options],
        "chosen": chosen,
        "probe_examples": int(len(rows)),
    }
    return chosen, reason
