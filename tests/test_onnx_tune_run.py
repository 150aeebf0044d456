"""Whole tuning runs on user ONNX models: tune -> stop/resume -> export, checked in plain onnxruntime.

The tiny exporter-like models come from tests/tiny_onnx_models.py: a causal LM with its weights inside model.onnx
("plain"), one with position_ids, past_key_values.* inputs and weights in model.onnx.data ("cache"), and a
BERT-like sequence classifier.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper
from tokenizers import Tokenizer

from app.cli import main
from app.engine.data.examples import load_examples
from app.engine.data.prompting import PromptSpec
from app.engine.errors import GenbaError
from app.engine.events import StepEvent
from app.engine.models.catalog import resolve_model
from app.engine.models.onnx_inspect import find_linear_sites
from app.engine.models.onnx_tuning import OnnxTunableModel
from app.engine.tuning import zo
from app.engine.tuning.budget import Budget
from app.engine.tuning.checkpoint import load_checkpoint
from app.engine.tuning.config import TuneConfig
from app.engine.tuning.tuner import RunControl, tune
from tests.tiny_onnx_models import (
    TEXTS,
    build_causal_lm,
    build_classifier,
    save_model_folder,
    write_tokenizer,
)

LABELS = ("terrible", "great")  # each a single token of the tiny vocabulary, so label words differ


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """kind -> model.onnx, each in its own folder with tokenizer.json."""
    out = {}
    for kind in ("plain", "cache", "classifier", "relu"):
        folder = tmp_path_factory.mktemp(kind)
        vocab = write_tokenizer(folder)
        graph = build_classifier(vocab) if kind == "classifier" else build_causal_lm(vocab, variant=kind)
        out[kind] = save_model_folder(folder, graph, external=kind == "cache")
    # The cache variant has a learned position table of 64 entries, which its config.json states.
    (out["cache"].parent / "config.json").write_text('{"max_position_embeddings": 64}', encoding="utf-8")
    return out


def write_data(path: Path, labels=LABELS, copies: int = 6) -> Path:
    """Each text of TEXTS keeps one label in all its numbered copies: learnable from the words."""
    rows = ["text,label"] + [
        f"{t} {i},{labels[j % len(labels)]}" for i in range(copies) for j, t in enumerate(TEXTS)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def config(model: Path, data: Path, out: Path, steps: int, **kw) -> TuneConfig:
    base = dict(
        model=str(model),
        data=str(data),
        out_dir=str(out),
        budget=Budget(steps=steps),
        eval_every=3,
        checkpoint_every=3,
        max_tuned_layers=2,
        projections=("q", "v", "down"),
        q=2,
        lr=0.5,
        threads=1,
    )
    base.update(kw)
    return TuneConfig(**base)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def io_signature(path: Path) -> tuple[list, list]:
    """(name, type, shape) of every input and output, as onnxruntime sees them."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return (
        [(i.name, i.type, i.shape) for i in sess.get_inputs()],
        [(o.name, o.type, o.shape) for o in sess.get_outputs()],
    )


def plain_ort_accuracy(model: Path, spec: PromptSpec, examples) -> float:
    """Accuracy of a model on examples with nothing of ours: onnxruntime and tokenizers.

    One example per run (no padding); a causal LM is read at the last prompt token on the label words'
    first tokens, a classifier by the argmax of its logits (class i = i-th label).
    """
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(str(model.parent / "tokenizer.json"))
    causal = len(sess.get_outputs()[0].shape) == 3
    label_ids = [tok.encode(" " + w, add_special_tokens=False).ids[0] for w in spec.label_words]
    correct = 0
    for ex in examples:
        if causal:
            ids = np.array([tok.encode(spec.render(ex.text), add_special_tokens=False).ids], dtype=np.int64)
        else:
            ids = np.array([tok.encode(ex.text).ids], dtype=np.int64)
        feeds = {}
        for i in sess.get_inputs():
            if i.name == "input_ids":
                feeds[i.name] = ids
            elif i.name == "attention_mask":
                feeds[i.name] = np.ones_like(ids)
            elif i.name == "position_ids":
                feeds[i.name] = np.arange(ids.shape[1], dtype=np.int64)[None]
            else:  # past_key_values.*: [batch, heads, past_seq=0, head_dim]
                shape = [1 if k == 0 else (0 if k == 2 else d) for k, d in enumerate(i.shape)]
                feeds[i.name] = np.zeros(shape, np.float32)
        logits = sess.run(["logits"], feeds)[0]
        scores = logits[0, -1, label_ids] if causal else logits[0]
        correct += int(scores.argmax()) == spec.labels.index(ex.label)
    return correct / len(examples)


