"""ONNX graphs of a Llama-family decoder (RMSNorm, RoPE, GQA, SwiGLU), built from a WeightStore.

The same code builds the variants llama.cpp runs as ``qwen2`` (q/k/v biases), ``qwen3`` (RMSNorm per head
on q and k) and ``gemma3`` (q/k norms, norms after attention and FFN, GELU-tanh, scaled embedding,
sliding-window layers with their own RoPE base); which parts are on is in ``LlamaConfig``.

Three shapes of the same network:

* ``build_prefix``: the frozen layers ``[0, start)``: ``input_ids [E, T]`` -> ``hidden [E, T, H]``. Run
  once per example; its output is the frozen-prefix cache.
* ``build_loss_graph``: layers ``[start, L)`` with LoRA-FA adapters whose B matrices are graph inputs
  ``[P, r, out]`` (P perturbed copies in one run), and the label-word loss computed in the graph from the
  hidden state gathered at the answer position (only label-word rows of the LM head are multiplied).
* ``build_causal_lm``: the standard interface ``input_ids, attention_mask -> logits`` used for export.

Sequences in the tuning graphs are right-padded, so causal masking alone keeps pads out of every real
position. Weight layout: every linear weight is stored transposed, ``[in, out]``, for ``MatMul(x, W)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from app.engine.data.ngrams import CHAR_GRAM_SIZES, NO_CHAR, SPACE
from app.engine.models.llama_config import POOL_EPS, AdapterSite, ClassHead, LlamaConfig, weight_name
from app.engine.models.onnx_nodes import NodeBuilder, make_adapter
from app.engine.models.weights import Q8_BLOCK, Q8_SCALE_SUFFIX, WeightStore
from app.engine.run_files import TEXT_IDS

OPSET = 17
_NEG = -1e9  # finite: a fully masked row (left padding) gives a uniform softmax, never NaN


class _Graph(NodeBuilder):
    """A whole graph: nodes (``NodeBuilder``), the store's weights, inputs and outputs."""

    def __init__(self, store: WeightStore | None) -> None:
        super().__init__(OPSET)
        self.store = store
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._weights: dict[str, str] = {}

    def weight(self, name: str, override: dict[str, np.ndarray] | None = None) -> str:
        """An initializer from the store (external data) or, when overridden, an inline array."""
        if name not in self._weights:
            if override is not None and name in override:
                self.initializers.append(numpy_helper.from_array(override[name].astype(np.float32), name))
            else:
                assert self.store is not None
                self.initializers.append(self.store.external_tensor(name))
            self._weights[name] = name
        return name

    def input(self, name: str, elem: int, shape: list) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem, shape))
        return name

    def output(self, tensor: str, name: str, elem: int, shape: list) -> None:
        self.nodes.append(helper.make_node("Identity", [tensor], [name]))
        self.outputs.append(helper.make_tensor_value_info(name, elem, shape))

    def model(self, name: str) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, name, self.inputs, self.outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 8  # readable by onnxruntime >= 1.14
        model.producer_name = "genba-tuner"
        return model


@dataclass(frozen=True)
class _AnswerRows:
    """Gathers of the answer position, for a last layer that computes only that row."""

    g: _Graph
    flat_index: str  # int64 [N]: row * T + answer
    cos: str  # [N, 1, 1, hd]
    sin: str
    mask: str  # [N, 1, 1, T]: keys after the answer are masked
    hidden: int
    positions: str | None = None  # int64 [N]: the answer positions (needed by a sliding-window last layer)

    def rows(self, t: str) -> str:
        """[N, T, H] -> [N, 1, H]."""
        g = self.g
        flat = g.op("Gather", g.op("Reshape", t, g.const([-1, self.hidden])), self.flat_index, axis=0)
        return g.op("Unsqueeze", flat, g.const([1]))


