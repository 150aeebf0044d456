"""Surgery on user ONNX models as exporters write them: find linear layers, add adapters, score labels.

* ``find_linear_sites``: MatMul / Gemm nodes whose weight is a 2-D fp32 initializer, minus the LM head.
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
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from app.engine.errors import GenbaError
from app.engine.models.adapters import merged_delta
from app.engine.models.llama_graph import ClassHead, class_scores
from app.engine.run_files import CLASS_LOGITS

MIN_OPSET = 11  # Range and GatherElements
LOGITS = "logits"
# Inputs and outputs the surgery adds; a source graph that already uses one of these names is refused.
ANSWER_INDEX, LABEL_IDS, LABEL_HEAD, LABEL_BIAS = "answer_index", "label_ids", "label_head", "label_bias"
LOSS, LABEL_LOGITS = "loss", "label_logits"
LAST_HIDDEN_STATE, FEATURES = "last_hidden_state", "features"  # a sentence encoder's states, pooled
ENCODER_MIN_OPSET = 13  # ReduceSum takes its axes as an input from opset 13 (the pooling and the head)
CHAR_GRAMS_MIN_OPSET = 16  # ScatterElements' reduction, which the character n-grams of a head need
B_PREFIX = "lora_B."
EXTERNAL_DATA_THRESHOLD = int(1.5 * 2**30)  # protobuf refuses 2 GiB; leave room for the graph itself

_GENERIC_TOKENS = re.compile(r"^(matmul|gemm|weight|kernel|bias|(matmul|gemm|add)_\d+|\d+)$", re.IGNORECASE)
_LAYER_TOKENS = ("layers", "layer", "h", "blocks", "block")
_PROJECTIONS = {
    **dict.fromkeys(("q_proj", "query", "q", "wq", "to_q", "q_lin", "attn_q"), "q"),
    **dict.fromkeys(("k_proj", "key", "k", "wk", "to_k", "k_lin", "attn_k"), "k"),
    **dict.fromkeys(("v_proj", "value", "v", "wv", "to_v", "v_lin", "attn_v"), "v"),
    **dict.fromkeys(("o_proj", "out_proj", "wo", "attn_output", "out_lin", "to_out"), "o"),
    **dict.fromkeys(("gate_proj", "w1", "ffn_gate"), "gate"),
    **dict.fromkeys(("up_proj", "w3", "ffn_up", "fc1", "c_fc", "lin1"), "up"),
    **dict.fromkeys(("down_proj", "w2", "ffn_down", "fc2", "lin2"), "down"),
}
# Ops allowed between the head and 'logits': layout only, or elementwise with a constant (the label path
# replays the latter: a vocabulary bias, logit scaling, Gemma-2-style tanh soft-capping).
_LAYOUT_OPS = frozenset({"Identity", "Reshape", "Squeeze", "Unsqueeze", "Flatten"})
_CONSTANT_OPS = frozenset({"Add", "Sub", "Mul", "Div"})
_MAX_HEAD_CHAIN = 16


@dataclass(frozen=True)
class LinearSite:
    """One linear layer that can carry an adapter: ``y = x @ W`` (``x @ W.T`` when ``transposed``)."""

    key: str  # "<layer>.<proj>" when the names say so, else a name derived from the node
    layer: int | None
    proj: str  # q, k, v, o, gate, up, down, or the module's own name (c_attn, dense, ...)
    d_in: int
    d_out: int
    weight_name: str  # the initializer
    transposed: bool  # the weight is stored [out, in] (Gemm transB=1, or MatMul on Transpose(W))
    node_name: str
    output: str  # the node's output tensor: identifies the node even when it has no name

    @property
    def input_name(self) -> str:
        return f"{B_PREFIX}{self.key}"


@dataclass(frozen=True)
class LmHead:
    """The last linear layer before ``logits`` and what lies between them.

    ``layout`` is the orientation of the head weight as stored, which the ``label_head`` input keeps:
    "HV" (MatMul, weight ``[H, V]``; ``label_head [H, C]`` = its label-word columns) or "VH" (Gemm with
    transB=1, or MatMul on a Transpose of a tied embedding; ``label_head [C, H]`` = its label-word rows).
    """

    output: str  # the head node's output tensor
    hidden: str  # the tensor the head multiplies
    weight_name: str
    layout: str  # "HV" | "VH"
    hidden_size: int
    vocab: int
    alpha: float = 1.0  # Gemm attributes (1.0 for MatMul)
    beta: float = 1.0
    bias_name: str | None = None  # a [V] (or scalar) initializer: Gemm's C or an Add after the head
    bias_in_gemm: bool = False
    post: tuple[tuple, ...] = field(default=())  # (op, constant, constant_first) from head to logits


# --- reading the graph -----------------------------------------------------------------------------------


def model_opset(model: onnx.ModelProto) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    return 1


def _graph_kind(model: onnx.ModelProto) -> str:
    """'causal-lm' (logits [B, T, V]) or 'classifier' (logits [B, C]), from the output's rank."""
    outputs = {o.name: o for o in model.graph.output}
    if LOGITS not in outputs:
        found = ", ".join(sorted(outputs)) or "(none)"
        raise GenbaError(
            f"The model has no output 'logits' (found: {found}); expected a causal language model or a "
            "sequence classifier as Hugging Face exporters write them.",
            f"モデルに出力「logits」がありません（見つかった出力: {found}）。Hugging Face の書き出し形式の言語モデル"
            "または文分類モデルが必要です。",
            field=LOGITS,
        )
    rank = len(outputs[LOGITS].type.tensor_type.shape.dim)
    if rank == 3:
        return "causal-lm"
    if rank == 2:
        return "classifier"
    raise GenbaError(
        f"The output 'logits' has {rank} dimensions; expected 3 (causal LM) or 2 (classifier).",
        f"出力「logits」の次元数が {rank} です。3（言語モデル）または 2（分類モデル）が必要です。",
        field=LOGITS,
    )


