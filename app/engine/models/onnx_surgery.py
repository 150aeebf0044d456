"""Surgery on user ONNX models as exporters write them: add adapters, score labels, fold adapters back.

The layers and the head are found by ``onnx_inspect``; this module edits.

* ``add_adapters``: LoRA-FA on those sites, ``y = x W + (x A_scaled) B[copy]``, with B a graph input
  ``lora_B.<key> [P, r, out]``. The caller tiles the batch copies-outermost (rows ``[P*E, ...]``), so the
  adapter reshapes x to ``[P, E*T, in]`` and copy j meets B[j]. Base weights stay initializers: as graph
  inputs they lose MLAS prepacking (~8-9% slower, ../shared/ZO-NOTES.md §4).
* ``add_label_loss``: the label-word cross-entropy in the graph. For a causal LM the hidden state is
  gathered at the answer position *before* the head and multiplied only by the label words' head columns
  (an input ``label_head``); for a sequence classifier its logits are used as they are.
* ``add_mean_pooling``: for a sentence encoder (output ``last_hidden_state [B, T, H]``), the features a
  fitted head reads: the states averaged over the real tokens, optionally L2-normalised.
* ``merge_adapters``: the source graph with ``A_scaled @ B`` folded into each weight: the deployable model;
  ``append_class_head`` adds an encoder's pooling and fitted head to it as the output ``class_logits``.

Activations are assumed batch-first (rows, then positions), as every Hugging Face exporter writes them;
``OnnxTunableModel`` checks that copies stay independent before a run relies on it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from app.engine.errors import GenbaError
from app.engine.models.adapters import merged_delta
from app.engine.models.llama_config import ClassHead
from app.engine.models.llama_graph import class_scores, words_of
from app.engine.models.onnx_inspect import (
    B_PREFIX,
    LOGITS,
    LinearSite,
    LmHead,
    find_lm_head,
    graph_kind,
    model_opset,
    node_attr,
    node_reads,
)
from app.engine.models.onnx_nodes import NodeBuilder, make_adapter
from app.engine.run_files import CLASS_LOGITS

MIN_OPSET = 11  # Range and GatherElements
# Inputs and outputs the surgery adds; a source graph that already uses one of these names is refused.
ANSWER_INDEX, LABEL_IDS, LABEL_HEAD, LABEL_BIAS = "answer_index", "label_ids", "label_head", "label_bias"
LOSS, LABEL_LOGITS = "loss", "label_logits"
LAST_HIDDEN_STATE, FEATURES = "last_hidden_state", "features"  # a sentence encoder's states, pooled
ENCODER_MIN_OPSET = 13  # ReduceSum takes its axes as an input from opset 13 (the pooling and the head)
CHAR_GRAMS_MIN_OPSET = 13  # CumSum, ScatterElements, ReduceSum with axes as an input: the character n-grams
EXTERNAL_DATA_THRESHOLD = int(1.5 * 2**30)  # protobuf refuses 2 GiB; leave room for the graph itself

# --- writing the graph -----------------------------------------------------------------------------------


class _Emitter(NodeBuilder):
    """Nodes for a user's graph being edited: its opset, names it does not use, and a commit."""

    def __init__(self, model: onnx.ModelProto) -> None:
        opset = model_opset(model)
        if opset < MIN_OPSET:
            raise GenbaError(
                f"The model uses ONNX opset {opset}; tuning needs opset {MIN_OPSET} or newer. Export it "
                "again with a recent exporter.",
                f"このモデルは ONNX opset {opset} です。調整には opset {MIN_OPSET} 以降が必要です。新しい"
                "エクスポーターで書き出し直してください。",
            )
        graph = model.graph
        taken = {i.name for i in graph.input} | {t.name for t in graph.initializer}
        taken |= {o for n in graph.node for o in n.output} | {n.name for n in graph.node}
        super().__init__(opset, prefix="genba/", taken=taken, name_nodes=True)

    def commit(
        self, graph: onnx.GraphProto, before: list[onnx.NodeProto], after: list[onnx.NodeProto]
    ) -> None:
        graph.initializer.extend(self.initializers)
        _set_nodes(graph, before + self.nodes + after)
        self.nodes, self.initializers = [], []