class _Llama:
    """Emits the layers of one Llama network into a _Graph."""

    def __init__(
        self,
        g: _Graph,
        cfg: LlamaConfig,
        adapters: dict[tuple[int, str], tuple[str, str]] | None = None,
        override: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.g, self.cfg = g, cfg
        self.adapters = adapters or {}  # (layer, proj) -> (A initializer, B input)
        self.override = override
        self.copies: str | None = None  # int64 [1]: P, set when adapters are present
        self._positions: str | None = None  # float [Bp, T], from the first rope_tables call
        self._local: dict[str, str] = {}  # global table/mask name -> its sliding-window counterpart

    def _as_float(self, name: str, table: str, rows: str | None = None) -> str:
        """fp32 values of a stored table (or of its gathered ``rows``): fp16 is cast, Q8_0 int8 scaled."""
        g = self.g
        dtype = g.store.dtype(name) if g.store is not None else "float32"
        if dtype == "float32":
            return table
        values = g.op("Cast", table, to=TensorProto.FLOAT)
        if dtype != "int8":
            return values
        scale = g.weight(name + Q8_SCALE_SUFFIX)  # [V, H / 32]
        if rows is not None:
            scale = g.op("Gather", scale, rows, axis=0)
        blocks = g.op("Concat", g.op("Shape", scale), g.const([Q8_BLOCK]), axis=0)
        scaled = g.op("Mul", g.op("Reshape", values, blocks), g.op("Unsqueeze", scale, g.const([-1])))
        return g.op("Reshape", scaled, g.op("Shape", values))

    def embed(self, ids: str) -> str:
        """Embedding rows [E, T, H] (fp32) for token ids; the table may be stored as fp16 or Q8_0."""
        g = self.g
        rows = self._as_float("embed", g.op("Gather", g.weight("embed"), ids, axis=0), ids)
        if self.cfg.embed_scale != 1.0:
            rows = g.op("Mul", rows, g.const(self.cfg.embed_scale, np.float32))
        return rows

    def lm_head(self) -> str:
        """The full LM head [V, H] as fp32 (used by the export graph only)."""
        g = self.g
        name = "embed" if self.cfg.tied_embeddings else "lm_head"
        return self._as_float(name, g.weight(name))

    def rms_norm(self, x: str, weight: str) -> str:
        g = self.g
        # Pow -> ReduceMean -> Add -> Sqrt -> Div -> Mul: the pattern ORT fuses into SimplifiedLayerNorm.
        var = g.op("ReduceMean", g.op("Pow", x, g.const(2.0, np.float32)), axes=[-1], keepdims=1)
        std = g.op("Sqrt", g.op("Add", var, g.const(self.cfg.rms_eps, np.float32)))
        return g.op("Mul", g.op("Div", x, std), g.weight(weight, self.override))

    def linear(self, x: str, layer: int, proj: str) -> str:
        g = self.g
        y = g.op("MatMul", x, g.weight(weight_name(layer, proj), self.override))
        if self.cfg.qkv_bias and proj in ("q", "k", "v"):
            y = g.op("Add", y, g.weight(f"{weight_name(layer, proj)}_bias"))
        if (layer, proj) not in self.adapters:
            return y
        a_name, b_name = self.adapters[(layer, proj)]
        return make_adapter(g, x, y, a_name, b_name, self.copies, self.cfg.proj_shape(proj)[0])

    def rope_tables(self, positions: str, local: bool = False) -> tuple[str, str]:
        """cos/sin [Bp, 1, T, hd] from float positions [Bp, T] (rotate-half layout).

        ``local``: the tables of the sliding-window layers (their own base, no frequency factors).
        """
        g, c, hd = self.g, self.cfg, self.cfg.head_dim
        if self._positions is None:
            self._positions = positions
        base = c.rope_base_local if local else c.rope_base
        inv_freq = 1.0 / (base ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
        if c.rope_freq_factors is not None and not local:
            inv_freq = inv_freq / np.asarray(c.rope_freq_factors, dtype=np.float64)
        freqs = g.op("Mul", g.op("Unsqueeze", positions, g.const([2])), g.const(inv_freq, np.float32))
        emb = g.op("Unsqueeze", g.op("Concat", freqs, freqs, axis=-1), g.const([1]))
        return g.op("Cos", emb), g.op("Sin", emb)

    def rotate(self, x: str, cos: str, sin: str) -> str:
        g, half = self.g, self.cfg.head_dim // 2
        x1 = g.op("Slice", x, g.const([0]), g.const([half]), g.const([3]))
        x2 = g.op("Slice", x, g.const([half]), g.const([2 * half]), g.const([3]))
        rotated = g.op("Concat", g.op("Neg", x2), x1, axis=-1)
        return g.op("Add", g.op("Mul", x, cos), g.op("Mul", rotated, sin))

    def _window_band(self, query_pos: str, key_pos: str) -> str:
        """Additive mask: -1e9 where query - key >= sliding_window (both int64, broadcastable)."""
        g = self.g
        far = g.op("GreaterOrEqual", g.op("Sub", query_pos, key_pos), g.const(self.cfg.sliding_window))
        return g.op("Mul", g.op("Cast", far, to=TensorProto.FLOAT), g.const(_NEG, np.float32))

    def _key_positions(self, mask: str) -> str:
        """int64 [T]: 0..T-1 for the last axis of a mask."""
        g = self.g
        seq = g.op("Squeeze", g.op("Shape", mask, start=-1), g.const([0]))
        return g.op("Range", g.const(0), seq, g.const(1))

    def local_view(
        self, cos: str, sin: str, mask: str, answer: _AnswerRows | None
    ) -> tuple[str, str, str, _AnswerRows | None]:
        """RoPE tables and masks of a sliding-window layer, derived (once) from the global ones."""
        g = self.g
        if mask not in self._local:
            key_pos = self._key_positions(mask)
            band = self._window_band(
                g.op("Unsqueeze", key_pos, g.const([1])), g.op("Unsqueeze", key_pos, g.const([0]))
            )
            self._local[mask] = g.op("Add", mask, band)  # [T, T] band broadcasts over [B, 1, T, T]
            self._local[cos], self._local[sin] = self.rope_tables(self._positions, local=True)
        if answer is None:
            return self._local[cos], self._local[sin], self._local[mask], None
        if answer.mask not in self._local:
            if answer.positions is None:
                raise ValueError("a sliding-window last layer needs the answer positions")
            band = self._window_band(
                g.op("Unsqueeze", answer.positions, g.const([1])),
                g.op("Unsqueeze", self._key_positions(answer.mask), g.const([0])),
            )  # [N, T]
            self._local[answer.mask] = g.op("Add", answer.mask, g.op("Unsqueeze", band, g.const([1, 2])))
            pos = g.op("Unsqueeze", g.op("Cast", answer.positions, to=TensorProto.FLOAT), g.const([1]))
            self._local[answer.cos], self._local[answer.sin] = self.rope_tables(pos, local=True)  # [N,1,1,hd]
        local_answer = _AnswerRows(
            g,
            answer.flat_index,
            self._local[answer.cos],
            self._local[answer.sin],
            self._local[answer.mask],
            answer.hidden,
            answer.positions,
        )
        return self._local[cos], self._local[sin], self._local[mask], local_answer

    def attention(self, h: str, layer: int, cos: str, sin: str, mask: str, query: tuple | None = None) -> str:
        """Self-attention; ``query = (h_q, cos_q, sin_q)`` restricts the output to those query rows."""
        g, c = self.g, self.cfg
        nh, nkv, hd = c.n_heads, c.n_kv_heads, c.head_dim

        def heads(t: str, n: int) -> str:  # [N, T, n*hd] -> [N, n, T, hd]
            return g.op("Transpose", g.op("Reshape", t, g.const([0, 0, n, hd])), perm=[0, 2, 1, 3])

        h_q, cos_q, sin_q = query or (h, cos, sin)
        q = heads(self.linear(h_q, layer, "q"), nh)
        k = heads(self.linear(h, layer, "k"), nkv)
        if c.qk_norm:
            q = self.rms_norm(q, f"L{layer}.q_norm")
            k = self.rms_norm(k, f"L{layer}.k_norm")
        q = self.rotate(q, cos_q, sin_q)
        k = self.rotate(k, cos, sin)
        v = heads(self.linear(h, layer, "v"), nkv)
        if nh != nkv:  # grouped-query attention: query head i reads kv head i // (nh / nkv)
            rep = g.const([1, 1, nh // nkv, 1, 1])
            k, v = (
                g.op(
                    "Reshape",
                    g.op("Expand", g.op("Unsqueeze", t, g.const([2])), rep),
                    g.const([0, nh, -1, hd]),
                )
                for t in (k, v)
            )
        scale = c.attn_scale if c.attn_scale is not None else 1.0 / math.sqrt(hd)
        q = g.op("Mul", q, g.const(scale, np.float32))
        scores = g.op("Add", g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2])), mask)
        ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)  # [N, nh, T, hd]
        ctx = g.op("Reshape", g.op("Transpose", ctx, perm=[0, 2, 1, 3]), g.const([0, 0, nh * hd]))
        return self.linear(ctx, layer, "o")

    def block(
        self, x: str, layer: int, cos: str, sin: str, mask: str, answer: _AnswerRows | None = None
    ) -> str:
        """One decoder layer. With ``answer``, only the answer rows are computed: [N, T, H] -> [N, 1, H].

        Only the answer position feeds the loss, so in the last layer every other query row, and the
        whole FFN for them, is wasted work (~23% of a step with 4 tuned layers).
        """
        g, c = self.g, self.cfg
        if layer in c.local_layers:
            cos, sin, mask, answer = self.local_view(cos, sin, mask, answer)
        h = self.rms_norm(x, f"L{layer}.attn_norm")
        if answer is None:
            attn = self.attention(h, layer, cos, sin, mask)
        else:
            x = answer.rows(x)
            query = (self.rms_norm(x, f"L{layer}.attn_norm"), answer.cos, answer.sin)
            attn = self.attention(h, layer, cos, sin, answer.mask, query)
        if c.post_norms:
            attn = self.rms_norm(attn, f"L{layer}.attn_post_norm")
        x = g.op("Add", x, attn)
        h = self.rms_norm(x, f"L{layer}.ffn_norm")
        gate = self.linear(h, layer, "gate")
        if c.ffn_act == "gelu_tanh":  # ggml_gelu: 0.5 g (1 + tanh(sqrt(2/pi) (g + 0.044715 g^3)))
            cube = g.op("Mul", g.op("Mul", gate, gate), gate)
            inner = g.op("Add", gate, g.op("Mul", cube, g.const(0.044715, np.float32)))
            t = g.op("Tanh", g.op("Mul", inner, g.const(math.sqrt(2.0 / math.pi), np.float32)))
            act = g.op(
                "Mul", g.op("Mul", gate, g.const(0.5, np.float32)), g.op("Add", t, g.const(1.0, np.float32))
            )
        else:
            act = g.op("Mul", gate, g.op("Sigmoid", gate))
        ffn = self.linear(g.op("Mul", act, self.linear(h, layer, "up")), layer, "down")
        if c.post_norms:
            ffn = self.rms_norm(ffn, f"L{layer}.ffn_post_norm")
        return g.op("Add", x, ffn)

    def causal_mask(self, seq: str) -> str:
        """[T, T] additive mask: 0 on and below the diagonal, -1e9 above."""
        g = self.g
        ones = g.op(
            "ConstantOfShape",
            g.op("Concat", seq, seq, axis=0),
            value=numpy_helper.from_array(np.ones(1, np.float32)),
        )
        allowed = g.op("Trilu", ones, upper=0)
        return g.op("Mul", g.op("Sub", allowed, g.const(1.0, np.float32)), g.const(-_NEG, np.float32))

    def arange_positions(self, seq: str) -> str:
        """float positions [1, T] = 0..T-1."""
        g = self.g
        r = g.op("Range", g.const(0), g.op("Squeeze", seq, g.const([0])), g.const(1))
        return g.op("Unsqueeze", g.op("Cast", r, to=TensorProto.FLOAT), g.const([0]))


