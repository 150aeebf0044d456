"""Tiny models the tests write themselves: a Llama GGUF with a byte-level BPE tokenizer."""

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
) -> dict[str, np.ndarray]:
    """Write a random Llama GGUF (F32 tensors, llama.cpp layout: Q/K rows permuted) and return its tensors.

    Returned arrays are in GGUF's numpy layout ([out, in] for linear weights), as a reference
    implementation of llama.cpp would read them.
    """
    import gguf

    rng = np.random.default_rng(seed)
    tokens, merges, types = tiny_vocab()
    vocab = len(tokens)
    head_dim = hidden // n_heads
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name("tiny-test-llama")
    w.add_block_count(n_layers)
    w.add_context_length(256)
    w.add_embedding_length(hidden)
    w.add_feed_forward_length(ffn)
    w.add_head_count(n_heads)
    w.add_head_count_kv(n_kv_heads)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(vocab)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm")
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
    kv = n_kv_heads * head_dim
    for i in range(n_layers):
        tensors[f"blk.{i}.attn_norm.weight"] = (1.0 + rand(hidden, scale=0.1)).astype(np.float32)
        tensors[f"blk.{i}.ffn_norm.weight"] = (1.0 + rand(hidden, scale=0.1)).astype(np.float32)
        tensors[f"blk.{i}.attn_q.weight"] = rand(hidden, hidden)
        tensors[f"blk.{i}.attn_k.weight"] = rand(kv, hidden)
        tensors[f"blk.{i}.attn_v.weight"] = rand(kv, hidden)
        tensors[f"blk.{i}.attn_output.weight"] = rand(hidden, hidden)
        tensors[f"blk.{i}.ffn_gate.weight"] = rand(ffn, hidden)
        tensors[f"blk.{i}.ffn_up.weight"] = rand(ffn, hidden)
        tensors[f"blk.{i}.ffn_down.weight"] = rand(hidden, ffn)
    for name, arr in tensors.items():
        w.add_tensor(name, arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return tensors
