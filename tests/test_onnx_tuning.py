"""Tuning user ONNX models: tiny exporter-like causal LMs and a classifier that the tests build themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from app.engine.data.examples import Example
from app.engine.data.prompting import make_prompt_spec
from app.engine.errors import GenbaError
from app.engine.models.adapters import AdapterConfig, zero_b
from app.engine.models.onnx_inspect import find_linear_sites
from app.engine.models.onnx_models import OnnxLogitsModel
from app.engine.models.onnx_surgery import add_adapters, add_label_loss, merge_adapters
from app.engine.models.onnx_tuning import OnnxTunableModel
from app.engine.tuning import zo
from tests.tiny_onnx_models import (
    FFN,
    HEAD_WEIGHT,
    HIDDEN,
    N_LAYERS,
    PROJS,
    TEXTS,
    build_causal_lm,
    build_classifier,
    save_model_folder,
    write_tokenizer,
)


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
