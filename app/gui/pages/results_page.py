"""Step 5: what the run gained: accuracy before/after, confusion matrix, changed examples, try it, export."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QLocale, QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import GenbaError
from app.engine.results.held_out import HeldOutAccuracy
from app.engine.results.rows_csv import write_rows_csv
from app.gui.choices import RunOutcome
from app.gui.comparison import ComparisonWorker
from app.gui.deliverables import copy_deliverables
from app.gui.formatting import format_duration, format_yen
from app.gui.i18n import current_language
from app.gui.layouts import Columns, button_row, column
from app.gui.pages.examples_page import read_only_table
from app.gui.pages.page import DetailsFold, Page, StatusLine, make_button, wrapping_label
from app.gui.settings import Settings
from app.gui.worker import ErrorInfo, FunctionWorker, ThreadPool

CORRECT_BACKGROUND = QColor("#DCEFE6")


class ResultsPage(Page):
    close_comparison = Signal()  # to the comparison worker: release its models, end its thread
    predict_requested = Signal(str)  # to the comparison worker
    continue_requested = Signal(object)  # TuneConfig of a run to resume
    export_finished = Signal(str)  # the folder the deliverables were copied to

    def __init__(self, pool: ThreadPool, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.settings = settings
        self.outcome: RunOutcome | None = None
        self.comparison: dict | None = None
        self.comparison_error: ErrorInfo | None = None
        self.prediction: dict | None = None
        self.export_error: ErrorInfo | None = None
        self.exported_to: str | None = None
        self._comparer: ComparisonWorker | None = None
        self._exporter: FunctionWorker | None = None

        self.outcome_line = StatusLine(self.body)
        self.layout_.addWidget(self.outcome_line)

        self.figures_box = QGroupBox(self.body)
        figures = QGridLayout(self.figures_box)
        self.figure_captions: dict[str, QLabel] = {}
        self.figure_values: dict[str, QLabel] = {}
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.8)
        big.setBold(True)
        for col, key in enumerate(("before", "after", "keyword", "steps", "time", "energy")):
            caption, value = wrapping_label(self.figures_box), wrapping_label(self.figures_box)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if key in ("before", "after"):
                value.setFont(big)
            else:
                value.setObjectName("figure")
            figures.addWidget(caption, 0, col)
            figures.addWidget(value, 1, col)
            self.figure_captions[key], self.figure_values[key] = caption, value
        self.layers_fold = DetailsFold(self.figures_box)  # which layers were tuned: for experts
        self.layers_line = wrapping_label(self.layers_fold.content, selectable=True)
        self.layers_fold.content_layout.addWidget(self.layers_line)
        figures.addWidget(self.layers_fold, 2, 0, 1, 6)
        self.verdict_line = wrapping_label(self.figures_box)  # tuned vs zero-shot vs keyword, in one sentence
        figures.addWidget(self.verdict_line, 3, 0, 1, 6)
        self.layout_.addWidget(self.figures_box)

        # --- export ---------------------------------------------------------------------------------
        self.export_box = QGroupBox(self.body)
        export = QGridLayout(self.export_box)
        self.export_note = wrapping_label(self.export_box, selectable=True)
        self.export_button = make_button(self.export_box, primary=True)
        self.export_button.clicked.connect(self.choose_export_folder)
        self.open_run_button = make_button(self.export_box)
        self.open_run_button.clicked.connect(self.open_run_folder)
        self.continue_button = make_button(self.export_box)
        self.continue_button.clicked.connect(self._continue_run)
        self.export_progress = QProgressBar(self.export_box)
        self.export_progress.setRange(0, 1000)
        self.export_status = StatusLine(self.export_box)
        export.addWidget(self.export_note, 0, 0, 1, 4)
        export.addWidget(
            button_row(self.export_button, self.open_run_button, self.continue_button), 1, 0, 1, 4
        )
        export.addWidget(self.export_progress, 2, 0, 1, 4)
        export.addWidget(self.export_status, 3, 0, 1, 4)
        self.layout_.addWidget(self.export_box)
        self.primary_button = self.export_button

        # --- try it ---------------------------------------------------------------------------------
        self.try_box = QGroupBox(self.body)
        try_layout = QGridLayout(self.try_box)
        self.try_edit = QLineEdit(self.try_box)
        self.try_edit.setMinimumHeight(40)
        self.try_edit.installEventFilter(self)  # Enter asks the models (and is not the page's Export)
        self.try_button = make_button(self.try_box)
        self.try_button.clicked.connect(self.try_text)
        self.try_result = wrapping_label(self.try_box, selectable=True)
        self.try_result.setObjectName("emphasis")
        try_layout.addWidget(self.try_edit, 0, 0)
        try_layout.addWidget(self.try_button, 0, 1)
        try_layout.addWidget(self.try_result, 1, 0, 1, 2)
        self.layout_.addWidget(self.try_box)
        self.compare_status = StatusLine(self.body)
        self.layout_.addWidget(self.compare_status)

        # --- confusion matrix and examples ----------------------------------------------------------
        self.detail_box = QGroupBox(self.body)
        detail = QVBoxLayout(self.detail_box)
        confusion_head = QHBoxLayout()
        self.confusion_caption = QLabel(self.detail_box)
        self.confusion_combo = QComboBox(self.detail_box)
        self.confusion_combo.setMinimumHeight(36)
        self.confusion_combo.addItems(["", ""])
        self.confusion_combo.currentIndexChanged.connect(self._fill_confusion)
        self.confusion_caption.setBuddy(self.confusion_combo)
        confusion_head.addWidget(self.confusion_caption)
        confusion_head.addWidget(self.confusion_combo)
        confusion_head.addStretch(1)
        self.confusion_note = wrapping_label(self.detail_box)
        self.confusion_table = read_only_table(self.detail_box, 0)
        self.confusion_table.verticalHeader().setVisible(True)
        self.confusion_table.horizontalHeader().setStretchLastSection(False)
        self.confusion_table.setMinimumHeight(160)
        self.confusion_table.cellClicked.connect(self.show_cell)
        # A clicked cell lists its rows on the right, with a way back and a CSV of just those rows.
        cell_bar = QHBoxLayout()
        self.cell_line = wrapping_label(self.detail_box)
        self.show_all_button = make_button(self.detail_box)
        self.show_all_button.clicked.connect(self.show_all_rows)
        self.save_rows_button = make_button(self.detail_box)
        self.save_rows_button.clicked.connect(self.choose_rows_csv)
        cell_bar.addWidget(self.cell_line, 1)
        cell_bar.addWidget(self.show_all_button)
        cell_bar.addWidget(self.save_rows_button)
        self.cell_status = StatusLine(self.detail_box)
        self.cell: tuple[int, int] | None = None  # (right label, answer) of the clicked cell

        examples_head = QHBoxLayout()
        self.examples_caption = wrapping_label(self.detail_box)
        self.changed_only = QCheckBox(self.detail_box)
        self.changed_only.setMinimumHeight(36)
        self.changed_only.toggled.connect(self._apply_filter)
        examples_head.addWidget(self.examples_caption, 1)
        examples_head.addWidget(self.changed_only)
        self.examples_table = read_only_table(self.detail_box, 6)
        header = self.examples_table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, 6):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.examples_table.setMinimumHeight(260)
        # Readable widths: the two tables side by side only where both fit (else one under the other).
        self.examples_table.setMinimumWidth(440)
        self.confusion_table.setMinimumWidth(260)
        # The table of answers beside the rows, or under it on a narrow window.
        self.detail_columns = Columns(self.detail_box)
        self.detail_columns.add(column(confusion_head, self.confusion_note, self.confusion_table), 2)
        self.detail_columns.add(column(examples_head, self.examples_table), 3)
        detail.addWidget(self.detail_columns)
        detail.addLayout(cell_bar)
        detail.addWidget(self.cell_status)
        self.layout_.addWidget(self.detail_box)

        self.layout_.addStretch(1)
        self.retranslate()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.try_edit
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.try_text()
            return True
        return super().eventFilter(watched, event)

    # --- a new outcome -----------------------------------------------------------------------------
    def show_outcome(self, outcome: RunOutcome) -> None:
        """Show a finished, stopped or failed run; a finished one is compared in a worker thread."""
        self.shutdown()
        self.outcome = outcome
        self.comparison = None
        self.comparison_error = None
        self.prediction = None
        self.export_error = None
        self.exported_to = None
        self.examples_table.setRowCount(0)
        self.confusion_table.setRowCount(0)
        self.cell = None
        self.cell_status.set_message("info", "", "")
        self.export_progress.hide()
        exported = (outcome.report or {}).get("exported_model")
        if exported:
            worker = ComparisonWorker(outcome.config, exported, outcome.report.get("data_sha256"))
            worker.compared.connect(self._on_compared)
            worker.predicted.connect(self._on_predicted)
            worker.failed.connect(self._on_compare_failed)
            self.close_comparison.connect(worker.finish)
            self.predict_requested.connect(worker.predict)
            self._comparer = worker
            self.pool.start(worker)
        self._refresh()
        self.status_changed.emit()

    def shutdown(self) -> None:
        """Let the comparison worker release its models and end its thread."""
        old = self._comparer
        if old is not None:
            self.close_comparison.emit()
            self.close_comparison.disconnect(old.finish)
            self.predict_requested.disconnect(old.predict)
            self._comparer = None

    def is_reachable(self) -> bool:
        return self.outcome is not None

    def can_continue(self) -> bool:
        return True  # the next step can also open an earlier run

    def is_done(self) -> bool:
        return self.outcome is not None and self.outcome.report is not None

    @Slot(object)
    def _on_compared(self, comparison: dict) -> None:
        if self.sender() is not self._comparer:
            return
        self.comparison = comparison
        self._fill_examples()
        self._fill_confusion()
        self._refresh()

    @Slot(object)
    def _on_compare_failed(self, error: ErrorInfo) -> None:
        if self.sender() is not self._comparer:
            return
        self.comparison_error = error
        self._refresh()

    @Slot()
    def try_text(self) -> None:
        text = self.try_edit.text().strip()
        if text and self._comparer is not None and self.comparison is not None:
            self.try_result.setText(self.tr("Asking both models…"))
            self.predict_requested.emit(text)

    @Slot(object)
    def _on_predicted(self, prediction: dict) -> None:
        if self.sender() is not self._comparer:
            return
        self.prediction = prediction
        self._refresh_prediction()

    # --- export ------------------------------------------------------------------------------------
    @Slot()
    def choose_export_folder(self) -> None:
        if not self.is_done():
            return
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Export the tuned model to…"), self.settings.export_folder
        )
        if folder:
            self.export_to(folder)

    def export_to(self, folder: str) -> None:
        """Copy model folder, adapters and report into a new folder inside ``folder``."""
        self.settings.export_folder = folder
        self.export_error = None
        self.exported_to = None
        worker = FunctionWorker(copy_deliverables, self.outcome.out_dir, folder)
        worker.progress.connect(self._on_export_progress)
        worker.succeeded.connect(self._on_exported)
        worker.failed.connect(self._on_export_failed)
        self._exporter = worker
        self.export_progress.setValue(0)
        self.export_progress.show()
        self.pool.start(worker)
        self._refresh()

    @Slot(object)
    def _on_export_progress(self, done: object) -> None:
        if self.sender() is self._exporter and isinstance(done, float | int):
            self.export_progress.setValue(int(1000 * done))

    @Slot(object)
    def _on_exported(self, folder: str) -> None:
        if self.sender() is not self._exporter:
            return
        self._exporter = None
        self.exported_to = folder
        self.export_progress.hide()
        self._refresh()
        self.export_finished.emit(folder)

    @Slot(object)
    def _on_export_failed(self, error: ErrorInfo) -> None:
        if self.sender() is not self._exporter:
            return
        self._exporter = None
        self.export_error = error
        self.export_progress.hide()
        self._refresh()

    @Slot()
    def open_run_folder(self) -> None:
        if self.outcome is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.outcome.out_dir))

    @Slot()
    def _continue_run(self) -> None:
        if self.outcome is not None and self.outcome.error is not None and self.outcome.error.kept:
            self.continue_requested.emit(self.outcome.config.with_(resume=True))

    # --- tables ------------------------------------------------------------------------------------
    def _fill_examples(self) -> None:
        c = self.comparison
        table = self.examples_table
        table.setRowCount(len(c["texts"]))
        bold = QFont(table.font())
        bold.setBold(True)
        for r, (text, truth, before, after) in enumerate(
            zip(c["texts"], c["truth"], c["before"], c["after"], strict=True)
        ):
            for col, value in enumerate((text, truth, before, after)):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                if col in (2, 3) and value == truth:
                    item.setBackground(QBrush(CORRECT_BACKGROUND))
                table.setItem(r, col, item)
            sure = QTableWidgetItem(self._sure_text(r))
            sure.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            table.setItem(r, 4, sure)
            table.setItem(r, 5, QTableWidgetItem(""))
        self._refresh_change_column()
        self._apply_filter()

    def _change_text(self, r: int) -> str:
        c = self.comparison
        truth, before, after = c["truth"][r], c["before"][r], c["after"][r]
        if before == after:
            return ""
        if after == truth:
            return self.tr("✔ now right")
        if before == truth:
            return self.tr("✘ now wrong")
        return self.tr("changed, still wrong")

    def _refresh_change_column(self) -> None:
        if self.comparison is None:
            return
        for r in range(self.examples_table.rowCount()):
            self.examples_table.item(r, 5).setText(self._change_text(r))

    def changed_rows(self) -> list[int]:
        c = self.comparison or {"before": [], "after": []}
        return [r for r, (b, a) in enumerate(zip(c["before"], c["after"], strict=True)) if b != a]

    def _sure_text(self, r: int) -> str:
        sure = (self.comparison or {}).get("confidence_after") or []
        return self._percent(sure[r]) if r < len(sure) else "—"

    def _answers(self) -> list[str]:
        """The answers the confusion table shows: after tuning, or before (its combo)."""
        c = self.comparison or {"after": [], "before": []}
        return c["after"] if self.confusion_combo.currentIndex() == 0 else c["before"]

    def rows_in_cell(self, truth: int, answer: int) -> list[int]:
        """The rows whose right label is ``labels[truth]`` and whose shown answer is ``labels[answer]``."""
        c = self.comparison
        if c is None:
            return []
        right, said = c["labels"][truth], c["labels"][answer]
        return [
            r
            for r, (t, a) in enumerate(zip(c["truth"], self._answers(), strict=True))
            if t == right and a == said
        ]

    @Slot(int, int)
    def show_cell(self, truth: int, answer: int) -> None:
        """List exactly the rows of one cell of the right-answers table."""
        if self.comparison is None:
            return
        self.cell = (truth, answer)
        self.changed_only.setChecked(False)
        self.cell_status.set_message("info", "", "")
        self._apply_filter()

    @Slot()
    def show_all_rows(self) -> None:
        self.cell = None
        self.cell_status.set_message("info", "", "")
        self._apply_filter()

    def visible_rows(self) -> list[int]:
        return [r for r in range(self.examples_table.rowCount()) if not self.examples_table.isRowHidden(r)]

    @Slot()
    def choose_rows_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save these rows"), self.settings.export_folder, self.tr("CSV file (*.csv)")
        )
        if path:
            if not path.lower().endswith(".csv"):
                path += ".csv"
            self.export_rows_to(path)

    def export_rows_to(self, path: str) -> None:
        """Write the rows on screen (text, right label, answers, confidence) to ``path`` for Excel."""
        c = self.comparison
        if c is None:
            return
        sure = c.get("confidence_after") or [None] * len(c["texts"])
        header = [
            self.tr("Text"),
            self.tr("Right label"),
            self.tr("Before"),
            self.tr("After"),
            self.tr("Sure"),
        ]
        rows = [
            [
                c["texts"][r],
                c["truth"][r],
                c["before"][r],
                c["after"][r],
                "" if sure[r] is None else round(sure[r], 3),
            ]
            for r in self.visible_rows()
        ]
        try:
            write_rows_csv(path, header, rows)
        except GenbaError as exc:
            error = ErrorInfo.from_exception(exc)
            self.cell_status.set_message(
                "error", self.tr("Problem"), error.message(current_language()), error
            )
            return
        self.cell_status.set_message(
            "ok",
            self.tr("Saved"),
            self.tr("{n} rows saved to {file}.").format(n=QLocale().toString(len(rows)), file=path),
        )

    @Slot()
    def _apply_filter(self) -> None:
        changed = set(self.changed_rows())
        only = self.changed_only.isChecked()
        in_cell = set(self.rows_in_cell(*self.cell)) if self.cell is not None else None
        for r in range(self.examples_table.rowCount()):
            hidden = (only and r not in changed) or (in_cell is not None and r not in in_cell)
            self.examples_table.setRowHidden(r, hidden)
        self._refresh_cell_line()

    def _refresh_cell_line(self) -> None:
        c = self.comparison
        has_cell = self.cell is not None and c is not None
        self.show_all_button.setVisible(has_cell)
        self.save_rows_button.setEnabled(c is not None)
        if c is None:
            self.cell_line.setText("")
        elif has_cell:
            truth, answer = self.cell
            n = len(self.visible_rows())
            line = (
                self.tr("1 row whose right label is {right} and the model answered {answer}.")
                if n == 1
                else self.tr("{n} rows whose right label is {right} and the model answered {answer}.")
            )
            self.cell_line.setText(
                line.format(n=QLocale().toString(n), right=c["labels"][truth], answer=c["labels"][answer])
            )
        else:
            self.cell_line.setText(self.tr("Click a number in the table to list those rows."))

    def visible_example_rows(self) -> int:
        return sum(not self.examples_table.isRowHidden(r) for r in range(self.examples_table.rowCount()))

    @Slot()
    def _fill_confusion(self) -> None:
        c = self.comparison
        if c is None:
            return
        matrix = c["confusion_after"] if self.confusion_combo.currentIndex() == 0 else c["confusion_before"]
        if self.cell is not None:  # the other table's cell would list other rows
            self.cell = None
            self._apply_filter()
        labels = c["labels"]
        table = self.confusion_table
        table.setRowCount(len(labels))
        table.setColumnCount(len(labels))
        table.setHorizontalHeaderLabels(labels)
        table.setVerticalHeaderLabels(labels)
        bold = QFont(table.font())
        bold.setBold(True)
        for i, row in enumerate(matrix):
            for j, count in enumerate(row):
                item = QTableWidgetItem(str(count))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if i == j:  # correct answers: bold and tinted, not colour alone
                    item.setFont(bold)
                    item.setBackground(QBrush(CORRECT_BACKGROUND))
                table.setItem(i, j, item)
        table.resizeColumnsToContents()

    # --- text --------------------------------------------------------------------------------------
    def step_title(self) -> str:
        return self.tr("Results")

    def retranslate(self) -> None:
        super().retranslate()
        self.intro.setText(
            self.tr(
                "How much better the tuned model answers the rows kept for the final test (never used while "
                "tuning), and the tuned model to take away."
            )
        )
        self.next_button.setText(self.tr("&Next: Payback"))
        self.figures_box.setTitle(self.tr("Summary"))
        captions = {
            "before": self.tr("Correct before"),
            "after": self.tr("Correct after"),
            "keyword": self.tr("Simple keyword model"),
            "steps": self.tr("Tuning rounds"),
            "time": self.tr("Time"),
            "energy": self.tr("Electricity"),
        }
        for key, label in self.figure_captions.items():
            label.setText(captions[key])
        self.layers_fold.set_title(self.tr("Details"))
        self.export_box.setTitle(self.tr("Tuned model"))
        self.export_button.setText(self.tr("&Export…"))
        self.open_run_button.setText(self.tr("Open run &folder"))
        self.continue_button.setText(self.tr("&Continue this run"))
        self.detail_box.setTitle(self.tr("Rows kept for the final test"))
        self.confusion_caption.setText(self.tr("&Right answers and model answers:"))
        self.confusion_combo.setItemText(0, self.tr("after tuning"))
        self.confusion_combo.setItemText(1, self.tr("before tuning"))
        self.confusion_note.setText(
            self.tr("Each row is the right label, each column what the model answered. Bold: answered right.")
        )
        self.examples_caption.setText(self.tr("Each final-test row"))
        self.changed_only.setText(self.tr("Only rows whose answer &changed"))
        self.examples_table.setHorizontalHeaderLabels(
            [
                self.tr("Text"),
                self.tr("Right label"),
                self.tr("Before"),
                self.tr("After"),
                self.tr("Sure"),
                self.tr("Change"),
            ]
        )
        self.show_all_button.setText(self.tr("Show &all rows"))
        self.save_rows_button.setText(self.tr("&Save these rows (CSV)…"))
        self._refresh_cell_line()
        self.try_box.setTitle(self.tr("Try it"))
        self.try_edit.setPlaceholderText(self.tr("Type a text as it would appear in your data…"))
        self.try_button.setText(self.tr("&Ask both models"))
        self._refresh_change_column()
        self._refresh()

    def _stop_reason_text(self, reason: str) -> str:
        return {
            "minutes": self.tr("the tuning time was used up"),
            "steps": self.tr("the set number of rounds was done"),
            "energy": self.tr("the electricity limit was reached"),
            "plateau": self.tr("accuracy had stopped going up, so it stopped early"),
            "stopped": self.tr("you stopped it"),
            "diverged": self.tr("the numbers became unstable, so it stopped early"),
        }.get(reason, reason)

    def _layers_text(self, report: dict) -> str:
        """Which layers were tuned and why, from report.json's tuned_layers and layer_choice."""
        layers = report.get("tuned_layers") or []
        if not layers:
            return ""
        listed = ", ".join(QLocale().toString(int(layer)) for layer in layers)
        method = str((report.get("layer_choice") or {}).get("method", ""))
        if method.startswith("forward-only probe"):
            why = self.tr(
                "chosen by a short trial before tuning: the layers whose adjustment moved the answers most for "
                "the computing time they cost"
            )
        elif method == "chosen by the user":
            why = self.tr("chosen by you")
        else:
            why = self.tr("the top layers of the model")
        return self.tr("Tuned layers of the model: {layers} ({why}).").format(layers=listed, why=why)

    def _percent(self, fraction: float | None) -> str:
        if fraction is None:
            return "—"
        return self.tr("{p}%").format(p=QLocale().toString(100 * fraction, "f", 1))

    def _refresh(self) -> None:
        lang = current_language()
        locale = QLocale()
        o = self.outcome
        report = o.report if o is not None else None
        has_report = report is not None
        for w in (self.figures_box, self.detail_box, self.try_box):
            w.setVisible(has_report)
        self.export_box.setVisible(o is not None)
        exporting = self._exporter is not None
        self.export_button.setEnabled(bool(has_report and report.get("exported_model")) and not exporting)
        self.open_run_button.setEnabled(o is not None)
        self.continue_button.setVisible(bool(o is not None and o.error is not None and o.error.kept))

        if o is None:
            self.outcome_line.set_message("info", "", self.tr("No results yet: run the tuning in step 4."))
            self.compare_status.set_message("info", "", "")
            self.export_status.set_message("info", "", "")
            return
        if o.error is not None:
            kept = (
                self.tr(
                    "The checkpoint was kept in {folder}. Press Continue this run to carry on from it."
                ).format(folder=o.error.kept)
                if o.error.kept
                else self.tr("Nothing was kept: the run stopped before its first checkpoint.")
            )
            self.outcome_line.set_message(
                "error",
                self.tr("Run failed"),
                self.tr("{message}\n{kept}").format(message=o.error.message(lang), kept=kept),
                o.error,
            )
            self.export_note.setText(self.tr("Run folder: {folder}").format(folder=o.out_dir))
        else:
            held_out = HeldOutAccuracy.of(report)
            before, after = held_out.before, held_out.after
            reason = self._stop_reason_text(o.stop_reason)
            rows = (
                self.tr("On {n} rows kept for the final test (never used while tuning)")
                if held_out.split == "test"
                else self.tr(
                    "On {n} rows used to pick the best result (too few rows for a separate final test)"
                )
            ).format(n=locale.toString(held_out.examples))
            if report.get("improved"):
                self.outcome_line.set_message(
                    "ok",
                    self.tr("Improved"),
                    self.tr(
                        "{rows}, correct answers went from {before} to {after}. The run ended because {reason}."
                    ).format(
                        rows=rows, before=self._percent(before), after=self._percent(after), reason=reason
                    ),
                )
            else:
                self.outcome_line.set_message(
                    "warning",
                    self.tr("No gain"),
                    self.tr(
                        "{rows}, tuning did not raise the share of correct answers ({before}); the exported "
                        "model is the unchanged model. The run ended because {reason}. Try a longer tuning time "
                        "or more training data."
                    ).format(rows=rows, before=self._percent(before), reason=reason),
                )
            note = (report.get("test_note") or {}).get(lang)
            if held_out.keyword is not None:
                verdict = (
                    self.tr("The tuned model answers better than a simple keyword model ({keyword}).")
                    if after > held_out.keyword
                    else self.tr(
                        "A simple keyword model answers as well or better ({keyword}): the tuned model adds "
                        "nothing over it on these rows."
                    )
                ).format(keyword=self._percent(held_out.keyword))
                note = f"{verdict} {note}" if note else verdict
            self.verdict_line.setText(note or "")
            self.verdict_line.setVisible(bool(note))
            v = self.figure_values
            v["before"].setText(self._percent(before))
            v["after"].setText(self._percent(after))
            v["keyword"].setText(self._percent(held_out.keyword))
            v["steps"].setText(locale.toString(int(report.get("steps", 0))))
            v["time"].setText(format_duration(report.get("seconds")))
            wh = float(report.get("energy_wh") or 0.0)
            yen = wh / 1000 * self.settings.yen_per_kwh
            text = (
                self.tr("{wh} Wh, {yen} (measured)")
                if report.get("energy_source") == "measured"
                else self.tr("{wh} Wh, {yen} (estimated)")
            )
            v["energy"].setText(text.format(wh=locale.toString(wh, "f", 2), yen=format_yen(yen)))
            self.layers_line.setText(self._layers_text(report))
            self.export_note.setText(
                self.tr(
                    "The run folder {folder} holds the tuned model, ready to use, and a report. Export copies "
                    "them to a folder you choose, for example a USB stick."
                ).format(folder=o.out_dir)
            )

        if self.exported_to:
            self.export_status.set_message(
                "ok", self.tr("Exported"), self.tr("Copied to {folder}.").format(folder=self.exported_to)
            )
        elif self.export_error is not None:
            self.export_status.set_message(
                "error", self.tr("Problem"), self.export_error.message(lang), self.export_error
            )
        elif exporting:
            self.export_status.set_message("info", "", self.tr("Copying…"))
        else:
            self.export_status.set_message("info", "", "")

        if not has_report:
            self.compare_status.set_message("info", "", "")
        elif self.comparison_error is not None:
            self.compare_status.set_message(
                "error", self.tr("Problem"), self.comparison_error.message(lang), self.comparison_error
            )
        elif self.comparison is None:
            self.compare_status.set_message(
                "info", self.tr("Checking"), self.tr("Asking both models about the final-test rows…")
            )
        else:
            changed = len(self.changed_rows())
            message = (
                self.tr("{n} rows kept for the final test; the answer changed for {changed}.")
                if self.comparison.get("split") == "test"
                else self.tr("{n} rows used to pick the best result; the answer changed for {changed}.")
            )
            self.compare_status.set_message(
                "info",
                "",
                message.format(
                    n=locale.toString(len(self.comparison["texts"])), changed=locale.toString(changed)
                ),
            )
        self.try_button.setEnabled(self.comparison is not None)
        self.try_edit.setEnabled(self.comparison is not None)
        self._refresh_prediction()

    def _refresh_prediction(self) -> None:
        p = self.prediction
        if p is None:
            if self.comparison is not None:
                self.try_result.setText("")
            return
        locale = QLocale()
        self.try_result.setText(
            self.tr("Before tuning: {before} ({pb}%)    After tuning: {after} ({pa}%)").format(
                before=p["before"][0],
                pb=locale.toString(100 * p["before"][1], "f", 0),
                after=p["after"][0],
                pa=locale.toString(100 * p["after"][1], "f", 0),
            )
        )
