"""The model card and "can this PC tune it?" check, run in a worker thread (it converts and times the model).

Everything numeric is the engine's: conversion, the forward pass being timed, the free-memory reading.
What is added here is the estimate the card shows, stated plainly so it can be checked:

- memory a run needs ≈ 4 bytes (fp32) × parameters × 1.3 (activations, caches, ONNX Runtime arenas);
- seconds per step ≈ measured seconds per example (one full forward) × batch size × 2q perturbed forwards
  × the share of layers tuned (only the tuned suffix runs each step; the frozen prefix is cached once).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from app.engine.config import TuneConfig

BYTES_PER_PARAMETER = 4  # converted weights are fp32
MEMORY_OVERHEAD = 1.3
PROBE_TEXTS = (
    "L/H bucket cylinder leaking oil at rod seal, replace seal kit.",
    "Engine will not start in the morning, battery checked OK.",
    "Hydraulic hose chafed behind the cab, small leak at the fitting.",
    "Track tension low on the right side, adjust and inspect idler.",
)

# Ends in a newline so label words are scored without a leading space: their first bytes ('n', 'y')
# differ in any byte-level tokenizer, even a tiny test vocabulary.
PROBE_TEMPLATE = "Text: {text}\nAnswer (no or yes):\n"

_DEFAULTS = TuneConfig.__dataclass_fields__


@dataclass(frozen=True)
class ModelCheck:
    """What the Model page shows about one model on this PC."""

    spec: str  # what the engine is given: "default" or a path
    display_name: str
    source: str
    kind: str  # "gguf-llama" | "onnx-causal-lm" | "onnx-classifier"
    size_bytes: int
    parameters: int | None
    n_layers: int | None
    tunable: bool
    memory_needed_mb: float | None
    memory_free_mb: float
    seconds_per_example: float | None  # one full forward, measured
    seconds_per_step: float | None  # estimate for the default run settings

    @property
    def fits_in_memory(self) -> bool:
        return self.memory_needed_mb is None or self.memory_needed_mb <= self.memory_free_mb

    @property
    def can_tune(self) -> bool:
        return self.tunable and self.fits_in_memory

    @property
    def steps_per_minute(self) -> float | None:
        if not self.seconds_per_step:
            return None
        return 60.0 / self.seconds_per_step


def default_step_settings() -> tuple[int, int, int]:
    """(q, batch_size, max_tuned_layers) of a run started from the GUI: the engine's defaults."""
    return _DEFAULTS["q"].default, _DEFAULTS["batch_size"].default, _DEFAULTS["max_tuned_layers"].default


def check_model(progress: Callable[[object], None], spec: str) -> ModelCheck:
    """Resolve, convert (first use only, with progress) and time one forward; never raises for a slow PC."""
    from app.engine.evaluation import LlamaScorer
    from app.engine.llama_model import LlamaModel
    from app.engine.models import ensure_converted, resolve_model
    from app.engine.monitor import available_memory_mb
    from app.engine.prompting import make_prompt_spec

    ref = resolve_model(spec)
    parameters = n_layers = per_example = per_step = None
    tunable = ref.kind == "gguf-llama"
    if tunable:
        folder = ensure_converted(ref, progress)
        model = LlamaModel.open(folder, share_cores=True)
        parameters = int(model.meta.get("parameters") or 0) or None
        n_layers = model.cfg.n_layers
        progress(1.0)
        scorer = LlamaScorer(model, make_prompt_spec(["no", "yes"], PROBE_TEMPLATE))
        texts = list(PROBE_TEXTS)
        scorer.label_logits(texts[:1])  # warm-up: the first run allocates
        start = time.perf_counter()
        scorer.label_logits(texts)
        per_example = (time.perf_counter() - start) / len(texts)
        q, batch, max_layers = default_step_settings()
        share_tuned = min(max_layers, n_layers) / n_layers
        per_step = per_example * batch * 2 * q * share_tuned
    else:
        parameters = ref.size_bytes // BYTES_PER_PARAMETER  # an fp32 ONNX file is ~4 bytes per weight
    needed = parameters * BYTES_PER_PARAMETER * MEMORY_OVERHEAD / 2**20 if parameters else None
    return ModelCheck(
        spec=str(spec),
        display_name=ref.display_name,
        source=str(ref.source),
        kind=ref.kind,
        size_bytes=ref.size_bytes,
        parameters=parameters,
        n_layers=n_layers,
        tunable=tunable,
        memory_needed_mb=needed,
        memory_free_mb=available_memory_mb(),
        seconds_per_example=per_example,
        seconds_per_step=per_step,
    )
