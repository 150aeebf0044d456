"""The run's deliverables: the merged ONNX model, the adapter file and report.json.

The merged model folds ``A_scaled @ B`` into each adapted weight and keeps the source model's interface
(``input_ids, attention_mask -> logits``), so plain onnxruntime loads it with nothing of ours. Beside it go
the tokenizer and ``genba_task.json`` (template, labels, label words, max_tokens) so it can be used as a
classifier that scores exactly as the run did.
A user's ONNX model (causal LM or classifier) is exported as its own graph with the adapters folded in, so
it keeps exactly the inputs and outputs it came with.
Every file is written to a temporary name and renamed, so a half-written export never looks complete.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx

from app.engine.data.prompting import PromptSpec
from app.engine.data.task_file import task_contents, write_task_file
from app.engine.models.adapters import merged_delta
from app.engine.models.llama_graph import AdapterSite, ClassHead, build_causal_lm, weight_name
from app.engine.models.llama_model import LlamaModel
from app.engine.models.onnx_surgery import LinearSite
from app.engine.models.onnx_tuning import OnnxTunableModel
from app.engine.models.weights import WeightStore, WeightWriter
from app.engine.run_files import (
    ADAPTER_FILE,
    CLASS_LOGITS,
    EXPORT_DIR,
    ONNX_DATA_FILE,
    REPORT_FILE,
    STEPS_FILE,
)
from app.engine.storage import (
    atomic_save_npz,
    atomic_write_bytes,
    atomic_write_json,
    replace_folder,
    sha256_file,
)
from app.engine.tuning.checkpoint import RunState
from app.engine.tuning.config import TuneConfig


def export_merged(
    model: LlamaModel,
    sites: list[AdapterSite],
    a: dict[str, np.ndarray],
    b: dict[str, np.ndarray],
    spec: PromptSpec,
    target: Path,
    progress: Callable[[float], None] | None = None,
    max_tokens: int = TuneConfig.max_tokens,
    head: ClassHead | None = None,
    long_text: str = TuneConfig.long_text,
) -> Path:
    """Write ``target/model.onnx`` (+ weights.bin, tokenizer.json, genba_task.json); returns model.onnx.

    Everything is written into ``<target>.partial`` first and renamed at the end: a full disk or a kill
    mid-export leaves the previous export untouched and never a half-written one under the final name.
    """
    replace_folder(
        target,
        lambda staging: _write_merged(
            model, sites, a, b, spec, (max_tokens, long_text), staging, progress, head
        ),
    )
    if progress is not None:
        progress(1.0)
    return target / "model.onnx"


def _write_merged(model, sites, a, b, spec, cut, staging: Path, progress, head=None) -> None:
    """``cut``: (max_tokens, long_text), as the run encoded its examples."""
    deltas = {weight_name(s.layer, s.proj): merged_delta(a[s.key], b[s.key]) for s in sites}
    source = model.store
    writer = WeightWriter(staging)
    names = list(source.index)
    for i, name in enumerate(names):
        w = source.array(name)
        writer.add(name, w + deltas[name] if name in deltas else w)
        if progress is not None:
            progress(0.9 * (i + 1) / len(names))
    store: WeightStore = writer.close()
    onnx.save(build_causal_lm(model.cfg, store, class_head=head), str(staging / "model.onnx"))
    shutil.copyfile(model.folder / "tokenizer.json", staging / "tokenizer.json")
    max_tokens, long_text = cut
    output = CLASS_LOGITS if head is not None else None
    write_task_file(staging, spec, max_tokens, output, long_text, model.tokenizer())


def save_adapters(
    path: Path,
    sites: list[AdapterSite] | list[LinearSite],
    a: dict[str, np.ndarray],
    b: dict[str, np.ndarray],
    meta: dict,
) -> None:
    arrays = {f"B/{s.key}": b[s.key] for s in sites} | {f"A/{s.key}": a[s.key] for s in sites}
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    atomic_save_npz(path, **arrays)


def export_run(
    out: Path,
    model: LlamaModel | OnnxTunableModel,
    spec: PromptSpec,
    sites: list[AdapterSite] | list[LinearSite],
    a: dict[str, np.ndarray],
    best: dict[str, np.ndarray],
    report: dict,
    state: RunState,
    *,
    export_model: bool = True,
    progress: Callable[[float], None] | None = None,
    head: ClassHead | None = None,
) -> dict:
    """Adapters, optional merged model, step log and report; returns the completed report.

    The merged model of a converted GGUF model is rebuilt from our own graph (``export_merged``); that of a
    user's ONNX model is its own graph with the adapters folded in (``OnnxTunableModel.export_merged``),
    with its weights in ``model.onnx.data`` when the source kept them outside.
    """
    out = Path(out)
    max_tokens = state.info["config"]["max_tokens"]
    # A user's ONNX model is encoded with its own truncation (OnnxTunableModel.encode) and exported as it was.
    own_graph = not isinstance(model, OnnxTunableModel)
    long_text = state.info["config"].get("long_text", "truncate") if own_graph else "truncate"
    tokenizer = model.tokenizer() if long_text != "truncate" else None
    # Scores are reproduced only with the same token limit, cut and read-out.
    task = task_contents(spec, max_tokens, CLASS_LOGITS if head is not None else None, long_text, tokenizer)
    meta = {
        "model_sha256": report["model_sha256"],
        "sites": [s.key for s in sites],
        "prompt": task,
        **report["adapter"],
    }
    save_adapters(out / ADAPTER_FILE, sites, a, best, meta)
    report = dict(report)
    report["prompt"] = task
    report["adapter_file"] = str(out / ADAPTER_FILE)
    report["adapter_sha256"] = sha256_file(out / ADAPTER_FILE)
    atomic_write_bytes(out / STEPS_FILE, "".join(json.dumps(r) + "\n" for r in state.records).encode())
    if export_model and isinstance(model, OnnxTunableModel):
        # A user's ONNX model: the source graph with the adapters folded in, same inputs and outputs.
        path = model.export_merged(best, out / EXPORT_DIR, spec, progress, max_tokens=max_tokens)
        files = [f for f in (path, path.with_name(ONNX_DATA_FILE)) if f.is_file()]
        hashes = {f.name: sha256_file(f) for f in files}
        report["exported_model"] = str(path)
        report["exported_model_sha256"] = hashes[files[-1].name]  # the file that holds the weights
        report["exported_files_sha256"] = hashes
    elif export_model:
        path = export_merged(
            model, sites, a, best, spec, out / EXPORT_DIR, progress, max_tokens, head, long_text
        )
        report["exported_model"] = str(path)
        report["exported_model_sha256"] = sha256_file(path.with_name("weights.bin"))
    atomic_write_json(out / REPORT_FILE, report)
    return report
