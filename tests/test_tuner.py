"""End-to-end tuning runs on a tiny Llama GGUF the tests write themselves."""

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from app.engine.data.examples import load_examples
from app.engine.errors import GenbaError
from app.engine.events import EvalEvent, FinishedEvent, StepEvent
from app.engine.models.objective import Readout
from app.engine.results.evaluation import open_scorer
from app.engine.tuning import head as head_mod
from app.engine.tuning import tuner, zo
from app.engine.tuning.budget import Budget
from app.engine.tuning.checkpoint import load_checkpoint, load_checkpoint_all
from app.engine.tuning.scoring import evaluate_features, read_out
from app.engine.tuning.tuner import RunControl, tune
from tests.support import flat_accuracy, tiny_config, write_demo_csv


@pytest.fixture
def demo_csv(tmp_path) -> Path:
    return write_demo_csv(tmp_path / "orders.csv")


@pytest.mark.parametrize("blocks", [None, ("pooled",), ("pooled", "ngrams"), ("ngrams", "chars")])
def test_tune_reports_exports_and_the_export_reproduces_the_test_accuracy(
    tiny_gguf, demo_csv, tmp_path, monkeypatch, blocks
):
    if blocks is not None:  # the head reads these fixed blocks, whatever cross-validation would weigh them
        real, parts = tuner.fit_head, head_mod.candidate_parts(list(blocks))
        monkeypatch.setattr(tuner, "fit_head", lambda *a, **kw: real(*a, **kw, parts=parts))
        monkeypatch.setattr(head_mod, "_weigh", lambda scores, labels, n: (np.ones(len(scores)), np.zeros(n)))
    events = []
    config = tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=30)
    result = tune(config, events.append)
    report = json.loads((tmp_path / "run" / "report.json").read_text(encoding="utf-8"))
    for key in (
        "model",
        "examples_train",
        "examples_val",
        "examples_test",
        "steps",
        "seconds",
        "val_accuracy_before",
        "val_accuracy_after",
        "test_accuracy_before",
        "test_accuracy_after",
        "keyword_accuracy",
        "energy_wh",
        "energy_source",
        "peak_rss_mb",
        "exported_model",
    ):
        assert key in report
    assert report["steps"] == 30 and result.stop_reason == "steps"
    assert report["energy_source"] in ("measured", "estimated")
    assert report["examples_test"] > 0 and report["improved_split"] == "test"
    assert report["improved"] == (report["test_accuracy_after"] > report["test_accuracy_before"])
    assert sum(isinstance(e, StepEvent) for e in events) == 30
    assert isinstance(events[-1], FinishedEvent)
    # The words model (no forward pass), zero-shot, the fitted head (before any step), then every eval_every steps.
    evals = [e for e in events if isinstance(e, EvalEvent)]
    assert [(e.step, e.model) for e in evals] == [
        (0, "words"),
        (0, "zero-shot"),
        (0, "head"),
        (10, "step"),
        (20, "step"),
        (30, "step"),
    ]
    words = report["words_model"]
    assert words["val_accuracy"] == evals[0].val_accuracy and 0.0 <= words["test_accuracy"] <= 1.0
    assert words["features"] == "ngrams+chars"  # fitted before the head, whatever it reads
    chosen = report["head"]["features"]
    assert chosen == "+".join(("llm",) + blocks) if blocks else chosen.startswith("llm")
    # The template's own n-grams ("... (engine, hydraulic):" names every label) are not counted as the text's.
    extra = load_checkpoint_all(tmp_path / "run")[3]
    assert extra["ngrams/template"].any() and extra["chars/template"].any()
    assert report["readout"] == "head"
    # The export keeps the source interface, adds the head's scores, and loads in plain onnxruntime...
    sess = ort.InferenceSession(report["exported_model"], providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["input_ids", "attention_mask"]
    assert [o.name for o in sess.get_outputs()] == ["logits", "class_logits"]
    # ...and scores the held-out test split exactly as the run reported.
    ds = load_examples(demo_csv)
    split = config.split(ds.examples)
    assert len(split.test) == report["examples_test"]
    exported = open_scorer(report["exported_model"], ds.labels).evaluate(split.test)
    assert exported.accuracy == pytest.approx(report["test_accuracy_after"])
    assert exported.confusion.tolist() == report["test_confusion_after"]


def test_the_words_model_stays_the_result_until_a_model_beats_it_and_exports_as_tested(
    tiny_gguf, demo_csv, tmp_path, monkeypatch
):
    # A head held at the label words (strong pull, the model's features only) cannot beat the text blocks here.
    real = tuner.fit_head
    monkeypatch.setattr(tuner, "fit_head", lambda *a, **kw: real(*a, **kw, parts=[], lambdas=(1e4,)))
    events = []
    config = tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=5, eval_every=100)
    report = tune(config, events.append).report
    evals = [e for e in events if isinstance(e, EvalEvent)]
    words = evals[0]
    assert words.model == "words" and all(e.val_accuracy < words.val_accuracy for e in evals[1:])
    assert not any(e.is_best for e in evals[1:])
    assert report["readout"] == "words" and report["best_step"] == 0
    assert report["val_accuracy_after"] == words.val_accuracy
    assert report["test_accuracy_after"] == report["words_model"]["test_accuracy"]
    # The words model is exported as a head whose weights on the model's features are zero: it scores the
    # test split as the run said, in plain onnxruntime.
    ds = load_examples(demo_csv)
    exported = open_scorer(report["exported_model"], ds.labels).evaluate(config.split(ds.examples).test)
    assert exported.accuracy == pytest.approx(report["test_accuracy_after"])
    # A resumed run keeps it as its result.
    resumed = tune(config.with_(budget=Budget(steps=8), resume=True)).report
    assert resumed["readout"] == "words" and resumed["test_accuracy_after"] == report["test_accuracy_after"]