def held_out(data: Path, cfg: TuneConfig):
    return cfg.split(load_examples(str(data)).examples)


# --- tune and export ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["plain", "cache", "classifier"])
def test_onnx_model_is_tuned_and_its_export_keeps_the_interface_and_the_accuracy(models, kind, tmp_path):
    source = models[kind]
    data = write_data(tmp_path / "data.csv")
    cfg = config(source, data, tmp_path / "run", steps=12)
    events = []
    report = tune(cfg, events.append).report

    assert report["model_kind"] == ("onnx-classifier" if kind == "classifier" else "onnx-causal-lm")
    assert report["steps"] == 12 and sum(isinstance(e, StepEvent) for e in events) == 12
    assert report["tuned_layers"] == [0, 1]
    assert report["tuned_sites"] == [f"{i}.{p}" for i in (0, 1) for p in ("q", "v", "down")]
    assert report["layer_choice"]["method"] == "top layers of a user ONNX model (no probe)"
    assert report["best_step"] > 0  # the best adapters are not zero: the export differs from the source
    assert report["val_accuracy_after"] > report["val_accuracy_before"]  # measured 0.44-0.56 -> 0.67-1.0
    on_disk = json.loads((tmp_path / "run" / "report.json").read_text(encoding="utf-8"))
    assert on_disk["tuned_sites"] == report["tuned_sites"]

    # Same inputs and outputs (names, types, shapes) as the source, in plain onnxruntime.
    exported = Path(report["exported_model"])
    assert exported == tmp_path / "run" / "model" / "model.onnx"
    assert io_signature(exported) == io_signature(source)
    assert (exported.parent / "tokenizer.json").is_file()

    # Exactly the tuned sites' weights changed.
    tuned = {
        s.weight_name for s in find_linear_sites(onnx.load(str(source))) if s.key in report["tuned_sites"]
    }
    assert len(tuned) == 6
    before = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(source)).graph.initializer}
    after = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(exported)).graph.initializer}
    assert before.keys() == after.keys()
    for name, w in before.items():
        assert (not np.array_equal(w, after[name])) == (name in tuned), name

    # The accuracies the run reported, reproduced with nothing of ours.
    spec = PromptSpec.from_dict(json.loads((exported.parent / "genba_task.json").read_text(encoding="utf-8")))
    assert spec.labels == tuple(sorted(LABELS))
    split = held_out(data, cfg)
    assert plain_ort_accuracy(exported, spec, split.val) == pytest.approx(report["val_accuracy_after"])
    assert plain_ort_accuracy(source, spec, split.val) == pytest.approx(report["val_accuracy_before"])
    assert plain_ort_accuracy(exported, spec, split.test) == pytest.approx(report["test_accuracy_after"])
    assert plain_ort_accuracy(source, spec, split.test) == pytest.approx(report["test_accuracy_before"])

    # Hashes name what is on disk; the weights' file is model.onnx.data when the source kept them outside.
    data_file = exported.with_name("model.onnx.data")
    assert data_file.is_file() == (kind == "cache")
    weights = data_file if kind == "cache" else exported
    assert report["exported_model_sha256"] == sha256(weights)
    assert report["exported_files_sha256"] == {
        f.name: sha256(f) for f in (exported, data_file) if f.is_file()
    }

    # adapters.npz holds the best B of exactly the tuned sites.
    _, best, state = load_checkpoint(tmp_path / "run")
    assert state.info["sites"] == report["tuned_sites"]
    with np.load(tmp_path / "run" / "adapters.npz") as z:
        assert sorted(k[2:] for k in z.files if k.startswith("B/")) == sorted(report["tuned_sites"])
        for key, b in best.items():
            assert z[f"B/{key}"].tobytes() == b.tobytes()
        assert json.loads(z["meta"].tobytes())["sites"] == report["tuned_sites"]


