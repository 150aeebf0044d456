"""GGUF (Llama family) -> our weight store + config + tokenizer, with numpy and the ``gguf`` package only.

Architectures (llama.cpp's names): ``llama`` (incl. Llama 3's ``rope_freqs``), ``qwen2``, ``qwen3`` and
``gemma3``. For ``llama`` llama.cpp's converter permutes the rows of Q and K so that ggml's interleaved RoPE
equals Hugging Face's rotate-half RoPE; we undo that permutation here so the ONNX graph can use the
rotate-half form. The others use ggml's NEOX RoPE, which already is rotate-half, and are not permuted.

Only what we implement is converted: a header key or tensor outside the lists below (a rope scaling type,
logit soft-capping, a sliding window on a model that does not expect one, an extra bias, ...) is refused by
name, never ignored. The conversion streams one tensor at a time: peak memory is one dequantised tensor.
"""

from __future__ import annotations

import gc
import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.engine.data.tokenizer import tokenizer_from_gguf
from app.engine.errors import GenbaError
from app.engine.models.llama_config import LlamaConfig, weight_name
from app.engine.models.weights import Q8_BLOCK, Q8_SCALE_SUFFIX, WeightStore, WeightWriter

SUPPORTED_ARCHITECTURES = ("llama", "qwen2", "qwen3", "gemma3")
# Header keys (after "<arch>.") that describe the network and that we read; any other one is refused.
_KNOWN_KEYS = {
    "context_length",
    "embedding_length",
    "block_count",
    "feed_forward_length",
    "attention.head_count",
    "attention.head_count_kv",
    "attention.layer_norm_rms_epsilon",
    "attention.key_length",
    "attention.value_length",
    "rope.dimension_count",
    "rope.freq_base",
    "vocab_size",
    # Checked to be neutral below (a scaling type "none" with factor 1, no experts).
    "rope.scaling.type",
    "rope.scaling.factor",
    "rope.scaling.original_context_length",
    "expert_count",
    "expert_used_count",
}
_ARCH_KEYS = {"gemma3": {"attention.sliding_window"}}
# gemma3 (llama.cpp llama-model.cpp): every 6th layer is global, the others see a window; the local layers'
# RoPE base is fixed at 10000 (rope_freq_base_train_swa).
_GEMMA3_SWA_PATTERN = 6
_GEMMA3_LOCAL_ROPE_BASE = 10000.0
# Above this size as fp32 the embedding table is stored compactly, as its Q8_0 blocks or as fp16 (it is only
# gathered from, and in a tied model its label-word rows are read): Gemma 3's 262,144 x 640 table is 671 MB
# as fp32, 178 MB as Q8_0.
COMPACT_EMBEDDING_BYTES = 256 * 1024 * 1024
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


def _refuse(path: Path, field: str, en: str, ja: str) -> GenbaError:
    return GenbaError(
        f"{en} This model cannot be converted exactly, so it is not converted.",
        f"{ja}このモデルは正確に変換できないため、変換しません。",
        path=path,
        field=field,
    )


def _check_keys(reader, arch: str, path: Path) -> None:
    """Refuse header keys that would change the numbers and that we do not implement."""
    known = _KNOWN_KEYS | _ARCH_KEYS.get(arch, set())
    for key in reader.fields:
        if not key.startswith(f"{arch}."):
            continue
        sub = key[len(arch) + 1 :]
        if sub not in known:
            raise _refuse(
                path,
                key,
                f"The GGUF header sets '{key}', which Genba Tuner does not implement.",
                f"GGUF のヘッダーに、現場チューナーが対応していない「{key}」があります。",
            )
    scaling = _field(reader, f"{arch}.rope.scaling.type", "none")
    factor = float(_field(reader, f"{arch}.rope.scaling.factor", 1.0))
    if scaling != "none" and not (scaling == "linear" and factor == 1.0):
        raise _refuse(
            path,
            f"{arch}.rope.scaling.type",
            f"The RoPE scaling type '{scaling}' is not supported.",
            f"RoPE のスケーリング方式「{scaling}」には対応していません。",
        )
    if factor != 1.0:
        raise _refuse(
            path,
            f"{arch}.rope.scaling.factor",
            f"The RoPE scaling factor {factor} is not supported.",
            f"RoPE のスケーリング係数 {factor} には対応していません。",
        )
    for key in ("expert_count", "expert_used_count"):
        if int(_field(reader, f"{arch}.{key}", 0)):
            raise _refuse(
                path,
                f"{arch}.{key}",
                f"Mixture-of-experts models ('{arch}.{key}') are not supported.",
                f"Mixture-of-Experts（MoE）モデル（「{arch}.{key}」）には対応していません。",
            )