def _subgraphs(node: onnx.NodeProto) -> list[onnx.GraphProto]:
    out = []
    for attr in node.attribute:
        if attr.HasField("g"):
            out.append(attr.g)
        out.extend(attr.graphs)
    return out


def _free_names(graph: onnx.GraphProto) -> set[str]:
    """Names a subgraph reads from the scope around it."""
    local = {i.name for i in graph.input} | {t.name for t in graph.initializer}
    local |= {o for n in graph.node for o in n.output}
    used = {o.name for o in graph.output}
    for node in graph.node:
        used |= _node_reads(node)
    return used - local


def _node_reads(node: onnx.NodeProto) -> set[str]:
    """Every tensor a node reads, including those its If/Loop/Scan bodies take from the outer scope."""
    names = {i for i in node.input if i}
    for sub in _subgraphs(node):
        names |= _free_names(sub)
    return names


def _float_matrix(init: TensorProto | None) -> bool:
    return init is not None and init.data_type == TensorProto.FLOAT and len(init.dims) == 2


def _attr(node: onnx.NodeProto, name: str, default):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _transposed_initializer(name: str, inits: dict[str, TensorProto], producers: dict) -> TensorProto | None:
    """The 2-D fp32 initializer W when ``name`` is Transpose(W) (how torch's dynamo exporter writes nn.Linear)."""
    node = producers.get(name)
    if node is None or node.op_type != "Transpose" or list(_attr(node, "perm", [1, 0])) != [1, 0]:
        return None
    weight = inits.get(node.input[0])
    return weight if _float_matrix(weight) else None


def _linear_weight(
    node: onnx.NodeProto, inits: dict[str, TensorProto], producers: dict
) -> tuple[str, int, int, bool] | None:
    """(weight, d_in, d_out, transposed) when ``node`` multiplies activations by a 2-D fp32 initializer."""
    if node.op_type not in ("MatMul", "Gemm") or len(node.input) < 2 or node.input[0] in inits:
        return None
    weight = inits.get(node.input[1])
    if node.op_type == "MatMul" and weight is None:
        weight = _transposed_initializer(node.input[1], inits, producers)
        if weight is not None:  # x @ Transpose(W): W is stored [out, in]
            return weight.name, int(weight.dims[1]), int(weight.dims[0]), True
    if not _float_matrix(weight):
        return None
    rows, cols = (int(d) for d in weight.dims)
    if node.op_type == "MatMul":
        return weight.name, rows, cols, False
    if _attr(node, "transA", 0):
        return None
    if _attr(node, "transB", 0):
        return weight.name, cols, rows, True
    return weight.name, rows, cols, False