def build_prefix(
    cfg: LlamaConfig, store: WeightStore, end_layer: int, also: tuple[int, ...] = ()
) -> onnx.ModelProto:
    """Frozen layers [0, end_layer): input_ids [E, T] -> hidden [E, T, H]; and ``hidden{L} [E, T, H]``, the
    states entering each layer L of ``also`` (0 < L < end_layer), from the same pass."""
    g = _Graph(store)
    net = _Llama(g, cfg)
    ids = g.input("input_ids", TensorProto.INT64, ["batch", "seq"])
    x = net.embed(ids)
    if end_layer > 0:
        seq = g.dims(ids, 1, 2)
        cos, sin = net.rope_tables(net.arange_positions(seq))
        mask = net.causal_mask(seq)
        for layer in range(end_layer):
            if layer in also:
                g.output(x, f"hidden{layer}", TensorProto.FLOAT, ["batch", "seq", cfg.hidden])
            x = net.block(x, layer, cos, sin, mask)
    g.output(x, "hidden", TensorProto.FLOAT, ["batch", "seq", cfg.hidden])
    return g.model("genba_prefix")


def build_loss_graph(
    cfg: LlamaConfig,
    store: WeightStore,
    start_layer: int,
    sites: list[AdapterSite],
    adapter_a: dict[str, np.ndarray],
    from_ids: bool = False,
) -> onnx.ModelProto:
    """Layers [start_layer, L) with adapters; label-word cross-entropy per copy and example.

    Inputs: ``hidden [E, T, H]`` (or ``input_ids [E, T]`` when ``from_ids``), ``answer_index [E]``,
    ``label_ids [E]``, ``label_head [C, H]`` (the read-out: LM-head rows of the label words, or a fitted
    head), ``label_offset [E, C]`` (what the read-out adds per example: its bias and its n-gram part; zeros
    for the label words) and one ``lora_B.<layer>.<proj> [P, r, out]`` per site. Outputs ``loss [P, E]``,
    ``label_logits [P, E, C]`` and ``features [P, E, H]`` (the final-norm hidden state at the answer).
    ``adapter_a[site.key]`` is the frozen ``[in, r]`` matrix with alpha/r already folded in.
    """
    if any(s.layer < start_layer for s in sites):
        raise ValueError("adapter below the first layer of the loss graph")
    g = _Graph(store)
    adapters = {}
    for site in sites:
        d_out = cfg.proj_shape(site.proj)[1]
        rank = adapter_a[site.key].shape[1]
        a_init = f"lora_A.{site.key}"
        g.initializers.append(numpy_helper.from_array(adapter_a[site.key].astype(np.float32), a_init))
        adapters[(site.layer, site.proj)] = (
            a_init,
            g.input(site.input_name, TensorProto.FLOAT, ["copies", rank, d_out]),
        )
    net = _Llama(g, cfg, adapters)
    if from_ids:
        ids = g.input("input_ids", TensorProto.INT64, ["batch", "seq"])
        x = net.embed(ids)
        start_layer = 0
    else:
        x = g.input("hidden", TensorProto.FLOAT, ["batch", "seq", cfg.hidden])
    answer = g.input("answer_index", TensorProto.INT64, ["batch"])
    labels = g.input("label_ids", TensorProto.INT64, ["batch"])
    head = g.input("label_head", TensorProto.FLOAT, ["labels", cfg.hidden])
    offset = g.input("label_offset", TensorProto.FLOAT, ["batch", "labels"])

    first_b = adapters[(sites[0].layer, sites[0].proj)][1] if sites else None
    net.copies = g.dims(first_b, 0, 1) if first_b else g.const([1])  # P, from the B inputs' leading dim
    seq = g.dims(x, 1, 2)
    # Tile the examples once per copy: [E, T, H] -> [P*E, T, H], copies outermost.
    tiled = g.op(
        "Expand", g.op("Unsqueeze", x, g.const([0])), g.op("Concat", net.copies, g.const([1, 1, 1]), axis=0)
    )
    x = g.op("Reshape", tiled, g.op("Concat", g.const([-1]), g.dims(x, 1, 3), axis=0))
    cos, sin = net.rope_tables(net.arange_positions(seq))
    mask = net.causal_mask(seq)
    # The answer position of every row, [P*E], to gather it before the LM head.
    n_rows = g.op("Squeeze", g.dims(x, 0, 1), g.const([0]))
    seq_len = g.op("Squeeze", seq, g.const([0]))
    answer_tiled = g.op("Tile", answer, net.copies)
    flat_index = g.op(
        "Add", g.op("Mul", g.op("Range", g.const(0), n_rows, g.const(1)), seq_len), answer_tiled
    )
    hd = cfg.head_dim

    def at_answer(table: str) -> str:  # [1, 1, T, hd] -> [N, 1, 1, hd]
        picked = g.op("Gather", g.op("Reshape", table, g.const([-1, hd])), answer_tiled, axis=0)
        return g.op("Reshape", picked, g.const([-1, 1, 1, hd]))

    key_pos = g.op("Range", g.const(0), seq_len, g.const(1))
    after = g.op(
        "Greater", g.op("Unsqueeze", key_pos, g.const([0])), g.op("Unsqueeze", answer_tiled, g.const([1]))
    )
    answer_mask = g.op("Mul", g.op("Cast", after, to=TensorProto.FLOAT), g.const(_NEG, np.float32))
    rows = _AnswerRows(
        g,
        flat_index,
        at_answer(cos),
        at_answer(sin),
        g.op("Unsqueeze", answer_mask, g.const([1, 2])),
        cfg.hidden,
        answer_tiled,
    )
    for layer in range(start_layer, cfg.n_layers):
        x = net.block(x, layer, cos, sin, mask, rows if layer == cfg.n_layers - 1 else None)
    h = net.rms_norm(g.op("Reshape", x, g.const([-1, cfg.hidden])), "norm")  # [P*E, H]
    logits = g.op("Gemm", h, head, transB=1)  # [P*E, C]
    logits = g.op("Reshape", logits, g.op("Concat", net.copies, g.const([-1]), g.dims(head, 0, 1), axis=0))
    logits = g.op("Add", logits, offset)  # [P, E, C] + [E, C]
    features = g.op("Reshape", h, g.op("Concat", net.copies, g.const([-1, cfg.hidden]), axis=0))
    logp = g.op("LogSoftmax", logits, axis=-1)
    label_idx = g.op(
        "Expand",
        g.op("Unsqueeze", labels, g.const([0, 2])),
        g.op("Concat", net.copies, g.const([1, 1]), axis=0),
    )
    loss = g.op("Neg", g.op("Squeeze", g.op("GatherElements", logp, label_idx, axis=2), g.const([2])))
    g.output(loss, "loss", TensorProto.FLOAT, ["copies", "batch"])
    g.output(logits, "label_logits", TensorProto.FLOAT, ["copies", "batch", "labels"])
    g.output(features, "features", TensorProto.FLOAT, ["copies", "batch", cfg.hidden])
    return g.model("genba_loss")


