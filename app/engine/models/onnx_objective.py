"""Running a user's adapted ONNX graph on batches: the feeds exporters' graphs take, and the ZO objective.

Rows are tiled copies-outermost (``[P*E, T]``) so copy j of every adapter B meets row block j; the graph
computes the label-word loss itself (``onnx_surgery.add_label_loss``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnxruntime.capi import onnxruntime_pybind11_state as _ort_state

from app.engine.data.prompting import EncodedExamples, answer_mask
from app.engine.errors import GenbaError
from app.engine.models.objective import BatchObjective
from app.engine.models.onnx_inspect import LinearSite
from app.engine.models.onnx_surgery import ANSWER_INDEX, LABEL_IDS

# What onnxruntime raises when a graph fails on its inputs (none of them derive from RuntimeError).
ORT_ERRORS = tuple(
    getattr(_ort_state, name)
    for name in ("Fail", "InvalidArgument", "RuntimeException", "NotImplemented")
    if hasattr(_ort_state, name)
)
_NUMPY_TYPES = {
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(bool)": np.bool_,
}


def is_cache_input(name: str) -> bool:
    return name.startswith(("past_key_values", "past."))


def standard_feeds(inputs: dict, ids: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    """What exporters' graphs take besides the tokens: mask, positions, token types, an empty KV cache.

    ``inputs``: name -> onnxruntime NodeArg. Names the graph does not take are left out.
    """

    def typed(name: str, value: np.ndarray) -> np.ndarray:
        return value.astype(_NUMPY_TYPES.get(inputs[name].type, value.dtype), copy=False)

    feeds = {"input_ids": typed("input_ids", ids)}
    if "attention_mask" in inputs:
        feeds["attention_mask"] = typed("attention_mask", mask)
    if "position_ids" in inputs:
        feeds["position_ids"] = typed("position_ids", np.maximum(np.cumsum(mask, axis=1) - 1, 0))
    if "token_type_ids" in inputs:
        feeds["token_type_ids"] = typed("token_type_ids", np.zeros_like(ids))
    if "cache_position" in inputs:
        feeds["cache_position"] = typed("cache_position", np.arange(ids.shape[1]))
    for name in ("logits_to_keep", "num_logits_to_keep"):
        if name in inputs:  # 0 keeps every position (transformers' convention)
            feeds[name] = typed(name, np.array(0))
    for name, meta in inputs.items():
        if is_cache_input(name):
            # [batch, kv_heads, past_seq=0, head_dim]: an empty cache, as in onnx_models.OnnxLogitsModel.
            shape = [
                ids.shape[0] if i == 0 else (0 if i == 2 else (d if isinstance(d, int) else 1))
                for i, d in enumerate(meta.shape)
            ]
            feeds[name] = np.zeros(shape, dtype=_NUMPY_TYPES.get(meta.type, np.float32))
    return feeds


STANDARD_INPUTS = frozenset(
    {
        "input_ids",
        "attention_mask",
        "position_ids",
        "token_type_ids",
        "cache_position",
        "logits_to_keep",
        "num_logits_to_keep",
    }
)


class OnnxObjective:
    """Loss of perturbed copies on a batch, for ``zo.zo_step``: ``objective(copies) -> [P]`` mean loss.

    Rows are tiled copies-outermost, ``[P*E, T]``, so copy j of every B meets row block j.
    """

    def __init__(
        self,
        session,
        encoded: EncodedExamples,
        sites: list[LinearSite],
        head_feeds: dict[str, np.ndarray],
        path: Path | None = None,
        max_positions: int | None = None,
    ) -> None:
        self.session = session
        self.path, self.max_positions = path, max_positions  # for the message when a batch fails
        self.encoded = encoded
        self.sites = sites
        self.head_feeds = head_feeds
        self.inputs = {i.name: i for i in session.get_inputs()}
        self.readout = None  # read out as exported: the graph's own logits
        self.forward_examples = 0  # example-forwards run so far (per copy)

    def feeds(self, rows: np.ndarray, copies: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        ids, answer, labels = self.encoded.batch(rows)
        p = next(iter(copies.values())).shape[0] if copies else 1
        mask = answer_mask(ids, answer)
        feeds = standard_feeds(self.inputs, np.tile(ids, (p, 1)), np.tile(mask, (p, 1)))
        if LABEL_IDS in self.inputs:
            feeds[LABEL_IDS] = labels
        if ANSWER_INDEX in self.inputs:
            feeds[ANSWER_INDEX] = answer
        feeds |= {k: v for k, v in self.head_feeds.items() if k in self.inputs}
        for s in self.sites:
            feeds[s.input_name] = np.ascontiguousarray(copies[s.key], dtype=np.float32)  # [P, r, out]
        return feeds

    def run(
        self, rows: np.ndarray, copies: dict[str, np.ndarray], readout: None = None
    ) -> tuple[np.ndarray, np.ndarray, None]:
        """loss [P, E], label_logits [P, E, C] and no features (a user's graph is read out as exported)."""
        loss, logits = self.outputs(["loss", "label_logits"], self.feeds(rows, copies))
        p = next(iter(copies.values())).shape[0] if copies else 1
        self.forward_examples += p * len(rows)
        return loss, logits, None

    def outputs(self, names: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """The session's ``names`` on ``feeds``; a batch the model fails on becomes a GenbaError."""
        try:
            return self.session.run(names, feeds)
        except ORT_ERRORS as exc:
            tokens, limit = feeds["input_ids"].shape[1], self.max_positions
            if limit is not None and tokens > limit:
                en = f"The examples are longer than this model accepts ({tokens} tokens; its limit is {limit})."
                ja = f"学習データの文章がこのモデルの受け付ける長さを超えています（{tokens} トークン、上限 {limit}）。"
            else:
                en = f"The model failed on a batch of examples (the longest has {tokens} tokens)."
                ja = f"学習データの一部でモデルの実行に失敗しました（最長 {tokens} トークン）。"
            raise GenbaError(
                en + " Shorten the texts (or the prompt template), and check that tokenizer.json belongs to "
                "this model.",
                ja
                + "学習データの文章（または問いかけの文）を短くし、tokenizer.json がこのモデルのものか確認して"
                "ください。",
                path=self.path,
                detail=str(exc),
            ) from exc

    def on(self, rows: np.ndarray, readout: None = None) -> BatchObjective:
        """The ZO objective of one batch: copies -> mean loss per copy [P]."""
        return BatchObjective(self, np.asarray(rows))