def _name_tokens(name: str) -> list[str]:
    """``/model/layers.3/self_attn/q_proj/MatMul`` -> [model, layers, 3, self_attn, q_proj]."""
    if name.startswith("onnx::"):
        return []  # torch.onnx's anonymous constants (onnx::MatMul_123) say nothing
    tokens = [t for t in re.split(r"[./:]", name) if t]
    while tokens and _GENERIC_TOKENS.match(tokens[-1]):
        tokens.pop()
    return tokens


def _layer_of(tokens: list[str]) -> int | None:
    for i, tok in enumerate(tokens[:-1]):
        if tok.lower() in _LAYER_TOKENS and tokens[i + 1].isdigit():
            return int(tokens[i + 1])
        m = re.fullmatch(r"(?:layers|layer|blocks|block|h)_(\d+)", tok.lower())
        if m:
            return int(m.group(1))
    return None


def _projection_of(tokens: list[str]) -> str | None:
    """A known projection name (q, k, v, o, gate, up, down), or None."""
    if not tokens:
        return None
    name, context = tokens[-1].lower(), [t.lower() for t in tokens[:-1]]
    if name in _PROJECTIONS:
        return _PROJECTIONS[name]
    if name == "c_proj":  # GPT-2: attn.c_proj is the output projection, mlp.c_proj the down projection
        return "o" if "attn" in context else "down"
    if name == "dense":  # BERT: attention.output.dense, intermediate.dense, output.dense
        if "attention" in context:
            return "o"
        if "intermediate" in context:
            return "up"
        if "output" in context:
            return "down"
    return None


def _describe(node_name: str, weight_name: str) -> tuple[int | None, str, str]:
    """(layer, proj, fallback key) from whichever of the node and weight names is informative."""
    parsed = [_name_tokens(n) for n in (node_name, weight_name)]
    parsed = [t for t in parsed if t]
    with_layer = [t for t in parsed if _layer_of(t) is not None]
    known = [t for t in parsed if _projection_of(t) is not None]
    tokens = next(iter(with_layer + known + parsed), [])
    layer = _layer_of(tokens) if tokens else None
    proj = _projection_of(tokens) or (tokens[-1] if tokens else "linear")
    fallback = re.sub(r"[^A-Za-z0-9_.-]+", "_", ".".join(tokens)).strip("._") or "linear"
    return layer, proj, fallback


def _constant_size(name: str, inits: dict[str, TensorProto], producers: dict) -> int | None:
    """Elements of an initializer or Constant-node output (read from dims: no data needed), else None."""
    if name in inits:
        return int(np.prod(inits[name].dims, dtype=np.int64))
    node = producers.get(name)
    if node is not None and node.op_type == "Constant":
        value = _attr(node, "value", None)
        return int(np.prod(value.dims, dtype=np.int64)) if isinstance(value, TensorProto) else 1
    return None


def _constant(
    name: str, inits: dict[str, TensorProto], producers: dict, base_dir: str | None
) -> np.ndarray | None:
    """The value of an initializer or Constant-node output; None if it is external and no base_dir is given."""
    if name in inits:
        t = inits[name]
        if t.data_location == TensorProto.EXTERNAL and base_dir is None:
            return None
        return numpy_helper.to_array(t, base_dir or "")
    node = producers[name]
    value = _attr(node, "value", None)
    if isinstance(value, TensorProto):
        return numpy_helper.to_array(value)
    for key in ("value_float", "value_int"):
        scalar = _attr(node, key, None)
        if scalar is not None:
            return np.asarray(scalar)
    return None