@pytest.mark.parametrize("kind", ["cache", "classifier"])
def test_stopped_and_resumed_onnx_run_is_bit_identical_to_an_uninterrupted_one(models, kind, tmp_path):
    data = write_data(tmp_path / "data.csv")

    def cfg(out: str, **kw) -> TuneConfig:
        return config(models[kind], data, tmp_path / out, steps=10, export=False, copies_per_run=4, **kw)

    tune(cfg("whole"))
    control = RunControl()

    def stop_at_5(event) -> None:
        if isinstance(event, StepEvent) and event.step == 5:
            control.stop()

    assert tune(cfg("split"), stop_at_5, control).report["steps"] == 5
    assert tune(cfg("split", resume=True)).report["steps"] == 10

    pa, ba, sa = load_checkpoint(tmp_path / "whole")
    pb, bb, sb = load_checkpoint(tmp_path / "split")
    assert sa.step == sb.step == 10
    assert sa.info["sites"] == sb.info["sites"] and sa.best_step == sb.best_step
    assert pa.keys() == pb.keys() == ba.keys() == bb.keys()
    for k in pa:
        assert pa[k].tobytes() == pb[k].tobytes()
        assert ba[k].tobytes() == bb[k].tobytes()
    assert any(np.any(v != 0) for v in pa.values())
    # The step log alone rebuilds the adapters, without a forward pass.
    records = [
        zo.StepRecord.from_list(json.loads(line))
        for line in (tmp_path / "split" / "steps.jsonl").read_text().splitlines()
    ]
    replayed = zo.replay({k: np.zeros_like(v) for k, v in pb.items()}, records)
    for k in pb:
        assert replayed[k].tobytes() == pb[k].tobytes()