def _set_nodes(graph: onnx.GraphProto, nodes: list[onnx.NodeProto]) -> None:
    """Replace the node list; copies first, since the old entries may be among ``nodes``."""
    copies = []
    for node in nodes:
        c = onnx.NodeProto()
        c.CopyFrom(node)
        copies.append(c)
    del graph.node[:]
    graph.node.extend(copies)


def _copy(model: onnx.ModelProto) -> onnx.ModelProto:
    out = onnx.ModelProto()
    out.CopyFrom(model)
    return out


def _refuse_taken(model: onnx.ModelProto, names: list[str]) -> None:
    graph = model.graph
    used = (
        {i.name for i in graph.input} | {o.name for o in graph.output} | {t.name for t in graph.initializer}
    )
    used |= {o for n in graph.node for o in n.output}
    clash = sorted(set(names) & used)
    if clash:
        raise GenbaError(
            f"The model already has tensors named {clash}, which the tuner needs for its own inputs and outputs.",
            f"モデルにはすでに {clash} という名前のテンソルがあり、調整用の入出力と重なります。",
            detail=str(clash),
        )


def _copies_tensor(e: _Emitter, graph: onnx.GraphProto) -> str:
    """int64 [1]: P, the leading dimension of the first B input, or 1 without adapters."""
    b_inputs = [i.name for i in graph.input if i.name.startswith(B_PREFIX)]
    return e.dims(b_inputs[0], 0, 1) if b_inputs else e.const([1])


def add_adapters(
    model: onnx.ModelProto,
    sites: list[LinearSite],
    a_scaled: dict[str, np.ndarray],
    *,
    inplace: bool = False,
) -> onnx.ModelProto:
    """A copy of ``model`` with ``(x @ A_scaled) @ B[copy]`` added to each site's output.

    ``a_scaled[site.key]`` is the frozen ``[in, r]`` matrix with alpha/r folded in. B enters as the input
    ``lora_B.<key> [P, r, out]``; rows of the batch must be tiled copies-outermost by the caller. The site
    node now writes ``<output>/genba_base`` and an Add writes the original output name, so every consumer
    (and a graph output of that name) reads the adapted value unchanged.
    """
    out = model if inplace else _copy(model)
    if not sites:
        return out
    graph = out.graph
    _refuse_taken(out, [s.input_name for s in sites] + [f"lora_A.{s.key}" for s in sites])
    e = _Emitter(out)
    for s in sites:
        rank = a_scaled[s.key].shape[1]
        if a_scaled[s.key].shape[0] != s.d_in:
            raise ValueError(f"A of {s.key} is {a_scaled[s.key].shape}, expected [{s.d_in}, r]")
        graph.input.append(
            helper.make_tensor_value_info(s.input_name, TensorProto.FLOAT, ["copies", rank, s.d_out])
        )
        graph.initializer.append(
            numpy_helper.from_array(a_scaled[s.key].astype(np.float32), f"lora_A.{s.key}")
        )
    copies = _copies_tensor(e, graph)
    prologue, e.nodes = e.nodes, []
    by_output = {s.output: s for s in sites}
    body = []
    for node in graph.node:
        site = by_output.pop(node.output[0], None) if node.output else None
        if site is None:
            body.append(node)
            continue
        if node.op_type not in ("MatMul", "Gemm"):
            raise ValueError(
                f"site {site.key}: '{site.output}' is written by a {node.op_type}, not a MatMul/Gemm"
            )
        base = e.fresh(f"{site.key}/base")
        node.output[0] = base
        body.append(node)
        # A Gemm scales x @ W by alpha; merge_adapters folds into W, so the branch is scaled too.
        alpha = float(node_attr(node, "alpha", 1.0)) if node.op_type == "Gemm" else 1.0
        make_adapter(
            e,
            node.input[0],
            base,
            f"lora_A.{site.key}",
            site.input_name,
            copies,
            site.d_in,
            alpha=alpha,
            out=site.output,
        )
        body.extend(e.nodes)
        e.nodes = []
    if by_output:
        raise ValueError(f"sites not found in the graph: {sorted(s.key for s in by_output.values())}")
    e.nodes = prologue
    e.commit(graph, [], body)
    return out