def test_label_word_readout_without_a_head_exports_the_plain_interface(tiny_gguf, demo_csv, tmp_path):
    events = []
    config = tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=10, head="none")
    report = tune(config, events.append).report
    assert report["head"] is None and report["readout"] == "label words"
    assert [e.step for e in events if isinstance(e, EvalEvent)] == [0, 10]
    sess = ort.InferenceSession(report["exported_model"], providers=["CPUExecutionProvider"])
    assert [o.name for o in sess.get_outputs()] == ["logits"]
    ds = load_examples(demo_csv)
    exported = open_scorer(report["exported_model"], ds.labels).evaluate(config.split(ds.examples).test)
    assert exported.accuracy == pytest.approx(report["test_accuracy_after"])


def test_resumed_run_gives_bit_identical_adapters(tiny_gguf, demo_csv, tmp_path):
    tune(tiny_config(tiny_gguf, demo_csv, tmp_path / "a", steps=20, export=False))
    tune(tiny_config(tiny_gguf, demo_csv, tmp_path / "b", steps=9, export=False))
    tune(tiny_config(tiny_gguf, demo_csv, tmp_path / "b", steps=20, export=False, resume=True))
    pa, ba, sa = load_checkpoint(tmp_path / "a")
    pb, bb, sb = load_checkpoint(tmp_path / "b")
    assert sa.step == sb.step == 20
    for k in pa:
        assert pa[k].tobytes() == pb[k].tobytes()
        assert ba[k].tobytes() == bb[k].tobytes()


def test_replaying_the_step_log_rebuilds_the_final_adapters(tiny_gguf, demo_csv, tmp_path):
    tune(tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=15, export=False))
    params, _, state = load_checkpoint(tmp_path / "run")
    records = [
        zo.StepRecord.from_list(json.loads(line))
        for line in (tmp_path / "run" / "steps.jsonl").read_text().splitlines()
    ]
    start = {k: np.zeros_like(v) for k, v in params.items()}
    replayed = zo.replay(start, records)
    for k in params:
        assert replayed[k].tobytes() == params[k].tobytes()


def test_stop_keeps_the_best_result_and_says_why(tiny_gguf, demo_csv, tmp_path):
    control = RunControl()

    def sink(event):
        if isinstance(event, StepEvent) and event.step == 3:
            control.stop()

    result = tune(tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=100, export=False), sink, control)
    assert result.stop_reason == "stopped"
    assert result.report["steps"] == 3
    assert (tmp_path / "run" / "adapters.npz").is_file()


