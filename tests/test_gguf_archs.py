"""GGUF architectures beyond plain Llama, checked against the independent numpy reference.

Each tiny GGUF is written by tests/tiny_models.py the way llama.cpp's converter lays it out, converted by the
app, run through the ONNX graphs and compared with tests/llama_reference.py (written from llama.cpp's
graphs, not from our ONNX code). Agreement is measured as max |error| / (max - min of the reference logits).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from app.engine.errors import GenbaError
from app.engine.models.gguf_import import convert_gguf
from app.engine.models.llama_config import AdapterSite
from app.engine.models.llama_graph import build_causal_lm, build_loss_graph, build_prefix
from app.engine.models.weights import WeightStore
from tests.llama_reference import LlamaHParams, llama_forward
from tests.tiny_models import write_tiny_llama_gguf

# Max |error| relative to the range of the reference logits: issue 12 asks for 1e-3. With an fp32 embedding
# the graphs agree to ~6e-7, as with a Q8_0 table kept as its int8 blocks (exact); the fp16 table (large
# vocabularies that are not Q8_0) costs ~4e-4.
REL_TOL = {"float32": 1e-5, "int8": 1e-5, "float16": 1e-3}
PAD = 0
# arch -> (writer options, what the config must say). Gemma: 7 layers so the last one is a local layer
# (6 % 6 < 5), a window of 3 shorter than the test sequences, head_dim 16 != hidden / n_heads.
CASES = {
    "llama3": dict(arch="llama", rope_freqs=True, pre="llama-bpe"),
    "qwen2": dict(arch="qwen2", pre="qwen2", tied=False),
    "qwen3": dict(arch="qwen3", head_dim=16, pre="qwen2"),
    "gemma3": dict(arch="gemma3", n_layers=7, head_dim=16, n_kv_heads=1, sliding_window=3),
}


def _hparams(opts: dict) -> LlamaHParams:
    n_heads, n_kv = opts.get("n_heads", 4), opts.get("n_kv_heads", 2)
    head_dim = opts.get("head_dim", 32 // n_heads)
    arch = opts["arch"]
    return LlamaHParams(
        n_layer=opts.get("n_layers", 3),
        n_head=n_heads,
        n_head_kv=n_kv,
        n_rot=head_dim,
        rope_freq_base=1000000.0 if arch == "gemma3" else 10000.0,
        arch=arch,
        n_swa=opts.get("sliding_window", 0) if arch == "gemma3" else 0,
        f_attention_scale=1.0 / math.sqrt(head_dim) if arch == "gemma3" else None,
    )


def _session(model: onnx.ModelProto, folder: Path, name: str) -> ort.InferenceSession:
    path = folder / name
    onnx.save(model, str(path))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module", params=[(c, e) for c in CASES for e in REL_TOL], ids="-".join)
def model(request, tmp_path_factory):
    """(case, cfg, store, folder, raw tensors, reference hparams, tolerance); embedding fp32 or fp16."""
    case, embed_dtype = request.param
    folder = tmp_path_factory.mktemp(case)
    opts = CASES[case]
    raw = write_tiny_llama_gguf(folder / "model.gguf", **opts, q8_embedding=embed_dtype == "int8")
    compact = 1 << 40 if embed_dtype == "float32" else 0
    cfg, store = convert_gguf(folder / "model.gguf", folder / "converted", compact_embedding_bytes=compact)
    assert store.dtype("embed") == embed_dtype
    return case, cfg, store, folder / "converted", raw, _hparams(opts), REL_TOL[embed_dtype]


def _rel_error(got: np.ndarray, ref: np.ndarray) -> float:
    assert ref.max() - ref.min() > 1.0  # the comparison is not vacuous
    return float(np.abs(got - ref).max() / (ref.max() - ref.min()))


def test_config_reflects_architecture(model):
    case, cfg, *_ = model
    assert cfg.arch == CASES[case]["arch"]
    assert (cfg.rope_freq_factors is not None) == (case == "llama3")
    assert cfg.qkv_bias == (case == "qwen2")
    assert cfg.qk_norm == (case in ("qwen3", "gemma3"))
    assert cfg.post_norms == (case == "gemma3")
    if case == "gemma3":
        assert cfg.local_layers == (0, 1, 2, 3, 4, 6)
        assert (cfg.sliding_window, cfg.rope_base, cfg.rope_base_local) == (3, 1e6, 1e4)
        assert cfg.embed_scale == pytest.approx(math.sqrt(32))
        assert cfg.head_dim == 16 and cfg.proj_shape("q") == (32, 64)


def test_causal_lm_matches_reference(model):
    case, cfg, store, folder, raw, hp, tol = model
    lm = _session(build_causal_lm(cfg, store), folder, "lm.onnx")
    rng = np.random.default_rng(1)
    ids = rng.integers(3, cfg.vocab, size=(2, 9))
    logits = lm.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
    worst = max(_rel_error(logits[r], llama_forward(raw, hp, ids[r])) for r in range(2))
    print(f"{case} {store.dtype('embed')}: causal LM max error / logit range = {worst:.2e}")
    assert worst <= tol


def test_left_padding_matches_unpadded(model):
    """Positions and the sliding window count real tokens only in a left-padded batch."""
    case, cfg, store, folder, raw, hp, tol = model
    lm = _session(build_causal_lm(cfg, store), folder, "lm.onnx")
    rng = np.random.default_rng(2)
    short = rng.integers(3, cfg.vocab, size=6)
    ids = np.concatenate([[PAD] * 3, short])[None]
    mask = np.array([[0, 0, 0] + [1] * 6])
    logits = lm.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
    assert _rel_error(logits[0, 3:], llama_forward(raw, hp, short)) <= tol


def test_prefix_and_loss_graph_match_reference(model):
    """Frozen prefix + tuned suffix (zero and non-zero B) equal the reference at the answer position."""
    case, cfg, store, folder, raw, hp, tol = model
    split = cfg.n_layers - 2
    rng = np.random.default_rng(3)
    lengths = [5, 8, 3, 7]
    seqs = [rng.integers(3, cfg.vocab, size=n) for n in lengths]
    ids = np.full((len(seqs), max(lengths)), PAD, dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
    answer = np.array([n - 1 for n in lengths], dtype=np.int64)
    labels = np.array([0, 2, 1, 2], dtype=np.int64)
    label_tok = np.array([5, 40, 77])
    head = raw["token_embd.weight" if cfg.tied_embeddings else "output.weight"][label_tok]
    sites = [AdapterSite(split, "v"), AdapterSite(cfg.n_layers - 1, "q")]
    a = {s.key: (rng.standard_normal((cfg.proj_shape(s.proj)[0], 2)) * 0.3).astype(np.float32) for s in sites}
    b = {s.key: np.zeros((2, 2, cfg.proj_shape(s.proj)[1]), np.float32) for s in sites}
    b[sites[0].key][1] = rng.standard_normal((2, cfg.proj_shape("v")[1])) * 0.5  # copy 1: layer `split` v

    prefix = _session(build_prefix(cfg, store, split), folder, f"prefix{split}.onnx")
    loss_graph = _session(build_loss_graph(cfg, store, split, sites, a), folder, "loss.onnx")
    hidden = prefix.run(["hidden"], {"input_ids": ids})[0]
    feeds = {"hidden": hidden, "answer_index": answer, "label_ids": labels, "label_head": head}
    feeds["label_offset"] = np.zeros((len(answer), len(head)), np.float32)
    feeds |= {s.input_name: b[s.key] for s in sites}
    _, label_logits = loss_graph.run(["loss", "label_logits"], feeds)

    v_name = f"blk.{split}.attn_v.weight"
    merged = {v_name: raw[v_name] + (a[sites[0].key].astype(np.float64) @ b[sites[0].key][1]).T}
    for copy, replace in ((0, None), (1, merged)):
        ref = np.array([llama_forward(raw, hp, s, replace=replace)[-1, label_tok] for s in seqs])
        err = np.abs(label_logits[copy] - ref).max() / (ref.max() - ref.min())
        assert err <= tol, (case, copy, err)
    assert np.abs(label_logits[1] - label_logits[0]).max() > 1e-2  # the adapter copy really differs


def test_sliding_window_changes_the_output(tmp_path):
    """The gemma3 reference (and so the test above) would not notice a missing window if it had no effect."""
    opts = CASES["gemma3"]
    raw = write_tiny_llama_gguf(tmp_path / "g.gguf", **opts)
    ids = np.random.default_rng(4).integers(3, 100, size=9)
    windowed = llama_forward(raw, _hparams(opts), ids)
    unwindowed = llama_forward(raw, _hparams({**opts, "sliding_window": 100}), ids)
    assert np.abs(windowed - unwindowed)[4:].max() > 1e-2


# ---------------------------------------------------------------------------------------------------------
# Refused: anything we would convert approximately


@pytest.mark.parametrize(
    ("opts", "field"),
    [
        (dict(arch="phi3"), "general.architecture"),
        (dict(arch="qwen2", extra_keys={"qwen2.rope.scaling.type": "yarn"}), "qwen2.rope.scaling.type"),
        (dict(arch="llama", extra_keys={"llama.rope.scaling.factor": 8.0}), "llama.rope.scaling.factor"),
        (
            dict(arch="gemma3", extra_keys={"gemma3.final_logit_softcapping": 30.0}),
            "gemma3.final_logit_softcapping",
        ),
        (
            dict(arch="llama", extra_keys={"llama.attention.sliding_window": 4}),
            "llama.attention.sliding_window",
        ),
        (dict(arch="qwen3", extra_keys={"qwen3.expert_count": 8}), "qwen3.expert_count"),
        (dict(arch="qwen3", extra_keys={"qwen3.rope.dimension_count": 4}), "qwen3.rope.dimension_count"),
        (dict(arch="qwen2", rope_freqs=True), "rope_freqs.weight"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_unsupported_header_is_refused_by_name(tmp_path, opts, field):
    path = tmp_path / "m.gguf"
    write_tiny_llama_gguf(path, **opts)
    with pytest.raises(GenbaError) as info:
        convert_gguf(path, tmp_path / "out")  # refused while reading the header, before any tensor
    assert info.value.field == field
    assert field.split(".")[-1] in info.value.en or opts["arch"] in info.value.en
    assert info.value.ja


def test_unused_tensor_is_refused_by_name(tmp_path):
    path = tmp_path / "m.gguf"
    write_tiny_llama_gguf(path, extra_tensors={"blk.0.attn_q.bias": np.zeros(32, np.float32)})
    with pytest.raises(GenbaError) as info:
        convert_gguf(path, tmp_path / "out")
    assert "blk.0.attn_q.bias" in info.value.en and "blk.0.attn_q.bias" in info.value.ja


def test_old_config_without_new_fields_still_loads(tiny_gguf, tmp_path):
    import json

    from app.engine.models.llama_model import LlamaModel

    convert_gguf(tiny_gguf, tmp_path / "m")
    raw = json.loads((tmp_path / "m" / "config.json").read_text())
    for key in ("arch", "qkv_bias", "qk_norm", "post_norms", "ffn_act", "embed_scale", "local_layers"):
        raw["llama"].pop(key)
    (tmp_path / "m" / "config.json").write_text(json.dumps(raw))
    (tmp_path / "m" / "weights.json").write_text(
        json.dumps(
            {
                k: {kk: vv for kk, vv in v.items() if kk != "dtype"}
                for k, v in json.loads((tmp_path / "m" / "weights.json").read_text()).items()
            }
        )
    )
    model = LlamaModel.open(tmp_path / "m")
    assert model.cfg.arch == "llama" and not model.cfg.qk_norm
    assert WeightStore(tmp_path / "m").dtype("embed") == "float32"


# ---------------------------------------------------------------------------------------------------------
# Tokenizers: llama.cpp's pre-tokenizers and SentencePiece


def _tokenizer(path: Path):
    from gguf import GGUFReader

    from app.engine.data.tokenizer import tokenizer_from_gguf

    return tokenizer_from_gguf(GGUFReader(path))


@pytest.mark.parametrize(
    ("pre", "pieces"),
    [  # llama-bpe: digits in groups of 3, case-insensitive contractions, a symbol joins the letters after it;
        # qwen2: the same with single digits; smollm: single digits, then GPT-2's regex
        ("llama-bpe", ["123", "45", "ĠDON", "'T", "Ġx", "(y"]),
        ("qwen2", ["1", "2", "3", "4", "5", "ĠDON", "'T", "Ġx", "(y"]),
        ("smollm", ["1", "2", "3", "4", "5", "ĠDON", "'", "T", "Ġx", "(", "y"]),
    ],
)
def test_pre_tokenizer_splits_as_llama_cpp(tmp_path, pre, pieces):
    path = tmp_path / "m.gguf"
    write_tiny_llama_gguf(path, pre=pre)
    tok = _tokenizer(path)
    assert [p for p, _ in tok.pre_tokenizer.pre_tokenize_str("12345 DON'T x(y")] == pieces


def test_unknown_pre_tokenizer_is_refused(tmp_path):
    path = tmp_path / "m.gguf"
    write_tiny_llama_gguf(path, pre="chatglm-bpe")
    with pytest.raises(GenbaError) as info:
        _tokenizer(path)
    assert info.value.field == "tokenizer.ggml.pre" and "chatglm-bpe" in info.value.en


@pytest.mark.parametrize("add_space_prefix", [False, True])
def test_sentencepiece_matches_llama_cpp_algorithm(tmp_path, add_space_prefix):
    from tests.spm_reference import spm_tokenize
    from tests.tiny_models import write_tiny_spm_tokenizer_gguf

    tokens, scores = write_tiny_spm_tokenizer_gguf(tmp_path / "t.gguf", add_space_prefix)
    tok = _tokenizer(tmp_path / "t.gguf")
    rng = np.random.default_rng(7)
    alphabet = list("abcd 日本é")
    texts = ["abc", "abcd", " abc", "日本 abc", "aé"] + [
        "".join(rng.choice(alphabet, size=rng.integers(1, 12))) for _ in range(300)
    ]
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        assert ids == spm_tokenize(text, tokens, scores, add_space_prefix), text
        assert tok.decode(ids) == text
    assert tok.encode("abc").ids[0] == 2  # <bos> first, as add_bos_token says
    if not add_space_prefix:  # a user-defined piece is split out of the raw text first (Gemma: no prefix)
        assert tok.encode("a\n\nb", add_special_tokens=False).tokens == ["a", "\n\n", "b"]


def test_embedding_beyond_fp16_range_stays_fp32(tmp_path):
    path = tmp_path / "m.gguf"
    raw = write_tiny_llama_gguf(path)
    big = raw["token_embd.weight"].copy()
    big[7, 3] = 1e5  # fp16 overflows above 65504
    write_tiny_llama_gguf(path, extra_tensors={"token_embd.weight": big})
    _, store = convert_gguf(path, tmp_path / "out", compact_embedding_bytes=0)
    assert store.dtype("embed") == "float32"
    assert store.array("embed")[7, 3] == 1e5


@pytest.mark.parametrize("q8_embedding", [False, True], ids=["fp16-table", "q8-table"])
def test_tiny_gemma3_tunes_exports_and_evaluates_the_same(tmp_path, monkeypatch, capsys, q8_embedding):
    """The whole CLI flow on a gemma3 file with a compact embedding; the tuned layer is a sliding-window one."""
    import json

    from app.cli import main
    from app.engine.models import gguf_import
    from tests.support import write_demo_csv

    monkeypatch.setattr(gguf_import, "COMPACT_EMBEDDING_BYTES", 0)
    gguf_path = tmp_path / "gemma.gguf"
    write_tiny_llama_gguf(gguf_path, **CASES["gemma3"], q8_embedding=q8_embedding)
    data = write_demo_csv(tmp_path / "orders.csv")
    args = ["tune", "--model", str(gguf_path), "--data", str(data), "--out", str(tmp_path / "run")]
    assert main([*args, "--steps", "3", "--layers", "6", "--q", "1", "--json"]) == 0
    summary = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")][-1]
    assert summary["exported_model"]
    assert (
        main(["eval", "--model", summary["exported_model"], "--data", str(data), "--split", "val", "--json"])
        == 0
    )
    result = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")][-1]
    assert result["accuracy"] == summary["val_accuracy_after"]
    exported = WeightStore(Path(summary["exported_model"]).parent)
    assert exported.dtype("embed") == ("int8" if q8_embedding else "float16")


@pytest.mark.parametrize("add_bos", [True, False])
def test_bos_follows_the_gguf_flag(tmp_path, add_bos):
    path = tmp_path / "m.gguf"
    write_tiny_llama_gguf(path, pre="llama-bpe", extra_keys={"tokenizer.ggml.add_bos_token": add_bos})
    ids = _tokenizer(path).encode(" bucket").ids
    assert (ids[0] == 1) == add_bos  # bos_token_id 1 in the tiny vocabulary
    assert _tokenizer(path).encode(" bucket", add_special_tokens=False).ids == (ids[1:] if add_bos else ids)


def test_q8_table_rows_dequantise_exactly(tmp_path):
    """Label-word rows read from a Q8_0-block table (LlamaModel.label_head) equal llama.cpp's values."""
    from app.engine.models.llama_model import LlamaModel

    raw = write_tiny_llama_gguf(tmp_path / "m.gguf", q8_embedding=True)
    convert_gguf(tmp_path / "m.gguf", tmp_path / "out", compact_embedding_bytes=0)
    rows = np.array([5, 300, 7])
    np.testing.assert_array_equal(
        LlamaModel.open(tmp_path / "out").label_head(rows), raw["token_embd.weight"][rows]
    )
