"""The ROI page: the demo walkthrough lands on it with the run's figures, inputs drive the results live,
and one click writes the management report (PDF + HTML) in the window's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from app.engine.data.examples import load_examples
from app.engine.results.roi import RoiInputs, compute_roi
from app.gui.main_window import demo_examples_path

FAST_ENGINE = {"eval_every": 10, "checkpoint_every": 10, "max_tuned_layers": 2}
RUN_REPORT = {
    "energy_wh": 60.0,
    "energy_source": "estimated",
    "energy_assumption": {
        "en": "estimated: 14400 CPU-seconds × 15 W.",
        "ja": "推定: CPU 時間 14400 秒 × 15 W。",
    },
    "val_accuracy_before": 0.80,
    "val_accuracy_after": 0.86,
}


@pytest.fixture
def roi_page(window):
    page = window.roi_page
    page.set_run("/nowhere/run", dict(RUN_REPORT))
    window.show_page(page)
    return page


def test_demo_runs_the_bundled_work_orders_and_lands_on_roi_with_the_run_figures(
    window, qtbot, tiny_gguf, monkeypatch, tmp_path
):
    # "The included model" is the tiny test model here; 0.1 minutes instead of the demo's 3.
    monkeypatch.setenv("GENBA_DEFAULT_GGUF", str(tiny_gguf))
    window.demo_minutes = 0.1
    window.tune_page.extra_config = dict(FAST_ENGINE)
    window.go_to_step(0)
    assert window.demo_box.isVisible()
    with qtbot.waitSignal(window.tune_page.run_ended, timeout=180_000) as ended:
        qtbot.mouseClick(window.demo_box.button, Qt.MouseButton.LeftButton)
    outcome = ended.args[0]
    assert outcome.error is None, outcome.error
    report = outcome.report
    assert outcome.config.data.endswith("excavator_work_orders.csv")
    assert outcome.config.model == "default" and outcome.config.budget.minutes == pytest.approx(0.1)
    assert report["labels"] == ["bucket", "engine", "hydraulic"]
    bundled = load_examples(demo_examples_path())
    held = report["examples_train"] + report["examples_val"] + report["examples_test"]
    assert held + report["duplicates_removed"] == len(bundled.examples)

    roi = window.roi_page
    assert window.current_page() is roi
    spins = roi.spins
    # The held-out test accuracy, never the validation maximum that chose the result.
    assert spins["accuracy_before"].value() == pytest.approx(round(100 * report["test_accuracy_before"], 1))
    assert spins["accuracy_after"].value() == pytest.approx(round(100 * report["test_accuracy_after"], 1))
    assert spins["energy_wh_per_run"].value() == pytest.approx(round(report["energy_wh"], 2))
    assert spins["electricity_yen_per_kwh"].value() == window.settings.yen_per_kwh
    # the run's own figures, exactly (not the rounded percentages on screen), reach the engine
    inputs = roi.inputs()
    assert inputs.accuracy_before == report["test_accuracy_before"]
    assert inputs.energy_wh_per_run == report["energy_wh"]
    assert roi.tags["accuracy_after"].text() == "from this run"
    assert roi.tags["pcs"].text() == "example"
    # the energy says whether it was measured or estimated, and on what assumption
    assumption = report["energy_assumption"]["en"]
    assert assumption.startswith(report["energy_source"] + ": ")
    assert roi.energy_label.text() == f"Electricity of this run: {report['energy_wh']:.2f} Wh — {assumption}"
    expected = compute_roi(inputs)
    assert roi.result == expected
    assert roi.output_values["net"].text().endswith(" yen")
    assert roi.export_button.isEnabled()

    # The report, in Japanese because the window is: one click (and the file dialog) writes both files.
    window.language_combo.setCurrentIndex(window.language_combo.findData("ja"))
    qtbot.waitUntil(lambda: roi.heading.text() == "費用対効果の見積もり", timeout=5_000)
    target = tmp_path / "report.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    with qtbot.waitSignal(roi.report_exported, timeout=120_000) as exported:
        qtbot.mouseClick(roi.export_button, Qt.MouseButton.LeftButton)
    paths = exported.args[0]
    assert Path(paths["pdf"]) == target and Path(paths["html"]) == target.with_suffix(".html")
    assert target.read_bytes().startswith(b"%PDF")
    html = target.with_suffix(".html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in html and "調整レポート" in html and "正解と予測の対応表" in html
    assert "例の値で計算中" in html  # the examples' figures were not replaced
    assert "excavator_work_orders.csv" in html
    assert roi.export_status.tag.text() == "保存しました"
    assert roi.open_report_button.isEnabled()
    assert "✓" in window.step_list.item(5).text()


def test_results_follow_every_input_and_say_no_payback_when_savings_do_not_cover_costs(roi_page, qtbot):
    page = roi_page
    base = compute_roi(RoiInputs.from_report(RUN_REPORT, electricity_yen_per_kwh=page.settings.yen_per_kwh))
    assert page.result == base
    # 30 000 yen of labour − 7.44 yen of electricity, to three figures; against the untuned model only
    assert page.output_values["net"].text() == "30,000 yen"
    assert page.output_values["payback"].text() == "10.0 months"
    assert page.output_values["energy_run"].text() == "1.86 yen"
    assert page.cumulative_plot.count("cost") == 25 and page.cumulative_plot.count("benefit") == 25
    assert page.payback_line.isVisible() and page.payback_line.value() == pytest.approx(base.payback_months)
    # the tornado: one bar pair per input that moves the monthly figure, widest on top
    assert [r.field for r in page.tornado.rows][:2] == ["accuracy_before", "accuracy_after"]
    assert "setup_cost_yen" not in [r.field for r in page.tornado.rows]

    assert page.tags["pcs"].text() == "example"
    page.spins["pcs"].setValue(2)  # the site's own figure: no longer marked as an example
    assert page.tags["pcs"].text() == ""
    assert page.result.monthly_net_savings_yen == pytest.approx(2 * 30_000 - 2 * 4 * 1.86)

    page.spins["accuracy_after"].setValue(75.0)  # worse than before tuning
    assert page.result.payback_months is None
    assert page.output_values["payback"].text() == "no payback"
    assert not page.payback_line.isVisible()
    assert page.tags["accuracy_after"].text() == ""  # no longer the run's figure

    page.reset_examples()
    assert page.tags["pcs"].text() == "example" and page.spins["pcs"].value() == 1


def test_roi_page_without_a_run_says_what_to_do(window):
    page = window.roi_page
    window.show_page(page)
    assert "No run yet" in page.status.text.text()
    assert not page.export_button.isEnabled()
    assert not page.inputs_box.isVisible()


def test_an_earlier_run_folder_without_a_report_is_explained(window, tmp_path, monkeypatch):
    page = window.roi_page
    window.show_page(page)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path)))
    page.open_run_button.click()
    assert page.export_status.tag.text() == "Problem"
    assert "report.json" in page.export_status.text.text()
    assert page.report is None


def test_money_stands_under_an_amber_banner_until_every_example_is_replaced(roi_page):
    page = roi_page
    own = {
        "pcs": 2,
        "runs_per_month": 3,
        "documents_per_month": 1500,
        "minutes_per_misclassified": 4,
        "labour_yen_per_hour": 2800,
        "setup_cost_yen": 250_000,
    }
    assert set(own) | {"electricity_yen_per_kwh"} == set(RoiInputs.EXAMPLE_FIELDS)
    page.spins["electricity_yen_per_kwh"].setValue(27)  # the settings' price may equal the example's
    for name, value in own.items():
        assert page.output_values["net"].text().endswith(" yen")
        assert page.example_banner_shown(), f"money shown without the banner before {name} was entered"
        assert page.example_banner.text().startswith("⚠ Calculated with example figures")
        page.spins[name].setValue(value)
    assert not page.example_banner_shown()
    assert page.output_values["net"].text().endswith(" yen")
    page.spins["pcs"].setValue(1)  # back to the example's own figure: the banner is back
    assert page.example_banner_shown() and "PCs or lines" in page.example_banner.text()


def test_the_savings_carry_a_range_from_the_number_of_test_rows(window):
    page = window.roi_page
    report = dict(
        RUN_REPORT,
        test_accuracy_before=0.80,
        test_accuracy_after=0.86,
        examples_test=100,
        improved_split="test",
    )
    page.set_run("/nowhere/run", report)
    # 29 992.56 ± 51 898 yen (hand-checked in tests/test_roi.py), at three significant figures
    assert page.output_values["range"].text() == "-21,900 yen to 81,900 yen"