def build_causal_lm(
    cfg: LlamaConfig,
    store: WeightStore,
    override: dict[str, np.ndarray] | None = None,
    class_head: ClassHead | None = None,
) -> onnx.ModelProto:
    """The standard interface: input_ids, attention_mask [B, T] -> logits [B, T, V].

    ``override`` replaces stored weights by inline arrays (used to fold adapters into an export);
    ``class_head`` adds a second output ``class_logits [B, C]`` read at each row's last real token.
    """
    g = _Graph(store)
    net = _Llama(g, cfg, override=override)
    ids = g.input("input_ids", TensorProto.INT64, ["batch", "seq"])
    attn = g.input("attention_mask", TensorProto.INT64, ["batch", "seq"])
    seq = g.dims(ids, 1, 2)
    attn_f = g.op("Cast", attn, to=TensorProto.FLOAT)
    # Positions count real tokens only, so left-padded batches match unpadded runs.
    positions = g.op("Relu", g.op("Sub", g.op("CumSum", attn_f, g.const(1)), g.const(1.0, np.float32)))
    cos, sin = net.rope_tables(positions)
    pad = g.op("Mul", g.op("Sub", attn_f, g.const(1.0, np.float32)), g.const(-_NEG, np.float32))
    mask = g.op("Add", net.causal_mask(seq), g.op("Unsqueeze", pad, g.const([1, 2])))
    x = net.embed(ids)
    pool_at = {layer for layer, _ in class_head.pooled} if class_head is not None else set()
    answer_at = {layer for layer, _ in class_head.answers} if class_head is not None else set()
    pooled, answers = {}, {}
    last = None  # the last real token of each row [B], for a head
    if class_head is not None:
        last = g.op("ArgMax", attn_f, axis=1, keepdims=0, select_last_index=1)
    for layer in range(cfg.n_layers):
        if layer in pool_at:
            pooled[layer] = _pooled(g, x, attn_f)
        if layer in answer_at:
            answers[layer] = _at_answer(g, cfg, x, ids, last)
        x = net.block(x, layer, cos, sin, mask)
    x = net.rms_norm(x, "norm")
    head = net.lm_head()
    flat = g.op(
        "Gemm", g.op("Reshape", x, g.const([-1, cfg.hidden])), head, transB=1
    )  # tied: no transposed copy
    logits = g.op("Reshape", flat, g.op("Concat", g.dims(ids, 0, 2), g.const([-1]), axis=0))
    g.output(logits, "logits", TensorProto.FLOAT, ["batch", "seq", cfg.vocab])
    if class_head is not None:
        words = _words(g, class_head, ids, attn) if class_head.reads_words else None
        scores = class_scores(g, class_head, _last_rows(g, cfg, x, ids, last), words, pooled, answers)
        g.output(scores, "class_logits", TensorProto.FLOAT, ["batch", "classes"])
    return g.model("genba_causal_lm")


