"""GGUF (Llama family) -> our weight store + config + tokenizer, with numpy and the ``gguf`` package only.

llama.cpp's converter permutes the rows of Q and K so that ggml's interleaved RoPE equals Hugging Face's
rotate-half RoPE; we undo that permutation here so the ONNX graph can use the rotate-half form. The
conversion streams one tensor at a time: peak memory is one dequantised tensor, not the model.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.engine.errors import GenbaError
from app.engine.llama_graph import LlamaConfig, weight_name
from app.engine.weights import WeightStore, WeightWriter

SUPPORTED_ARCHITECTURES = ("llama",)
_GGUF_TO_PROJ = {
    "attn_q": "q",
    "attn_k": "k",
    "attn_v": "v",
    "attn_output": "o",
    "ffn_gate": "gate",
    "ffn_up": "up",
    "ffn_down": "down",
}


def _open_reader(path: Path):
    from gguf import GGUFReader

    try:
        return GGUFReader(path)
    except Exception as exc:  # the reader raises ValueError/struct.error/IndexError on broken files
        raise GenbaError(
            "This GGUF file is damaged or incomplete and cannot be read.",
            "この GGUF ファイルは壊れているか不完全なため、読み込めません。",
            path=path,
            detail=repr(exc),
        ) from exc


def _field(reader, key: str, default=None):
    field = reader.fields.get(key)
    if field is None:
        return default
    return field.contents()


def read_config(path: str | os.PathLike[str]) -> tuple[LlamaConfig, dict]:
    """Model config and metadata (name, architecture) from a GGUF header."""
    path = Path(path)
    reader = _open_reader(path)
    arch = _field(reader, "general.architecture")
    if arch not in SUPPORTED_ARCHITECTURES:
        raise GenbaError(
            f"Unsupported model architecture '{arch}'. Expected a Llama-family GGUF ({', '.join(SUPPORTED_ARCHITECTURES)}).",
            f"対応していないモデル構造「{arch}」です。Llama 系の GGUF（{', '.join(SUPPORTED_ARCHITECTURES)}）を指定してください。",
            path=path,
            field="general.architecture",
        )
    names = {t.name for t in reader.tensors}

    def need(key: str):
        value = _field(reader, f"{arch}.{key}")
        if value is None:
            raise GenbaError(
                f"The GGUF header lacks '{arch}.{key}'.",
                f"GGUF のヘッダーに「{arch}.{key}」がありません。",
                path=path,
                field=f"{arch}.{key}",
            )
        return value

    hidden = int(need("embedding_length"))
    n_heads = int(need("attention.head_count"))
    tokens = _field(reader, "tokenizer.ggml.tokens")
    vocab = int(_field(reader, f"{arch}.vocab_size", len(tokens) if tokens else 0))
    cfg = LlamaConfig(
        n_layers=int(need("block_count")),
        hidden=hidden,
        ffn=int(need("feed_forward_length")),
        n_heads=n_heads,
        n_kv_heads=int(_field(reader, f"{arch}.attention.head_count_kv", n_heads)),
        head_dim=int(_field(reader, f"{arch}.rope.dimension_count", hidden // n_heads)),
        vocab=vocab,
        rope_base=float(_field(reader, f"{arch}.rope.freq_base", 10000.0)),
        rms_eps=float(_field(reader, f"{arch}.attention.layer_norm_rms_epsilon", 1e-5)),
        tied_embeddings="output.weight" not in names,
        context_length=int(_field(reader, f"{arch}.context_length", 2048)),
    )
    meta = {
        "name": str(_field(reader, "general.name", path.stem)),
        "architecture": arch,
        "license": str(_field(reader, "general.license", "")),
        "parameters": int(sum(int(t.n_elements) for t in reader.tensors)),
    }
    return cfg, meta


def _unpermute(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Invert llama.cpp's Q/K row permutation (interleaved -> rotate-half RoPE). w: [out, in]."""
    out, d_in = w.shape
    return w.reshape(n_heads, out // n_heads // 2, 2, d_in).swapaxes(1, 2).reshape(out, d_in)


def _graph_tensors(cfg: LlamaConfig) -> dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    """Our weight name -> (GGUF tensor name, transform from GGUF's [out, in] numpy layout)."""
    mapping: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
        "embed": ("token_embd.weight", lambda w: w),
        "norm": ("output_norm.weight", lambda w: w),
    }
    if not cfg.tied_embeddings:
        mapping["lm_head"] = ("output.weight", lambda w: w)
    for layer in range(cfg.n_layers):
        mapping[f"L{layer}.attn_norm"] = (f"blk.{layer}.attn_norm.weight", lambda w: w)
        mapping[f"L{layer}.ffn_norm"] = (f"blk.{layer}.ffn_norm.weight", lambda w: w)
        for gguf_name, proj in _GGUF_TO_PROJ.items():
            if proj == "q":
                fn = lambda w: _unpermute(w, cfg.n_heads).T  # noqa: E731
            elif proj == "k":
                fn = lambda w: _unpermute(w, cfg.n_kv_heads).T  # noqa: E731
            else:
                fn = lambda w: w.T  # noqa: E731
            mapping[weight_name(layer, proj)] = (f"blk.{layer}.{gguf_name}.weight", fn)
    return mapping


def convert_gguf(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    progress: Callable[[float], None] | None = None,
) -> tuple[LlamaConfig, WeightStore]:
    """Dequantise every tensor to fp32 into ``out_dir`` and write config.json and tokenizer.json."""
    from gguf.quants import dequantize

    from app.engine.tokenizer import tokenizer_from_gguf

    path, out_dir = Path(path), Path(out_dir)
    cfg, meta = read_config(path)
    reader = _open_reader(path)
    tensors = {t.name: t for t in reader.tensors}
    mapping = _graph_tensors(cfg)
    missing = sorted(src for src, _ in mapping.values() if src not in tensors)
    if missing:
        raise GenbaError(
            f"The GGUF file lacks tensors a Llama model needs: {', '.join(missing[:5])}",
            f"Llama モデルに必要なテンソルが GGUF にありません: {', '.join(missing[:5])}",
            path=path,
        )
    writer = WeightWriter(out_dir)
    for i, (name, (src, transform)) in enumerate(mapping.items()):
        t = tensors[src]
        try:
            w = dequantize(t.data, t.tensor_type).astype(np.float32, copy=False)
        except NotImplementedError as exc:
            raise GenbaError(
                f"Tensor '{src}' uses the unsupported type {t.tensor_type.name}.",
                f"テンソル「{src}」の型 {t.tensor_type.name} には対応していません。",
                path=path,
            ) from exc
        writer.add(name, transform(w.reshape([int(d) for d in reversed(t.shape)])))
        if progress is not None:
            progress((i + 1) / len(mapping))
    store = writer.close()
    tokenizer_from_gguf(reader).save(str(out_dir / "tokenizer.json"))
    (out_dir / "config.json").write_text(
        json.dumps({"llama": cfg.to_dict(), "meta": meta}, indent=2), encoding="utf-8"
    )
    return cfg, store
