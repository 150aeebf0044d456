"""Japanese examples pick the Japanese-capable model and prompt, say so, and leave a user's own choice alone."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.engine.data.prompting import DEFAULT_TEMPLATE, DEFAULT_TEMPLATE_JA
from app.engine.models.gemma_builtin import GEMMA_BUILTIN
from tests.gui.conftest import load_examples

JA_DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo" / "factory_work_orders_ja.csv"


def _record_opens(window, monkeypatch) -> list[str]:
    """Model opens are recorded instead of run (no real model is converted in these tests)."""
    page, opened = window.model_page, []

    def fake_open(spec, by_user=False):
        opened.append(spec)
        page.spec = spec
        page.chosen_by_user = page.chosen_by_user or by_user

    monkeypatch.setattr(page, "open_model", fake_open)
    return opened


def test_japanese_examples_switch_the_included_model_and_prompt_and_say_so(window, qtbot, monkeypatch):
    opened = _record_opens(window, monkeypatch)
    window.model_page.spec = "default"  # what the window opens at start when nothing was chosen
    load_examples(window, qtbot, JA_DEMO)
    assert opened == [GEMMA_BUILTIN]
    page = window.examples_page
    assert not page.model_note.isHidden() and "Gemma 3 270M" in page.model_note.text()
    assert "Model step" in page.model_note.text()  # where to change it
    assert page.template() == DEFAULT_TEMPLATE_JA
    assert page.choice().template is None  # the run applies the same language default
    assert "文章:" in page.prompt_preview.toPlainText()


def test_a_model_the_user_picked_is_kept_for_japanese_examples(window, qtbot, monkeypatch):
    opened = _record_opens(window, monkeypatch)
    qtbot.mouseClick(window.model_page.default_button, Qt.MouseButton.LeftButton)  # "Use the English model"
    load_examples(window, qtbot, JA_DEMO)
    assert opened == ["default"]
    assert window.examples_page.model_note.isHidden()


def test_a_model_file_is_never_replaced_by_the_language_pick(window, qtbot, monkeypatch, tiny_gguf):
    opened = _record_opens(window, monkeypatch)
    window.model_page.spec = str(tiny_gguf)  # opened from a file at start (the last model used)
    load_examples(window, qtbot, JA_DEMO)
    assert opened == []


def test_english_examples_keep_the_english_template(window, qtbot, monkeypatch, orders_csv):
    _record_opens(window, monkeypatch)
    window.model_page.spec = "default"
    load_examples(window, qtbot, orders_csv)
    assert window.examples_page.template() == DEFAULT_TEMPLATE
    assert window.examples_page.model_note.isHidden()


def test_model_page_offers_both_included_models_in_plain_words_with_gemmas_terms(window):
    page = window.model_page
    assert "Japanese" in page.gemma_button.text() and "English" in page.default_button.text()
    terms = page._terms_text(GEMMA_BUILTIN)
    assert "Gemma Terms of Use" in terms and "GEMMA_TERMS.html" in terms and "NOTICE.md" in terms
    assert page._terms_text("default") == ""
    # Shown as links, not as raw HTML (seen on a real Japanese run's screenshot).
    if "<a href=" in terms:
        assert page.terms_label.textFormat() == Qt.TextFormat.RichText
