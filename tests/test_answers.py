"""Questions typed during a run: answered between steps by the best model so far, never changing the run."""

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from app.engine.data.examples import load_examples
from app.engine.events import AnswerEvent, StepEvent
from app.engine.results.evaluation import open_scorer, softmax
from app.engine.tuning.checkpoint import load_checkpoint
from app.engine.tuning.run_control import RunControl
from app.engine.tuning.tuner import tune
from tests.support import tiny_config, write_demo_csv
from tests.tiny_encoder import write_encoder_folder
from tests.tiny_onnx_models import (
    TEXTS,
    build_causal_lm,
    build_classifier,
    save_model_folder,
    write_tokenizer,
)

QUESTION = "pump hose number 99 bucket"


@pytest.fixture
def demo_csv(tmp_path) -> Path:
    return write_demo_csv(tmp_path / "orders.csv")


def run_asking(config, ask_at: dict[int, str]) -> list[AnswerEvent]:
    """Run ``config``, asking ``ask_at[step]`` when step ``step`` has been made; returns the answers."""
    control, answers = RunControl(), []

    def sink(event):
        if isinstance(event, StepEvent) and event.step in ask_at:
            control.ask(ask_at[event.step])
        elif isinstance(event, AnswerEvent):
            answers.append(event)

    tune(config, sink, control)
    return answers


def load_report(folder: Path) -> dict:
    return json.loads((folder / "report.json").read_text(encoding="utf-8"))


def test_a_run_asked_questions_ends_bit_identical_to_one_never_asked(tiny_gguf, demo_csv, tmp_path):
    quiet = tiny_config(tiny_gguf, demo_csv, tmp_path / "quiet", steps=25, export=False)
    asked = tiny_config(tiny_gguf, demo_csv, tmp_path / "asked", steps=25, export=False)
    assert run_asking(quiet, {}) == []
    answers = run_asking(asked, {1: QUESTION, 10: "engine oil leak", 11: QUESTION, 24: "x"})
    assert [a.question for a in answers] == [1, 2, 3, 4]
    labels = load_examples(demo_csv).labels
    assert all(a.label in labels and 1 / len(labels) <= a.confidence <= 1 for a in answers), answers
    assert answers[1].best_step <= 10 and answers[3].tuned
    pa, ba, sa = load_checkpoint(tmp_path / "quiet")
    pb, bb, sb = load_checkpoint(tmp_path / "asked")
    assert sa.step == sb.step == 25
    assert sa.records == sb.records and sa.best_step == sb.best_step
    assert [e["val_accuracy"] for e in sa.evals] == [e["val_accuracy"] for e in sb.evals]
    for k in pa:
        assert pa[k].tobytes() == pb[k].tobytes()
        assert ba[k].tobytes() == bb[k].tobytes()
    for name in ("adapters.npz", "steps.jsonl"):
        assert (tmp_path / "quiet" / name).read_bytes() == (tmp_path / "asked" / name).read_bytes(), name


def test_the_last_answer_is_the_exported_models_and_not_the_untuned_ones(tiny_gguf, demo_csv, tmp_path):
    # Asked as the last step lands: answered after the closing evaluation, by the model the export writes.
    # Read out by the label words (no fitted head), so that the ZO steps make the best model here.
    config = tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=20, eval_every=5).with_(head="none")
    (answer,) = run_asking(config, {20: QUESTION})
    report = load_report(tmp_path / "run")
    assert report["best_step"] > 0  # the best adapters are not zero: the answer must go through them
    assert answer.best_step == report["best_step"] and answer.tuned
    labels = load_examples(demo_csv).labels
    exported = softmax(open_scorer(report["exported_model"], labels).label_logits([QUESTION]))[0]
    assert answer.label == labels[int(exported.argmax())]
    assert answer.confidence == pytest.approx(float(exported.max()), abs=1e-4)
    untuned = softmax(open_scorer(str(tiny_gguf), labels).label_logits([QUESTION]))[0]
    assert abs(answer.confidence - float(untuned[labels.index(answer.label)])) > 1e-3


def test_a_paused_run_answers_at_once_and_stays_paused(tiny_gguf, demo_csv, tmp_path):
    control, answers, answered = RunControl(), [], threading.Event()
    outcome: dict = {}

    def operator():
        control.ask(QUESTION)
        outcome["answered"] = answered.wait(120)  # a pause that does not wake for questions never answers
        outcome["still_paused"] = control.paused
        control.resume()

    def sink(event):
        if isinstance(event, StepEvent) and event.step == 5:
            control.pause()
            outcome["thread"] = threading.Thread(target=operator)
            outcome["thread"].start()
        elif isinstance(event, AnswerEvent):
            outcome["steps_when_answered"] = steps[-1]
            answers.append(event)
            answered.set()

    steps: list[int] = []

    def counting_sink(event):
        if isinstance(event, StepEvent):
            steps.append(event.step)
        sink(event)

    tune(tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=12, export=False), counting_sink, control)
    outcome["thread"].join()
    assert outcome["answered"] and outcome["still_paused"]
    assert outcome["steps_when_answered"] == 5  # answered while paused, before any further step
    assert len(answers) == 1 and answers[0].label in load_examples(demo_csv).labels


def test_questions_are_numbered_and_taken_once():
    control = RunControl()
    assert [control.ask("a"), control.ask("b")] == [1, 2]
    assert [(q.number, q.text) for q in control.take_questions()] == [(1, "a"), (2, "b")]
    assert control.take_questions() == []
    assert np.isfinite(control.wait_while_paused())  # not paused: returns at once


