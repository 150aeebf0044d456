"""An independent float64 numpy forward of a Llama model, on raw GGUF tensors as llama.cpp reads them.

Nothing here comes from ``app``: the tensors are used in GGUF's own layout (linear weights ``[n_out, n_in]``,
``y = x @ W.T``), Q and K keep llama.cpp's permuted rows, and RoPE is ggml's "normal" mode (``rope_type``
``LLAMA_ROPE_TYPE_NORM``), which rotates *adjacent* pairs ``(x[2i], x[2i+1])`` by ``pos * base^(-2i/n_rot)``.
The app instead un-permutes Q/K and rotates halves; agreement of the two is what the tests check.

The other architectures follow their llama.cpp graphs (src/models/qwen2.cpp, qwen3.cpp, gemma3.cpp) with
ggml's NEOX RoPE (pairs ``(x[i], x[i + n_rot/2])``): qwen2 adds the q/k/v biases after the matmuls, qwen3
RMS-normalises each head of q and k before RoPE, gemma3 additionally scales the embedding by sqrt(n_embd),
multiplies q by ``f_attention_scale``, normalises the attention and FFN outputs (``attn_post_norm``,
``ffn_post_norm``) before their residual adds, uses GELU (tanh form) in the gated FFN, and in its
sliding-window layers (il % 6 < 5) masks keys with ``pos_q - pos_k >= n_swa`` and uses RoPE base 10000.
Llama 3's ``rope_freqs`` tensor divides each pair's angle (ggml_rope_ext's ``freq_factors``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LlamaHParams:
    """The ``llama.*`` header fields the forward needs (names after llama.cpp's ``llama_hparams``)."""

    n_layer: int
    n_head: int
    n_head_kv: int
    n_rot: int
    f_norm_rms_eps: float = 1e-5
    rope_freq_base: float = 10000.0
    arch: str = "llama"
    n_swa: int = 0  # gemma3's sliding window
    rope_freq_base_swa: float = 10000.0
    f_attention_scale: float | None = None  # gemma3


def rms_norm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    """ggml_rms_norm followed by the elementwise weight."""
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope_norm(x: np.ndarray, pos: np.ndarray, n_rot: int, freq_base: float) -> np.ndarray:
    """ggml_rope, mode 0: x [n_tokens, n_head, head_dim], pos [n_tokens] -> same shape.

    For each adjacent pair (x[i0], x[i0+1]), i0 = 0, 2, ...: theta = pos * freq_base^(-i0/n_rot);
    out[i0] = x0 cos - x1 sin, out[i0+1] = x0 sin + x1 cos. Dimensions >= n_rot pass through.
    """
    out = x.copy()
    for i0 in range(0, n_rot, 2):
        theta = pos.astype(np.float64) * freq_base ** (-i0 / n_rot)  # [n_tokens]
        cos, sin = np.cos(theta)[:, None], np.sin(theta)[:, None]
        x0, x1 = x[:, :, i0], x[:, :, i0 + 1]
        out[:, :, i0] = x0 * cos - x1 * sin
        out[:, :, i0 + 1] = x0 * sin + x1 * cos
    return out


def rope_neox(
    x: np.ndarray, pos: np.ndarray, n_rot: int, freq_base: float, freq_factors: np.ndarray | None = None
) -> np.ndarray:
    """ggml_rope, NEOX mode: pairs (x[i], x[i + n_rot/2]) rotated by pos * freq_base^(-2i/n_rot) / ff[i]."""
    out = x.copy()
    half = n_rot // 2
    for i in range(half):
        theta = pos.astype(np.float64) * freq_base ** (-2 * i / n_rot)
        if freq_factors is not None:
            theta = theta / freq_factors[i]
        cos, sin = np.cos(theta)[:, None], np.sin(theta)[:, None]
        x0, x1 = x[:, :, i], x[:, :, i + half]
        out[:, :, i] = x0 * cos - x1 * sin
        out[:, :, i + half] = x0 * sin + x1 * cos
    return out


def rope_norm_factors(
    x: np.ndarray, pos: np.ndarray, n_rot: int, freq_base: float, ff: np.ndarray
) -> np.ndarray:
    """rope_norm with ggml_rope_ext's freq_factors: pair i0/2's angle divided by ff[i0/2]."""
    out = x.copy()
    for i0 in range(0, n_rot, 2):
        theta = pos.astype(np.float64) * freq_base ** (-i0 / n_rot) / ff[i0 // 2]
        cos, sin = np.cos(theta)[:, None], np.sin(theta)[:, None]
        x0, x1 = x[:, :, i0], x[:, :, i0 + 1]
        out[:, :, i0] = x0 * cos - x1 * sin
        out[:, :, i0 + 1] = x0 * sin + x1 * cos
    return out


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + np.exp(-x))


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def llama_forward(
    tensors: dict[str, np.ndarray],
    hp: LlamaHParams,
    tokens: list[int] | np.ndarray,
    *,
    replace: dict[str, np.ndarray] | None = None,
    last: int | None = None,
) -> np.ndarray:
    """Logits [n_tokens, n_vocab] for one unpadded sequence at positions 0..n_tokens-1 (float64).

    ``replace`` substitutes GGUF tensors by name (e.g. ``blk.1.attn_v.weight``), in the same [out, in] layout.
    ``last``: only the logits of the last ``last`` positions (a long prompt times 262k columns is large).
    """
    raw = {**tensors, **(replace or {})}
    t = _Float64(raw)
    tokens = np.asarray(tokens, dtype=np.int64)
    n_tokens = len(tokens)
    pos = np.arange(n_tokens)
    n_embd = raw["token_embd.weight"].shape[1]
    n_embd_head = t["blk.0.attn_q.weight"].shape[0] // hp.n_head  # n_embd_head_k
    n_gqa = hp.n_head // hp.n_head_kv
    eps = hp.f_norm_rms_eps
    gemma3 = hp.arch == "gemma3"
    kq_scale = 1.0 if gemma3 else 1.0 / np.sqrt(n_embd_head)  # gemma3 scales q by f_attention_scale instead
    causal = np.triu(np.ones((n_tokens, n_tokens), dtype=bool), k=1)  # True = masked (future key)
    swa = causal | (pos[:, None] - pos[None, :] >= hp.n_swa) if gemma3 else causal
    ff = t.get("rope_freqs.weight")

    inp = np.asarray(raw["token_embd.weight"][tokens], dtype=np.float64)  # ggml_get_rows: [n_tokens, n_embd]
    if gemma3:
        inp = inp * np.sqrt(n_embd)
    for il in range(hp.n_layer):
        blk = f"blk.{il}."
        is_swa = gemma3 and il % 6 < 5  # hparams.set_swa_pattern(6)
        cur = rms_norm(inp, t[blk + "attn_norm.weight"], eps)
        q = cur @ t[blk + "attn_q.weight"].T
        k = cur @ t[blk + "attn_k.weight"].T
        v = cur @ t[blk + "attn_v.weight"].T
        if hp.arch == "qwen2":
            q, k, v = q + t[blk + "attn_q.bias"], k + t[blk + "attn_k.bias"], v + t[blk + "attn_v.bias"]
        q = q.reshape(n_tokens, hp.n_head, n_embd_head)
        k = k.reshape(n_tokens, hp.n_head_kv, n_embd_head)
        v = v.reshape(n_tokens, hp.n_head_kv, n_embd_head)
        if hp.arch in ("qwen3", "gemma3"):
            q = rms_norm(q, t[blk + "attn_q_norm.weight"], eps)
            k = rms_norm(k, t[blk + "attn_k_norm.weight"], eps)
        if hp.arch == "llama":
            if ff is None:
                q = rope_norm(q, pos, hp.n_rot, hp.rope_freq_base)
                k = rope_norm(k, pos, hp.n_rot, hp.rope_freq_base)
            else:
                q = rope_norm_factors(q, pos, hp.n_rot, hp.rope_freq_base, ff)
                k = rope_norm_factors(k, pos, hp.n_rot, hp.rope_freq_base, ff)
        else:
            base = hp.rope_freq_base_swa if is_swa else hp.rope_freq_base
            q = rope_neox(q, pos, hp.n_rot, base)
            k = rope_neox(k, pos, hp.n_rot, base)
        if gemma3:
            q = q * hp.f_attention_scale
        heads = []
        for h in range(hp.n_head):
            h_kv = h // n_gqa
            kq = (q[:, h, :] @ k[:, h_kv, :].T) * kq_scale  # [n_q, n_kv]
            kq = np.where(swa if is_swa else causal, -np.inf, kq)
            kq = np.exp(kq - kq.max(axis=-1, keepdims=True))
            kq /= kq.sum(axis=-1, keepdims=True)
            heads.append(kq @ v[:, h_kv, :])
        kqv = np.concatenate(heads, axis=-1)  # [n_tokens, n_head * n_embd_head]
        cur = kqv @ t[blk + "attn_output.weight"].T
        if gemma3:
            cur = rms_norm(cur, t[blk + "post_attention_norm.weight"], eps)
        ffn_inp = inp + cur
        cur = rms_norm(ffn_inp, t[blk + "ffn_norm.weight"], eps)
        act = gelu_tanh if gemma3 else silu
        gate = act(cur @ t[blk + "ffn_gate.weight"].T)
        up = cur @ t[blk + "ffn_up.weight"].T
        cur = (gate * up) @ t[blk + "ffn_down.weight"].T
        if gemma3:
            cur = rms_norm(cur, t[blk + "post_ffw_norm.weight"], eps)
        inp = ffn_inp + cur
    cur = rms_norm(inp if last is None else inp[-last:], t["output_norm.weight"], eps)
    output = raw.get("output.weight", raw["token_embd.weight"])  # tied when there is no output.weight
    rows = 16384  # a 262k-row head is multiplied a block of rows at a time
    return np.concatenate(
        [cur @ np.asarray(output[i : i + rows], dtype=np.float64).T for i in range(0, output.shape[0], rows)],
        axis=1,
    )


class _Float64(dict):
    """Tensors as float64, converted on first use. The embedding and output tables are only indexed
    (``raw[name][rows]``), so they may be any object with ``shape`` and row indexing, e.g. rows
    dequantised on demand from a real GGUF."""

    def __init__(self, raw: dict) -> None:
        super().__init__()
        self.raw = raw

    def __missing__(self, name: str) -> np.ndarray:
        value = np.asarray(self.raw[name], dtype=np.float64)
        self[name] = value
        return value

    def get(self, name: str, default=None):
        return self[name] if name in self.raw else default


def hf_to_gguf_permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp convert_hf_to_gguf.py ``LlamaModel.permute``: rotate-half row order -> interleaved."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)