def words_of(g: NodeBuilder, ids: str, attn: str) -> str:
    """[B, T]: the token ids ``ids`` with the pads that ``attn`` (int64, 1 = real) marks set to -1."""
    return g.op("Where", g.op("Cast", attn, to=TensorProto.BOOL), ids, g.const(-1))


def _words(g: _Graph, head: ClassHead, ids: str, attn: str) -> str:
    """[B, W]: what the head's text parts read, pads -1. With ``head.text_ids``, the optional input
    ``text_ids`` [B, W] (the whole prompts, pads -1; its default [[-1]] holds no token) when a caller gives it,
    else ``input_ids``. The two are laid side by side with the unused one all pads, which count no gram."""
    words = words_of(g, ids, attn)
    if not head.text_ids:
        return words
    default = numpy_helper.from_array(np.full((1, 1), -1, np.int64), TEXT_IDS)
    g.initializers.append(default)  # an input with an initializer is optional, this its value when absent
    text = g.input(TEXT_IDS, TensorProto.INT64, ["batch", "words"])
    given = g.op("GreaterOrEqual", g.op("ReduceMax", text, keepdims=0), g.const(0))
    shape = g.op("Concat", g.dims(ids, 0, 1), g.dims(text, 1, 2), axis=0)
    return g.op("Concat", g.op("Where", given, g.const(-1), words), g.op("Expand", text, shape), axis=1)


