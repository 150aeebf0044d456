"""Results: a cell of the right-answers table lists exactly its rows, and they save as an Excel-safe CSV."""

from __future__ import annotations

import csv
import io

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from app.engine.results.rows_csv import neutralize_cell, write_rows_csv
from tests.gui.conftest import finish_a_short_run


def click_cell(qtbot, table, row: int, column: int) -> None:
    center = table.visualRect(table.model().index(row, column)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=center)


def test_clicking_a_matrix_cell_lists_exactly_those_rows_and_saves_them_for_excel(
    window, qtbot, tiny_gguf, orders_csv, tmp_path, monkeypatch
):
    finish_a_short_run(window, qtbot, tiny_gguf, orders_csv, monkeypatch)
    results = window.results_page
    qtbot.waitUntil(lambda: results.comparison is not None, timeout=120_000)
    c = results.comparison
    labels, table = c["labels"], results.confusion_table
    n = len(c["texts"])
    for combo_index, answers in ((0, c["after"]), (1, c["before"])):
        results.confusion_combo.setCurrentIndex(combo_index)
        for i in range(len(labels)):
            for j in range(len(labels)):
                click_cell(qtbot, table, i, j)
                expected = [r for r in range(n) if c["truth"][r] == labels[i] and answers[r] == labels[j]]
                assert results.visible_rows() == expected
                assert len(expected) == int(table.item(i, j).text())  # the number clicked is the rows listed
                for r in expected:  # what the user reads on each listed row
                    assert results.examples_table.item(r, 1).text() == labels[i]
                rows = "1 row" if len(expected) == 1 else f"{len(expected)} rows"
                assert f"{rows} whose right label is {labels[i]}" in results.cell_line.text()
    assert results.show_all_button.isVisible() or not results.isVisible()
    qtbot.mouseClick(results.show_all_button, Qt.MouseButton.LeftButton)
    assert results.visible_rows() == list(range(n))

    # One cell saved: only its rows, Excel's BOM, the confidence column.
    results.confusion_combo.setCurrentIndex(0)
    i, j = max(
        ((i, j) for i in range(len(labels)) for j in range(len(labels))),
        key=lambda cell: int(table.item(*cell).text()),
    )
    click_cell(qtbot, table, i, j)
    target = tmp_path / "rows.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    qtbot.mouseClick(results.save_rows_button, Qt.MouseButton.LeftButton)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Text", "Right label", "Before", "After", "Sure"]
    assert [r[0] for r in rows[1:]] == [neutralize_cell(c["texts"][r]) for r in results.visible_rows()]
    assert all(r[1] == labels[i] and r[3] == labels[j] for r in rows[1:])
    assert all(0.0 <= float(r[4]) <= 1.0 for r in rows[1:])
    assert results.cell_status.tag.text() == "Saved"


def test_rows_csv_neutralises_formulas_and_keeps_japanese_for_excel(tmp_path):
    target = tmp_path / "rows.csv"
    write_rows_csv(
        target,
        ["テキスト", "正解"],
        [['=HYPERLINK("http://x")', "+1"], ["@SUM(A1)", "-2"], ["\t=1", "油漏れ"], [-3, 0.5]],
    )
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [
        ["テキスト", "正解"],
        ['\'=HYPERLINK("http://x")', "'+1"],
        ["'@SUM(A1)", "'-2"],
        ["'\t=1", "油漏れ"],
        ["-3", "0.5"],  # numbers stay numbers
    ]


def test_the_keyword_model_is_a_dotted_reference_line_with_a_plain_legend(
    window, qtbot, tiny_gguf, orders_csv, monkeypatch
):
    tune = window.tune_page
    assert not tune.keyword_line.isVisible()  # before a run: nothing to compare with
    outcome = finish_a_short_run(window, qtbot, tiny_gguf, orders_csv, monkeypatch)
    # The engine's BaselineEvent carried the keyword model's accuracy on the checking rows.
    assert tune.keyword_accuracy == outcome.report["keyword_val_accuracy"]
    assert tune.keyword_line.value() == 100 * outcome.report["keyword_val_accuracy"]
    assert tune.keyword_line.pen.style() == Qt.PenStyle.DotLine
    assert tune.keyword_line.isVisible()
    assert "┈┈┈</span>&nbsp;simple keyword model (the bar to beat)" in tune.accuracy_plot.legend.text()