def _config_from_reader(reader, path: Path) -> tuple[LlamaConfig, dict]:
    arch = _field(reader, "general.architecture")
    if arch not in SUPPORTED_ARCHITECTURES:
        raise GenbaError(
            f"Unsupported model architecture '{arch}'. Supported GGUF architectures: "
            f"{', '.join(SUPPORTED_ARCHITECTURES)}.",
            f"対応していないモデル構造「{arch}」です。対応している GGUF の構造: {', '.join(SUPPORTED_ARCHITECTURES)}。",
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

    _check_keys(reader, arch, path)
    hidden = int(need("embedding_length"))
    n_heads = int(need("attention.head_count"))
    n_layers = int(need("block_count"))
    tokens = _field(reader, "tokenizer.ggml.tokens")
    vocab = int(_field(reader, f"{arch}.vocab_size", len(tokens) if tokens else 0))
    head_dim = int(_field(reader, f"{arch}.attention.key_length", hidden // n_heads))
    value_dim = int(_field(reader, f"{arch}.attention.value_length", head_dim))
    n_rot = int(_field(reader, f"{arch}.rope.dimension_count", head_dim))
    if value_dim != head_dim:
        raise _refuse(
            path,
            f"{arch}.attention.value_length",
            f"The value head size ({value_dim}) differs from the key head size ({head_dim}), which is not "
            f"supported ('{arch}.attention.value_length').",
            f"値ヘッドのサイズ（{value_dim}）がキーヘッドのサイズ（{head_dim}）と異なる構成"
            f"（「{arch}.attention.value_length」）には対応していません。",
        )
    if n_rot != head_dim:
        raise _refuse(
            path,
            f"{arch}.rope.dimension_count",
            f"RoPE on only {n_rot} of {head_dim} dimensions per head ('{arch}.rope.dimension_count') is not "
            "supported.",
            f"ヘッドの {head_dim} 次元のうち {n_rot} 次元だけに RoPE をかける構成"
            f"（「{arch}.rope.dimension_count」）には対応していません。",
        )
    variant: dict = {}
    if "rope_freqs.weight" in names:
        if arch != "llama":
            raise _refuse(
                path,
                "rope_freqs.weight",
                f"A '{arch}' model with a rope_freqs tensor is not supported.",
                f"rope_freqs テンソルを持つ「{arch}」モデルには対応していません。",
            )
        variant["rope_freq_factors"] = _rope_freq_factors(reader, head_dim, path)
    if arch == "qwen2":
        variant["qkv_bias"] = True
    elif arch == "qwen3":
        variant["qk_norm"] = True
    elif arch == "gemma3":
        window = int(need("attention.sliding_window"))
        variant.update(
            qk_norm=True,
            post_norms=True,
            ffn_act="gelu_tanh",
            embed_scale=math.sqrt(hidden),
            # llama.cpp: 1/sqrt(n_embd/n_head) for the 62-layer 27B, 1/sqrt(head_dim) otherwise
            attn_scale=1.0 / math.sqrt(hidden / n_heads if n_layers == 62 else head_dim),
            sliding_window=window,
            local_layers=tuple(
                i for i in range(n_layers) if i % _GEMMA3_SWA_PATTERN < _GEMMA3_SWA_PATTERN - 1
            ),
            rope_base_local=_GEMMA3_LOCAL_ROPE_BASE,
        )
    cfg = LlamaConfig(
        n_layers=n_layers,
        hidden=hidden,
        ffn=int(need("feed_forward_length")),
        n_heads=n_heads,
        n_kv_heads=int(_field(reader, f"{arch}.attention.head_count_kv", n_heads)),
        head_dim=head_dim,
        vocab=vocab,
        rope_base=float(_field(reader, f"{arch}.rope.freq_base", 10000.0)),
        rms_eps=float(_field(reader, f"{arch}.attention.layer_norm_rms_epsilon", 1e-5)),
        tied_embeddings="output.weight" not in names,
        context_length=int(_field(reader, f"{arch}.context_length", 2048)),
        arch=arch,
        **variant,
    )
    meta = {
        "name": str(_field(reader, "general.name", path.stem)),
        "architecture": arch,
        "license": str(_field(reader, "general.license", "")),
        "parameters": int(sum(int(t.n_elements) for t in reader.tensors)),
    }
    return cfg, meta


def _rope_freq_factors(reader, head_dim: int, path: Path) -> tuple[float, ...]:
    """Llama 3's per-pair RoPE frequency divisors (the rope_freqs tensor, head_dim/2 values)."""
    from gguf.quants import dequantize

    t = next(t for t in reader.tensors if t.name == "rope_freqs.weight")
    factors = dequantize(t.data, t.tensor_type).astype(np.float64).reshape(-1)
    if factors.size != head_dim // 2 or not np.all(np.isfinite(factors)) or np.any(factors <= 0):
        raise GenbaError(
            f"The rope_freqs tensor has {factors.size} values; expected {head_dim // 2} positive numbers.",
            f"rope_freqs テンソルの値が {factors.size} 個です。正の数が {head_dim // 2} 個必要です。",
            path=path,
            field="rope_freqs.weight",
        )
    return tuple(float(f) for f in factors)


def _unpermute(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Invert llama.cpp's Q/K row permutation (interleaved -> rotate-half RoPE). w: [out, in]."""
    out, d_in = w.shape
    return w.reshape(n_heads, out // n_heads // 2, 2, d_in).swapaxes(1, 2).reshape(out, d_in)


def _graph_tensors(cfg: LlamaConfig) -> dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    """Our weight name -> (GGUF tensor name, transform from GGUF's [out, in] numpy layout)."""

    def same(w: np.ndarray) -> np.ndarray:
        return w

    mapping: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
        "embed": ("token_embd.weight", same),
        "norm": ("output_norm.weight", same),
    }
    if not cfg.tied_embeddings:
        mapping["lm_head"] = ("output.weight", same)
    # llama.cpp permutes Q/K rows only for the "normal" (interleaved) RoPE of the llama architecture.
    permuted = cfg.arch == "llama"
    for layer in range(cfg.n_layers):
        blk = f"blk.{layer}."
        mapping[f"L{layer}.attn_norm"] = (blk + "attn_norm.weight", same)
        mapping[f"L{layer}.ffn_norm"] = (blk + "ffn_norm.weight", same)
        if cfg.qk_norm:
            mapping[f"L{layer}.q_norm"] = (blk + "attn_q_norm.weight", same)
            mapping[f"L{layer}.k_norm"] = (blk + "attn_k_norm.weight", same)
        if cfg.post_norms:  # llama.cpp's gemma3 converter already stored Gemma's (1 + w) as w
            mapping[f"L{layer}.attn_post_norm"] = (blk + "post_attention_norm.weight", same)
            mapping[f"L{layer}.ffn_post_norm"] = (blk + "post_ffw_norm.weight", same)
        if cfg.qkv_bias:
            for proj in ("q", "k", "v"):
                mapping[f"{weight_name(layer, proj)}_bias"] = (f"{blk}attn_{proj}.bias", same)
        for gguf_name, proj in _GGUF_TO_PROJ.items():
            if not permuted:
                fn = lambda w: w.T  # noqa: E731
            elif proj == "q":
                fn = lambda w: _unpermute(w, cfg.n_heads).T  # noqa: E731
            elif proj == "k":
                fn = lambda w: _unpermute(w, cfg.n_kv_heads).T  # noqa: E731
            else:
                fn = lambda w: w.T  # noqa: E731
            mapping[weight_name(layer, proj)] = (f"blk.{layer}.{gguf_name}.weight", fn)
    return mapping


def _q8_0_blocks(t, shape: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """A Q8_0 table's int8 values [rows, cols] and fp32 block scales [rows, cols / 32] (value = scale * q).

    A Q8_0 block is an fp16 scale then 32 int8 values (ggml's block_q8_0); an fp16 times an int8 is exact in
    fp32, so the gather in the graph reproduces the dequantised table bit for bit.
    """
    rows, cols = shape
    blocks = np.asarray(t.data, dtype=np.uint8).reshape(rows, cols // Q8_BLOCK, 2 + Q8_BLOCK)
    scales = blocks[:, :, :2].copy().view(np.float16)[:, :, 0].astype(np.float32)
    values = blocks[:, :, 2:].copy().view(np.int8).reshape(rows, cols)
    return values, scales


def _dequantize(t, dtype, path: Path, rows_per_chunk: int = 16384) -> np.ndarray:
    """One GGUF tensor as ``dtype``, dequantised a block of rows at a time (no full fp32 copy of a
    262k-row embedding when it is stored as fp16)."""
    from gguf.quants import dequantize

    data = t.data
    try:
        with np.errstate(over="ignore"):  # an fp16 overflow is checked by the caller
            if data.ndim < 2 or data.shape[0] <= rows_per_chunk:
                return dequantize(data, t.tensor_type).astype(dtype, copy=False)
            first = dequantize(data[:rows_per_chunk], t.tensor_type)
            out = np.empty((data.shape[0], *first.shape[1:]), dtype=dtype)
            out[:rows_per_chunk] = first
            for start in range(rows_per_chunk, data.shape[0], rows_per_chunk):
                out[start : start + rows_per_chunk] = dequantize(
                    data[start : start + rows_per_chunk], t.tensor_type
                )
            return out
    except NotImplementedError as exc:
        raise GenbaError(
            f"Tensor '{t.name}' uses the unsupported type {t.tensor_type.name}.",
            f"テンソル「{t.name}」の型 {t.tensor_type.name} には対応していません。",
            path=path,
        ) from exc


def convert_gguf(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    progress: Callable[[float], None] | None = None,
    compact_embedding_bytes: int | None = None,
) -> tuple[LlamaConfig, WeightStore]:
    """Dequantise every tensor to fp32 into ``out_dir`` and write config.json and tokenizer.json.

    An embedding table larger than ``compact_embedding_bytes`` (default COMPACT_EMBEDDING_BYTES) as fp32 is
    stored compactly: as its Q8_0 blocks (int8 values + scales, exact) when it is Q8_0, else as fp16.
    """
    if compact_embedding_bytes is None:
        compact_embedding_bytes = COMPACT_EMBEDDING_BYTES

    path, out_dir = Path(path), Path(out_dir)
    reader = _open_reader(path)  # parsing a 262k-token header takes ~16 s: once
    cfg, meta = _config_from_reader(reader, path)
    tensors = {t.name: t for t in reader.tensors}
    mapping = _graph_tensors(cfg)
    missing = sorted(src for src, _ in mapping.values() if src not in tensors)
    if missing:
        raise GenbaError(
            f"The GGUF file lacks tensors a '{cfg.arch}' model needs: {', '.join(missing[:5])}",
            f"「{cfg.arch}」モデルに必要なテンソルが GGUF にありません: {', '.join(missing[:5])}",
            path=path,
        )
    unused = sorted(set(tensors) - {src for src, _ in mapping.values()} - {"rope_freqs.weight"})
    if unused:
        raise _refuse(
            path,
            unused[0],
            f"The GGUF file holds tensors a '{cfg.arch}' model does not use here: {', '.join(unused[:5])}.",
            f"GGUF に、「{cfg.arch}」モデルとして使わないテンソルがあります: {', '.join(unused[:5])}。",
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer_from_gguf(reader).save(str(out_dir / "tokenizer.json"))
    # The reader keeps one numpy view per vocabulary entry (tokens, scores, types: ~750 MB for Gemma's 262k,
    # measured); the tensors need none of them, so they go before the tensors are dequantised.
    for key in [k for k in reader.fields if k.startswith("tokenizer.")]:
        del reader.fields[key]
    gc.collect()
    writer = WeightWriter(out_dir)
    for i, (name, (src, transform)) in enumerate(mapping.items()):
        t = tensors[src]
        shape = [int(d) for d in reversed(t.shape)]
        compact = name == "embed" and 4 * int(np.prod(shape)) > compact_embedding_bytes
        if compact and t.tensor_type.name == "Q8_0":  # kept as its blocks: exact and ~4x smaller than fp32
            values, scales = _q8_0_blocks(t, shape)
            writer.add(name, values)
            writer.add(name + Q8_SCALE_SUFFIX, scales)
        else:
            w = _dequantize(t, np.float16 if compact else np.float32, path)
            if compact and not np.isfinite(w).all():  # beyond fp16's range (65504): keep it exact instead
                w = _dequantize(t, np.float32, path)
            writer.add(name, transform(w.reshape(shape)))
        if progress is not None:
            progress((i + 1) / len(mapping))
    store = writer.close()
    (out_dir / "config.json").write_text(
        json.dumps({"llama": cfg.to_dict(), "meta": meta}, indent=2), encoding="utf-8"
    )
    return cfg, store