def _label_cross_entropy(
    e: _Emitter, logits: str, copies: str, n_labels: str, labels: str
) -> tuple[str, str]:
    """[P*E, C] logits -> (loss [P, E], label_logits [P, E, C])."""
    per_copy = e.op("Reshape", logits, e.op("Concat", copies, e.const([-1]), n_labels, axis=0))
    logp = e.op("LogSoftmax", per_copy, axis=2)
    index = e.op("Expand", e.unsqueeze(labels, [0, 2]), e.op("Concat", copies, e.const([1, 1]), axis=0))
    loss = e.op("Neg", e.squeeze(e.op("GatherElements", logp, index, axis=2), [2]))
    return loss, per_copy


def add_label_loss(
    model: onnx.ModelProto, path: str | os.PathLike[str] | None = None, *, inplace: bool = False
) -> onnx.ModelProto:
    """A copy of ``model`` whose outputs are ``loss [P, E]`` and ``label_logits [P, E, C]``.

    New inputs: ``label_ids [E]`` (class index per example) and, for a causal LM, ``answer_index [E]``
    (the position whose next-token logits score the labels), ``label_head`` (see ``LmHead.layout``:
    ``[H, C]`` for a MatMul head, ``[C, H]`` for a Gemm transB / tied head) and ``label_bias [C]`` when the
    head has a bias. P comes from the leading dimension of the first ``lora_B.*`` input (1 without
    adapters); the examples' rows are ``[P*E, ...]``, copies outermost, and answer_index is tiled in-graph.
    For a sequence classifier its logits ``[P*E, C]`` are reshaped and scored as they are.
    Everything that only fed the old outputs (the full-vocabulary head, present key/values) is pruned.
    """
    kind = graph_kind(model)
    head = find_lm_head(model, path) if kind == "causal-lm" else None
    out = model if inplace else _copy(model)
    graph = out.graph
    names = [LABEL_IDS, LOSS, LABEL_LOGITS]
    if head is not None:
        names += [ANSWER_INDEX, LABEL_HEAD] + ([LABEL_BIAS] if head.bias_name else [])
    _refuse_taken(out, names)
    e = _Emitter(out)
    copies = _copies_tensor(e, graph)
    labels = LABEL_IDS
    graph.input.append(helper.make_tensor_value_info(LABEL_IDS, TensorProto.INT64, ["batch"]))
    if head is None:
        logits = LOGITS
        n_labels = e.dims(logits, 1, 2)
    else:
        graph.input.append(helper.make_tensor_value_info(ANSWER_INDEX, TensorProto.INT64, ["batch"]))
        shape = [head.hidden_size, "labels"] if head.layout == "HV" else ["labels", head.hidden_size]
        graph.input.append(helper.make_tensor_value_info(LABEL_HEAD, TensorProto.FLOAT, shape))
        if head.bias_name:
            graph.input.append(helper.make_tensor_value_info(LABEL_BIAS, TensorProto.FLOAT, ["labels"]))
        # The answer row of every example and copy: flat index row * T + answer into [P*E*T, H].
        answer = e.op("Tile", ANSWER_INDEX, copies)  # [P*E]
        flat = e.op("Reshape", head.hidden, e.const([-1, head.hidden_size]))
        n_rows = e.op("Shape", answer)
        seq = e.op("Div", e.dims(flat, 0, 1), n_rows)  # T, whatever the head input's rank
        starts = e.op(
            "Mul", e.op("Range", e.const(0), e.squeeze(n_rows, [0]), e.const(1)), e.squeeze(seq, [0])
        )
        hidden = e.op("Gather", flat, e.op("Add", starts, answer), axis=0)  # [P*E, H]
        gemm_inputs = [hidden, LABEL_HEAD] + ([LABEL_BIAS] if head.bias_in_gemm else [])
        logits = e.op(
            "Gemm", *gemm_inputs, alpha=head.alpha, beta=head.beta, transB=int(head.layout == "VH")
        )  # [P*E, C]: only the label words' head columns
        for op, const, first in head.post:
            if op == "Tanh":
                logits = e.op("Tanh", logits)
            elif op == "Bias":
                logits = e.op("Add", logits, LABEL_BIAS)
            else:
                c = e.const(const, np.float32)
                logits = e.op(op, *((c, logits) if first else (logits, c)))
        n_labels = e.dims(LABEL_HEAD, 1, 2) if head.layout == "HV" else e.dims(LABEL_HEAD, 0, 1)
    loss, per_copy = _label_cross_entropy(e, logits, copies, n_labels, labels)
    e.op("Identity", loss, out=LOSS)
    e.op("Identity", per_copy, out=LABEL_LOGITS)
    e.commit(graph, list(graph.node), [])
    del graph.output[:]
    graph.output.extend(
        [
            helper.make_tensor_value_info(LOSS, TensorProto.FLOAT, ["copies", "batch"]),
            helper.make_tensor_value_info(LABEL_LOGITS, TensorProto.FLOAT, ["copies", "batch", "labels"]),
        ]
    )
    _prune(graph)
    return out