@pytest.mark.parametrize("patience", [None, 10.0])
def test_early_stopping_ends_a_run_whose_validation_accuracy_is_flat(
    tiny_gguf, demo_csv, tmp_path, monkeypatch, patience
):
    from app.engine.tuning import tuner

    # Flat accuracy, and a run clock of one minute per step, so the outcome does not depend on speed.
    monkeypatch.setattr(tuner, "evaluate", flat_accuracy)
    monkeypatch.setattr(tuner._Run, "seconds", lambda self: 60.0 * self.state.step)
    budget = Budget(minutes=30, patience_minutes=patience)
    config = tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=1, budget=budget, eval_every=4)
    result = tune(config.with_(export=False))
    if patience is None:
        assert (result.stop_reason, result.report["steps"]) == ("minutes", 30)
    else:  # the evaluation at step 12 (minute 12) is the first 10 minutes after the last new best (step 0)
        assert (result.stop_reason, result.report["steps"]) == ("plateau", 12)


def test_layer_probe_records_its_choice(tiny_gguf, demo_csv, tmp_path):
    result = tune(tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=2, export=False))
    choice = result.report["layer_choice"]
    assert len(result.report["tuned_layers"]) == 2
    assert set(choice["chosen"]) == set(result.report["tuned_layers"])
    assert set(map(int, choice["sensitivity"])) == set(choice["candidates"])
    assert choice["chosen"] in [o["layers"] for o in choice["options"]]
    assert result.report["prefix_cache_storage"] == "fp32"  # a few examples fit any budget


def test_user_layer_choice_out_of_range_is_refused(tiny_gguf, demo_csv, tmp_path):
    with pytest.raises(GenbaError) as err:
        tune(tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=2, tuned_layers=(7,)))
    assert "7" in err.value.message("en") and err.value.message("ja")


def test_resume_refuses_changed_data(tiny_gguf, demo_csv, tmp_path):
    tune(tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=3, export=False))
    with demo_csv.open("a", encoding="utf-8") as f:
        f.write("new bucket row,bucket\n")
    with pytest.raises(GenbaError) as err:
        tune(tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=6, export=False, resume=True))
    assert "changed" in err.value.message("en")


def test_zo_steps_read_out_through_a_head_that_never_saw_their_batch(
    tiny_gguf, demo_csv, tmp_path, monkeypatch
):
    from app.engine.tuning import tuner

    seen = []
    original = tuner._Run.step_batch

    def recording(self, step):
        batch = original(self, step)
        heads = self.heads
        k = step % len(heads.fold_heads)
        seen.append(
            (
                set(batch.rows) <= set(np.flatnonzero(heads.folds == k)),
                batch.readout is heads.fold_readouts[k],
            )
        )
        return batch

    monkeypatch.setattr(tuner._Run, "step_batch", recording)
    tune(tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=12, export=False))
    assert len(seen) == 12 and all(in_fold and own_head for in_fold, own_head in seen)


def test_a_read_out_of_kept_features_scores_as_the_forward_pass_does(tiny_gguf, demo_csv, tmp_path):
    """The first head is rated on the features the zero-shot evaluation kept, and a result with zero
    adapters on the test features the "before" pass kept: wrong rows of the per-example offsets, a wrong
    sign or a missing log-softmax would report other figures than the model scores."""
    run = tuner._Run(
        tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=1), lambda e: None, RunControl()
    )
    run.prepare()
    rows = np.concatenate([run.test_rows, run.val_rows])[::-1]  # not in the encoded order
    rng = np.random.default_rng(0)
    base = run.objective.readout
    readout = Readout(
        rng.normal(size=base.head.shape).astype(np.float32),
        rng.normal(size=base.offset.shape).astype(np.float32),
    )
    acc, loss, pred, features = evaluate_features(run.objective, run.params, rows, batch=5, readout=readout)
    labels = run.encoded.label_index[rows]
    again = read_out(features, readout, rows, labels)
    assert again[0] == acc and np.array_equal(again[2], pred)
    assert again[1] == pytest.approx(loss, rel=1e-5)
    assert 0.0 < acc < 1.0  # a read-out that decides something, so that the comparison can fail


def test_examples_whose_labels_each_repeat_one_text_are_refused_with_a_message(tiny_gguf, tmp_path):
    """Rows that repeat one text per label leave no validation rows (a text never sits on two sides): the
    run refuses in plain words, naming the file, instead of crashing when it writes its report."""
    data = tmp_path / "same.csv"
    data.write_text(
        "text,label\npump hose leak,hydraulic\npump hose leak,hydraulic\n"
        "engine oil smoke,engine\nengine oil smoke,engine\n",
        encoding="utf-8",
    )
    with pytest.raises(GenbaError) as err:
        tune(tiny_config(tiny_gguf, data, tmp_path / "run", steps=2))
    assert "distinct" in err.value.message("en") and err.value.message("ja")
    assert err.value.path == str(data)
