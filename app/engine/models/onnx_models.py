"""User ONNX models (as standard exporters write them) and our own exports, for evaluation and prediction.

Three kinds are recognised by their interface: a causal LM (``input_ids``, ``attention_mask``, optional
``position_ids`` and empty ``past_key_values.*``; output ``logits [B, T, V]``), a sequence classifier
(output ``logits [B, C]``) and a sentence encoder (``input_ids``, ``attention_mask``, optional
``token_type_ids``; output ``last_hidden_state [B, T, H]``, no ``logits``: MiniLM and other
sentence-embedding models, which become classifiers once tuned with a head). Anything else is refused with
what was found and what was expected.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx

from app.engine.errors import GenbaError
from app.engine.models.ort_runtime import create_session


def _dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def onnx_model_kind(path: str | os.PathLike[str]) -> str:
    """'onnx-causal-lm', 'onnx-classifier' or 'onnx-encoder', judged from inputs/outputs alone (no weights
    loaded)."""
    path = Path(path)
    model = onnx.load(str(path), load_external_data=False)
    graph = model.graph
    init_names = {i.name for i in graph.initializer}
    inputs = {i.name: _dims(i) for i in graph.input if i.name not in init_names}
    outputs = {o.name: _dims(o) for o in graph.output}
    found = f"inputs {sorted(inputs)}, outputs {sorted(outputs)}"
    encoder = (
        "logits" not in outputs
        and "attention_mask" in inputs
        and len(outputs.get("last_hidden_state", ())) == 3
    )
    if "input_ids" not in inputs or not ("logits" in outputs or encoder):
        raise GenbaError(
            f"Unsupported ONNX model: found {found}; expected an input 'input_ids' and an output 'logits' "
            "(a causal language model or a sequence classifier), or the inputs 'input_ids' and "
            "'attention_mask' and an output 'last_hidden_state' with 3 dimensions (a sentence encoder).",
            f"対応していない ONNX モデルです。見つかったもの: {found}。入力「input_ids」と出力「logits」を持つ"
            "言語モデルまたは文分類モデル、あるいは入力「input_ids」「attention_mask」と 3 次元の出力"
            "「last_hidden_state」を持つ文エンコーダーが必要です。",
            path=path,
        )
    if encoder:
        return "onnx-encoder"
    rank = len(outputs["logits"])
    if rank == 3:
        return "onnx-causal-lm"
    if rank == 2:
        return "onnx-classifier"
    raise GenbaError(
        f"The output 'logits' has {rank} dimensions; expected 3 (causal LM) or 2 (classifier).",
        f"出力「logits」の次元数が {rank} です。3（言語モデル）または 2（分類モデル）が必要です。",
        path=path,
        field="logits",
    )


class OnnxLogitsModel:
    """Runs a causal-LM or classifier ONNX graph with its standard inputs filled in."""

    def __init__(
        self, path: str | os.PathLike[str], *, threads: int | None = None, share_cores: bool = False
    ):

        self.path = Path(path)
        self.session = create_session(self.path, threads=threads, share_cores=share_cores)
        self.inputs = {i.name: i for i in self.session.get_inputs()}

    @property
    def output_names(self) -> set[str]:
        return {o.name for o in self.session.get_outputs()}

    @property
    def optional_inputs(self) -> set[str]:
        """Inputs with a default value (initializers a caller may override), such as our exports' ``text_ids``."""
        return {i.name for i in self.session.get_overridable_initializers()}

    def logits(
        self, ids: np.ndarray, mask: np.ndarray, output: str = "logits", extra: dict | None = None
    ) -> np.ndarray:
        feeds: dict[str, np.ndarray] = {"input_ids": ids} | (extra or {})
        if "attention_mask" in self.inputs:
            feeds["attention_mask"] = mask
        if "position_ids" in self.inputs:
            feeds["position_ids"] = np.maximum(np.cumsum(mask, axis=1) - 1, 0).astype(np.int64)
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        for name, meta in self.inputs.items():
            if name.startswith("past_key_values"):
                # [batch, kv_heads, past_seq=0, head_dim]: an empty cache, as exporters expect.
                shape = [
                    ids.shape[0] if i == 0 else (0 if i == 2 else (d if isinstance(d, int) else 1))
                    for i, d in enumerate(meta.shape)
                ]
                feeds[name] = np.zeros(shape, dtype=np.float32)
        return self.session.run([output], feeds)[0]
