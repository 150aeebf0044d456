"""Tuning user ONNX models: tiny exporter-like causal LMs and a classifier that the tests build themselves."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from app.engine.data.examples import Example
from app.engine.data.prompting import make_prompt_spec
from app.engine.errors import GenbaError
from app.engine.models.adapters import AdapterConfig, zero_b
from app.engine.models.onnx_inspect import find_linear_sites
from app.engine.models.onnx_models import OnnxLogitsModel
from app.engine.models.onnx_surgery import add_adapters, add_label_loss, merge_adapters
from app.engine.models.onnx_tuning import OnnxTunableModel
from app.engine.tuning import zo
from tests.tiny_models import tiny_vocab

HIDDEN, N_HEADS, FFN, N_LAYERS = 16, 2, 24, 2
PROJS = ("q", "k", "v", "o", "gate", "up", "down")
HEAD_WEIGHT = "onnx::MatMul_999"


def write_tokenizer(folder: Path) -> int:
    """A byte-level BPE tokenizer.json whose merges build ' great', ' terrible', ... ; returns its size."""
    tokens, merges, _ = tiny_vocab()
    tok = Tokenizer(
        models.BPE(
            vocab={t: i for i, t in enumerate(tokens)},
            merges=[tuple(m.split(" ", 1)) for m in merges],
            fuse_unk=False,
        )
    )
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.save(str(folder / "tokenizer.json"))
    return len(tokens)


class _Builder:
    """Emits nodes the way torch.onnx names them: /model/layers.0/self_attn/q_proj/MatMul."""

    def __init__(self, opset: int, seed: int) -> None:
        self.opset = opset
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[TensorProto] = []
        self.n = 0

    def op(self, op_type: str, *inputs: str, name: str | None = None, out: str | None = None, **attrs) -> str:
        self.n += 1
        out = out or f"/{op_type}_{self.n}_output_0"
        self.nodes.append(
            helper.make_node(op_type, list(inputs), [out], name=name or f"/{op_type}_{self.n}", **attrs)
        )
        return out

    def const(self, value, dtype=np.int64) -> str:
        self.n += 1
        name = f"const_{self.n}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def weight(self, name: str, *shape: int, scale: float = 0.3, offset: float = 0.0) -> str:
        value = (offset + scale * self.rng.standard_normal(shape)).astype(np.float32)
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def unsqueeze(self, x: str, axes: list[int]) -> str:
        if self.opset >= 13:
            return self.op("Unsqueeze", x, self.const(axes))
        return self.op("Unsqueeze", x, axes=axes)

    def rms_norm(self, x: str, weight: str) -> str:
        var = self.op("ReduceMean", self.op("Mul", x, x), axes=[-1], keepdims=1)
        std = self.op("Sqrt", self.op("Add", var, self.const(1e-5, np.float32)))
        return self.op("Mul", self.op("Div", x, std), self.weight(weight, HIDDEN, scale=0.1, offset=1.0))

    def model(self, inputs, outputs, opset: int) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, "tiny", inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def build_causal_lm(vocab: int, *, variant: str = "plain", seed: int = 0) -> onnx.ModelProto:
    """A 2-layer Llama-like decoder as optimum exports it: logits [B, T, V] from input_ids, attention_mask.

    variant "plain": lm_head MatMul [H, V]; layer 0 weights anonymous (onnx::MatMul_*), layer 1 named.
    variant "cache": + position_ids and past_key_values.* inputs, present.* outputs, q/o as Gemm transB
      with a bias, k as MatMul(x, Transpose(W)) (torch's dynamo exporter), and a tied head:
      Gemm(hidden, embed, bias, transB=1) then logits * 0.5.
    variant "relu": the head's output goes through a Relu (no recognisable head).
    variant "seq_first": layer 1's down projection runs on [T, B, ffn] (transposed around it).
    """
    g = _Builder(17, seed)
    hd = HIDDEN // N_HEADS
    cache = variant == "cache"
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "total_seq"]),
    ]
    outputs = []
    if cache:
        inputs.append(helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "seq"]))
        for i in range(N_LAYERS):
            for kv in ("key", "value"):
                inputs.append(
                    helper.make_tensor_value_info(
                        f"past_key_values.{i}.{kv}", TensorProto.FLOAT, ["batch", N_HEADS, "past_seq", hd]
                    )
                )
    embed = g.weight("model.embed_tokens.weight", vocab, HIDDEN, scale=0.5)
    x = g.op("Gather", embed, "input_ids", axis=0, name="/model/embed_tokens/Gather")
    if cache:
        x = g.op(
            "Add", x, g.op("Gather", g.weight("model.embed_positions.weight", 64, HIDDEN), "position_ids")
        )
    seq = g.op("Shape", "input_ids", start=1, end=2)
    total = g.op("Shape", "attention_mask", start=1, end=2)
    ones = g.op(
        "ConstantOfShape",
        g.op("Concat", seq, total, axis=0),
        value=numpy_helper.from_array(np.ones(1, np.float32)),
    )
    past = g.op("Squeeze", g.op("Sub", total, seq), g.const([0]))
    causal = g.op(
        "Mul",
        g.op("Sub", g.op("Trilu", ones, past, upper=0), g.const(1.0, np.float32)),
        g.const(1e9, np.float32),
    )
    pad = g.op(
        "Mul",
        g.op("Sub", g.op("Cast", "attention_mask", to=TensorProto.FLOAT), g.const(1.0, np.float32)),
        g.const(1e9, np.float32),
    )
    bias = g.op("Add", causal, g.unsqueeze(pad, [1, 2]))  # [B, 1, T, Tk]
    anonymous = iter(range(100, 999))

    def linear(h: str, layer: int, module: str, proj: str, d_in: int, d_out: int) -> str:
        prefix = f"/model/layers.{layer}/{module}/{proj}_proj"
        named = f"model.layers.{layer}.{module}.{proj}_proj.weight"
        if cache and proj in ("q", "o"):  # Gemm on [B*T, in] with W [out, in], like older exporters
            flat = g.op("Reshape", h, g.const([-1, d_in]))
            w = g.weight(named, d_out, d_in)
            y = g.op(
                "Gemm",
                flat,
                w,
                g.weight(named.replace("weight", "bias"), d_out, scale=0.1),
                transB=1,
                name=f"{prefix}/Gemm",
            )
            return g.op(
                "Reshape", y, g.op("Concat", g.op("Shape", h, start=0, end=2), g.const([d_out]), axis=0)
            )
        if cache and proj == "k":
            w = g.op("Transpose", g.weight(named, d_out, d_in), perm=[1, 0])
            return g.op("MatMul", h, w, name=f"{prefix}/MatMul")
        w = g.weight(f"onnx::MatMul_{next(anonymous)}" if layer == 0 else named, d_in, d_out)
        if variant == "seq_first" and (layer, proj) == (1, "down"):
            y = g.op("MatMul", g.op("Transpose", h, perm=[1, 0, 2]), w, name=f"{prefix}/MatMul")
            return g.op("Transpose", y, perm=[1, 0, 2])
        return g.op("MatMul", h, w, name=f"{prefix}/MatMul")

    def heads(t: str) -> str:
        return g.op("Transpose", g.op("Reshape", t, g.const([0, 0, N_HEADS, hd])), perm=[0, 2, 1, 3])

    for i in range(N_LAYERS):
        h = g.rms_norm(x, f"model.layers.{i}.input_layernorm.weight")
        q = heads(linear(h, i, "self_attn", "q", HIDDEN, HIDDEN))
        k = heads(linear(h, i, "self_attn", "k", HIDDEN, HIDDEN))
        v = heads(linear(h, i, "self_attn", "v", HIDDEN, HIDDEN))
        if cache:
            k = g.op("Concat", f"past_key_values.{i}.key", k, axis=2, out=f"present.{i}.key")
            v = g.op("Concat", f"past_key_values.{i}.value", v, axis=2, out=f"present.{i}.value")
            for kv in ("key", "value"):
                outputs.append(
                    helper.make_tensor_value_info(
                        f"present.{i}.{kv}", TensorProto.FLOAT, ["batch", N_HEADS, "total_seq", hd]
                    )
                )
        scores = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2]))
        scores = g.op("Add", g.op("Mul", scores, g.const(1 / math.sqrt(hd), np.float32)), bias)
        ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        ctx = g.op("Reshape", g.op("Transpose", ctx, perm=[0, 2, 1, 3]), g.const([0, 0, HIDDEN]))
        x = g.op("Add", x, linear(ctx, i, "self_attn", "o", HIDDEN, HIDDEN))
        h = g.rms_norm(x, f"model.layers.{i}.post_attention_layernorm.weight")
        gate = linear(h, i, "mlp", "gate", HIDDEN, FFN)
        act = g.op("Mul", g.op("Mul", gate, g.op("Sigmoid", gate)), linear(h, i, "mlp", "up", HIDDEN, FFN))
        x = g.op("Add", x, linear(act, i, "mlp", "down", FFN, HIDDEN))
    x = g.rms_norm(x, "model.norm.weight")
    if variant == "cache":
        flat = g.op("Reshape", x, g.const([-1, HIDDEN]))
        z = g.op("Gemm", flat, embed, g.weight("lm_head.bias", vocab), transB=1, name="/lm_head/Gemm")
        z = g.op("Mul", z, g.const(0.5, np.float32))
        g.op("Reshape", z, g.op("Concat", g.op("Shape", "input_ids"), g.const([-1]), axis=0), out="logits")
    elif variant == "relu":
        g.op(
            "Relu",
            g.op("MatMul", x, g.weight(HEAD_WEIGHT, HIDDEN, vocab), name="/lm_head/MatMul"),
            out="logits",
        )
    else:
        g.op(
            "MatMul", x, g.weight(HEAD_WEIGHT, HIDDEN, vocab, scale=0.5), name="/lm_head/MatMul", out="logits"
        )
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", vocab])
    return g.model(inputs, [logits, *outputs], 17)


def build_classifier(vocab: int, n_classes: int = 2, seed: int = 1) -> onnx.ModelProto:
    """A 2-layer BERT-like sequence classifier at opset 12 (Squeeze/Unsqueeze take attributes there)."""
    g = _Builder(12, seed)
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
    ]
    x = g.op(
        "Gather", g.weight("bert.embeddings.word_embeddings.weight", vocab, HIDDEN, scale=0.5), "input_ids"
    )
    pad = g.op(
        "Mul",
        g.op("Sub", g.op("Cast", "attention_mask", to=TensorProto.FLOAT), g.const(1.0, np.float32)),
        g.const(1e9, np.float32),
    )
    pad = g.unsqueeze(pad, [1])  # [B, 1, T]

    def linear(h: str, layer: int, path: str, d_in: int, d_out: int) -> str:
        w = g.weight(f"bert.encoder.layer.{layer}.{path}.weight".replace("/", "."), d_in, d_out)
        y = g.op("MatMul", h, w, name=f"/bert/encoder/layer.{layer}/{path}/MatMul")
        return g.op(
            "Add", y, g.weight(f"bert.encoder.layer.{layer}.{path}.bias".replace("/", "."), d_out, scale=0.1)
        )

    for i in range(N_LAYERS):
        q = linear(x, i, "attention/self/query", HIDDEN, HIDDEN)
        k = linear(x, i, "attention/self/key", HIDDEN, HIDDEN)
        v = linear(x, i, "attention/self/value", HIDDEN, HIDDEN)
        scores = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 2, 1]))
        scores = g.op("Add", g.op("Mul", scores, g.const(1 / math.sqrt(HIDDEN), np.float32)), pad)
        ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        x = g.rms_norm(g.op("Add", x, linear(ctx, i, "attention/output/dense", HIDDEN, HIDDEN)), f"ln{i}a")
        inner = g.op("Relu", linear(x, i, "intermediate/dense", HIDDEN, FFN))
        x = g.rms_norm(g.op("Add", x, linear(inner, i, "output/dense", FFN, HIDDEN)), f"ln{i}b")
    first = g.op("Gather", x, g.const(0), axis=1)  # [B, H]: the first token, as BERT pools
    pooled = g.op(
        "Tanh",
        g.op(
            "MatMul",
            first,
            g.weight("bert.pooler.dense.weight", HIDDEN, HIDDEN),
            name="/bert/pooler/dense/MatMul",
        ),
    )
    z = g.op("MatMul", pooled, g.weight("classifier.weight", HIDDEN, n_classes), name="/classifier/MatMul")
    g.op("Add", z, g.weight("classifier.bias", n_classes, scale=0.1), out="logits")
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", n_classes])
    return g.model(inputs, [logits], 12)


def save_model_folder(folder: Path, model: onnx.ModelProto, *, external: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.onnx"
    if external:
        # Weights outside, shape constants inline: what exporters write (onnxruntime itself refuses a
        # Reshape whose target shape is external).
        onnx.save_model(
            model, str(path), save_as_external_data=True, location="model.onnx.data", size_threshold=256
        )
    else:
        onnx.save_model(model, str(path))
    return path


@pytest.fixture(scope="module")
def vocab(tmp_path_factory) -> int:
    return write_tokenizer(tmp_path_factory.mktemp("tok"))


def model_folder(tmp_path_factory, vocab: int, kind: str) -> Path:
    folder = tmp_path_factory.mktemp(kind)
    write_tokenizer(folder)
    if kind == "classifier":
        return save_model_folder(folder, build_classifier(vocab))
    # The cache variant keeps its weights in model.onnx.data, as exporters do for big models.
    return save_model_folder(folder, build_causal_lm(vocab, variant=kind), external=kind == "cache")


@pytest.fixture(scope="module", params=["plain", "cache"])
def causal_path(request, tmp_path_factory, vocab) -> Path:
    return model_folder(tmp_path_factory, vocab, request.param)


@pytest.fixture(scope="module")
def plain_path(tmp_path_factory, vocab) -> Path:
    return model_folder(tmp_path_factory, vocab, "plain")


@pytest.fixture(scope="module")
def classifier_path(tmp_path_factory, vocab) -> Path:
    return model_folder(tmp_path_factory, vocab, "classifier")


SPEC = make_prompt_spec(["neg", "pos"], label_words={"neg": "terrible", "pos": "great"})
TEXTS = [
    "pump leak oil",
    "engine good",
    "hose bad bucket",
    "great pump",
    "oil engine hose",
    "bad leak",
    "bucket",
]


def examples(n: int = len(TEXTS)) -> list[Example]:
    return [Example(t, ("neg", "pos")[i % 2], "test", i + 1) for i, t in enumerate(TEXTS[:n])]


def reference_label_logits(path: Path, tunable: OnnxTunableModel, encoded, rows) -> np.ndarray:
    """The source model through plain onnxruntime: logits at the answer position, label tokens only."""
    net = OnnxLogitsModel(path, threads=1)
    ids, answer, _ = encoded.batch(rows)
    mask = (np.arange(ids.shape[1])[None, :] <= answer[:, None]).astype(np.int64)
    logits = net.logits(ids, mask)
    if tunable.kind == "onnx-classifier":
        return logits
    return logits[np.arange(len(rows)), answer][:, encoded.label_token_ids]


def random_b(
    tunable: OnnxTunableModel, sites, rank: int, seed: int, scale: float = 0.5
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {s.key: (scale * rng.standard_normal((rank, s.d_out))).astype(np.float32) for s in sites}


# --- finding the sites --------------------------------------------------------------------------------------


def test_sites_parse_layers_and_projections_and_exclude_the_head(causal_path):
    sites = find_linear_sites(onnx.load(str(causal_path), load_external_data=False))
    assert [s.key for s in sites] == [f"{i}.{p}" for i in range(N_LAYERS) for p in PROJS]
    assert {(s.layer, s.proj) for s in sites} == {(i, p) for i in range(N_LAYERS) for p in PROJS}
    assert all(s.input_name == f"lora_B.{s.key}" for s in sites)
    down = next(s for s in sites if s.key == "1.down")
    assert (down.d_in, down.d_out, down.transposed) == (FFN, HIDDEN, False)
    weights = {s.weight_name for s in sites}
    assert HEAD_WEIGHT not in weights and "model.embed_tokens.weight" not in weights
    q0 = next(s for s in sites if s.key == "0.q")
    if causal_path.parent.name.startswith("cache"):
        assert q0.transposed and q0.weight_name == "model.layers.0.self_attn.q_proj.weight"
        k1 = next(s for s in sites if s.key == "1.k")  # MatMul on Transpose(W)
        assert k1.transposed and k1.weight_name == "model.layers.1.self_attn.k_proj.weight"
    else:  # anonymous weight: the layer and projection come from the node name
        assert q0.weight_name.startswith("onnx::MatMul_") and not q0.transposed


def test_classifier_sites_use_bert_names_and_exclude_the_classifier(classifier_path):
    sites = find_linear_sites(onnx.load(str(classifier_path)))
    keys = [s.key for s in sites]
    assert keys == [f"{i}.{p}" for i in range(N_LAYERS) for p in ("q", "k", "v", "o", "up", "down")] + [
        "bert.pooler.dense"
    ]
    assert sites[-1].layer is None and sites[-1].proj == "dense"
    assert "classifier.weight" not in {s.weight_name for s in sites}


def test_default_sites_are_q_and_v_of_the_top_layers(plain_path):
    tunable = OnnxTunableModel.open(plain_path)
    assert tunable.n_layers == N_LAYERS
    assert [s.key for s in tunable.choose_sites(max_layers=1)] == ["1.q", "1.v"]
    assert [s.key for s in tunable.choose_sites(("gate",), layers=[0, 1])] == ["0.gate", "1.gate"]


def test_label_loss_graph_drops_the_full_vocabulary_head(plain_path):
    source = onnx.load(str(plain_path))
    graph = add_label_loss(source)
    assert HEAD_WEIGHT not in {t.name for t in graph.graph.initializer}
    assert [o.name for o in graph.graph.output] == ["loss", "label_logits"]
    assert {"answer_index", "label_ids", "label_head"} <= {i.name for i in graph.graph.input}
    assert HEAD_WEIGHT in {t.name for t in source.graph.initializer}  # the source is left untouched


def test_unrecognisable_head_is_refused_naming_what_was_found(tmp_path, vocab):
    write_tokenizer(tmp_path)
    path = save_model_folder(tmp_path, build_causal_lm(vocab, variant="relu"))
    with pytest.raises(GenbaError) as err:
        OnnxTunableModel.open(path)
    assert "Relu" in err.value.en and "Relu" in err.value.ja and "MatMul" in err.value.en
    assert err.value.path == str(path)
    # Sites still exclude the last linear layer before 'logits'.
    assert "/lm_head/MatMul" not in {s.node_name for s in find_linear_sites(onnx.load(str(path)))}


def test_a_graph_that_mixes_copies_is_refused_before_tuning(tmp_path_factory, vocab):
    tunable = OnnxTunableModel.open(model_folder(tmp_path_factory, vocab, "seq_first"), threads=1)
    tunable.adapt(tunable.choose_sites(("down",), layers=[1]), AdapterConfig(rank=4))
    with pytest.raises(GenbaError) as err:
        tunable.objective(tunable.encode(SPEC, examples()))
    assert "batch-first" in err.value.en and err.value.ja
    tunable.adapt(tunable.choose_sites(("down",), layers=[0]), AdapterConfig(rank=4))  # batch-first there
    tunable.objective(tunable.encode(SPEC, examples()))


# --- the adapted graph against the source -------------------------------------------------------------------


def open_adapted(path: Path, rank: int = 4, sites=None):
    tunable = OnnxTunableModel.open(path, threads=1)
    sites = tunable.sites if sites is None else sites  # every site: the strictest comparison
    tunable.adapt(sites, AdapterConfig(rank=rank, alpha=8.0, seed=3))
    encoded = tunable.encode(SPEC, examples())
    return tunable, tunable.objective(encoded), encoded


@pytest.fixture(scope="module", params=["plain", "cache", "classifier"])
def any_model_path(request, tmp_path_factory, vocab) -> Path:
    return model_folder(tmp_path_factory, vocab, request.param)


def test_zero_adapters_reproduce_the_source_for_every_copy(any_model_path):
    tunable, objective, encoded = open_adapted(any_model_path)
    rows = np.arange(len(encoded))
    zero = {
        k: np.zeros((3, *v.shape), np.float32)
        for k, v in zero_b(tunable.site_shapes(tunable.sites), AdapterConfig(rank=4)).items()
    }
    loss, logits, _ = objective.run(rows, zero)
    assert loss.shape == (3, len(rows)) and logits.shape == (3, len(rows), 2)
    expected = reference_label_logits(any_model_path, tunable, encoded, rows)
    for p in range(3):
        np.testing.assert_allclose(logits[p], expected, atol=1e-5, rtol=1e-5)
    logp = expected - np.log(np.exp(expected).sum(-1, keepdims=True))
    np.testing.assert_allclose(loss[1], -logp[rows, encoded.label_index[rows]], atol=1e-5, rtol=1e-5)


def test_adapter_on_one_copy_changes_only_that_copy_and_matches_the_merged_model(any_model_path, tmp_path):
    tunable, objective, encoded = open_adapted(any_model_path)
    rows = np.arange(len(encoded))
    b = random_b(tunable, tunable.sites, rank=4, seed=7)
    copies = {
        s.key: np.stack([np.zeros_like(b[s.key]), b[s.key], np.zeros_like(b[s.key])]) for s in tunable.sites
    }
    _, logits, _ = objective.run(rows, copies)
    source = reference_label_logits(any_model_path, tunable, encoded, rows)
    np.testing.assert_allclose(logits[0], source, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(logits[2], source, atol=1e-5, rtol=1e-5)
    assert np.abs(logits[1] - source).max() > 1e-3

    exported = tunable.export_merged(b, tmp_path / "model", spec=SPEC)
    merged = onnx.load(str(exported), load_external_data=False)
    original = onnx.load(str(any_model_path), load_external_data=False)
    assert [i.name for i in merged.graph.input] == [i.name for i in original.graph.input]
    assert [o.name for o in merged.graph.output] == [o.name for o in original.graph.output]
    assert (exported.parent / "tokenizer.json").is_file() and (exported.parent / "genba_task.json").is_file()
    assert (exported.parent / "model.onnx.data").is_file() == any_model_path.parent.name.startswith("cache")
    np.testing.assert_allclose(
        reference_label_logits(exported, tunable, encoded, rows), logits[1], atol=1e-4, rtol=1e-4
    )


def test_merge_adapters_folds_into_transposed_and_plain_weights(tmp_path, vocab):
    model = build_causal_lm(vocab, variant="cache")
    sites = [s for s in find_linear_sites(model) if s.key in ("0.q", "0.k", "0.v")]
    assert [s.transposed for s in sites] == [True, True, False]
    # Random A and B: with constant ones, A @ B is constant and a missing or extra transpose goes unseen.
    rng = np.random.default_rng(4)
    a = {s.key: rng.standard_normal((s.d_in, 2)).astype(np.float32) for s in sites}
    b = {s.key: rng.standard_normal((2, s.d_out)).astype(np.float32) for s in sites}
    merged = merge_adapters(model, sites, a, b)
    before = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    after = {t.name: numpy_helper.to_array(t) for t in merged.graph.initializer}
    for s in sites:
        # y = x @ (W + A @ B) for a plain [in, out] weight; a transposed weight is stored [out, in].
        delta = np.einsum("ir,ro->io", a[s.key], b[s.key])
        assert not np.allclose(delta, delta.T, atol=1e-3)
        expected = before[s.weight_name] + (delta.T if s.transposed else delta)
        np.testing.assert_allclose(after[s.weight_name], expected, atol=1e-5)
    assert len(add_adapters(model, sites, a).graph.input) == len(model.graph.input) + 3


# --- learning -----------------------------------------------------------------------------------------------


def test_zo_steps_lower_the_training_loss(plain_path):
    tunable = OnnxTunableModel.open(plain_path, threads=1)
    sites = tunable.choose_sites(("q", "v", "down"), max_layers=2)
    cfg = AdapterConfig(rank=4, alpha=8.0, seed=0)
    tunable.adapt(sites, cfg)
    encoded = tunable.encode(SPEC, examples())
    objective = tunable.objective(encoded).on(np.arange(len(encoded)))
    params = zero_b(tunable.site_shapes(sites), cfg)
    before = float(objective({k: v[None] for k, v in params.items()})[0])
    for step in range(30):
        params, record = zo.zo_step(
            objective, params, step=step, run_seed=0, q=2, eps=1e-2, lr=0.5, copies_per_run=4
        )
        assert record.accepted
    after = float(objective({k: v[None] for k, v in params.items()})[0])
    assert after < 0.5 * before, (before, after)  # measured 0.96 -> 0.17


# --- the whole run -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["cache", "classifier"])
def test_tune_runs_an_onnx_model_end_to_end_and_resumes(tmp_path_factory, vocab, kind, tmp_path):
    from app.engine.data.examples import load_examples
    from app.engine.results.evaluation import open_scorer
    from app.engine.tuning.budget import Budget
    from app.engine.tuning.config import TuneConfig
    from app.engine.tuning.tuner import tune

    path = model_folder(tmp_path_factory, vocab, kind)
    rows = ["text,label"] + [f"{t} {i},{('terrible', 'great')[i % 2]}" for i in range(3) for t in TEXTS]
    data = tmp_path / "data.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = TuneConfig(
        model=str(path),
        data=str(data),
        out_dir=str(tmp_path / "run"),
        budget=Budget(steps=6),
        eval_every=3,
        checkpoint_every=3,
        max_tuned_layers=1,
        q=2,
        lr=0.1,
        threads=1,
    )
    result = tune(config)
    report = result.report
    assert report["steps"] == 6 and report["tuned_layers"] == [1]
    assert report["tuned_sites"] == ["1.q", "1.v"]  # BERT's query/value parse as q/v too
    exported = Path(report["exported_model"])
    assert exported.is_file() and (exported.parent / "tokenizer.json").is_file()
    dataset = load_examples(str(data))
    scorer = open_scorer(exported, dataset.labels, threads=1)
    split = config.split(dataset.examples)
    # The export scores validation and test as the run did with its best adapters (B != 0 folded in).
    assert scorer.evaluate(split.val).accuracy == pytest.approx(report["val_accuracy_after"])
    assert scorer.evaluate(split.test).accuracy == pytest.approx(report["test_accuracy_after"])
    resumed = tune(config.with_(budget=Budget(steps=8), resume=True))
    assert resumed.report["steps"] == 8