def _pooled(g: _Graph, x: str, attn: str) -> str:
    """[B, H]: ``x`` [B, T, H] RMS-normalised per token, averaged over the real tokens but each row's first,
    divided by sqrt(H) (``PrefixCache.pooled``)."""
    first = g.op("Equal", g.op("CumSum", attn, g.const(1)), g.const(1.0, np.float32))  # left or right padding
    keep = g.op("Mul", attn, g.op("Cast", g.op("Not", first), to=TensorProto.FLOAT))
    count = g.op("ReduceSum", keep, g.const([1]), keepdims=1)
    # A one-token row keeps its only token, as PrefixCache.pooled does.
    keep = g.op("Where", g.op("Equal", count, g.const(0.0, np.float32)), attn, keep)
    count = g.op("ReduceSum", keep, g.const([1]), keepdims=1)  # [B, 1]
    weighted = g.op("Mul", g.op("Div", x, _pool_rms(g, x, 2)), g.op("Unsqueeze", keep, g.const([2])))
    hidden = g.op("Cast", g.op("Shape", x, start=2), to=TensorProto.FLOAT)
    return g.op(
        "Div", g.op("ReduceSum", weighted, g.const([1]), keepdims=0), g.op("Mul", count, g.op("Sqrt", hidden))
    )


