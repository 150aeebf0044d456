"""Issue 14 for operators: early stopping, sharing the PC, errors in words, Back/Next, drop target, plain figures."""

from __future__ import annotations

import os
import sys

import pytest
from PySide6.QtCore import QPoint, Qt, QThread
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import load_examples, open_tiny_model
from tests.support import flat_accuracy

FAST_ENGINE = {"eval_every": 4, "checkpoint_every": 10, "max_tuned_layers": 2}


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def tick(qtbot, box) -> None:
    """Click a check box on its box (the middle of a wide check box is empty space, not a hit)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(12, box.height() // 2))


def chip(page, mode: str, value: int):
    return next(c for c in page.chips[mode] if c.property("value") == value)


def flat_run_on_the_budget_page(window, qtbot, tiny_gguf, orders_csv, monkeypatch):
    """Model and data loaded, the tuning-time page on screen, and a run whose accuracy will stay flat.

    The run clock is one minute per round, so what the test sees does not depend on the machine's speed.
    """
    from app.engine.tuning import tuner

    monkeypatch.setattr(tuner, "evaluate", flat_accuracy)
    monkeypatch.setattr(tuner._Run, "seconds", lambda self: 60.0 * self.state.step)
    open_tiny_model(window, qtbot, tiny_gguf, monkeypatch)
    load_examples(window, qtbot, orders_csv)
    window.go_to_step(2)
    window.tune_page.extra_config = dict(FAST_ENGINE)
    return window.budget_page


@pytest.mark.parametrize("early_stop", [True, False])
def test_early_stopping_stops_a_run_whose_accuracy_is_flat(
    window, qtbot, tiny_gguf, orders_csv, monkeypatch, early_stop
):
    budget = flat_run_on_the_budget_page(window, qtbot, tiny_gguf, orders_csv, monkeypatch)
    click(qtbot, chip(budget, "minutes", 30))
    assert budget.minutes_spin.value() == 30 and chip(budget, "minutes", 30).isChecked()
    assert budget.stop_check.isChecked() and budget.patience_spin.value() == 10  # on by default, shown
    if not early_stop:
        tick(qtbot, budget.stop_check)
        assert not budget.patience_spin.isEnabled()
    click(qtbot, budget.next_button)
    tune = window.tune_page
    assert window.current_page() is tune
    with qtbot.waitSignal(tune.run_ended, timeout=120_000) as ended:
        click(qtbot, tune.start_button)
    outcome = ended.args[0]
    results = window.results_page
    if early_stop:  # 10 minutes (rounds) after the last new best, at the check of round 12
        assert (outcome.stop_reason, outcome.report["steps"]) == ("plateau", 12)
        assert tune.tile_title.text() == "Stopped early"
        assert "accuracy had stopped going up" in results.outcome_line.text.text()
    else:
        assert (outcome.stop_reason, outcome.report["steps"]) == ("minutes", 30)
        assert tune.tile_title.text() == "Finished"
        assert "the tuning time was used up" in results.outcome_line.text.text()


def test_leave_one_core_free_sets_ort_threads_to_cores_minus_one(
    app, qtbot, tiny_gguf, orders_csv, monkeypatch
):
    from app.engine.models import ort_runtime
    from app.gui import share_pc
    from app.gui.main_window import MainWindow
    from app.gui.pages import budget_page
    from app.gui.settings import Settings

    for module in (share_pc, budget_page):
        monkeypatch.setattr(module, "physical_cores", lambda: 4)  # a 4-core shop-floor PC
    window = MainWindow(Settings(), check_model_on_start=False)
    qtbot.addWidget(window)
    window.show()
    open_tiny_model(window, qtbot, tiny_gguf, monkeypatch)
    load_examples(window, qtbot, orders_csv)
    window.go_to_step(2)
    budget = window.budget_page
    assert budget.share_check.isChecked(), "on by default on a PC with 4 cores or fewer"
    assert "uses 3 of 4 cores at low priority" in budget.estimate_values["share"].text()
    budget.radios["steps"].click()
    budget.steps_spin.setValue(2)

    sessions: list[tuple[int, int | None]] = []  # the run's sessions: (ORT threads, niceness of its thread)
    real_options = ort_runtime.session_options

    def recording_options(**kwargs):
        so = real_options(**kwargs)
        if QThread.currentThread().objectName() == "TuneWorker":  # not the Results page's comparison
            nice = os.getpriority(os.PRIO_PROCESS, 0) if sys.platform.startswith("linux") else None
            sessions.append((so.intra_op_num_threads, nice))
        return so

    monkeypatch.setattr(ort_runtime, "session_options", recording_options)
    tune = window.tune_page
    tune.extra_config = dict(FAST_ENGINE)
    window.go_to_step(3)
    with qtbot.waitSignal(tune.run_ended, timeout=120_000) as ended:
        click(qtbot, tune.start_button)
    assert ended.args[0].error is None
    assert tune.config.threads == 3
    assert sessions and {threads for threads, _ in sessions} == {3}
    if sys.platform.startswith("linux"):  # the run's threads below the GUI; the GUI thread untouched
        assert all(nice >= share_pc.LOWER_NICE for _, nice in sessions)
        assert os.getpriority(os.PRIO_PROCESS, 0) < share_pc.LOWER_NICE

    # Unticked: the engine's default (every core), at normal priority.
    sessions.clear()
    window.go_to_step(2)
    tick(qtbot, budget.share_check)
    assert "uses all 4 cores" in budget.estimate_values["share"].text()
    window.go_to_step(3)
    with qtbot.waitSignal(tune.run_ended, timeout=120_000):
        click(qtbot, tune.start_button)
    assert tune.config.threads is None
    assert {threads for threads, _ in sessions} == {ort_runtime.physical_cores()}
    window.results_page.shutdown()  # its comparison thread lives until told to end
    window.pool.wait_all()


def test_leave_one_core_free_is_off_by_default_on_big_pcs():
    from app.gui.share_pc import leave_core_free_by_default, tuning_threads

    assert leave_core_free_by_default(2) and leave_core_free_by_default(4)
    assert not leave_core_free_by_default(8)
    assert tuning_threads(True, 8) == 7 and tuning_threads(True, 1) == 1 and tuning_threads(False, 8) is None


def test_an_unexpected_error_shows_a_sentence_a_log_file_and_copy_details(
    window, qtbot, tiny_gguf, orders_csv, monkeypatch, tmp_path
):
    from app.engine.tuning import tuner

    monkeypatch.setenv("GENBA_TUNER_HOME", str(tmp_path / "home"))

    def broken_tune(*args, **kwargs):
        raise ValueError("internal detail 42")

    monkeypatch.setattr(tuner, "tune", broken_tune)
    open_tiny_model(window, qtbot, tiny_gguf, monkeypatch)
    load_examples(window, qtbot, orders_csv)
    window.go_to_step(3)
    tune = window.tune_page
    with qtbot.waitSignal(tune.run_ended, timeout=60_000):
        click(qtbot, tune.start_button)
    window.go_to_step(3)
    message = tune.status.text.text()
    log = tmp_path / "home" / "logs" / "errors.log"
    assert "Something unexpected went wrong" in message and str(log) in message
    assert "ValueError" not in message and "internal detail" not in message  # no raw Python on screen
    assert "ValueError: internal detail 42" in log.read_text(encoding="utf-8")
    assert tune.status.copy_button.isVisible()
    QApplication.clipboard().clear()
    click(qtbot, tune.status.copy_button)
    copied = QApplication.clipboard().text()
    assert "ValueError: internal detail 42" in copied and str(log) in copied


def test_answer_words_are_edited_with_a_button_not_a_double_click(window, qtbot, orders_csv):
    load_examples(window, qtbot, orders_csv)
    page = window.examples_page
    page.words_table.selectRow(1)
    click(qtbot, page.edit_word_button)
    editor = QApplication.focusWidget()
    assert page.words_table.state() == page.words_table.State.EditingState
    editor.selectAll()
    qtbot.keyClicks(editor, "motor")
    with qtbot.waitSignal(page.examples_changed, timeout=5_000):
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert page.label_words() == {"bucket": "bucket", "engine": "motor"}


def test_back_and_next_sit_under_every_page_and_later_steps_wait_for_their_inputs(window, qtbot, orders_csv):
    steps = window.step_list
    assert not steps.item(3).flags() & Qt.ItemFlag.ItemIsEnabled, "Tune is greyed without model and data"
    assert not steps.item(4).flags() & Qt.ItemFlag.ItemIsEnabled, "Results are greyed before a run"
    model = window.model_page
    assert not model.back_button.isVisible() and model.next_button.isVisible()
    # the bar stays put: Next is on screen even when the page body scrolls
    assert model.nav_bar.parent() is model and model.nav_bar not in model.body.findChildren(
        type(model.nav_bar)
    )
    click(qtbot, model.next_button)
    examples = window.examples_page
    assert window.current_page() is examples
    assert not examples.next_button.isEnabled(), "no data yet"
    load_examples(window, qtbot, orders_csv)
    assert examples.next_button.isEnabled()
    click(qtbot, examples.back_button)
    assert window.current_page() is model
    last = window.steps[-1]  # the Fleet page, after Payback
    window.go_to_step(len(window.steps) - 1)
    assert last.back_button.isVisible() and not last.next_button.isVisible()
    window.go_to_step(5)
    assert window.roi_page.next_button.isVisible() and window.roi_page.next_button.text()


def test_money_and_minutes_read_plainly(app):
    from app.gui.formatting import format_minutes, format_yen

    assert format_yen(0.004) == "under 1 yen"
    assert format_yen(1234.4) == "1,234 yen"
    assert format_minutes(3.0) == "3" and format_minutes(0.3) == "0.3"


def test_charts_use_minutes_and_seconds_and_memory_starts_at_zero(app, qtbot):
    from app.gui.plots import LivePlot, TimeAxis

    axis = TimeAxis("bottom")
    assert axis.tickStrings([0, 30, 90, 3725], 1, 30) == ["0:00", "0:30", "1:30", "1:02:05"]
    plot = LivePlot(y_from_zero=True)
    qtbot.addWidget(plot)
    plot.add_series("rss", "#000000")
    plot.show()
    for t, mb in enumerate((210.5, 211.0, 212.5)):
        plot.append("rss", float(t), mb)
    plot.refresh()
    low, high = plot.view.getPlotItem().vb.viewRange()[1]
    assert low == 0 and high >= 212.5  # 2 MB more must not look like a climb


def test_a_dragged_file_outlines_the_page_until_it_is_dropped(window, qtbot, orders_csv):
    from PySide6.QtCore import QMimeData, QPoint, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(orders_csv))])
    body = window.current_page().body
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted() and body.property("dropTarget") is True
    QApplication.sendEvent(window, QDragLeaveEvent())
    assert not body.property("dropTarget")


def test_the_status_tile_says_in_words_when_accuracy_levels_off(
    window, qtbot, tiny_gguf, orders_csv, monkeypatch
):
    budget = flat_run_on_the_budget_page(window, qtbot, tiny_gguf, orders_csv, monkeypatch)
    budget.minutes_spin.setValue(24 * 60)  # rounds enough that the run is still going when the tile is read
    tick(qtbot, budget.stop_check)  # early stop off: the tile still says when it is safe to stop
    window.go_to_step(3)
    tune = window.tune_page
    assert tune.tile_title.text() == "Not started"
    click(qtbot, tune.start_button)
    # flat for 5 of the default 10 minutes: levelling off
    qtbot.waitUntil(lambda: tune.tile_title.text() == "Levelling off: safe to stop", timeout=60_000)
    assert "Early stop is off" in tune.tile_text.text()
    assert tune.tile.property("level") == "warning"
    with qtbot.waitSignal(tune.run_ended, timeout=60_000):
        click(qtbot, tune.stop_button)
