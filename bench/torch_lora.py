"""The backprop baseline: a small torch Llama on the converted fp32 weights, with LoRA on chosen projections.

Same network as ``app/engine/models/llama_graph.py`` (weights ``[in, out]``, RMSNorm, rotate-half RoPE, GQA,
SwiGLU, right-padded causal attention; Gemma 3's variants: q/k norms, post-norms, GeGLU, the embedding scale,
sliding-window layers with their own RoPE base) and the same loss: cross-entropy over the label words' LM-head rows
at the answer position. Standard LoRA (A and B both trained, ``y = x W + (alpha/r) (x A) B``, B zero at
start, A Kaiming-uniform as PEFT). torch is imported only by the benchmark, never by the app.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from app.engine.models.llama_config import LlamaConfig, weight_name
from app.engine.models.weights import WeightStore


class LoraLinear(torch.nn.Module):
    """``x W`` with W frozen, plus ``scale * (x @ A) @ B`` when adapted.

    W is kept ``[out, in]`` as ``nn.Linear`` does: ``F.linear`` on that layout was ~20% faster than
    ``x @ W[in, out]`` with this torch wheel's fp32 GEMM on a 2-core AMD EPYC.
    """

    def __init__(self, weight_in_out: np.ndarray, rank: int = 0, alpha: float = 16.0, a_init=None) -> None:
        super().__init__()
        d_in, d_out = weight_in_out.shape
        weight = torch.from_numpy(np.ascontiguousarray(weight_in_out.T, dtype=np.float32))  # [out, in]
        self.register_buffer("weight", weight, persistent=False)
        self.scale = alpha / rank if rank else 0.0
        if rank:
            a = torch.as_tensor(a_init) if a_init is not None else torch.empty(d_in, rank).uniform_(-1, 1)
            self.lora_a = torch.nn.Parameter(a.clone().float())  # [in, r]
            self.lora_b = torch.nn.Parameter(torch.zeros(rank, d_out))  # [r, out]
        else:
            self.lora_a = self.lora_b = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x, self.weight)
        if self.lora_a is None:
            return y
        return y + ((x @ self.lora_a) @ self.lora_b) * self.scale


class TorchLlama(torch.nn.Module):
    """Decoder layers ``[0, L)`` plus final norm; the label-word head is passed in, like the ONNX loss graph."""

    def __init__(
        self,
        cfg: LlamaConfig,
        store: WeightStore,
        lora_sites: dict[tuple[int, str], np.ndarray],
        rank: int,
        alpha: float,
    ) -> None:
        super().__init__()
        self.cfg = cfg

        def tensor(name: str) -> torch.Tensor:
            # Read into private memory, not through the memory map: its file pages would stay resident
            # beside torch's copies and double this process's peak RSS.
            return torch.from_numpy(store.read(name))

        self.store = store  # the embedding table stays in the file (fp16 or Q8_0 for a large vocabulary)
        self.norm = tensor("norm")
        self.layers = torch.nn.ModuleList()
        for layer in range(cfg.n_layers):
            block = torch.nn.Module()
            block.attn_norm = tensor(f"L{layer}.attn_norm")
            block.ffn_norm = tensor(f"L{layer}.ffn_norm")
            norms = (("q_norm", "k_norm") if cfg.qk_norm else ()) + (
                ("attn_post_norm", "ffn_post_norm") if cfg.post_norms else ()
            )
            for name in norms:
                setattr(block, name, tensor(f"L{layer}.{name}"))
            for proj in ("q", "k", "v", "o", "gate", "up", "down"):
                a = lora_sites.get((layer, proj))
                w = store.read(weight_name(layer, proj))
                lin = LoraLinear(w, rank if a is not None else 0, alpha, a)
                setattr(block, proj, lin)
            self.layers.append(block)
        if cfg.rope_freq_factors is not None or cfg.qkv_bias:
            raise NotImplementedError("the torch baseline has no Llama 3 RoPE factors or q/k/v biases")
        hd = cfg.head_dim

        def inv_freq(base: float) -> torch.Tensor:
            return torch.from_numpy(
                (1.0 / (base ** (np.arange(0, hd, 2, dtype=np.float64) / hd))).astype(np.float32)
            )

        self.inv_freq = inv_freq(cfg.rope_base)
        self.inv_freq_local = inv_freq(cfg.rope_base_local)

    def lora_parameters(self) -> list[torch.nn.Parameter]:
        return [p for n, p in self.named_parameters() if "lora_" in n]

    def first_adapted_layer(self) -> int:
        for i, block in enumerate(self.layers):
            if any(getattr(block, p).lora_a is not None for p in ("q", "k", "v", "o", "gate", "up", "down")):
                return i
        return self.cfg.n_layers

    def rms(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + self.cfg.rms_eps) * weight

    def rope(self, seq: int, local: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        inv_freq = self.inv_freq_local if local else self.inv_freq
        freqs = torch.arange(seq, dtype=torch.float32)[:, None] * inv_freq[None]
        emb = torch.cat([freqs, freqs], dim=-1)  # [T, hd]
        return emb.cos(), emb.sin()

    def window_mask(self, seq: int) -> torch.Tensor:
        """[T, T] True where a sliding-window layer's query may read the key: causal and closer than the window."""
        pos = torch.arange(seq)
        gap = pos[:, None] - pos[None, :]
        return (gap >= 0) & (gap < self.cfg.sliding_window)

    @staticmethod
    def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        half = x.shape[-1] // 2
        return x * cos + torch.cat([-x[..., half:], x[..., :half]], dim=-1) * sin

    def block(self, x: torch.Tensor, layer: int, rope: dict) -> torch.Tensor:
        c, b = self.cfg, self.layers[layer]
        e, t, _ = x.shape
        local = layer in c.local_layers
        cos, sin = rope[local]
        h = self.rms(x, b.attn_norm)
        q = b.q(h).view(e, t, c.n_heads, c.head_dim).transpose(1, 2)
        k = b.k(h).view(e, t, c.n_kv_heads, c.head_dim).transpose(1, 2)
        if c.qk_norm:
            q, k = self.rms(q, b.q_norm), self.rms(k, b.k_norm)
        q, k = self.rotate(q, cos, sin), self.rotate(k, cos, sin)
        v = b.v(h).view(e, t, c.n_kv_heads, c.head_dim).transpose(1, 2)
        rep = c.n_heads // c.n_kv_heads  # GQA: query head i reads kv head i // rep
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        scale = c.attn_scale if c.attn_scale is not None else 1.0 / math.sqrt(c.head_dim)
        if local and t > c.sliding_window:
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=self.window_mask(t), scale=scale)
        else:
            ctx = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
        attn = b.o(ctx.transpose(1, 2).reshape(e, t, c.n_heads * c.head_dim))
        x = x + (self.rms(attn, b.attn_post_norm) if c.post_norms else attn)
        h = self.rms(x, b.ffn_norm)
        gate = b.gate(h)
        act = F.gelu(gate, approximate="tanh") if c.ffn_act == "gelu_tanh" else F.silu(gate)
        ffn = b.down(act * b.up(h))
        return x + (self.rms(ffn, b.ffn_post_norm) if c.post_norms else ffn)

    def hidden(self, ids: torch.Tensor, start: int = 0, end: int | None = None, x=None) -> torch.Tensor:
        """Hidden states after layers ``[start, end)``, from ids (start 0) or given states ``x``."""
        if x is None:
            rows = self.store.float_rows("embed", ids.numpy().reshape(-1))
            x = torch.from_numpy(rows).view(*ids.shape, -1) * self.cfg.embed_scale
        seq = x.shape[1]
        rope = {False: self.rope(seq), True: self.rope(seq, local=True)}
        for layer in range(start, self.cfg.n_layers if end is None else end):
            x = self.block(x, layer, rope)
        return x

    def label_logits(self, x: torch.Tensor, answer: torch.Tensor, head: torch.Tensor) -> torch.Tensor:
        """[E, T, H] final hidden -> label-word logits [E, C] at the answer positions."""
        h = self.rms(x[torch.arange(x.shape[0]), answer], self.norm)
        return h @ head.T


def label_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the label words, as in the ONNX loss graph."""
    return F.cross_entropy(logits, labels)