def test_resume_refuses_when_the_external_weights_changed(models, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("model.onnx", "model.onnx.data", "tokenizer.json", "config.json"):
        (folder / name).write_bytes((models["cache"].parent / name).read_bytes())
    data = write_data(tmp_path / "data.csv")
    cfg = config(folder / "model.onnx", data, tmp_path / "run", steps=3, export=False)
    report = tune(cfg).report
    assert report["model_data_sha256"] == {"model.onnx.data": sha256(folder / "model.onnx.data")}
    weights = bytearray((folder / "model.onnx.data").read_bytes())
    weights[-4:] = np.float32(0.25).tobytes()  # one weight changed; model.onnx itself is untouched
    (folder / "model.onnx.data").write_bytes(bytes(weights))
    with pytest.raises(GenbaError) as err:
        tune(cfg.with_(budget=Budget(steps=6), resume=True))
    assert "model file changed" in err.value.en


# --- what the user is told ----------------------------------------------------------------------------------


def test_a_classifier_with_fewer_classes_than_labels_is_refused_before_tuning(models, tmp_path):
    data = write_data(tmp_path / "three.csv", labels=("bucket", "engine", "hydraulic"))
    with pytest.raises(GenbaError) as err:
        tune(config(models["classifier"], data, tmp_path / "run", steps=3))
    e = err.value
    assert "2 classes" in e.en and "3 labels" in e.en and "bucket, engine, hydraulic" in e.en
    assert "クラス数は 2" in e.ja and "ラベル数は 3" in e.ja
    assert e.path == str(models["classifier"])
    assert not (tmp_path / "run" / "checkpoint.npz").exists()


def without_layer_numbers(model: onnx.ModelProto) -> onnx.ModelProto:
    """The classifier with every node and weight renamed so that no name carries a layer number."""
    renamed = {t.name: f"w{i}" for i, t in enumerate(model.graph.initializer)}
    for t in model.graph.initializer:
        t.name = renamed[t.name]
    for i, node in enumerate(model.graph.node):
        node.name = f"node{i}"
        for j, name in enumerate(node.input):
            node.input[j] = renamed.get(name, name)
    return model


def test_a_model_without_layer_numbers_tunes_its_last_linear_layers_but_refuses_explicit_ones(tmp_path):
    folder = tmp_path / "anonymous"
    folder.mkdir()
    vocab = write_tokenizer(folder)
    path = save_model_folder(folder, without_layer_numbers(build_classifier(vocab)))
    assert OnnxTunableModel.open(path).n_layers is None
    data = write_data(tmp_path / "data.csv")

    with pytest.raises(GenbaError) as err:
        tune(config(path, data, tmp_path / "explicit", steps=2, tuned_layers=(1,)))
    assert err.value.field == "tuned_layers" and "layer numbers" in err.value.en and "層番号" in err.value.ja

    report = tune(
        config(path, data, tmp_path / "auto", steps=2, max_tuned_layers=1, projections=("q", "v"))
    ).report
    last_two = [s.key for s in find_linear_sites(onnx.load(str(path)))][-2:]
    assert report["tuned_layers"] == [] and report["tuned_sites"] == last_two
    assert "no layer numbers" in report["layer_choice"]["method"]


def test_explicit_layers_out_of_range_name_the_field(models, tmp_path):
    data = write_data(tmp_path / "data.csv")
    with pytest.raises(GenbaError) as err:
        tune(config(models["plain"], data, tmp_path / "run", steps=2, tuned_layers=(2,)))
    assert err.value.field == "tuned_layers" and "between 0 and 1" in err.value.en
    report = tune(
        config(models["plain"], data, tmp_path / "ok", steps=2, tuned_layers=(0,), export=False)
    ).report
    assert report["tuned_layers"] == [0] and report["layer_choice"] == {"method": "chosen by the user"}
    assert report["tuned_sites"] == ["0.q", "0.v", "0.down"]


def test_a_missing_model_file_is_named_in_both_languages(tmp_path):
    missing = tmp_path / "gone" / "model.onnx"
    for open_it in (resolve_model, lambda p: OnnxTunableModel.open(p, kind="onnx-causal-lm")):
        with pytest.raises(GenbaError) as err:
            open_it(missing)
        assert "model.onnx" in err.value.en and "not found" in err.value.en
        assert "model.onnx" in err.value.ja and "見つかりません" in err.value.ja
        assert err.value.path == str(missing)


# --- the command line and the model card --------------------------------------------------------------------


def test_cli_tunes_an_onnx_classifier_and_eval_of_its_export_agrees(models, tmp_path, capsys):
    data = write_data(tmp_path / "data.csv")
    out = tmp_path / "run"
    common = ["--steps", "6", "--eval-every", "3", "--max-layers", "1", "--json"]
    assert (
        main(["tune", "--model", str(models["classifier"]), "--data", str(data), "--out", str(out), *common])
        == 0
    )
    summary = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")][-1]
    assert summary["steps"] == 6 and summary["exported_model"]
    assert (
        main(["eval", "--model", summary["exported_model"], "--data", str(data), "--split", "val", "--json"])
        == 0
    )
    result = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")][-1]
    assert result["accuracy"] == summary["val_accuracy_after"]

    three = write_data(tmp_path / "three.csv", labels=("a", "b", "c"))
    args = ["tune", "--model", str(models["classifier"]), "--data", str(three), "--out", str(tmp_path / "x")]
    assert main([*args, "--steps", "2"]) == 2
    assert "2 classes but the data has 3 labels" in capsys.readouterr().err


def test_model_card_says_onnx_models_can_be_tuned(models):
    from app.engine.results.model_check import check_model

    for kind in ("plain", "cache", "classifier"):
        check = check_model(lambda _done: None, str(models[kind]))
        assert check.tunable and check.not_tunable is None, kind
        assert check.n_layers == 2
        graph = onnx.load(str(models[kind]), load_external_data=False).graph
        assert check.parameters == sum(int(np.prod(t.dims)) for t in graph.initializer)
        assert check.seconds_per_example > 0 and check.seconds_per_step > check.seconds_per_example
    relu = check_model(lambda _done: None, str(models["relu"]))  # evaluable, but its head is not recognised
    assert not relu.tunable and not relu.can_tune
    assert isinstance(relu.not_tunable, GenbaError) and "Relu" in relu.not_tunable.en
    assert relu.not_tunable.ja


def test_model_card_refuses_an_onnx_model_that_fails_on_the_probe_texts(models, tmp_path):
    """The cache variant without its config.json: the probe prompt exceeds its 64 positions."""
    from app.engine.results.model_check import check_model

    folder = tmp_path / "no_config"
    folder.mkdir()
    for name in ("model.onnx", "model.onnx.data", "tokenizer.json"):
        (folder / name).write_bytes((models["cache"].parent / name).read_bytes())
    check = check_model(lambda _done: None, str(folder / "model.onnx"))
    assert not check.tunable and check.seconds_per_step is None
    assert "short test text" in check.not_tunable.en and check.not_tunable.ja
    assert "indices" in check.not_tunable.detail  # onnxruntime's own words, for the log
