"""What a Llama-family graph is built from: the network's shape, the adapted layers, the exported head.

Values only (frozen dataclasses); ``llama_graph`` builds the graphs from them and ``gguf_import`` writes
the config of a converted model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from app.engine.data.ngrams import CharGrams


@dataclass(frozen=True)
class LlamaConfig:
    n_layers: int
    hidden: int
    ffn: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    vocab: int
    rope_base: float = 10000.0
    rms_eps: float = 1e-5
    tied_embeddings: bool = True
    context_length: int = 2048
    # Variants of the block (defaults = plain Llama, so folders converted before these existed still load).
    arch: str = "llama"
    rope_freq_factors: tuple[float, ...] | None = None  # Llama 3 rope_freqs: divides pair i's frequency
    qkv_bias: bool = False  # qwen2: biases on q, k, v
    qk_norm: bool = False  # qwen3, gemma3: RMSNorm over each head of q and k, before RoPE
    post_norms: bool = False  # gemma3: RMSNorm on the attention and FFN outputs before each residual add
    ffn_act: str = "silu"  # "silu" (SwiGLU) or "gelu_tanh" (gemma3's GeGLU, tanh approximation)
    embed_scale: float = 1.0  # gemma3: sqrt(hidden), applied after the embedding gather only
    attn_scale: float | None = None  # query scale; None = 1/sqrt(head_dim)
    sliding_window: int = 0  # keys at distance >= window are masked in local_layers
    local_layers: tuple[int, ...] = ()
    rope_base_local: float = 10000.0  # RoPE base of the local layers

    def __post_init__(self) -> None:  # JSON gives lists; keep the dataclass hashable
        if self.rope_freq_factors is not None:
            object.__setattr__(self, "rope_freq_factors", tuple(float(f) for f in self.rope_freq_factors))
        object.__setattr__(self, "local_layers", tuple(int(i) for i in self.local_layers))

    def to_dict(self) -> dict:
        return asdict(self)

    def proj_shape(self, proj: str) -> tuple[int, int]:
        """(in, out) of a projection."""
        h, kv = self.hidden, self.n_kv_heads * self.head_dim
        return {
            "q": (h, self.n_heads * self.head_dim),
            "k": (h, kv),
            "v": (h, kv),
            "o": (self.n_heads * self.head_dim, h),
            "gate": (h, self.ffn),
            "up": (h, self.ffn),
            "down": (self.ffn, h),
        }[proj]


POOL_EPS = 1e-6  # RMS normalisation of the states pooled for a head (PrefixCache.pooled, _pooled)


@dataclass(frozen=True)
class ClassHead:
    """A fitted read-out for export: ``class_logits = h_last @ weight.T + bias (+ sum over (layer, w) in pooled
    of pooled_layer @ w.T) (+ the same over answers) (+ ngrams @ ngram_weight.T)``.

    ``h_last`` is the final-norm hidden state at the last real token; ``pooled_layer`` the states entering
    that layer, RMS-normalised per token, averaged over the real tokens but the first and divided by
    sqrt(H) (as ``PrefixCache.pooled``); an ``answers`` layer's is the state entering it at the last real
    token, normalised the same way (``PrefixCache.answers``); the n-gram part is ONNX's ``TfIdfVectorizer``
    over the token ids (unigrams, then bigrams; the template's own counts subtracted), L2-normalised per row,
    exactly as ``app.engine.data.ngrams`` computes it in tuning; the character part counts the kept
    character n-grams of the text the token ids spell (``CharGrams.transform``).
    """

    weight: np.ndarray  # [C, H]
    bias: np.ndarray  # [C]
    unigrams: np.ndarray | None = None  # int64 [U]
    bigrams: np.ndarray | None = None  # int64 [B, 2]
    idf: np.ndarray | None = None  # [U + B]
    ngram_weight: np.ndarray | None = None  # [C, U + B]
    ngram_template: np.ndarray | None = None  # [U + B]: counts of the template's own n-grams, subtracted
    pooled: tuple[tuple[int, np.ndarray], ...] = ()  # (layer, [C, H] weight on its raw pooled states)
    answers: tuple[tuple[int, np.ndarray], ...] = ()  # (layer, [C, H] weight on its answer-position states)
    chars: CharGrams | None = None  # the kept character n-grams of the spelled text
    char_weight: np.ndarray | None = None  # [C, F]
    # The n-gram and character parts may read an optional input ``text_ids`` [B, W]: the whole prompt's ids
    # (``EncodedExamples.word_ids``, pads -1), for prompts cut to fit; absent, they read ``input_ids``.
    text_ids: bool = False

    @property
    def reads_words(self) -> bool:
        return self.ngram_weight is not None or self.char_weight is not None


def weight_name(layer: int, proj: str) -> str:
    return f"L{layer}.{proj}"


@dataclass(frozen=True)
class AdapterSite:
    """One adapted linear layer: ``y = W x + B[copy] (A x)`` with A frozen and (alpha/r) folded into A."""

    layer: int
    proj: str

    @property
    def key(self) -> str:
        return f"{self.layer}.{self.proj}"

    @property
    def input_name(self) -> str:
        return f"lora_B.{self.key}"