def _head_error(found: str, path=None) -> GenbaError:
    return GenbaError(
        f"Cannot find the language-model head that produces 'logits': {found}. Expected a MatMul or Gemm "
        "whose weight is a 2-D float32 tensor stored in the model ([hidden, vocab], or [vocab, hidden] "
        "transposed), followed only by reshapes, a bias Add or constant scaling.",
        f"「logits」を出力する言語モデルヘッドが見つかりません: {found}。重みがモデル内の 2 次元 float32 テンソル"
        "（[hidden, vocab] または転置した [vocab, hidden]）である MatMul / Gemm と、その後に形状変更・バイアス加算・"
        "定数倍だけが続く構成が必要です。",
        path=path,
        field=LOGITS,
    )


def _walk_to_head(graph: onnx.GraphProto, path=None) -> tuple[onnx.NodeProto, list[tuple]]:
    """The MatMul/Gemm that 'logits' comes from, and the ops after it as (op, constant name, first)."""
    inits = {t.name: t for t in graph.initializer}
    producers = {o: n for n in graph.node for o in n.output}
    tensor, post, seen = LOGITS, [], []
    for _ in range(_MAX_HEAD_CHAIN):
        node = producers.get(tensor)
        if node is None:
            where = "a graph input" if tensor in {i.name for i in graph.input} else "not computed by any node"
            raise _head_error(
                f"walking back from 'logits' through [{', '.join(seen)}], '{tensor}' is {where}", path
            )
        seen.append(node.op_type)
        if node.op_type in ("MatMul", "Gemm"):
            post.reverse()  # forward order: head -> logits
            return node, post
        layout_only = node.op_type in _LAYOUT_OPS
        if layout_only or (node.op_type == "Cast" and _attr(node, "to", 0) == TensorProto.FLOAT):
            tensor = node.input[0]
        elif node.op_type == "Tanh":
            post.append(("Tanh", None, False))
            tensor = node.input[0]
        elif node.op_type in _CONSTANT_OPS and len(node.input) == 2:
            sizes = [_constant_size(i, inits, producers) for i in node.input]
            if (sizes[0] is None) == (sizes[1] is None):
                raise _head_error(
                    f"walking back from 'logits' through [{', '.join(seen)}], the {node.op_type} "
                    f"'{node.name}' combines two computed tensors (expected one constant)",
                    path,
                )
            first = sizes[0] is not None
            const, size = (node.input[0], sizes[0]) if first else (node.input[1], sizes[1])
            if size == 1:
                post.append((node.op_type, const, first))
            elif node.op_type == "Add":
                post.append(("Bias", const, first))
            else:
                raise _head_error(
                    f"the {node.op_type} '{node.name}' after the head uses a constant of {size} values "
                    "(only a scalar or a vocabulary bias can be replayed)",
                    path,
                )
            tensor = node.input[1] if first else node.input[0]
        else:
            raise _head_error(
                f"walking back from 'logits' through [{', '.join(seen)}], the {node.op_type} '{node.name}' "
                "is not a linear layer, a reshape or a constant scaling",
                path,
            )
    raise _head_error(f"no MatMul/Gemm within {_MAX_HEAD_CHAIN} nodes of 'logits' ({', '.join(seen)})", path)