def _mean_pooled(e: _Emitter, normalise: bool) -> str:
    """[B, H]: ``last_hidden_state`` averaged over the tokens ``attention_mask`` marks real, then (when
    ``normalise``) divided by its L2 norm: sentence-transformers' mean pooling and Normalize, with their
    epsilons (a count of at least 1e-9, a norm of at least 1e-12)."""
    if e.opset < ENCODER_MIN_OPSET:
        raise ValueError(f"pooling needs opset {ENCODER_MIN_OPSET}, the model has {e.opset}")
    mask = e.op("Cast", "attention_mask", to=TensorProto.FLOAT)  # [B, T]
    summed = e.op(
        "ReduceSum", e.op("Mul", LAST_HIDDEN_STATE, e.unsqueeze(mask, [2])), e.const([1]), keepdims=0
    )
    count = e.op("ReduceSum", mask, e.const([1]), keepdims=1)  # [B, 1]
    pooled = e.op("Div", summed, e.op("Max", count, e.const(1e-9, np.float32)))
    if not normalise:
        return pooled
    norm = e.op("Sqrt", e.op("ReduceSum", e.op("Mul", pooled, pooled), e.const([1]), keepdims=1))
    return e.op("Div", pooled, e.op("Max", norm, e.const(1e-12, np.float32)))


def add_mean_pooling(model: onnx.ModelProto, *, normalise: bool, inplace: bool = False) -> onnx.ModelProto:
    """A copy of a sentence encoder whose only output is ``features [B, H]`` (``_mean_pooled``).

    The rows may be tiled copies of the batch (``add_adapters``); the caller reshapes them to ``[P, E, H]``.
    """
    out = model if inplace else _copy(model)
    graph = out.graph
    _refuse_taken(out, [FEATURES])
    e = _Emitter(out)
    e.op("Identity", _mean_pooled(e, normalise), out=FEATURES)
    e.commit(graph, list(graph.node), [])
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info(FEATURES, TensorProto.FLOAT, ["batch", "hidden"]))
    _prune(graph)
    return out


def append_class_head(
    model: onnx.ModelProto, head: ClassHead, *, normalise: bool, inplace: bool = False
) -> onnx.ModelProto:
    """A sentence encoder with a second output ``class_logits [B, C]``: ``head`` on its pooled features
    (``_mean_pooled``) and on the n-grams of its token ids (``llama_graph.class_scores``). Inputs and the
    output ``last_hidden_state`` stay as they were."""
    out = model if inplace else _copy(model)
    graph = out.graph
    _refuse_taken(out, [CLASS_LOGITS])
    e = _Emitter(out)
    if head.char_weight is not None and e.opset < CHAR_GRAMS_MIN_OPSET:
        raise ValueError(f"character n-grams need opset {CHAR_GRAMS_MIN_OPSET}, the model has {e.opset}")
    ids = e.op("Cast", "input_ids", to=TensorProto.INT64)  # some exporters take int32 ids
    # An encoder cuts its raw text itself (``OnnxTunable.encode``): its words are its input ids, whole.
    words = words_of(e, ids, "attention_mask") if head.reads_words else None
    scores = class_scores(e, head, _mean_pooled(e, normalise), words)
    e.op("Identity", scores, out=CLASS_LOGITS)
    e.commit(graph, list(graph.node), [])
    graph.output.append(helper.make_tensor_value_info(CLASS_LOGITS, TensorProto.FLOAT, ["batch", "classes"]))
    return out