def _last_rows(g: _Graph, cfg: LlamaConfig, x: str, ids: str, last: str) -> str:
    """[B, H]: the rows of ``x`` [B, T, H] at each row's last real token ``last`` [B] (left or right
    padding)."""
    rows = g.op("Squeeze", g.dims(ids, 0, 1), g.const([0]))
    seq = g.op("Squeeze", g.dims(ids, 1, 2), g.const([0]))
    flat_index = g.op("Add", g.op("Mul", g.op("Range", g.const(0), rows, g.const(1)), seq), last)
    return g.op("Gather", g.op("Reshape", x, g.const([-1, cfg.hidden])), flat_index, axis=0)


def _at_answer(g: _Graph, cfg: LlamaConfig, x: str, ids: str, last: str) -> str:
    """[B, H]: the states ``x`` at the last real token, RMS-normalised and divided by sqrt(H)
    (``PrefixCache.answers``)."""
    h = _last_rows(g, cfg, x, ids, last)
    return g.op("Div", h, g.op("Mul", _pool_rms(g, h, 1), g.const(np.sqrt(cfg.hidden), np.float32)))


def _pool_rms(g: _Graph, x: str, axis: int) -> str:
    """sqrt(mean(x^2) + POOL_EPS) over ``axis`` (kept): the per-token norm of pooled and answer states
    (``llama_model.pool_states``)."""
    mean_square = g.op("ReduceMean", g.op("Mul", x, x), axes=[axis], keepdims=1)
    return g.op("Sqrt", g.op("Add", mean_square, g.const(POOL_EPS, np.float32)))


def class_scores(
    g: NodeBuilder,
    head: ClassHead,
    h: str,
    words: str | None,
    pooled: dict[int, str] | None = None,
    answers: dict[int, str] | None = None,
) -> str:
    """[B, C]: ``head`` on features ``h`` [B, H], plus the parts it computes from the token ids ``words``
    [B, W] whose pads are -1 (``words_of``; None when it reads no text block), and ``pooled``, ``answers``:
    [B, H] states by layer, the ones it reads.

    ``g``: this module's ``_Graph``, or ``onnx_surgery``'s emitter when the head is appended to a user's
    encoder (opset 13 or newer; 16 with character n-grams, for ScatterElements' reduction).
    """
    weight = g.const(head.weight.T, np.float32)  # [H, C]
    logits = g.op("Add", g.op("MatMul", h, weight), g.const(head.bias, np.float32))
    for layer, w in head.pooled:
        logits = g.op("Add", logits, g.op("MatMul", pooled[layer], g.const(w.T, np.float32)))
    for layer, w in head.answers:
        logits = g.op("Add", logits, g.op("MatMul", answers[layer], g.const(w.T, np.float32)))
    if head.char_weight is not None:
        pads = g.op("Less", words, g.const(0))  # to the table's last row: no characters
        spelled = g.op("Where", pads, g.const(len(head.chars.table) - 1), words)
        logits = g.op("Add", logits, char_gram_scores(g, head, spelled))
    if head.ngram_weight is None:
        return logits
    n_uni = len(head.unigrams)
    counts = g.op(
        "TfIdfVectorizer",
        words,  # pads are -1, which no kept n-gram contains
        mode="TF",
        min_gram_length=1,
        max_gram_length=2,
        max_skip_count=0,
        ngram_counts=[0, n_uni],
        ngram_indexes=list(range(n_uni + len(head.bigrams))),
        pool_int64s=[int(t) for t in head.unigrams] + [int(t) for t in head.bigrams.reshape(-1)],
    )  # [B, F]
    counts = g.op("Mul", _less_template(g, counts, head.ngram_template), g.const(head.idf, np.float32))
    norm = g.op("Sqrt", g.op("ReduceSum", g.op("Mul", counts, counts), g.const([1]), keepdims=1))
    unit = g.op("Div", counts, g.op("Max", norm, g.const(1e-12, np.float32)))
    return g.op("Add", logits, g.op("MatMul", unit, g.const(head.ngram_weight.T, np.float32)))


