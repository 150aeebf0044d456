"""A tiny BERT-like sentence encoder as exporters write one, with a WordPiece tokenizer.json beside it.

Inputs ``input_ids``, ``attention_mask``, ``token_type_ids``; output ``last_hidden_state [B, T, H]``; nodes
named as torch.onnx names a Hugging Face BertModel's (``/encoder/layer.0/attention/self/query/MatMul``), so
the tuner finds its layers and projections. Built with onnx.helper in milliseconds; random weights.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

HIDDEN, FFN, N_LAYERS = 16, 32, 2
WORDS = ("pump", "leak", "oil", "engine", "good", "hose", "bad", "bucket", "great", "terrible", "tooth")
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")


def write_wordpiece_tokenizer(folder: Path) -> int:
    """A BERT-style tokenizer.json (lower case, [CLS] text [SEP], ``##`` continuations); returns its size."""
    digits = [str(d) for d in range(10)] + [f"##{d}" for d in range(10)]
    pieces = [*SPECIALS, *WORDS, "##s", "##ing", *digits]
    tok = Tokenizer(models.WordPiece({p: i for i, p in enumerate(pieces)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tok.save(str(folder / "tokenizer.json"))
    return len(pieces)


class _Nodes:
    def __init__(self, seed: int) -> None:
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

    def weight(self, name: str, *shape: int, scale: float = 0.4, offset: float = 0.0) -> str:
        value = offset + scale * self.rng.standard_normal(shape)
        self.inits.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def layer_norm(self, x: str, prefix: str) -> str:
        mean = self.op("ReduceMean", x, axes=[-1], keepdims=1)
        centred = self.op("Sub", x, mean)
        var = self.op("ReduceMean", self.op("Mul", centred, centred), axes=[-1], keepdims=1)
        normed = self.op("Div", centred, self.op("Sqrt", self.op("Add", var, self.const(1e-12, np.float32))))
        scaled = self.op("Mul", normed, self.weight(f"{prefix}.weight", HIDDEN, scale=0.1, offset=1.0))
        return self.op("Add", scaled, self.weight(f"{prefix}.bias", HIDDEN, scale=0.1))


def build_encoder(vocab: int, *, opset: int = 17, seed: int = 3, output: str = "last_hidden_state"):
    """A 2-layer post-norm BERT encoder (single-head attention) at ``opset`` (13 or newer)."""
    g = _Nodes(seed)
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    words = g.op(
        "Gather", g.weight("embeddings.word_embeddings.weight", vocab, HIDDEN, scale=1.0), "input_ids"
    )
    types = g.op("Gather", g.weight("embeddings.token_type_embeddings.weight", 2, HIDDEN), "token_type_ids")
    x = g.layer_norm(g.op("Add", words, types), "embeddings.LayerNorm")
    pad = g.op(
        "Mul",
        g.op("Sub", g.op("Cast", "attention_mask", to=TensorProto.FLOAT), g.const(1.0, np.float32)),
        g.const(1e9, np.float32),
    )
    pad = g.op("Unsqueeze", pad, g.const([1]))  # [B, 1, T]

    def linear(h: str, layer: int, path: str, d_in: int, d_out: int, out: str | None = None) -> str:
        stem = f"encoder.layer.{layer}.{path.replace('/', '.')}"
        y = g.op(
            "MatMul", h, g.weight(f"{stem}.weight", d_in, d_out), name=f"/encoder/layer.{layer}/{path}/MatMul"
        )
        return g.op("Add", y, g.weight(f"{stem}.bias", d_out, scale=0.1), out=out)

    for i in range(N_LAYERS):
        q = linear(x, i, "attention/self/query", HIDDEN, HIDDEN)
        k = linear(x, i, "attention/self/key", HIDDEN, HIDDEN)
        v = linear(x, i, "attention/self/value", HIDDEN, HIDDEN)
        scores = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 2, 1]))
        scores = g.op("Add", g.op("Mul", scores, g.const(1 / math.sqrt(HIDDEN), np.float32)), pad)
        ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        attended = linear(ctx, i, "attention/output/dense", HIDDEN, HIDDEN)
        x = g.layer_norm(g.op("Add", x, attended), f"encoder.layer.{i}.attention.output.LayerNorm")
        inner = g.op("Relu", linear(x, i, "intermediate/dense", HIDDEN, FFN))
        x = g.layer_norm(
            g.op("Add", x, linear(inner, i, "output/dense", FFN, HIDDEN)),
            f"encoder.layer.{i}.output.LayerNorm",
        )
    g.op("Identity", x, out=output)
    outputs = [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", "sequence", HIDDEN])]
    graph = helper.make_graph(g.nodes, "tiny_encoder", inputs, outputs, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_encoder_folder(folder: Path, **kw) -> Path:
    """``folder/model.onnx`` (``build_encoder``) with its tokenizer.json; returns the model's path."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = write_wordpiece_tokenizer(folder)
    path = folder / "model.onnx"
    onnx.save_model(build_encoder(vocab, **kw), str(path))
    return path
