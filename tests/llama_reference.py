"""An independent float64 numpy forward of a Llama model, on raw GGUF tensors as llama.cpp reads them.

Nothing here comes from ``app``: the tensors are used in GGUF's own layout (linear weights ``[n_out, n_in]``,
``y = x @ W.T``), Q and K keep llama.cpp's permuted rows, and RoPE is ggml's "normal" mode (``rope_type``
``LLAMA_ROPE_TYPE_NORM``), which rotates *adjacent* pairs ``(x[2i], x[2i+1])`` by ``pos * base^(-2i/n_rot)``.
The app instead un-permutes Q/K and rotates halves; agreement of the two is what the tests check.
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
) -> np.ndarray:
    """Logits [n_tokens, n_vocab] for one unpadded sequence at positions 0..n_tokens-1 (float64).

    ``replace`` substitutes GGUF tensors by name (e.g. ``blk.1.attn_v.weight``), in the same [out, in] layout.
    """
    t = {k: np.asarray(v, dtype=np.float64) for k, v in tensors.items()}
    if replace:
        t.update({k: np.asarray(v, dtype=np.float64) for k, v in replace.items()})
    tokens = np.asarray(tokens, dtype=np.int64)
    n_tokens = len(tokens)
    pos = np.arange(n_tokens)
    n_embd = t["token_embd.weight"].shape[1]
    n_embd_head = n_embd // hp.n_head
    n_gqa = hp.n_head // hp.n_head_kv
    eps = hp.f_norm_rms_eps
    kq_scale = 1.0 / np.sqrt(n_embd_head)
    causal = np.triu(np.ones((n_tokens, n_tokens), dtype=bool), k=1)  # True = masked (future key)

    inp = t["token_embd.weight"][tokens]  # ggml_get_rows: [n_tokens, n_embd]
    for il in range(hp.n_layer):
        blk = f"blk.{il}."
        cur = rms_norm(inp, t[blk + "attn_norm.weight"], eps)
        q = (cur @ t[blk + "attn_q.weight"].T).reshape(n_tokens, hp.n_head, n_embd_head)
        k = (cur @ t[blk + "attn_k.weight"].T).reshape(n_tokens, hp.n_head_kv, n_embd_head)
        v = (cur @ t[blk + "attn_v.weight"].T).reshape(n_tokens, hp.n_head_kv, n_embd_head)
        q = rope_norm(q, pos, hp.n_rot, hp.rope_freq_base)
        k = rope_norm(k, pos, hp.n_rot, hp.rope_freq_base)
        heads = []
        for h in range(hp.n_head):
            h_kv = h // n_gqa
            kq = (q[:, h, :] @ k[:, h_kv, :].T) * kq_scale  # [n_q, n_kv]
            kq = np.where(causal, -np.inf, kq)
            kq = np.exp(kq - kq.max(axis=-1, keepdims=True))
            kq /= kq.sum(axis=-1, keepdims=True)
            heads.append(kq @ v[:, h_kv, :])
        kqv = np.concatenate(heads, axis=-1)  # [n_tokens, n_head * n_embd_head]
        ffn_inp = inp + kqv @ t[blk + "attn_output.weight"].T
        cur = rms_norm(ffn_inp, t[blk + "ffn_norm.weight"], eps)
        gate = silu(cur @ t[blk + "ffn_gate.weight"].T)
        up = cur @ t[blk + "ffn_up.weight"].T
        inp = ffn_inp + (gate * up) @ t[blk + "ffn_down.weight"].T
    cur = rms_norm(inp, t["output_norm.weight"], eps)
    output = t.get("output.weight", t["token_embd.weight"])  # tied when there is no output.weight
    return cur @ output.T


def hf_to_gguf_permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp convert_hf_to_gguf.py ``LlamaModel.permute``: rotate-half row order -> interleaved."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)
