"""The model card and "can this PC tune it?": convert (first use), time one forward, estimate a run.

The app runs ``check_model`` in a worker thread and shows the ``ModelCheck``. The estimate, stated plainly
so it can be checked:

- memory a run needs ≈ 4 bytes (fp32) × parameters × 1.3 (activations, caches, ONNX Runtime arenas);
  for a user's ONNX model × 2.3: the export loads a second copy of the weights to fold the adapters in;
- seconds per step ≈ measured seconds per example (one full forward) × batch size × 2q perturbed forwards
  × the share of layers tuned (only the tuned suffix runs each step; the frozen prefix is cached once).
  A user's ONNX model runs whole every step (no prefix cache), so its share is 1.

An ONNX causal LM, classifier or sentence encoder is tunable when ``catalog.open_tunable`` finds its
tokenizer, linear layers and (for a causal LM) its head; otherwise a causal LM or classifier can still be
evaluated, and ``not_tunable`` says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import onnx

from app.engine.data.examples import Example
from app.engine.data.prompting import answer_mask, make_prompt_spec
from app.engine.errors import GenbaError
from app.engine.events import ignore_events
from app.engine.models.catalog import ONNX_KINDS, ensure_converted, open_tunable, resolve_model
from app.engine.models.llama_model import LlamaModel
from app.engine.models.onnx_objective import ORT_ERRORS, standard_feeds
from app.engine.models.onnx_tuning import OnnxTunableModel
from app.engine.models.ort_runtime import create_session
from app.engine.results.evaluation import LlamaScorer
from app.engine.tuning.config import TuneConfig
from app.engine.tuning.monitor import available_memory_mb

BYTES_PER_PARAMETER = 4  # converted weights are fp32
MEMORY_OVERHEAD = 1.3
ONNX_MEMORY_OVERHEAD = 2.3  # + the weights loaded once more while the export folds the adapters in
PROBE_TEXTS = (
    "L/H bucket cylinder leaking oil at rod seal, replace seal kit.",
    "Engine will not start in the morning, battery checked OK.",
    "Hydraulic hose chafed behind the cab, small leak at the fitting.",
    "Track tension low on the right side, adjust and inspect idler.",
)

# Ends in a newline so label words are scored without a leading space: their first bytes ('n', 'y')
# differ in any byte-level tokenizer, even a tiny test vocabulary.
PROBE_TEMPLATE = "Text: {text}\nAnswer (no or yes):\n"


@dataclass(frozen=True)
class ModelCheck:
    """What the Model page shows about one model on this PC."""

    spec: str  # what the engine is given: "default" or a path
    display_name: str
    source: str
    kind: str  # "gguf-llama" | "onnx-causal-lm" | "onnx-classifier" | "onnx-encoder"
    size_bytes: int
    parameters: int | None
    n_layers: int | None
    tunable: bool
    memory_needed_mb: float | None
    memory_free_mb: float
    seconds_per_example: float | None  # one full forward, measured
    seconds_per_step: float | None  # estimate for the default run settings
    not_tunable: GenbaError | None = None  # why an ONNX model can be evaluated but not tuned (en/ja)

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
    """(q, batch_size, max_tuned_layers) of a run started with the engine's defaults."""
    defaults = TuneConfig.defaults()
    return defaults.q, defaults.batch_size, defaults.max_tuned_layers


def check_model(progress: Callable[[object], None], spec: str) -> ModelCheck:
    """Resolve, convert (first use only, with progress) and time one forward; never raises for a slow PC."""
    ref = resolve_model(spec)
    parameters = n_layers = per_example = per_step = not_tunable = None
    overhead = MEMORY_OVERHEAD
    q, batch, max_layers = default_step_settings()
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
        share_tuned = min(max_layers, n_layers) / n_layers
        per_step = per_example * batch * 2 * q * share_tuned
    elif ref.kind in ONNX_KINDS:
        parameters = onnx_parameters(ref.source) or ref.size_bytes // BYTES_PER_PARAMETER
        try:
            model = open_tunable(ref, ignore_events, share_cores=True)
        except GenbaError as exc:  # no tokenizer.json, no linear layers, no recognisable head: evaluate only
            not_tunable = exc
        else:
            progress(1.0)
            try:
                per_example = time_onnx_forward(model)
            except ORT_ERRORS as exc:
                not_tunable = GenbaError(
                    "The model failed on a short test text, so it cannot be tuned as exported.",
                    "短いテスト文でモデルの実行に失敗したため、書き出された形のままでは調整できません。",
                    path=ref.source,
                    detail=str(exc),
                )
            else:
                tunable, overhead = True, ONNX_MEMORY_OVERHEAD
                n_layers = model.n_layers
                per_step = per_example * batch * 2 * q  # the whole graph runs for every perturbed copy
    else:
        parameters = ref.size_bytes // BYTES_PER_PARAMETER
    needed = parameters * BYTES_PER_PARAMETER * overhead / 2**20 if parameters else None
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
        not_tunable=not_tunable,
    )


def onnx_parameters(path) -> int | None:
    """Weights stored in an ONNX file's initializers, counted from their shapes (no data is read)."""
    graph = onnx.load(str(path), load_external_data=False).graph
    return int(sum(int(np.prod(t.dims, dtype=np.int64)) for t in graph.initializer)) or None


def time_onnx_forward(model: OnnxTunableModel) -> float:
    """Seconds per example of one forward of the user's ONNX model on the probe texts, as a run feeds it."""
    spec = make_prompt_spec(["no", "yes"], PROBE_TEMPLATE)
    encoded = model.encode(spec, [Example(t, "no", "", 0) for t in PROBE_TEXTS])
    ids, answer, _ = encoded.batch(np.arange(len(encoded)))
    mask = answer_mask(ids, answer)
    limit = model.max_positions  # a model with a short position table takes the texts' start only
    if limit is not None:
        ids, mask = ids[:, :limit], mask[:, :limit]
    session = create_session(model.path, share_cores=True)
    inputs = {i.name: i for i in session.get_inputs()}
    output = "last_hidden_state" if model.kind == "onnx-encoder" else "logits"
    session.run([output], standard_feeds(inputs, ids[:1], mask[:1]))  # warm-up: the first run allocates
    feeds = standard_feeds(inputs, ids, mask)
    start = time.perf_counter()
    session.run([output], feeds)
    return (time.perf_counter() - start) / len(ids)
