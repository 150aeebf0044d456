"""The benchmark's torch backprop baseline computes the same network as the app (bench extra only).

``bench/torch_lora.py`` is what `bench.hybrid --backprop-minutes` trains; its figures in BENCHMARKS.md are only
comparable with the engine's if it is the same model. Checked against tests/llama_reference.py (written from
llama.cpp's graphs), for plain Llama and for Gemma 3 with a sliding window shorter than the sequence, with a
non-zero LoRA update on a local layer. Skips where torch is not installed (the app never needs it).
"""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.models.gguf_import import convert_gguf
from tests.llama_reference import llama_forward
from tests.test_gguf_archs import _hparams
from tests.tiny_models import write_tiny_llama_gguf

torch = pytest.importorskip("torch")

CASES = {
    "llama": dict(arch="llama"),
    "gemma3": dict(arch="gemma3", n_layers=7, head_dim=16, n_kv_heads=1, sliding_window=3),
}


@pytest.mark.parametrize("case", list(CASES))
def test_torch_baseline_matches_the_reference(case, tmp_path):
    from bench.torch_lora import TorchLlama

    opts = CASES[case]
    raw = write_tiny_llama_gguf(tmp_path / "m.gguf", **opts)
    cfg, store = convert_gguf(tmp_path / "m.gguf", tmp_path / "converted", compact_embedding_bytes=1 << 40)
    layer = cfg.n_layers - 1  # gemma3 here: a sliding-window layer
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((cfg.proj_shape("v")[0], 2)) * 0.3).astype(np.float32)
    net = TorchLlama(cfg, store, {(layer, "v"): a}, rank=2, alpha=4.0)
    b = rng.standard_normal((2, cfg.proj_shape("v")[1])).astype(np.float32) * 0.5
    with torch.no_grad():
        net.layers[layer].v.lora_b.copy_(torch.from_numpy(b))
    seq = rng.integers(3, cfg.vocab, size=9)
    with torch.no_grad():
        x = net.hidden(torch.from_numpy(seq[None]))
        h = net.rms(x[0], net.norm).numpy().astype(np.float64)
    logits = h @ store.float_rows("embed", np.arange(cfg.vocab)).T.astype(np.float64)

    gguf_v = f"blk.{layer}.attn_v.weight"
    # The store keeps weights [in, out], GGUF [out, in]; LoRA's scale is alpha / rank = 2.
    merged = raw[gguf_v] + (2.0 * a.astype(np.float64) @ b).T
    ref = llama_forward(raw, _hparams(opts), seq, replace={gguf_v: merged})
    unadapted = llama_forward(raw, _hparams(opts), seq)
    span = ref.max() - ref.min()
    assert np.abs(logits - ref).max() / span < 1e-4
    assert np.abs(unadapted - ref).max() / span > 1e-2  # the adapter really changes the output
