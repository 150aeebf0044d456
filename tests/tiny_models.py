"""Tiny models the tests write themselves: Llama-family GGUFs with a byte-level BPE tokenizer.

``write_tiny_llama_gguf(arch=...)`` also writes the tensors llama.cpp's ``qwen2`` (q/k/v biases),
``qwen3`` (q/k norms) and ``gemma3`` (q/k norms, post-norms, sliding window) expect, and a Llama 3
``rope_freqs`` tensor on request.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

WORDS = ["bucket", "engine", "hydraulic", "leak", "pump", "hose", "oil", "great", "terrible", "good", "bad"]


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable-character map."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs), strict=True))


def tiny_vocab() -> tuple[list[str], list[str], list[int]]:
    """Specials, 256 byte tokens and merges that build ' <word>' for each word in WORDS."""
    b2u = bytes_to_unicode()
    tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    types = [3, 3, 3]
    tokens += [b2u[b] for b in range(256)]
    types += [1] * 256
    merges: list[str] = []
    for word in WORDS:
        pieces = [b2u[b] for b in (" " + word).encode()]
        while len(pieces) > 1:
            merged = pieces[0] + pieces[1]
            if merged not in tokens:
                merges.append(f"{pieces[0]} {pieces[1]}")
                tokens.append(merged)
                types.append(1)
            pieces = [merged] + pieces[2:]
    return tokens, merges, types


def write_tiny_llama_gguf(
    path: Path,
    *,
    n_layers: int = 3,
    hidden: int = 32,
    ffn: int = 48,
    n_heads: int = 4,
    n_kv_heads: int = 2,
    seed: int = 0,
    arch: str = "llama",
    tied: bool = True,
    head_dim: int | None = None,
    rope_freqs: bool = False,
    sliding_window: int = 3,
    pre: str = "smollm",
    extra_keys: dict | None = None,
    extra_tensors: dict[str, np.ndarray] | None = None,
    q8_embedding: bool = False,
) -> dict[str, np.ndarray]:
    """Write a random GGUF (F32 tensors, llama.cpp layout: Q/K rows permuted for llama) and return its tensors.

    Returned arrays are in GGUF's numpy layout ([out, in] for linear weights), as a reference
    implementation of llama.cpp would read them. ``head_dim`` other than hidden/n_heads is written as
    ``attention.key_length``/``value_length``; ``extra_keys`` ({"<arch>.key": value}) and ``extra_tensors``
    are added as they are (to test refusals). ``q8_embedding`` stores token_embd as Q8_0 (the returned array
    is then its dequantised values, as llama.cpp would read them).
    """
    import gguf

    rng = np.random.default_rng(seed)
    tokens, merges, types = tiny_vocab()
    vocab = len(tokens)
    explicit_head_dim = head_dim is not None
    head_dim = head_dim or hidden // n_heads
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name("tiny-test-llama")
    w.add_block_count(n_layers)
    w.add_context_length(256)
    w.add_embedding_length(hidden)
    w.add_feed_forward_length(ffn)
    w.add_head_count(n_heads)
    w.add_head_count_kv(n_kv_heads)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(10000.0 if arch != "gemma3" else 1000000.0)
    w.add_layer_norm_rms_eps(1e-5)
    if explicit_head_dim:
        w.add_key_length(head_dim)
        w.add_value_length(head_dim)
    if arch == "gemma3":
        w.add_sliding_window(sliding_window)
    for key, value in (extra_keys or {}).items():
        if isinstance(value, bool):
            w.add_bool(key, value)
        elif isinstance(value, str):
            w.add_string(key, value)
        elif isinstance(value, float):
            w.add_float32(key, value)
        else:
            w.add_uint32(key, int(value))
    w.add_vocab_size(vocab)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)

    def rand(*shape: int, scale: float = 0.2) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    tensors: dict[str, np.ndarray] = {"token_embd.weight": rand(vocab, hidden, scale=0.5)}
    if not tied:
        tensors["output.weight"] = rand(vocab, hidden, scale=0.5)
    tensors["output_norm.weight"] = (1.0 + rand(hidden, scale=0.1)).astype(np.float32)

    def norm(n: int) -> np.ndarray:
        return (1.0 + rand(n, scale=0.1)).astype(np.float32)

    if rope_freqs:  # Llama 3.1's rope-scaling factors: 1 for high frequencies, up to 8 for low ones
        tensors["rope_freqs.weight"] = np.linspace(1.0, 8.0, head_dim // 2).astype(np.float32)
    q_out, kv = n_heads * head_dim, n_kv_heads * head_dim
    for i in range(n_layers):
        blk = f"blk.{i}."
        tensors[blk + "attn_norm.weight"] = norm(hidden)
        tensors[blk + "ffn_norm.weight"] = norm(hidden)
        tensors[blk + "attn_q.weight"] = rand(q_out, hidden)
        tensors[blk + "attn_k.weight"] = rand(kv, hidden)
        tensors[blk + "attn_v.weight"] = rand(kv, hidden)
        tensors[blk + "attn_output.weight"] = rand(hidden, q_out)
        tensors[blk + "ffn_gate.weight"] = rand(ffn, hidden)
        tensors[blk + "ffn_up.weight"] = rand(ffn, hidden)
        tensors[blk + "ffn_down.weight"] = rand(hidden, ffn)
        if arch == "qwen2":
            tensors[blk + "attn_q.bias"] = rand(q_out, scale=0.5)
            tensors[blk + "attn_k.bias"] = rand(kv, scale=0.5)
            tensors[blk + "attn_v.bias"] = rand(kv, scale=0.5)
        if arch in ("qwen3", "gemma3"):
            tensors[blk + "attn_q_norm.weight"] = norm(head_dim)
            tensors[blk + "attn_k_norm.weight"] = norm(head_dim)
        if arch == "gemma3":
            tensors[blk + "post_attention_norm.weight"] = norm(hidden)
            tensors[blk + "post_ffw_norm.weight"] = norm(hidden)
    tensors.update(extra_tensors or {})
    for name, arr in tensors.items():
        if name == "token_embd.weight" and q8_embedding:
            from gguf.quants import dequantize, quantize

            blocks = quantize(arr, gguf.GGMLQuantizationType.Q8_0)
            w.add_tensor(name, blocks, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
            tensors[name] = dequantize(blocks, gguf.GGMLQuantizationType.Q8_0)
        else:
            w.add_tensor(name, arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return tensors


SPM_PIECES = {  # piece -> score: SentencePiece-style, the higher score merges first
    "▁": -1.0,
    "a": -2.0,
    "b": -2.0,
    "c": -2.0,
    "d": -2.0,
    "日": -2.0,
    "本": -2.0,
    "ab": -3.0,
    "bc": -2.5,  # beats "ab": "abc" is built as a + bc
    "abc": -4.0,
    "cd": -3.5,
    "▁a": -5.0,
    "▁abc": -6.0,
    "日本": -1.5,
    "▁日本": -7.0,
}


def write_tiny_spm_tokenizer_gguf(
    path: Path, add_space_prefix: bool = False
) -> tuple[list[str], list[float]]:
    """A header-only GGUF with a SentencePiece vocabulary (``tokenizer.ggml.model = llama``) as Gemma's.

    Returns (tokens, scores). Control tokens <pad>, <eos>, <bos>, <unk>, one user-defined token "\\n\\n",
    256 byte tokens <0xNN>, then SPM_PIECES.
    """
    import gguf

    tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "\n\n"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [3, 3, 3, 2, 4] + [6] * 256
    scores = [0.0] * len(tokens)
    tokens += list(SPM_PIECES)
    types += [1] * len(SPM_PIECES)
    scores += list(SPM_PIECES.values())
    w = gguf.GGUFWriter(str(path), "gemma3")
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(2)
    w.add_eos_token_id(1)
    w.add_unk_token_id(3)
    w.add_add_bos_token(True)
    w.add_add_space_prefix(add_space_prefix)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return tokens, scores