def test_an_encoder_run_answers_as_its_exported_classifier(tmp_path):
    # A user's sentence encoder: no prefix cache, pooled features, its head read in numpy (onnx_encoder).
    encoder = write_encoder_folder(tmp_path / "encoder", opset=17)
    data = write_demo_csv(tmp_path / "data.csv")
    config = tiny_config(encoder, data, tmp_path / "run", steps=9, eval_every=3, copies_per_run=4)
    (answer,) = run_asking(config, {9: QUESTION})
    report = load_report(tmp_path / "run")
    assert answer.best_step == report["best_step"] and answer.tuned
    labels = load_examples(data).labels
    exported = softmax(open_scorer(report["exported_model"], labels).label_logits([QUESTION]))[0]
    assert answer.label == labels[int(exported.argmax())]
    assert answer.confidence == pytest.approx(float(exported.max()), abs=1e-4)


@pytest.mark.parametrize("kind", ["causal-lm", "classifier"])
def test_a_users_onnx_model_answers_as_its_export_does(tmp_path, kind):
    # Read out as the user's graph reads out (no head): the label words' logits, or the classes.
    (tmp_path / kind).mkdir()
    vocab = write_tokenizer(tmp_path / kind)
    graph = build_classifier(vocab) if kind == "classifier" else build_causal_lm(vocab)
    model = save_model_folder(tmp_path / kind, graph)
    labels = ("great", "terrible")  # one token each in the tiny vocabulary; sorted, as a classifier's classes
    rows = ["text,label"] + [f"{t} {i},{labels[j % 2]}" for i in range(6) for j, t in enumerate(TEXTS)]
    data = tmp_path / "data.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = tiny_config(model, data, tmp_path / "run", steps=6, eval_every=3, lr=0.5)
    question = TEXTS[0]
    (answer,) = run_asking(config, {6: question})
    report = load_report(tmp_path / "run")
    assert answer.best_step == report["best_step"] > 0  # through adapters that moved
    exported = softmax(open_scorer(report["exported_model"], list(labels)).label_logits([question]))[0]
    assert answer.label == labels[int(exported.argmax())]
    assert answer.confidence == pytest.approx(float(exported.max()), abs=1e-4)


def test_a_question_read_through_the_frozen_states_parts_answers_as_the_export(
    tiny_gguf, demo_csv, tmp_path, monkeypatch
):
    """A typed question gets its own pooled and answer-position states (``NewTexts``): a head that reads them
    must answer it as the exported graph, which computes them from the token ids, scores it."""
    from app.engine.tuning import head as head_mod
    from app.engine.tuning import tuner

    real, parts = tuner.fit_head, [("pooled",), ("answer",)]
    monkeypatch.setattr(tuner, "fit_head", lambda *a, **kw: real(*a, **kw, parts=parts))
    monkeypatch.setattr(head_mod, "_weigh", lambda scores, labels, n: (np.ones(len(scores)), np.zeros(n)))
    # Tuning the last layer reads the states entering it: at layer 0 (the embeddings) every prompt's last
    # token would be the same and its answer-position state a constant.
    config = tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=10, eval_every=5, tuned_layers=[2])
    (answer,) = run_asking(config, {10: QUESTION})
    report = load_report(tmp_path / "run")
    assert report["readout"] == "head" and report["head"]["features"] == "llm+pooled+answer"
    labels = load_examples(demo_csv).labels
    exported = softmax(open_scorer(report["exported_model"], labels).label_logits([QUESTION]))[0]
    assert answer.label == labels[int(exported.argmax())]
    assert answer.confidence == pytest.approx(float(exported.max()), abs=1e-4)


def test_a_long_question_is_answered_with_its_words_read_whole_as_the_export(
    tiny_gguf, demo_csv, tmp_path, monkeypatch
):
    """A typed question longer than max_tokens: the model reads it cut, the head's words read it whole
    (``EncodedExamples.word_ids``), as the exported graph does when given ``text_ids``."""
    from app.engine.tuning import head as head_mod
    from app.engine.tuning import tuner

    real, parts = tuner.fit_head, [("ngrams", "chars")]
    monkeypatch.setattr(tuner, "fit_head", lambda *a, **kw: real(*a, **kw, parts=parts))
    monkeypatch.setattr(head_mod, "_weigh", lambda scores, labels, n: (np.ones(len(scores)), np.zeros(n)))
    config = tiny_config(tiny_gguf, demo_csv, tmp_path / "run", steps=10, eval_every=5, max_tokens=14)
    question = "note " + "pump hose bucket teeth " * 6 + "end"
    (answer,) = run_asking(config, {10: question})
    report = load_report(tmp_path / "run")
    assert report["readout"] == "head" and report["head"]["features"] == "llm+ngrams+chars"
    labels = load_examples(demo_csv).labels
    scorer = open_scorer(report["exported_model"], labels)
    exported = softmax(scorer.label_logits([question]))[0]
    assert answer.label == labels[int(exported.argmax())]
    assert answer.confidence == pytest.approx(float(exported.max()), abs=1e-4)
    scorer.words_max_tokens = None  # the export read without text_ids: the cut question's words
    assert abs(float(softmax(scorer.label_logits([question]))[0].max()) - answer.confidence) > 1e-4
