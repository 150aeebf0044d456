"""Reading user ONNX models as exporters write them: their linear layers, their LM head, their kind.

* ``find_linear_sites``: MatMul / Gemm nodes whose weight is a 2-D fp32 initializer, minus the LM head,
  each named ``<layer>.<proj>`` when the node and weight names say so.
* ``find_lm_head``: the last linear layer before ``logits`` and the layout/elementwise ops between them,
  which the label loss of ``onnx_surgery`` replays on the label words only.

Nothing here changes a graph; ``onnx_surgery`` does the editing.
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

LOGITS = "logits"
B_PREFIX = "lora_B."  # adapter inputs: lora_B.<site key> [P, r, out]
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


def model_opset(model: onnx.ModelProto) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    return 1


def graph_kind(model: onnx.ModelProto) -> str:
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
        used |= node_reads(node)
    return used - local


def node_reads(node: onnx.NodeProto) -> set[str]:
    """Every tensor a node reads, including those its If/Loop/Scan bodies take from the outer scope."""
    names = {i for i in node.input if i}
    for sub in _subgraphs(node):
        names |= _free_names(sub)
    return names


def _float_matrix(init: TensorProto | None) -> bool:
    return init is not None and init.data_type == TensorProto.FLOAT and len(init.dims) == 2


def node_attr(node: onnx.NodeProto, name: str, default):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _transposed_initializer(name: str, inits: dict[str, TensorProto], producers: dict) -> TensorProto | None:
    """The 2-D fp32 initializer W when ``name`` is Transpose(W) (how torch's dynamo exporter writes nn.Linear)."""
    node = producers.get(name)
    if node is None or node.op_type != "Transpose" or list(node_attr(node, "perm", [1, 0])) != [1, 0]:
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
    if node_attr(node, "transA", 0):
        return None
    if node_attr(node, "transB", 0):
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
        value = node_attr(node, "value", None)
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
    value = node_attr(node, "value", None)
    if isinstance(value, TensorProto):
        return numpy_helper.to_array(value)
    for key in ("value_float", "value_int"):
        scalar = node_attr(node, key, None)
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
        if layout_only or (node.op_type == "Cast" and node_attr(node, "to", 0) == TensorProto.FLOAT):
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
    graph_kind(model)
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
        if node_attr(node, "transA", 0):
            raise _head_error(
                f"the Gemm '{node.name}' before 'logits' transposes its activations (transA=1)", path
            )
        alpha, beta = float(node_attr(node, "alpha", 1.0)), float(node_attr(node, "beta", 1.0))
        layout = "VH" if node_attr(node, "transB", 0) else "HV"
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
            perm = list(node_attr(source, "perm", [1, 0]))
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
    reads = Counter(name for node in graph.node for name in node_reads(node))
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
                stack.extend(node_reads(producers[t]))
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
