"""The one window: a side bar of steps (model → examples → budget → tune → results → ROI) and their pages.

The side bar is built from ``self.steps``; later pages are appended with ``add_step``. Files dropped
anywhere on the window open as a model (.gguf/.onnx) or as examples. The demo (a button on the model page)
walks the same steps by itself: included model, bundled work orders, 3 minutes, then the ROI page.
"""

from __future__ import annotations

from pathlib import Path

from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.engine.models.gemma_builtin import GEMMA_BUILTIN
from app.gui.choices import RunOutcome
from app.gui.i18n import LANGUAGES, current_language, resources_dir, set_language
from app.gui.pages.budget_page import DEMO_MINUTES, BudgetPage
from app.gui.pages.examples_page import ExamplesPage
from app.gui.pages.fleet_page import FleetPage
from app.gui.pages.model_page import DEFAULT_SPEC, MODEL_SUFFIXES, ModelPage
from app.gui.pages.page import Page, make_button, wrapping_label
from app.gui.pages.results_page import ResultsPage
from app.gui.pages.roi_page import RoiPage
from app.gui.pages.tune_page import TunePage
from app.gui.settings import Settings
from app.gui.worker import ThreadPool

SIDE_BAR_WIDTH = 250
SIDE_BAR_WIDTH_COMPACT = 210
COMPACT_BELOW = 1100  # logical pixels of window width


def local_paths(mime) -> list[str]:
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []


_collector: GarbageCollector | None = None


def collect_garbage_on_gui_thread() -> None:
    """Run Python's cyclic garbage collector on the GUI thread only (once a second), from now on.

    A collection set off by an allocation in a worker thread finalises every object in a reference cycle
    in that thread, widgets and pyqtgraph items included: Qt then prints "Timers cannot be stopped from
    another thread" and crashes. Measured: scoring the models for a second report in one process
    segfaulted after a closed window had left 3,479 objects in cycles. pyqtgraph's GarbageCollector is the
    cure its own examples use.
    """
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=1.0)


def app_icon_path() -> Path:
    """The app's icon (drawn by installer/make_icon.py); the PyInstaller spec puts it at the same place
    relative to the bundle's resources folder, so one path works from the source tree and when frozen."""
    return resources_dir().parent / "installer" / "genba-tuner.png"


def demo_examples_path() -> Path:
    """The bundled excavator work orders (resources/demo/SOURCE.md says where they come from)."""
    return resources_dir() / "demo" / "excavator_work_orders.csv"


