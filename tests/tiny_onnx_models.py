"""Tiny exporter-like ONNX models the tests build themselves: causal LMs (plain, with a KV cache and
external weights, ReLU) and a BERT-like sequence classifier, with a word-level tokenizer.json."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from tests.tiny_models import tiny_vocab

HIDDEN, N_HEADS, FFN, N_LAYERS = 16, 2, 24, 2
PROJS = ("q", "k", "v", "o", "gate", "up", "down")
HEAD_WEIGHT = "onnx::MatMul_999"


def write_tokenizer(folder: Path) -> int:
    """A byte-level BPE tokenizer.json whose merges build ' great', ' terrible', ... ; returns its size."""
    tokens, merges, _ = tiny_vocab()
    tok = Tokenizer(
        models.BPE(
            vocab={t: i for i, t in enumerate(tokens)},
            merges=[tuple(m.split(" ", 1)) for m in merges],
            fuse_unk=False,
        )
    )
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.save(str(folder / "tokenizer.json"))
    return len(tokens)


class _Builder:
    """Emits nodes the way torch.onnx names them: /model/layers.0/self_attn/q_proj/MatMul."""

    def __init__(self, opset: int, seed: int) -> None:
        self.opset = opset
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[TensorProto] = []
        self.n = 0

    def op(self, op_type: str, *inputs: str, name: str | None = None, out: str | None = None, **attrs) -> str:
        self.n += 1
        out = out or f"/{op_type}_{self.n}_output_0"
        self.nodes.append(
            helper.make_node(op_type, list(inputs), [out], name=name or f"/{op_type}_{self.n}", **attrs)
        )
        return out

    def const(self, value, dtype=np.int64) -> str:
        self.n += 1
        name = f"const_{self.n}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def weight(self, name: str, *shape: int, scale: float = 0.3, offset: float = 0.0) -> str:
        value = (offset + scale * self.rng.standard_normal(shape)).astype(np.float32)
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def unsqueeze(self, x: str, axes: list[int]) -> str:
        if self.opset >= 13:
            return self.op("Unsqueeze", x, self.const(axes))
        return self.op("Unsqueeze", x, axes=axes)

    def rms_norm(self, x: str, weight: str) -> str:
        var = self.op("ReduceMean", self.op("Mul", x, x), axes=[-1], keepdims=1)
        std = self.op("Sqrt", self.op("Add", var, self.const(1e-5, np.float32)))
        return self.op("Mul", self.op("Div", x, std), self.weight(weight, HIDDEN, scale=0.1, offset=1.0))

    def model(self, inputs, outputs, opset: int) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, "tiny", inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def build_causal_lm(vocab: int, *, variant: str = "plain", seed: int = 0) -> onnx.ModelProto:
    """A 2-layer Llama-like decoder as optimum exports it: logits [B, T, V] from input_ids, attention_mask.

    variant "plain": lm_head MatMul [H, V]; layer 0 weights anonymous (onnx::MatMul_*), layer 1 named.
    variant "cache": + position_ids and past_key_values.* inputs, present.* outputs, q/o as Gemm transB
      with a bias, k as MatMul(x, Transpose(W)) (torch's dynamo exporter), and a tied head:
      Gemm(hidden, embed, bias, transB=1) then logits * 0.5.
    variant "relu": the head's output goes through a Relu (no recognisable head).
    variant "seq_first": layer 1's down projection runs on [T, B, ffn] (transposed around it).
    """
    g = _Builder(17, seed)
    hd = HIDDEN // N_HEADS
    cache = variant == "cache"
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "total_seq"]),
    ]
    outputs = []
    if cache:
        inputs.append(helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "seq"]))
        for i in range(N_LAYERS):
            for kv in ("key", "value"):
                inputs.append(
                    helper.make_tensor_value_info(
                        f"past_key_values.{i}.{kv}", TensorProto.FLOAT, ["batch", N_HEADS, "past_seq", hd]
                    )
                )
    embed = g.weight("model.embed_tokens.weight", vocab, HIDDEN, scale=0.5)
    x = g.op("Gather", embed, "input_ids", axis=0, name="/model/embed_tokens/Gather")
    if cache:
        x = g.op(
            "Add", x, g.op("Gather", g.weight("model.embed_positions.weight", 64, HIDDEN), "position_ids")
        )
    seq = g.op("Shape", "input_ids", start=1, end=2)
    total = g.op("Shape", "attention_mask", start=1, end=2)
    ones = g.op(
        "ConstantOfShape",
        g.op("Concat", seq, total, axis=0),
        value=numpy_helper.from_array(np.ones(1, np.float32)),
    )
    past = g.op("Squeeze", g.op("Sub", total, seq), g.const([0]))
    causal = g.op(
        "Mul",
        g.op("Sub", g.op("Trilu", ones, past, upper=0), g.const(1.0, np.float32)),
        g.const(1e9, np.float32),
    )
    pad = g.op(
        "Mul",
        g.op("Sub", g.op("Cast", "attention_mask", to=TensorProto.FLOAT), g.const(1.0, np.float32)),
        g.const(1e9, np.float32),
    )
    bias = g.op("Add", causal, g.unsqueeze(pad, [1, 2]))  # [B, 1, T, Tk]
    anonymous = iter(range(100, 999))

    def linear(h: str, layer: int, module: str, proj: str, d_in: int, d_out: int) -> str:
        prefix = f"/model/layers.{layer}/{module}/{proj}_proj"
        named = f"model.layers.{layer}.{module}.{proj}_proj.weight"
        if cache and proj in ("q", "o"):  # Gemm on [B*T, in] with W [out, in], like older exporters
            flat = g.op("Reshape", h, g.const([-1, d_in]))
            w = g.weight(named, d_out, d_in)
            y = g.op(
                "Gemm",
                flat,
                w,
                g.weight(named.replace("weight", "bias"), d_out, scale=0.1),
                transB=1,
                name=f"{prefix}/Gemm",
            )
            return g.op(
                "Reshape", y, g.op("Concat", g.op("Shape", h, start=0, end=2), g.const([d_out]), axis=0)
            )
        if cache and proj == "k":
            w = g.op("Transpose", g.weight(named, d_out, d_in), perm=[1, 0])
            return g.op("MatMul", h, w, name=f"{prefix}/MatMul")
        w = g.weight(f"onnx::MatMul_{next(anonymous)}" if layer == 0 else named, d_in, d_out)
        if variant == "seq_first" and (layer, proj) == (1, "down"):
            y = g.op("MatMul", g.op("Transpose", h, perm=[1, 0, 2]), w, name=f"{prefix}/MatMul")
            return g.op("Transpose", y, perm=[1, 0, 2])
        return g.op("MatMul", h, w, name=f"{prefix}/MatMul")

    def heads(t: str) -> str:
        return g.op("Transpose", g.op("Reshape", t, g.const([0, 0, N_HEADS, hd])), perm=[0, 2, 1, 3])

    for i in range(N_LAYERS):
        h = g.rms_norm(x, f"model.layers.{i}.input_layernorm.weight")
        q = heads(linear(h, i, "self_attn", "q", HIDDEN, HIDDEN))
        k = heads(linear(h, i, "self_attn", "k", HIDDEN, HIDDEN))
        v = heads(linear(h, i, "self_attn", "v", HIDDEN, HIDDEN))
        if cache:
            k = g.op("Concat", f"past_key_values.{i}.key", k, axis=2, out=f"present.{i}.key")
            v = g.op("Concat", f"past_key_values.{i}.value", v, axis=2, out=f"present.{i}.value")
            for kv in ("key", "value"):
                outputs.append(
                    helper.make_tensor_value_info(
                        f"present.{i}.{kv}", TensorProto.FLOAT, ["batch", N_HEADS, "total_seq", hd]
                    )
                )
        scores = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2]))
        scores = g.op("Add", g.op("Mul", scores, g.const(1 / math.sqrt(hd), np.float32)), bias)
        ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        ctx = g.op("Reshape", g.op("Transpose", ctx, perm=[0, 2, 1, 3]), g.const([0, 0, HIDDEN]))
        x = g.op("Add", x, linear(ctx, i, "self_attn", "o", HIDDEN, HIDDEN))
        h = g.rms_norm(x, f"model.layers.{i}.post_attention_layernorm.weight")
        gate = linear(h, i, "mlp", "gate", HIDDEN, FFN)
        act = g.op("Mul", g.op("Mul", gate, g.op("Sigmoid", gate)), linear(h, i, "mlp", "up", HIDDEN, FFN))
        x = g.op("Add", x, linear(act, i, "mlp", "down", FFN, HIDDEN))
    x = g.rms_norm(x, "model.norm.weight")
    if variant == "cache":
        flat = g.op("Reshape", x, g.const([-1, HIDDEN]))
        z = g.op("Gemm", flat, embed, g.weight("lm_head.bias", vocab), transB=1, name="/lm_head/Gemm")
        z = g.op("Mul", z, g.const(0.5, np.float32))
        g.op("Reshape", z, g.op("Concat", g.op("Shape", "input_ids"), g.const([-1]), axis=0), out="logits")
    elif variant == "relu":
        g.op(
            "Relu",
            g.op("MatMul", x, g.weight(HEAD_WEIGHT, HIDDEN, vocab), name="/lm_head/MatMul"),
            out="logits",
        )
    else:
        g.op(
            "MatMul", x, g.weight(HEAD_WEIGHT, HIDDEN, vocab, scale=0.5), name="/lm_head/MatMul", out="logits"
        )
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", vocab])
    return g.model(inputs, [logits, *outputs], 17)


def build_classifier(vocab: int, n_classes: int = 2, seed: int = 1) -> onnx.ModelProto:
    """A 2-layer BERT-like sequence classifier at opset 12 (Squeeze/Unsqueeze take attributes there)."""
    g = _Builder(12, seed)
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
    ]
    x = g.op(
        "Gather", g.weight("bert.embeddings.word_embeddings.weight", vocab, HIDDEN, scale=0.5), "input_ids"
    )
    pad = g.op(
        "Mul",
        g.op("Sub", g.op("Cast", "attention_mask", to=TensorProto.FLOAT), g.const(1.0, np.float32)),
        g.const(1e9, np.float32),
    )
    pad = g.unsqueeze(pad, [1])  # [B, 1, T]

    def linear(h: str, layer: int, path: str, d_in: int, d_out: int) -> str:
        w = g.weight(f"bert.encoder.layer.{layer}.{path}.weight".replace("/", "."), d_in, d_out)
        y = g.op("MatMul", h, w, name=f"/bert/encoder/layer.{layer}/{path}/MatMul")
        return g.op(
            "Add", y, g.weight(f"bert.encoder.layer.{layer}.{path}.bias".replace("/", "."), d_out, scale=0.1)
        )

    for i in range(N_LAYERS):
        q = linear(x, i, "attention/self/query", HIDDEN, HIDDEN)
        k = linear(x, i, "attention/self/key", HIDDEN, HIDDEN)
        v = linear(x, i, "attention/self/value", HIDDEN, HIDDEN)
        scores = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 2, 1]))
        scores = g.op("Add", g.op("Mul", scores, g.const(1 / math.sqrt(HIDDEN), np.float32)), pad)
        ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        x = g.rms_norm(g.op("Add", x, linear(ctx, i, "attention/output/dense", HIDDEN, HIDDEN)), f"ln{i}a")
        inner = g.op("Relu", linear(x, i, "intermediate/dense", HIDDEN, FFN))
        x = g.rms_norm(g.op("Add", x, linear(inner, i, "output/dense", FFN, HIDDEN)), f"ln{i}b")
    first = g.op("Gather", x, g.const(0), axis=1)  # [B, H]: the first token, as BERT pools
    pooled = g.op(
        "Tanh",
        g.op(
            "MatMul",
            first,
            g.weight("bert.pooler.dense.weight", HIDDEN, HIDDEN),
            name="/bert/pooler/dense/MatMul",
        ),
    )
    z = g.op("MatMul", pooled, g.weight("classifier.weight", HIDDEN, n_classes), name="/classifier/MatMul")
    g.op("Add", z, g.weight("classifier.bias", n_classes, scale=0.1), out="logits")
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", n_classes])
    return g.model(inputs, [logits], 12)


def save_model_folder(folder: Path, model: onnx.ModelProto, *, external: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.onnx"
    if external:
        # Weights outside, shape constants inline: what exporters write (onnxruntime itself refuses a
        # Reshape whose target shape is external).
        onnx.save_model(
            model, str(path), save_as_external_data=True, location="model.onnx.data", size_threshold=256
        )
    else:
        onnx.save_model(model, str(path))
    return path


TEXTS = [
    "pump leak oil",
    "engine good",
    "hose bad bucket",
    "great pump",
    "oil engine hose",
    "bad leak",
    "bucket",
]
