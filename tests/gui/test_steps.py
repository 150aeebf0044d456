"""Model, examples and budget steps: what the operator sees before a run."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.conftest import drop_files, load_examples, open_tiny_model


def test_opening_a_model_shows_its_card_and_a_plain_verdict(window, qtbot, tiny_gguf, monkeypatch):
    open_tiny_model(window, qtbot, tiny_gguf, monkeypatch)
    page = window.model_page
    assert page.card.isVisible()
    assert "free now" in page.card_fields["memory"][1].text()
    assert "iB" not in page.card_fields["memory"][1].text()  # "MB", never "MiB"/"KiB"
    assert page.verdict.tag.text() == "OK"
    assert page.verdict.text.text().startswith("This PC can tune this model (about")
    assert "tuning rounds a minute" in page.verdict.text.text()
    # the technical rows wait behind Details
    assert not page.card_fields["file"][1].isVisible()
    qtbot.mouseClick(page.card_details.toggle, Qt.MouseButton.LeftButton)
    assert page.card_fields["file"][1].isVisible()
    assert page.card_fields["file"][1].text() == str(tiny_gguf)
    assert "Llama" in page.card_fields["kind"][1].text()
    assert "3 layers" in page.card_fields["parameters"][1].text()
    assert page.next_button.isEnabled()
    assert "✓" in window.step_list.item(0).text()
    assert window.settings.last_model == str(tiny_gguf)


def test_first_use_conversion_shows_a_progress_bar(window, qtbot, tmp_path):
    from tests.tiny_models import write_tiny_llama_gguf

    fresh = tmp_path / "fresh.gguf"
    write_tiny_llama_gguf(fresh, seed=7)  # new content hash: not converted yet
    page = window.model_page
    seen: list[int] = []
    page.progress.valueChanged.connect(seen.append)
    with qtbot.waitSignal(page.model_checked, timeout=60_000):
        page.open_model(str(fresh))
        assert page.progress.isVisible()
        assert page.stage_label.text().startswith("Converting the model")
    assert seen and max(seen) == 1000
    assert not page.progress.isVisible()


def test_dropping_a_model_file_opens_it_on_the_model_page(window, qtbot, tiny_gguf):
    window.go_to_step(2)
    with qtbot.waitSignal(window.model_page.model_checked, timeout=60_000):
        drop_files(window, [tiny_gguf])
    assert window.current_page() is window.model_page
    assert window.model_page.check.spec == str(tiny_gguf)


def test_a_model_that_cannot_be_read_says_what_to_do(window, qtbot, tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a model at all")
    page = window.model_page
    page.open_model(str(broken))
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=30_000)
    assert page.verdict.tag.text() == "Problem"
    assert page.verdict.text.text()
    assert not page.is_done()
    assert not window.tune_page.start_button.isEnabled()


def test_dropped_examples_show_preview_columns_counts_and_skipped_rows(window, qtbot, orders_csv):
    load_examples(window, qtbot, orders_csv)
    page = window.examples_page
    assert window.current_page() is page
    assert page.load_status.tag.text() == "OK"
    assert page.text_column_combo.currentText() == "text"
    assert page.label_column_combo.currentText() == "label"
    assert page.preview_table.rowCount() > 10
    assert page.preview_table.horizontalHeaderItem(0).text() == "text"
    # both bad rows are listed with their file and line
    assert page.skipped_table.isVisible()
    assert page.skipped_table.rowCount() == 2
    rows = {page.skipped_table.item(r, 1).text() for r in range(2)}
    assert rows == {"7", "12"}
    assert page.skipped_table.item(0, 0).text() == "orders.csv"
    assert page.skipped_table.item(0, 2).text()
    assert "2 rows were skipped" in page.skipped_note.text()
    # counts per label and split sizes
    assert page.summary.labels == ("bucket", "engine")
    assert page.summary.counts == (20, 20)
    assert "rows to learn from" in page.split_label.text()
    assert f"{page.summary.n_test} kept for the final test" in page.split_label.text()
    s = page.summary
    assert s.n_test > 0 and s.n_train + s.n_val + s.n_test + s.n_duplicates == 40


def test_a_file_dropped_on_the_template_editor_opens_as_examples(window, qtbot, orders_csv):
    page = window.examples_page
    template = page.template_edit.toPlainText()
    with qtbot.waitSignal(page.examples_changed, timeout=30_000):
        drop_files(page.template_edit.viewport(), [orders_csv])
    assert page.summary is not None and page.summary.path == str(orders_csv)
    assert page.template_edit.toPlainText() == template


def test_prompt_preview_follows_template_and_label_words(window, qtbot, orders_csv):
    load_examples(window, qtbot, orders_csv)
    page = window.examples_page
    first_text = page.summary.sample_texts[0]
    assert first_text in page.prompt_preview.toPlainText()
    assert "bucket, engine" in page.prompt_preview.toPlainText()
    # change a label word in the table: the preview shows it
    with qtbot.waitSignal(page.examples_changed, timeout=5_000):
        page.words_table.item(0, 1).setText("hose")
    assert "hose, engine" in page.prompt_preview.toPlainText()
    assert window.tune_page.examples.label_words == {"bucket": "hose"}
    # a template without {text} is refused with a message, and the run cannot start
    with qtbot.waitSignal(page.examples_changed, timeout=5_000):
        page.template_edit.setPlainText("Category:")
    assert page.prompt_status.tag.text() == "Problem"
    assert "{text}" in page.prompt_status.text.text()
    assert not window.examples_page.is_done()
    with qtbot.waitSignal(page.examples_changed, timeout=5_000):
        qtbot.mouseClick(page.reset_template_button, Qt.MouseButton.LeftButton)
    assert page.prompt_status.tag.text() == ""
    assert first_text in page.prompt_preview.toPlainText()


def test_choosing_another_label_column_reloads_the_examples(window, qtbot, orders_csv):
    load_examples(window, qtbot, orders_csv)
    page = window.examples_page
    index = page.label_column_combo.findText("area")
    with qtbot.waitSignal(page.examples_changed, timeout=30_000):
        page.label_column_combo.setCurrentIndex(index)
        page.label_column_combo.activated.emit(index)
    assert page.summary.label_column == "area"
    assert page.summary.labels == ("north", "south")
    assert page.words_table.rowCount() == 2


def test_budget_page_estimates_steps_finish_time_and_cost(window, qtbot, tiny_gguf, monkeypatch):
    open_tiny_model(window, qtbot, tiny_gguf, monkeypatch)
    window.go_to_step(2)
    page = window.budget_page
    qtbot.mouseClick(page.demo_button, Qt.MouseButton.LeftButton)
    assert page.minutes_spin.value() == 3.0
    assert page.budget().minutes == 3.0
    assert page.estimate_values["steps"].text().startswith("about ")
    assert "in 3 min" in page.estimate_values["finish"].text()  # as the Tune page says it: not "3.0"
    assert page.minutes_spin.text() == "3"
    page.radios["energy"].click()
    assert page.budget().energy_wh == page.energy_spin.value()
    assert "under 1 yen" in page.estimate_values["energy"].text()  # never "0.00 yen"
    page.price_spin.setValue(40.0)
    assert window.settings.yen_per_kwh == 40.0
    page.radios["steps"].click()
    page.steps_spin.setValue(123)
    assert page.estimate_values["steps"].text() == "about 123"
    assert window.tune_page.budget.budget.steps == 123


def test_experts_can_choose_the_layers_to_tune_and_bad_input_is_explained(
    window, qtbot, tiny_gguf, orders_csv, monkeypatch
):
    open_tiny_model(window, qtbot, tiny_gguf, monkeypatch)  # 3 layers: 0..2
    load_examples(window, qtbot, orders_csv)
    window.go_to_step(2)
    page = window.budget_page
    assert not page.layers_edit.isEnabled() and page.choice().tuned_layers is None
    assert "0 to 2" in page.layers_edit.placeholderText()

    page.layers_check.setChecked(True)
    qtbot.keyClicks(page.layers_edit, "2,1")
    assert page.choice().tuned_layers == (1, 2)
    page.layers_edit.setText("2、1")  # a Japanese comma works too (keyClicks takes ASCII only)
    assert page.error is None and page.choice().tuned_layers == (1, 2)
    assert window.tune_page.make_config().tuned_layers == (1, 2)

    page.layers_edit.setText("1, 7")
    assert page.error is not None and not page.is_done()
    assert page.status.tag.text() == "Problem"
    assert "layers 0 to 2; 7 does not exist" in page.status.text.text()
    page.layers_edit.setText("top")
    assert "separated by commas" in page.status.text.text()

    page.layers_check.setChecked(False)
    assert page.error is None and page.is_done()
    assert window.tune_page.make_config().tuned_layers is None