class DemoBox(QGroupBox):
    """The demo offer shown on the model page: one button that runs the whole walkthrough."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        self.text = wrapping_label(self)
        self.button = make_button(self)
        row.addWidget(self.text, 1)
        row.addWidget(self.button)
        self.retranslate()

    def retranslate(self) -> None:
        self.setTitle(self.tr("Demo"))
        self.text.setText(
            self.tr(
                "New here? The demo tunes the included model on the excavator work orders that come with "
                "the app (bucket, engine, hydraulic) for {minutes} minutes, then shows what it would be worth."
            ).format(minutes=f"{DEMO_MINUTES:g}")
        )
        self.button.setText(self.tr("Run the &demo"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, check_model_on_start: bool = True) -> None:
        super().__init__()
        collect_garbage_on_gui_thread()
        self.settings = settings or Settings()
        self.pool = ThreadPool(self)
        self._close_after_stop = False
        icon = QIcon(str(app_icon_path()))
        self.setWindowIcon(icon)
        qt_app = QApplication.instance()
        if qt_app is not None and qt_app.windowIcon().isNull():
            qt_app.setWindowIcon(icon)  # dialogs and the task bar too

        self.model_page = ModelPage(self.pool, self.settings)
        self.examples_page = ExamplesPage(self.pool, self.settings)
        self.budget_page = BudgetPage(self.settings)
        self.tune_page = TunePage(self.pool, self.settings)
        self.results_page = ResultsPage(self.pool, self.settings)
        self.roi_page = RoiPage(self.pool, self.settings)
        self.fleet_page = FleetPage()  # tuning with other PCs: beside the steps, not one of them
        self.roi_page.comparison_source = self._comparison_for
        # The demo offer belongs on the start screen, under the model page's introduction.
        self.demo_box = DemoBox(self.model_page.body)
        self.model_page.layout_.insertWidget(2, self.demo_box)
        self.demo_box.button.clicked.connect(self.start_demo)
        self.demo_minutes = DEMO_MINUTES  # tests shorten it
        self._demo_state = ""  # "", "preparing" (model and examples loading) or "running"

        central = QWidget(self)
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        side = QWidget(central)
        side.setObjectName("sideBar")
        side.setFixedWidth(SIDE_BAR_WIDTH)
        self.side_bar = side
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 12, 0, 12)
        self.step_list = QListWidget(side)
        self.step_list.setObjectName("steps")
        self.step_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.step_list.currentRowChanged.connect(self.go_to_step)
        side_layout.addWidget(self.step_list, 1)
        self.language_caption = QLabel(side)
        self.language_combo = QComboBox(side)
        self.language_combo.setMinimumHeight(48)
        for code, name in LANGUAGES.items():
            self.language_combo.addItem(name, code)
        self.language_caption.setBuddy(self.language_combo)
        side_layout.addWidget(self.language_caption)
        side_layout.addWidget(self.language_combo)
        for w in (self.language_caption, self.language_combo):
            w.setContentsMargins(10, 0, 10, 0)
        self.stack = QStackedWidget(central)
        row.addWidget(side)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.steps: list[Page] = []
        for page in (
            self.model_page,
            self.examples_page,
            self.budget_page,
            self.tune_page,
            self.results_page,
            self.roi_page,
            self.fleet_page,
        ):
            self.add_step(page)

        # data flows one way: model -> examples -> budget -> tune -> results -> ROI
        self.model_page.status_changed.connect(self._push_inputs)
        self.model_page.model_checked.connect(self.budget_page.set_model)
        self.examples_page.examples_changed.connect(self._push_inputs)
        self.examples_page.status_changed.connect(self._push_inputs)
        self.examples_page.model_suggested.connect(self._suggest_model)
        self.budget_page.budget_changed.connect(self._push_inputs)
        self.tune_page.run_ended.connect(self._run_ended)
        self.results_page.continue_requested.connect(self._continue_run)

        self.language_combo.setCurrentIndex(max(self.language_combo.findData(current_language()), 0))
        self.language_combo.currentIndexChanged.connect(self._language_chosen)
        for n in range(1, 10):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{n}"), self)
            shortcut.activated.connect(self._step_shortcut)
            shortcut.setProperty("step", n - 1)

        self.setAcceptDrops(True)
        # Text editors (and spin boxes' line edits) take drops themselves; route file drops to the window.
        for editor in self.findChildren(QPlainTextEdit):
            editor.viewport().installEventFilter(self)  # a scroll area's drops arrive at its viewport
        for editor in self.findChildren(QLineEdit):
            editor.installEventFilter(self)

        self.retranslate()
        self.step_list.setCurrentRow(0)
        self._push_inputs()
        geometry = self.settings.geometry
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 720)
        if check_model_on_start:
            self.model_page.open_model(self.settings.last_model or DEFAULT_SPEC)

    # --- steps -------------------------------------------------------------------------------------
    def add_step(self, page: Page) -> None:
        """Append a page to the side bar and the stack (later issues add pages after Results)."""
        self.steps.append(page)
        self.stack.addWidget(page)
        item = QListWidgetItem()
        item.setSizeHint(item.sizeHint().expandedTo(item.sizeHint()))
        self.step_list.addItem(item)
        page.status_changed.connect(self._refresh_step_list)
        page.next_requested.connect(self._next_step)
        page.back_requested.connect(self._previous_step)
        self._refresh_step_list()

    @Slot(int)
    def go_to_step(self, index: int) -> None:
        if 0 <= index < len(self.steps):
            self.stack.setCurrentIndex(index)
            self._refresh_step_list()  # the page on screen is always enabled in the side bar
            if self.step_list.currentRow() != index:
                self.step_list.setCurrentRow(index)

    def show_page(self, page: Page) -> None:
        self.go_to_step(self.steps.index(page))

    def current_page(self) -> Page:
        return self.steps[self.stack.currentIndex()]

    @Slot()
    def _next_step(self) -> None:
        self.go_to_step(self.stack.currentIndex() + 1)

    @Slot()
    def _previous_step(self) -> None:
        self.go_to_step(self.stack.currentIndex() - 1)

    @Slot()
    def _step_shortcut(self) -> None:
        index = int(self.sender().property("step"))
        if 0 <= index < len(self.steps) and self.steps[index].is_reachable():
            self.go_to_step(index)

    @Slot()
    def _refresh_step_list(self) -> None:
        current = self.stack.currentIndex()
        for i, page in enumerate(self.steps):
            item = self.step_list.item(i)
            if item is None:
                continue
            title = self.tr("{number}. {title}").format(number=i + 1, title=page.step_title())
            if page.is_done() and self._compact():  # a narrow window: the mark without the word
                item.setText(f"{title} ✓")
                item.setToolTip(self.tr("done"))
            elif page.is_done():
                item.setText(self.tr("{step}  ✓ done").format(step=title))
                item.setToolTip("")
            else:
                item.setText(title)
            flags = item.flags()
            if page.is_reachable() or i == current:
                item.setFlags(flags | Qt.ItemFlag.ItemIsEnabled)
            else:
                item.setFlags(flags & ~Qt.ItemFlag.ItemIsEnabled)
            page.refresh_nav(first=i == 0, last=i == len(self.steps) - 1)

    @Slot()
    def _push_inputs(self) -> None:
        model = self.model_page.check if self.model_page.is_done() else None
        examples = self.examples_page.choice() if self.examples_page.summary is not None else None
        budget = self.budget_page.choice() if self.budget_page.error is None else None
        self.tune_page.set_inputs(model, examples, budget)
        self._refresh_step_list()
        self._continue_demo()

    @Slot(object)
    def _run_ended(self, outcome: RunOutcome) -> None:
        demo = self._demo_state == "running"
        self._demo_state = ""
        self.results_page.show_outcome(outcome)
        self.roi_page.set_run(outcome.out_dir, outcome.report)
        if self._close_after_stop:
            self.close()
        elif demo and outcome.report is not None:
            self.show_page(self.roi_page)
        else:
            self.show_page(self.results_page)

    def _comparison_for(self, run_dir: str) -> dict | None:
        """The Results page's before/after comparison, if it is of this run (saves scoring it again)."""
        outcome = self.results_page.outcome
        if outcome is not None and outcome.out_dir == run_dir:
            return self.results_page.comparison
        return None

    @Slot(str)
    def _suggest_model(self, spec: str) -> None:
        """The examples' language picks the built-in model, unless the user chose one on the Model step."""
        if self._demo_state or not self.model_page.suggest_model(spec):
            return
        if spec == GEMMA_BUILTIN:
            text = self.tr(
                "Your examples are in Japanese, so the model that reads Japanese (Gemma 3 270M) was chosen. "
                "You can change it on the Model step."
            )
        else:
            text = self.tr(
                "Your examples are not in Japanese, so the English model (SmolLM2 135M) was chosen. You can "
                "change it on the Model step."
            )
        self.examples_page.show_model_note(text)

    # --- demo --------------------------------------------------------------------------------------
    @Slot()
    def start_demo(self) -> None:
        """Included model + bundled work orders + a 3-minute budget; the run starts once both are checked."""
        if self.tune_page.is_running() or self._demo_state:
            return
        self._demo_state = "preparing"
        self.model_page.open_model(DEFAULT_SPEC)
        self.examples_page.open_examples(str(demo_examples_path()))
        budget = self.budget_page
        budget.minutes_spin.setValue(self.demo_minutes)
        budget.set_mode("minutes")
        self.show_page(self.tune_page)
        self._continue_demo()

    def _continue_demo(self) -> None:
        if self._demo_state != "preparing":
            return
        if self.model_page.is_busy() or self.examples_page.is_busy():
            return
        if self.tune_page.missing_input():
            self._demo_state = ""  # the tune page says what is missing (e.g. the model cannot be tuned)
            return
        self._demo_state = "running"
        self.tune_page.start_run()
        if not self.tune_page.is_running():
            self._demo_state = ""

    @Slot(object)
    def _continue_run(self, config) -> None:
        self.tune_page.start_config(config)
        self.show_page(self.tune_page)

    # --- files -------------------------------------------------------------------------------------
    def open_paths(self, paths: list[str]) -> bool:
        """Open dropped files: a .gguf/.onnx as the model, anything else as examples. True if handled."""
        if not paths:
            return False
        first = Path(paths[0])
        if first.suffix.lower() in MODEL_SUFFIXES:
            self.model_page.open_model(str(first), by_user=True)
            self.show_page(self.model_page)
        else:
            self.examples_page.open_examples(str(first))
            self.show_page(self.examples_page)
        return True

    def _show_drop_target(self, shown: bool) -> None:
        """Outline the page under a dragged file, so the operator sees the window will take it."""
        body = self.current_page().body
        if bool(body.property("dropTarget")) != shown:
            body.setProperty("dropTarget", shown)
            body.style().unpolish(body)
            body.style().polish(body)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            self._show_drop_target(True)
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragLeaveEvent(self, event) -> None:
        self._show_drop_target(False)
        super().dragLeaveEvent(event)

    def dragMoveEvent(self, event) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._show_drop_target(False)
        if self.open_paths(local_paths(event.mimeData())):
            event.acceptProposedAction()
        else:
            super().dropEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop) and local_paths(
            event.mimeData()
        ):
            self._show_drop_target(kind != QEvent.Type.Drop)
            if kind == QEvent.Type.Drop:
                self.open_paths(local_paths(event.mimeData()))
            event.acceptProposedAction()
            return True
        return super().eventFilter(watched, event)

    # --- keyboard ----------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter activates the focused button, else the page's main button (as a dialog's default)."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focused = self.focusWidget()
            if isinstance(focused, QAbstractButton) and focused.isEnabled():
                focused.click()
                return
            primary = self.current_page().primary_button
            if primary is not None and primary.isEnabled() and primary.isVisible():
                primary.click()
                return
        super().keyPressEvent(event)

    # --- language ----------------------------------------------------------------------------------
    @Slot(int)
    def _language_chosen(self, index: int) -> None:
        lang = self.language_combo.itemData(index)
        set_language(lang)
        self.settings.language = lang

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Genba Tuner"))
        self.language_caption.setText(self.tr("&Language:"))
        self._refresh_step_list()

    # --- closing -----------------------------------------------------------------------------------
    def _compact(self) -> bool:
        return self.width() < COMPACT_BELOW

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        # A 1366×768 screen at 150 % leaves 911 logical pixels: the side bar gives the page 50 of its 250.
        width = SIDE_BAR_WIDTH_COMPACT if self._compact() else SIDE_BAR_WIDTH
        if self.side_bar.width() != width:
            self.side_bar.setFixedWidth(width)
            self._refresh_step_list()
        super().resizeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.tune_page.is_running():
            event.ignore()
            if self._close_after_stop:
                return  # already stopping; the window closes when the run has ended
            answer = QMessageBox.question(
                self,
                self.tr("Stop tuning?"),
                self.tr(
                    "A tuning run is in progress. Stop it and close? The best result so far and the "
                    "checkpoint are kept, and the run can be continued later."
                ),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer == QMessageBox.StandardButton.Yes:
                self._close_after_stop = True
                self.tune_page.stop_run()
            return
        self.settings.geometry = self.saveGeometry()
        self.settings.sync()
        self.results_page.shutdown()
        self.fleet_page.shutdown()
        self.pool.wait_all()
        super().closeEvent(event)
