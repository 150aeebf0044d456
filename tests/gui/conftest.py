"""GUI test fixtures: an isolated settings file, the app's fonts and style, a window, example files."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

WORDS = {"bucket": ["bucket", "hose", "pump"], "engine": ["engine", "oil", "leak"]}


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    # Never read or write the user's own settings: an .ini in the test's folder, English UI.
    monkeypatch.setenv("GENBA_TUNER_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("GENBA_LANG", "en")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))


@pytest.fixture
def app(qapp):
    from app.gui.i18n import set_language
    from app.gui.main import create_application

    create_application()
    set_language("en")
    yield qapp
    set_language("en")


@pytest.fixture
def window(app, qtbot):
    from app.gui.main_window import MainWindow
    from app.gui.settings import Settings

    win = MainWindow(Settings(), check_model_on_start=False)
    win.resize(1366, 768)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    # A run still going would make closeEvent ask; stop it here and let its thread finish.
    if win.tune_page.is_running():
        with qtbot.waitSignal(win.tune_page.run_ended, timeout=60_000):
            win.tune_page.stop_run()
    win.results_page.shutdown()
    win.pool.wait_all()


def write_orders_csv(path: Path, per_label: int = 20) -> Path:
    """Work orders labelled bucket/engine, with two bad rows (no label; no text) at known lines."""
    lines = ["text,label,area"]
    for i in range(per_label):
        for label, words in WORDS.items():
            w = words[i % 3], words[(i + 1) % 3]
            area = "north" if i % 2 else "south"
            lines.append(f"{w[0]} {w[1]} order {i},{label},{area}")
    lines.insert(6, "pump pump order x,,north")  # line 7: no label
    lines.insert(11, ",engine,south")  # line 12: no text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def orders_csv(tmp_path) -> Path:
    return write_orders_csv(tmp_path / "orders.csv")


def drop_files(target, paths: list[Path]) -> None:
    """Drop files on a widget as a file manager would (drag enter, then drop)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    center = QPointF(target.rect().center())
    enter = QDragEnterEvent(
        center.toPoint(),  # QDragEnterEvent takes a QPoint (QPointF only from PySide6 6.12)
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        center,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, drop)
    assert drop.isAccepted()


def open_tiny_model(window, qtbot, path: Path, monkeypatch) -> None:
    """Open a model with the Open button, the file dialog answering ``path``."""
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    page = window.model_page
    with qtbot.waitSignal(page.model_checked, timeout=60_000):
        qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)


def load_examples(window, qtbot, path: Path) -> None:
    page = window.examples_page
    with qtbot.waitSignal(page.examples_changed, timeout=30_000):
        drop_files(window, [path])


def finish_a_short_run(window, qtbot, tiny_gguf: Path, orders_csv: Path, monkeypatch, steps: int = 10):
    """The tiny model tuned for ``steps`` rounds from the window; returns the run's outcome."""
    open_tiny_model(window, qtbot, tiny_gguf, monkeypatch)
    load_examples(window, qtbot, orders_csv)
    window.budget_page.radios["steps"].click()
    window.budget_page.steps_spin.setValue(steps)
    window.tune_page.extra_config = {"eval_every": 5, "checkpoint_every": 5, "max_tuned_layers": 2}
    window.go_to_step(3)
    with qtbot.waitSignal(window.tune_page.run_ended, timeout=180_000) as ended:
        qtbot.mouseClick(window.tune_page.start_button, Qt.MouseButton.LeftButton)
    return ended.args[0]
