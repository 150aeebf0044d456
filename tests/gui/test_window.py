"""The window as a whole: language switch, Japanese font, settings, keyboard."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QFontMetrics
from PySide6.QtWidgets import QApplication


def test_language_switch_retranslates_every_page_and_is_remembered(window, qtbot):
    combo = window.language_combo
    combo.setCurrentIndex(combo.findData("ja"))
    # Qt posts LanguageChange to every window; widgets retranslate when it is delivered.
    qtbot.waitUntil(lambda: window.windowTitle() == "現場チューナー", timeout=5_000)
    assert window.model_page.heading.text() == "モデル"
    assert window.step_list.item(1).text().startswith("2. 学習データ")
    assert "(&O)" in window.model_page.open_button.text()
    # pages not on screen are retranslated too
    assert window.tune_page.start_button.text().startswith("調整を開始")
    assert window.settings.language == "ja"
    combo.setCurrentIndex(combo.findData("en"))
    qtbot.waitUntil(lambda: window.windowTitle() == "Genba Tuner", timeout=5_000)
    assert window.tune_page.start_button.text() == "&Start tuning"


def test_bundled_font_draws_japanese(app):
    assert "IPAexGothic" in QFontDatabase.families()
    font = QApplication.font()
    assert "IPAexGothic" in font.families()
    metrics = QFontMetrics(font)
    for char in "現場調整例文":
        assert metrics.inFontUcs4(ord(char)), char


def test_settings_keep_price_geometry_and_last_folders(app, qtbot, orders_csv):
    from app.gui.main_window import MainWindow
    from app.gui.settings import Settings

    first = MainWindow(Settings(), check_model_on_start=False)
    qtbot.addWidget(first)
    first.resize(760, 560)
    first.show()
    first.budget_page.price_spin.setValue(27.5)
    first.examples_page.open_examples(str(orders_csv))
    qtbot.waitUntil(lambda: not first.examples_page.is_busy(), timeout=30_000)
    first.close()

    second = MainWindow(Settings(), check_model_on_start=False)
    qtbot.addWidget(second)
    assert second.budget_page.price_spin.value() == 27.5
    assert second.settings.examples_folder == str(orders_csv.parent)
    assert second.settings.last_examples == str(orders_csv)
    assert second.size().width() == 760 and second.size().height() == 560


def test_enter_activates_the_page_button_and_ctrl_digits_switch_steps(window, qtbot):
    window.go_to_step(0)
    window.model_page.next_button.setEnabled(True)
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert window.current_page() is window.examples_page
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() is window.budget_page


def test_buttons_and_fields_are_touch_sized(window, qtbot, orders_csv):
    """Issue 14: touch targets of at least 56 px on every page (gloves, touch screens)."""
    from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QPushButton, QToolButton

    from tests.gui.conftest import load_examples

    load_examples(window, qtbot, orders_csv)  # the examples page shows its fields
    for i in range(len(window.steps)):
        window.go_to_step(i)
        page = window.current_page()
        for kind in (QPushButton, QToolButton, QComboBox, QAbstractSpinBox):
            for widget in page.findChildren(kind):
                if widget.isVisible():
                    assert widget.height() >= 56, (
                        page.step_title(),
                        kind.__name__,
                        widget.text() if hasattr(widget, "text") else "",
                    )


def test_every_source_string_has_a_japanese_translation():
    import xml.etree.ElementTree as ET
    from pathlib import Path

    from PySide6.QtCore import QTranslator

    folder = Path(__file__).resolve().parents[2] / "resources" / "i18n"
    root = ET.parse(folder / "genba_ja.ts").getroot()
    messages = [m for ctx in root.iter("context") for m in ctx.iter("message")]
    assert len(messages) > 150
    unfinished = [
        m.findtext("source")
        for m in messages
        if m.find("translation").get("type") in ("unfinished", "obsolete", "vanished")
        or not (m.findtext("translation") or "").strip()
    ]
    assert unfinished == []
    translator = QTranslator()
    assert translator.load(str(folder / "genba_ja.qm"))
    assert translator.translate("TunePage", "&Pause") == "一時停止(&P)"
