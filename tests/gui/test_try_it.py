"""The Tune page's "Try it" box: answers during a run (best model so far) and after it (the tuned model)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from app.engine.results.evaluation import open_scorer, softmax
from tests.gui.conftest import load_examples, open_tiny_model


def start_long_run(window, qtbot, tiny_gguf, orders_csv, monkeypatch) -> None:
    open_tiny_model(window, qtbot, tiny_gguf, monkeypatch)
    load_examples(window, qtbot, orders_csv)
    window.budget_page.radios["steps"].click()
    window.budget_page.steps_spin.setValue(100_000)  # ends only when stopped
    tune = window.tune_page
    tune.extra_config = {"eval_every": 10, "checkpoint_every": 10, "max_tuned_layers": 2}
    window.go_to_step(3)
    with qtbot.waitSignal(tune.run_started, timeout=5_000):
        qtbot.mouseClick(tune.start_button, Qt.MouseButton.LeftButton)


def test_try_it_answers_with_the_best_model_during_the_run_and_the_tuned_model_after(
    window, qtbot, tiny_gguf, orders_csv, monkeypatch
):
    tune = window.tune_page
    box = tune.try_box
    assert not box.ask_button.isEnabled()
    assert box.result.text().startswith("No model to ask yet")
    start_long_run(window, qtbot, tiny_gguf, orders_csv, monkeypatch)
    try:
        labels = tune.examples.labels
        # Asking needs a model: the box opens once the run has checked its accuracy (at step 10 here).
        qtbot.waitUntil(lambda: tune._step >= 12 and box.ask_button.isEnabled(), timeout=60_000)
        assert box.ask_button.height() >= 56 and box.text_box.height() >= 56
        assert box.text_box.count() > 0  # the operator's own examples, to pick from

        text = "hydraulic pump leak"
        box.text_box.setEditText("")
        qtbot.keyClicks(box.text_box.lineEdit(), text)
        qtbot.mouseClick(box.ask_button, Qt.MouseButton.LeftButton)
        assert box.result.text() == "Asking the best model so far…" and not box.ask_button.isEnabled()
        qtbot.waitUntil(lambda: box.answer is not None, timeout=60_000)
        answer = box.answer
        assert tune.is_running() and box.answer_source == box.RUN, "answered by the run, while it runs"
        assert answer.text == text and answer.label in labels and answer.tuned
        shown = box.result.text()
        assert shown.startswith(f"Answer: {answer.label}. Certainty: ")
        assert shown.endswith(
            f"From the best result so far (round {answer.best_step})."
            if answer.best_step
            else "From the best result so far (fitted to your examples before the first round)."
        )
        # Not the model as it came: its probability for this text, under the run's prompt, is another one.
        untuned = softmax(open_scorer(str(tiny_gguf), labels).label_logits([text]))[0]
        assert not np.isclose(answer.confidence, untuned[labels.index(answer.label)], atol=1e-3)

        # One of the examples, picked from the list, is answered too.
        box.text_box.setCurrentIndex(0)
        picked = box.text_box.currentText()
        qtbot.mouseClick(box.ask_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: box.answer is not None and box.answer.text == picked, timeout=60_000)
        assert box.answer.label in labels
    finally:  # a failed assertion must not leave the run going (closing the window would ask)
        with qtbot.waitSignal(tune.run_ended, timeout=120_000) as ended:
            qtbot.mouseClick(tune.stop_button, Qt.MouseButton.LeftButton)
    assert ended.args[0].report["exported_model"]
    # After the run, the tuned model it wrote answers (in a worker thread).
    assert box.ask_button.isEnabled()
    box.text_box.setEditText(text)
    qtbot.mouseClick(box.ask_button, Qt.MouseButton.LeftButton)
    assert box.result.text() == "Asking the tuned model…"
    qtbot.waitUntil(lambda: box.answer is not None and box.answer_source == box.MODEL, timeout=60_000)
    assert box.answer.label in labels
    assert box.result.text().endswith("From the tuned model this run wrote.")


def test_a_question_the_run_ends_without_answering_is_answered_by_the_model_it_wrote(
    window, qtbot, tiny_gguf, orders_csv, monkeypatch
):
    tune = window.tune_page
    box = tune.try_box
    start_long_run(window, qtbot, tiny_gguf, orders_csv, monkeypatch)
    try:
        qtbot.waitUntil(lambda: box.ask_button.isEnabled(), timeout=60_000)
        # The question comes too late for the run (after its last look at its questions, while it exports).
        monkeypatch.setattr(tune.worker.control, "ask", lambda text: 99)
        box.text_box.setEditText("engine oil leak")
        qtbot.mouseClick(box.ask_button, Qt.MouseButton.LeftButton)
    finally:
        # The run ends without answering it: the tuned model it wrote answers it instead.
        with qtbot.waitSignal(tune.run_ended, timeout=120_000):
            qtbot.mouseClick(tune.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.answer is not None, timeout=60_000)
    assert box.answer.text == "engine oil leak" and box.answer.label in tune.examples.labels
    assert box.answer_source == box.MODEL
    assert not box.waiting and box.ask_button.isEnabled()