def find_lm_head(
    model: onnx.ModelProto,
    path: str | os.PathLike[str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> LmHead:
    """Walk back from ``logits`` to the head; a GenbaError says what was found when the walk is unsure.

    ``base_dir`` (default: the folder of ``path``) is where external data is read from, for scalars after
    the head that a model stored outside its graph.
    """
    graph = model.graph
    _graph_kind(model)
    inits = {t.name: t for t in graph.initializer}
    producers = {o: n for n in graph.node for o in n.output}
    if base_dir is None and path is not None:
        base_dir = Path(path).parent
    base = os.fspath(base_dir) if base_dir is not None else None
    node, chain = _walk_to_head(graph, path)
    post = []
    for op, const, first in chain:
        if op in _CONSTANT_OPS:
            value = _constant(const, inits, producers, base)
            if value is None:
                raise _head_error(f"the constant '{const}' after the head is stored outside the graph", path)
            post.append((op, float(value.reshape(())), first))
        else:
            post.append((op, const, first))
    hidden, weight_in = node.input[0], node.input[1]
    if hidden in inits:
        raise _head_error(
            f"the {node.op_type} '{node.name}' before 'logits' multiplies a constant by activations", path
        )
    alpha, beta = 1.0, 1.0
    bias_name, bias_in_gemm = None, False
    if node.op_type == "Gemm":
        if _attr(node, "transA", 0):
            raise _head_error(
                f"the Gemm '{node.name}' before 'logits' transposes its activations (transA=1)", path
            )
        alpha, beta = float(_attr(node, "alpha", 1.0)), float(_attr(node, "beta", 1.0))
        layout = "VH" if _attr(node, "transB", 0) else "HV"
        weight = inits.get(weight_in)
        if len(node.input) > 2 and node.input[2]:
            if node.input[2] not in inits:
                raise _head_error(
                    f"the bias of the Gemm '{node.name}' before 'logits' is computed, not stored", path
                )
            bias_name, bias_in_gemm = node.input[2], True
    else:
        weight, layout = inits.get(weight_in), "HV"
        source = producers.get(weight_in)
        if weight is None and source is not None and source.op_type == "Transpose":
            perm = list(_attr(source, "perm", [1, 0]))
            if perm == [1, 0] and _float_matrix(inits.get(source.input[0])):
                weight, layout = inits[source.input[0]], "VH"  # tied embedding, transposed in the graph
    if not _float_matrix(weight):
        if weight is not None:
            what = f"a {len(weight.dims)}-D tensor of ONNX type {weight.data_type}"
        elif weight_in in producers:
            what = f"the output of a {producers[weight_in].op_type} node"
        else:
            what = "a graph input"
        raise _head_error(
            f"the {node.op_type} '{node.name}' before 'logits' takes its weight from {what}", path
        )
    rows, cols = (int(d) for d in weight.dims)
    hidden_size, vocab = (rows, cols) if layout == "HV" else (cols, rows)
    out_dims = {o.name: o for o in graph.output}[LOGITS].type.tensor_type.shape.dim
    if out_dims and out_dims[-1].HasField("dim_value") and out_dims[-1].dim_value != vocab:
        raise _head_error(
            f"the {node.op_type} '{node.name}' gives {vocab} values per position, but 'logits' has "
            f"{out_dims[-1].dim_value}",
            path,
        )
    for op, const, _ in post:
        if op != "Bias":
            continue
        if bias_name is not None:
            raise _head_error("two bias additions after the head (only one can be replayed)", path)
        if const not in inits:
            raise _head_error(f"the bias '{const}' added after the head is not a stored tensor", path)
        size = int(np.prod(inits[const].dims))
        if size != vocab:
            raise _head_error(f"the bias added after the head has {size} values, expected {vocab}", path)
        bias_name = const
    if bias_in_gemm and int(np.prod(inits[bias_name].dims)) not in (1, vocab):
        raise _head_error(f"the bias of the head Gemm has {int(np.prod(inits[bias_name].dims))} values", path)
    return LmHead(
        node.output[0],
        hidden,
        weight.name,
        layout,
        hidden_size,
        vocab,
        alpha,
        beta,
        bias_name,
        bias_in_gemm,
        tuple(post),
    )


def find_linear_sites(model: onnx.ModelProto) -> list[LinearSite]:
    """Every MatMul/Gemm with a 2-D fp32 initializer weight, in graph order, except the LM head.

    The head is the linear layer ``find_lm_head`` walks back to; if that walk is unsure, the last linear
    node that ``logits`` depends on. Weights used by more than one node are skipped: folding an adapter
    into a shared weight would change every user of it.
    """
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    producers = {o: n for n in graph.node for o in n.output}
    reads = Counter(name for node in graph.node for name in _node_reads(node))
    found = []
    for node in graph.node:
        linear = _linear_weight(node, inits, producers)
        if linear is not None and reads[linear[0]] == 1 and reads[node.input[1]] == 1:
            found.append((node, linear))
    head_output = None
    try:
        head_output = _walk_to_head(graph)[0].output[0]
    except GenbaError:
        needed, stack = set(), [o.name for o in graph.output if o.name == LOGITS]
        while stack:
            t = stack.pop()
            if t in needed:
                continue
            needed.add(t)
            if t in producers:
                stack.extend(_node_reads(producers[t]))
        ancestors = [node.output[0] for node, _ in found if node.output[0] in needed]
        head_output = ancestors[-1] if ancestors else None
    sites = []
    for node, (weight, d_in, d_out, transposed) in found:
        if node.output[0] == head_output:
            continue
        layer, proj, fallback = _describe(node.name, weight)
        key = f"{layer}.{proj}" if layer is not None else fallback
        sites.append(LinearSite(key, layer, proj, d_in, d_out, weight, transposed, node.name, node.output[0]))
    counts, seen = Counter(s.key for s in sites), Counter()
    unique = []
    for s in sites:  # two nodes parsed to one key (fused or oddly named modules): number them in order
        if counts[s.key] > 1:
            seen[s.key] += 1
            s = replace(s, key=f"{s.key}_{seen[s.key]}")
        unique.append(s)
    return unique


# --- writing the graph -----------------------------------------------------------------------------------


class _Emitter:
    """Emits nodes and constants with fresh names, in the opset of the model being edited."""

    def __init__(self, model: onnx.ModelProto) -> None:
        self.opset = model_opset(model)
        if self.opset < MIN_OPSET:
            raise GenbaError(
                f"The model uses ONNX opset {self.opset}; tuning needs opset {MIN_OPSET} or newer. Export it "
                "again with a recent exporter.",
                f"このモデルは ONNX opset {self.opset} です。調整には opset {MIN_OPSET} 以降が必要です。新しい"
                "エクスポーターで書き出し直してください。",
            )
        graph = model.graph
        self.taken = {i.name for i in graph.input} | {t.name for t in graph.initializer}
        self.taken |= {o for n in graph.node for o in n.output} | {n.name for n in graph.node}
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[TensorProto] = []
        self._n = 0

    def fresh(self, stem: str) -> str:
        while True:
            self._n += 1
            name = f"genba/{stem}_{self._n}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def op(self, op_type: str, *inputs: str, out: str | None = None, **attrs) -> str:
        out = out or self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=self.fresh(op_type), **attrs))
        return out

    def const(self, value, dtype=np.int64) -> str:
        name = self.fresh("const")
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def unsqueeze(self, x: str, axes: list[int]) -> str:
        if self.opset >= 13:
            return self.op("Unsqueeze", x, self.const(axes))
        return self.op("Unsqueeze", x, axes=axes)

    def squeeze(self, x: str, axes: list[int]) -> str:
        if self.opset >= 13:
            return self.op("Squeeze", x, self.const(axes))
        return self.op("Squeeze", x, axes=axes)

    def dims(self, x: str, start: int, end: int) -> str:
        """Shape(x)[start:end], int64 [end - start]."""
        if self.opset >= 15:
            return self.op("Shape", x, start=start, end=end)
        return self.op("Slice", self.op("Shape", x), self.const([start]), self.const([end]), self.const([0]))

    def dim(self, x: str, start: int, end: int) -> str:
        """``dims``, under the name ``llama_graph.class_scores`` calls."""
        return self.dims(x, start, end)

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
        x = node.input[0]
        # x: [P*E, T, in] (or [P*E*T, in] for a Gemm), copies outermost -> [P, E*T, in]: copy j meets B[j].
        xr = e.op("Reshape", x, e.op("Concat", copies, e.const([-1, site.d_in]), axis=0))
        delta = e.op("MatMul", e.op("MatMul", xr, f"lora_A.{site.key}"), site.input_name)  # [P, E*T, out]
        alpha = float(_attr(node, "alpha", 1.0)) if node.op_type == "Gemm" else 1.0
        if alpha != 1.0:  # Gemm scales x @ W by alpha; merge_adapters folds into W, so scale the branch too
            delta = e.op("Mul", delta, e.const(alpha, np.float32))
        e.op("Add", base, e.op("Reshape", delta, e.op("Shape", base)), out=site.output)
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
    kind = _graph_kind(model)
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
    mask = e.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    ids = e.op("Cast", "input_ids", to=TensorProto.INT64)  # some exporters take int32 ids
    scores = class_scores(e, head, _mean_pooled(e, normalise), ids, mask)
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
            needed |= _node_reads(node)
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