def _prune(graph: onnx.GraphProto) -> None:
    """Drop nodes, initializers, inputs and value_info that no output depends on."""
    needed = {o.name for o in graph.output}
    kept = []
    for node in reversed(graph.node):
        if any(o in needed for o in node.output if o):
            kept.append(node)
            needed |= node_reads(node)
    kept.reverse()
    _set_nodes(graph, kept)
    kept = list(graph.node)
    for field_name in ("initializer", "input"):
        items = [x for x in getattr(graph, field_name) if x.name in needed]
        del getattr(graph, field_name)[:]
        getattr(graph, field_name).extend(items)
    produced = {o for n in kept for o in n.output} | {i.name for i in graph.input}
    infos = [v for v in graph.value_info if v.name in produced]
    del graph.value_info[:]
    graph.value_info.extend(infos)


def label_head_feeds(
    model: onnx.ModelProto,
    head: LmHead,
    token_ids: np.ndarray,
    base_dir: str | os.PathLike[str] | None = None,
) -> dict[str, np.ndarray]:
    """``label_head`` (in the head weight's own orientation) and ``label_bias`` for these token ids."""
    inits = {t.name: t for t in model.graph.initializer}
    ids = np.asarray(token_ids, dtype=np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= head.vocab):
        raise GenbaError(
            f"The tokenizer gives label-word token ids up to {int(ids.max())}, but the model's head has only "
            f"{head.vocab} entries: tokenizer.json does not belong to this model.",
            f"ラベル語のトークン ID（最大 {int(ids.max())}）がモデルのヘッドの語彙数 {head.vocab} を超えています。"
            "tokenizer.json がこのモデルのものではありません。",
            field="tokenizer.json",
        )
    base = os.fspath(base_dir) if base_dir is not None else ""
    weight = numpy_helper.to_array(inits[head.weight_name], base)
    rows = weight[:, ids] if head.layout == "HV" else weight[ids]
    feeds = {LABEL_HEAD: np.ascontiguousarray(rows, dtype=np.float32)}
    if head.bias_name:
        bias = numpy_helper.to_array(inits[head.bias_name], base).reshape(-1).astype(np.float32)
        feeds[LABEL_BIAS] = np.full(len(ids), bias[0], np.float32) if bias.size == 1 else bias[ids]
    return feeds


# --- folding adapters back -------------------------------------------------------------------------------


def merge_adapters(
    model: onnx.ModelProto,
    sites: list[LinearSite],
    a_scaled: dict[str, np.ndarray],
    b: dict[str, np.ndarray],
    *,
    inplace: bool = False,
) -> onnx.ModelProto:
    """The source graph with ``W += A_scaled @ B`` in each site's weight; same inputs and outputs.

    ``model`` must hold its weights (``onnx.load(path)`` reads external data from the model's folder).
    """
    out = model if inplace else _copy(model)
    inits = {t.name: t for t in out.graph.initializer}
    for s in sites:
        tensor = inits.get(s.weight_name)
        if tensor is None:
            raise ValueError(f"site {s.key}: no initializer '{s.weight_name}'")
        if tensor.data_location == TensorProto.EXTERNAL:
            raise ValueError(
                f"site {s.key}: '{s.weight_name}' is external; load the model with its data first"
            )
        w = numpy_helper.to_array(tensor).astype(np.float32)
        delta = merged_delta(a_scaled[s.key], b[s.key])  # [in, out]
        w = w + (delta.T if s.transposed else delta)
        tensor.CopyFrom(numpy_helper.from_array(w, s.weight_name))
    return out


def save_model(model: onnx.ModelProto, folder: Path, *, external: bool | None = None) -> Path:
    """Write ``folder/model.onnx``, with weights in ``model.onnx.data`` when ``external`` (default: > 1.5 GB).

    Modifies ``model`` (its tensors become external references) when writing external data.
    """
    path = Path(folder) / "model.onnx"
    if external is None:
        external = sum(len(t.raw_data) for t in model.graph.initializer) > EXTERNAL_DATA_THRESHOLD
    if external:
        onnx.save_model(
            model,
            str(path),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location="model.onnx.data",
            size_threshold=1024,
        )
    else:
        onnx.save_model(model, str(path))
    return path
