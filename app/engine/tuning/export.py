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
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.engine.data.prompting import PromptSpec
from app.engine.data.task_file import task_contents
from app.engine.models.llama_config import ClassHead
from app.engine.models.tunable import ExportRequest, Site, TunableModel, Tuning
from app.engine.run_files import ADAPTER_FILE, CLASS_LOGITS, EXPORT_DIR, REPORT_FILE, STEPS_FILE
from app.engine.storage import atomic_save_npz, atomic_write_bytes, atomic_write_json, sha256_file
from app.engine.tuning.checkpoint import RunState


def save_adapters(
    path: Path,
    sites: list[Site],
    a: dict[str, np.ndarray],
    b: dict[str, np.ndarray],
    meta: dict,
) -> None:
    arrays = {f"B/{s.key}": b[s.key] for s in sites} | {f"A/{s.key}": a[s.key] for s in sites}
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    atomic_save_npz(path, **arrays)


def export_run(
    out: Path,
    model: TunableModel,
    tuning: Tuning,
    spec: PromptSpec,
    best: dict[str, np.ndarray],
    report: dict,
    state: RunState,
    *,
    export_model: bool = True,
    progress: Callable[[float], None] | None = None,
    head: ClassHead | None = None,
) -> dict:
    """Adapters, optional merged model (``TunableModel.export``), step log and report; returns the report."""
    out = Path(out)
    max_tokens = state.info["config"]["max_tokens"]
    # Scores are reproduced only with the same token limit and read-out.
    long_text = state.info["config"].get("long_text", "truncate")  # runs before it was a setting: truncate
    # Only a prompt-reading model is ever cut head+tail (``TunableModel.encode``); both kinds have a tokenizer.
    text_ids = head is not None and head.text_ids
    tokenizer = model.tokenizer() if long_text != "truncate" or text_ids else None
    output = CLASS_LOGITS if head is not None else None
    task = task_contents(spec, max_tokens, output, long_text, tokenizer, text_ids)
    meta = {
        "model_sha256": report["model_sha256"],
        "sites": [s.key for s in tuning.sites],
        "prompt": task,
        **report["adapter"],
    }
    save_adapters(out / ADAPTER_FILE, tuning.sites, tuning.a, best, meta)
    report = dict(report)
    report["prompt"] = task
    report["adapter_file"] = str(out / ADAPTER_FILE)
    report["adapter_sha256"] = sha256_file(out / ADAPTER_FILE)
    atomic_write_bytes(out / STEPS_FILE, "".join(json.dumps(r) + "\n" for r in state.records).encode())
    if export_model:
        request = ExportRequest(best, out / EXPORT_DIR, spec, max_tokens, head, progress, long_text)
        exported = model.export(tuning, request)
        report["exported_model"] = str(exported.path)
        report["exported_model_sha256"] = exported.sha256
        if exported.files_sha256 is not None:
            report["exported_files_sha256"] = exported.files_sha256
    atomic_write_json(out / REPORT_FILE, report)
    return report