def _less_template(g: NodeBuilder, counts: str, template: np.ndarray | None) -> str:
    """Counts [B, F] less the prompt template's own (``ngrams._less_template``), at least 0."""
    if template is None or not template.any():
        return counts
    less = g.op("Sub", counts, g.const(template.astype(np.float32), np.float32))
    return g.op("Max", less, g.const(0.0, np.float32))


def char_gram_scores(g: NodeBuilder, head: ClassHead, ids: str) -> str:
    """[B, C]: the character n-gram part of a head (``CharGrams.transform``), from ``ids`` [B, T] whose pads
    point at the table's last row (no characters).

    Each row is spelled through the table ([B, T, L] code points, ``NO_CHAR`` after each piece's end), framed
    by a space at both ends, and packed: every character moves to its rank among the row's characters
    (CumSum), the gaps to a spare last column. ``TfIdfVectorizer`` then counts the kept grams of the packed
    text, which no longer depend on how the text was cut into pieces or padded.
    """
    batch = g.dims(ids, 0, 1)
    codes = g.op("Gather", g.const(head.chars.table, np.int32), ids)  # [B, T, L]
    codes = g.op(
        "Cast", g.op("Reshape", codes, g.op("Concat", batch, g.const([-1]), axis=0)), to=TensorProto.INT64
    )
    space = g.op("Expand", g.const([[SPACE]]), g.op("Concat", batch, g.const([1]), axis=0))  # [B, 1]
    codes = g.op("Concat", space, codes, space, axis=1)  # [B, N]
    width = g.dims(codes, 1, 2)  # [1]: N
    real = g.op("GreaterOrEqual", codes, g.const(0))
    rank = g.op("Sub", g.op("CumSum", g.op("Cast", real, to=TensorProto.INT64), g.const(1)), g.const(1))
    target = g.op("Where", real, rank, g.op("Expand", width, g.op("Shape", codes)))  # gaps: column N
    blank = g.op(
        "ConstantOfShape",
        g.op("Concat", batch, g.op("Add", width, g.const([1])), axis=0),
        value=numpy_helper.from_array(np.full(1, NO_CHAR, np.int64)),
    )
    packed = g.op("ScatterElements", blank, target, codes, axis=1)  # [B, N + 1]; gaps all write NO_CHAR
    pool, starts, columns = head.chars.by_length()
    counts = g.op(
        "TfIdfVectorizer",
        packed,
        mode="TF",
        min_gram_length=min(CHAR_GRAM_SIZES),
        max_gram_length=max(CHAR_GRAM_SIZES),
        max_skip_count=0,
        ngram_counts=starts,
        ngram_indexes=columns,
        pool_int64s=pool,
    )  # [B, F]
    counts = _less_template(g, counts, head.chars.template)
    seen = g.op("Greater", counts, g.const(0.0, np.float32))
    tf = g.op("Add", g.op("Log", g.op("Max", counts, g.const(1.0, np.float32))), g.const(1.0, np.float32))
    weighted = g.op(
        "Mul", g.op("Where", seen, tf, g.const(0.0, np.float32)), g.const(head.chars.idf, np.float32)
    )
    norm = g.op("Sqrt", g.op("ReduceSum", g.op("Mul", weighted, weighted), g.const([1]), keepdims=1))
    unit = g.op("Div", weighted, g.op("Max", norm, g.const(1e-12, np.float32)))
    return g.op("MatMul", unit, g.const(head.char_weight.T, np.float32))
