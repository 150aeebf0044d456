"""Step 2: the operator's examples: preview, columns, label counts, skipped rows, prompt and split."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLocale, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.data.prompting import DEFAULT_TEMPLATE, DEFAULT_TEMPLATE_JA, is_japanese, make_prompt_spec
from app.engine.errors import GenbaError
from app.engine.models.catalog import pick_builtin
from app.engine.tuning.config import TuneConfig
from app.gui.choices import ExamplesChoice, ExamplesSummary, SkippedRowInfo
from app.gui.fonts import monospace_font
from app.gui.i18n import current_language
from app.gui.layouts import Columns, button_row, column
from app.gui.pages.page import DetailsFold, Page, StatusLine, make_button, wrapping_label
from app.gui.plots import LabelCountChart
from app.gui.settings import Settings
from app.gui.worker import ErrorInfo, FunctionWorker, ThreadPool

PREVIEW_ROWS = 50
SAMPLE_TEXTS = 50


def summarize_examples(
    progress: Callable[[object], None], path: str, text_column: str | None, label_column: str | None
) -> ExamplesSummary:
    """Load, preview and split the examples the way a run will (worker thread)."""
    from app.engine.data.examples import load_examples, preview_table

    dataset = load_examples(path, text_column=text_column, label_column=label_column)
    if Path(path).is_dir() and not dataset.columns:
        # A folder of label sub-folders has no table to preview: show what was read from it.
        header = ("label", "text", "file")
        rows = [(ex.label, ex.text, Path(ex.source).name) for ex in dataset.examples[:PREVIEW_ROWS]]
    else:
        header, rows = preview_table(
            dataset.sources[0] if Path(path).is_dir() else path, max_rows=PREVIEW_ROWS
        )
    split = TuneConfig(data=str(path), out_dir="").split(dataset.examples)  # as a run with defaults will
    counts = dataset.counts()
    labels = tuple(dataset.labels)
    return ExamplesSummary(
        path=str(path),
        columns=tuple(dataset.columns or ()),
        text_column=dataset.text_column,
        label_column=dataset.label_column,
        encoding=str(dataset.encoding or ""),
        labels=labels,
        counts=tuple(int(counts.get(lab, 0)) for lab in labels),
        skipped=tuple(
            SkippedRowInfo(str(s.source), s.line, s.reason_en, s.reason_ja) for s in dataset.skipped
        ),
        preview_header=tuple(str(h) for h in header),
        preview_rows=tuple(tuple("" if v is None else str(v) for v in row) for row in rows),
        sample_texts=tuple(ex.text for ex in dataset.examples[:SAMPLE_TEXTS]),
        n_examples=len(dataset.examples),
        n_train=len(split.train),
        n_val=len(split.val),
        n_test=len(split.test),
        n_duplicates=split.duplicates_removed,
        japanese=is_japanese(ex.text for ex in dataset.examples),
        suggested_model=pick_builtin([ex.text for ex in dataset.examples]),
    )


def read_only_table(parent: QWidget, columns: int) -> QTableWidget:
    table = QTableWidget(0, columns, parent)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    return table


class ExamplesPage(Page):
    examples_changed = Signal(object)  # ExamplesChoice
    model_suggested = Signal(str)  # the built-in model that suits the loaded examples' language

    def __init__(self, pool: ThreadPool, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.settings = settings
        self.summary: ExamplesSummary | None = None
        self.error: ErrorInfo | None = None
        self.prompt_error: GenbaError | None = None
        self.path: str | None = None
        self._worker: FunctionWorker | None = None
        self._filling = False

        # --- source ---------------------------------------------------------------------------------
        self.open_file_button = make_button(self.body)
        self.open_file_button.clicked.connect(self.choose_file)
        self.open_folder_button = make_button(self.body)
        self.open_folder_button.clicked.connect(self.choose_folder)
        self.reload_button = make_button(self.body)
        self.reload_button.clicked.connect(self.reload)
        self.layout_.addWidget(button_row(self.open_file_button, self.open_folder_button, self.reload_button))
        self.source_label = wrapping_label(self.body, selectable=True)
        self.layout_.addWidget(self.source_label)
        self.load_status = StatusLine(self.body)
        self.layout_.addWidget(self.load_status)
        self.model_note = wrapping_label(self.body)  # which built-in model was picked for these examples
        self.model_note.hide()
        self.layout_.addWidget(self.model_note)

        # --- columns and preview --------------------------------------------------------------------
        self.data_box = QGroupBox(self.body)
        data_layout = QVBoxLayout(self.data_box)
        columns = QFormLayout()
        self.text_column_caption = QLabel(self.data_box)
        self.text_column_combo = QComboBox(self.data_box)
        self.text_column_combo.setMinimumHeight(36)
        self.text_column_combo.activated.connect(self._columns_chosen)
        self.text_column_caption.setBuddy(self.text_column_combo)
        self.label_column_caption = QLabel(self.data_box)
        self.label_column_combo = QComboBox(self.data_box)
        self.label_column_combo.setMinimumHeight(36)
        self.label_column_combo.activated.connect(self._columns_chosen)
        self.label_column_caption.setBuddy(self.label_column_combo)
        columns.addRow(self.text_column_caption, self.text_column_combo)
        columns.addRow(self.label_column_caption, self.label_column_combo)
        self.split_label = wrapping_label(self.data_box)
        self.split_label.setObjectName("emphasis")
        self.preview_caption = wrapping_label(self.data_box)
        self.counts_caption = wrapping_label(self.data_box)
        self.preview_table = read_only_table(self.data_box, 0)
        self.preview_table.setMinimumHeight(220)
        self.counts_chart = LabelCountChart(self.data_box)
        # Side by side on a wide window, the counts under the preview on a narrow one.
        self.data_columns = Columns(self.data_box)
        self.data_columns.add(column(columns, self.preview_caption, self.preview_table), 3)
        self.data_columns.add(column(self.split_label, self.counts_caption, self.counts_chart), 2)
        data_layout.addWidget(self.data_columns)
        self.layout_.addWidget(self.data_box)

        # --- skipped rows ---------------------------------------------------------------------------
        self.skipped_box = QGroupBox(self.body)
        skipped_layout = QGridLayout(self.skipped_box)
        self.skipped_note = wrapping_label(self.skipped_box)
        skipped_layout.addWidget(self.skipped_note, 0, 0)
        self.skipped_table = read_only_table(self.skipped_box, 3)
        self.skipped_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.skipped_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        skipped_layout.addWidget(self.skipped_table, 1, 0)
        self.layout_.addWidget(self.skipped_box)

        # --- prompt: answer words in front, the template (for experts) in a Details fold -----------------
        self.prompt_box = QGroupBox(self.body)
        prompt = QVBoxLayout(self.prompt_box)
        self.words_caption = wrapping_label(self.prompt_box)
        self.words_table = QTableWidget(0, 2, self.prompt_box)
        self.words_table.verticalHeader().setVisible(False)
        self.words_table.verticalHeader().setDefaultSectionSize(44)
        self.words_table.horizontalHeader().setStretchLastSection(True)
        self.words_table.setMinimumHeight(140)
        # Editing starts from the Edit button (or typing), never from a double-click: hard with gloves.
        self.words_table.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.words_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.words_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.words_table.itemChanged.connect(self._prompt_edited)
        self.words_table.itemSelectionChanged.connect(self._refresh_edit_button)
        self.words_caption.setBuddy(self.words_table)
        self.edit_word_button = make_button(self.prompt_box)
        self.edit_word_button.clicked.connect(self.edit_selected_word)
        self.preview_prompt_caption = wrapping_label(self.prompt_box)
        self.example_spin = QSpinBox(self.prompt_box)
        self.example_spin.setMinimum(1)
        self.example_spin.setMinimumHeight(36)
        self.example_spin.valueChanged.connect(self._refresh_prompt_preview)
        self.prompt_preview = QPlainTextEdit(self.prompt_box)
        self.prompt_preview.setReadOnly(True)
        self.prompt_preview.setFont(monospace_font())
        self.prompt_preview.setMinimumHeight(110)
        self.prompt_preview.setTabChangesFocus(True)
        self.prompt_status = StatusLine(self.prompt_box)
        words_head = QHBoxLayout()
        words_head.addWidget(self.words_caption, 1)
        words_head.addWidget(self.edit_word_button)
        preview_head = QHBoxLayout()
        preview_head.addWidget(self.preview_prompt_caption, 1)
        preview_head.addWidget(self.example_spin)
        self.prompt_columns = Columns(self.prompt_box)
        self.prompt_columns.add(column(words_head, self.words_table), 2)
        self.prompt_columns.add(column(preview_head, self.prompt_preview), 3)
        prompt.addWidget(self.prompt_columns)
        prompt.addWidget(self.prompt_status)

        self.template_fold = DetailsFold(self.prompt_box)
        template = QGridLayout()
        self.template_fold.content_layout.addLayout(template)
        self.template_caption = QLabel(self.template_fold.content)
        self.template_edit = QPlainTextEdit(self.template_fold.content)
        self.template_edit.setFont(monospace_font())
        self.template_edit.setFixedHeight(78)
        self.template_edit.setTabChangesFocus(True)
        self.template_edit.setPlainText(DEFAULT_TEMPLATE)
        self.template_edit.textChanged.connect(self._prompt_edited)
        self.template_caption.setBuddy(self.template_edit)
        self.template_help = wrapping_label(self.template_fold.content)
        self.reset_template_button = make_button(self.template_fold.content)
        self.reset_template_button.clicked.connect(self.reset_template)
        template.addWidget(self.template_caption, 0, 0)
        template.addWidget(self.reset_template_button, 0, 1, Qt.AlignmentFlag.AlignRight)
        template.addWidget(self.template_edit, 1, 0, 1, 2)
        template.addWidget(self.template_help, 2, 0, 1, 2)
        prompt.addWidget(self.template_fold)
        self.layout_.addWidget(self.prompt_box)
        self.layout_.addStretch(1)
        self.primary_button = self.next_button

        self._prompt_timer = QTimer(self)  # typing in the template re-renders at most every 150 ms
        self._prompt_timer.setSingleShot(True)
        self._prompt_timer.setInterval(150)
        self._prompt_timer.timeout.connect(self._prompt_changed)
        self.retranslate()

    # --- opening -----------------------------------------------------------------------------------
    @Slot()
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Open training data"),
            self.settings.examples_folder,
            self.tr("Tables (*.csv *.tsv *.txt *.jsonl *.json);;All files (*)"),
        )
        if path:
            self.open_examples(path)

    @Slot()
    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, self.tr("Open a folder with one sub-folder per label"), self.settings.examples_folder
        )
        if path:
            self.open_examples(path)

    @Slot()
    def reload(self) -> None:
        if self.path:
            self._load(self.path, self._current_column("text"), self._current_column("label"))

    def open_examples(self, path: str) -> None:
        """Load a file or folder of examples (columns guessed); the drop handler calls this too."""
        p = Path(path)
        self.settings.examples_folder = str(p if p.is_dir() else p.parent)
        self.settings.last_examples = str(p)
        self._load(str(p), None, None)

    def _load(self, path: str, text_column: str | None, label_column: str | None) -> None:
        self.path = path
        self.error = None
        worker = FunctionWorker(summarize_examples, path, text_column, label_column)
        worker.succeeded.connect(self._on_loaded)
        worker.failed.connect(self._on_failed)
        self._worker = worker
        self.pool.start(worker)
        self._refresh()
        self.status_changed.emit()

    def _current_column(self, which: str) -> str | None:
        combo = self.text_column_combo if which == "text" else self.label_column_combo
        return combo.currentText() or None if combo.count() else None

    @Slot()
    def _columns_chosen(self) -> None:
        self.reload()

    @Slot(object)
    def _on_loaded(self, summary: ExamplesSummary) -> None:
        if self.sender() is not self._worker:
            return
        self._worker = None
        previous_labels = self.summary.labels if self.summary else ()
        self.summary = summary
        if self.template() in (DEFAULT_TEMPLATE, DEFAULT_TEMPLATE_JA):  # not edited: follow the language
            self.template_edit.setPlainText(self.default_template())
        self.model_note.hide()
        self._fill(summary, keep_words=previous_labels == summary.labels)
        self._refresh()
        self._prompt_changed()
        self.model_suggested.emit(summary.suggested_model)

    @Slot(object)
    def _on_failed(self, error: ErrorInfo) -> None:
        if self.sender() is not self._worker:
            return
        self._worker = None
        self.error = error
        self.summary = None
        self._refresh()
        self.status_changed.emit()

    def is_busy(self) -> bool:
        return self._worker is not None

    def is_done(self) -> bool:
        return self.summary is not None and self.prompt_error is None and self.summary.n_examples > 0

    # --- filling the widgets -----------------------------------------------------------------------
    def _fill(self, s: ExamplesSummary, keep_words: bool) -> None:
        self._filling = True
        try:
            for combo, chosen in (
                (self.text_column_combo, s.text_column),
                (self.label_column_combo, s.label_column),
            ):
                combo.clear()
                combo.addItems(list(s.columns))
                if chosen in s.columns:
                    combo.setCurrentIndex(s.columns.index(chosen))
                combo.setEnabled(bool(s.columns))

            self.preview_table.clear()
            self.preview_table.setColumnCount(len(s.preview_header))
            self.preview_table.setHorizontalHeaderLabels(list(s.preview_header))
            self.preview_table.setRowCount(len(s.preview_rows))
            for r, row in enumerate(s.preview_rows):
                for c, value in enumerate(row[: len(s.preview_header)]):
                    item = QTableWidgetItem(value)
                    item.setToolTip(value)
                    self.preview_table.setItem(r, c, item)
            self.preview_table.resizeColumnsToContents()
            for c in range(self.preview_table.columnCount()):
                self.preview_table.setColumnWidth(c, min(self.preview_table.columnWidth(c), 420))

            self.skipped_table.setRowCount(len(s.skipped))
            lang = current_language()
            for r, row in enumerate(s.skipped):
                reason = row.reason_ja if lang == "ja" else row.reason_en
                values = (Path(row.source).name, "" if row.line is None else str(row.line), reason)
                for c, value in enumerate(values):
                    item = QTableWidgetItem(value)
                    item.setToolTip(row.source if c == 0 else value)
                    self.skipped_table.setItem(r, c, item)

            shown = min(max(len(s.skipped), 1), 6)  # the table fits its rows, up to six, then scrolls
            self.skipped_table.setFixedHeight(
                self.skipped_table.horizontalHeader().height()
                + shown * self.skipped_table.verticalHeader().defaultSectionSize()
                + 2 * self.skipped_table.frameWidth()
            )

            old_words = self.label_words() if keep_words else {}
            self.words_table.setRowCount(len(s.labels))
            for r, label in enumerate(s.labels):
                label_item = QTableWidgetItem(label)
                label_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.words_table.setItem(r, 0, label_item)
                self.words_table.setItem(r, 1, QTableWidgetItem(old_words.get(label, label)))
            self.example_spin.setMaximum(max(1, len(s.sample_texts)))
            self._refresh_edit_button()
        finally:
            self._filling = False
        self._refresh_counts()

    def _refresh_counts(self) -> None:
        if self.summary is not None:
            self.counts_chart.set_counts(
                list(self.summary.labels), list(self.summary.counts), self.tr("rows")
            )

    def label_words(self) -> dict[str, str]:
        words = {}
        for r in range(self.words_table.rowCount()):
            label, word = self.words_table.item(r, 0), self.words_table.item(r, 1)
            if label is not None:
                words[label.text()] = word.text() if word is not None else ""
        return words

    def template(self) -> str:
        return self.template_edit.toPlainText()

    @Slot()
    def edit_selected_word(self) -> None:
        """Open the chosen label's answer word for editing (the first one if none is chosen)."""
        if self.words_table.rowCount() == 0:
            return
        row = max(self.words_table.currentRow(), 0)
        item = self.words_table.item(row, 1)
        self.words_table.setCurrentItem(item)
        self.words_table.setFocus()
        self.words_table.editItem(item)

    @Slot()
    def _refresh_edit_button(self) -> None:
        self.edit_word_button.setEnabled(self.words_table.rowCount() > 0)

    def default_template(self) -> str:
        """The template a run uses when none is given: Japanese for Japanese examples."""
        return DEFAULT_TEMPLATE_JA if self.summary is not None and self.summary.japanese else DEFAULT_TEMPLATE

    def show_model_note(self, text: str) -> None:
        """Say in plain words which model was picked for these examples (and that it can be changed)."""
        self.model_note.setText(text)
        self.model_note.show()

    @Slot()
    def reset_template(self) -> None:
        self.template_edit.setPlainText(self.default_template())

    # --- prompt ------------------------------------------------------------------------------------
    @Slot()
    def _prompt_edited(self) -> None:
        if not self._filling:
            self._prompt_timer.start()

    @Slot()
    def _prompt_changed(self) -> None:
        self._prompt_timer.stop()
        self.prompt_error = None
        if self.summary is not None:
            try:
                make_prompt_spec(self.summary.labels, self.template(), self.label_words())
            except GenbaError as exc:
                self.prompt_error = exc
        self._refresh_prompt_preview()
        self._refresh()
        self.status_changed.emit()
        if self.summary is not None:
            self.examples_changed.emit(self.choice())

    def choice(self) -> ExamplesChoice:
        s = self.summary
        template = self.template()
        words = {k: v for k, v in self.label_words().items() if v != k}
        return ExamplesChoice(
            path=s.path,
            text_column=s.text_column,
            label_column=s.label_column,
            template=None if template == self.default_template() else template,
            label_words=words or None,
            labels=s.labels,
            n_train=s.n_train,
            n_val=s.n_val,
            n_test=s.n_test,
            prompt_ok=self.prompt_error is None,
            sample_texts=s.sample_texts,
        )

    @Slot()
    def _refresh_prompt_preview(self) -> None:
        s = self.summary
        if s is None or not s.sample_texts:
            self.prompt_preview.setPlainText("")
            return
        if self.prompt_error is not None:
            self.prompt_preview.setPlainText("")
            return
        spec = make_prompt_spec(s.labels, self.template(), self.label_words())
        text = s.sample_texts[min(self.example_spin.value(), len(s.sample_texts)) - 1]
        self.prompt_preview.setPlainText(spec.render(text))

    # --- text --------------------------------------------------------------------------------------
    def step_title(self) -> str:
        return self.tr("Training data")

    def retranslate(self) -> None:
        super().retranslate()
        self.intro.setText(
            self.tr(
                "Your own data to learn from: a table (CSV, TSV or JSONL) with a text and its label in each "
                "row, or a folder with one sub-folder of text files per label. Drop the file or folder "
                "anywhere on this window, or open it with the buttons."
            )
        )
        self.open_file_button.setText(self.tr("Open &file…"))
        self.open_folder_button.setText(self.tr("Open fol&der…"))
        self.reload_button.setText(self.tr("&Reload"))
        self.data_box.setTitle(self.tr("Data"))
        self.text_column_caption.setText(self.tr("&Text column:"))
        self.label_column_caption.setText(self.tr("&Label column:"))
        self.preview_caption.setText(self.tr("First rows of the file"))
        self.counts_caption.setText(self.tr("Rows per label"))
        self.skipped_box.setTitle(self.tr("Skipped rows"))
        self.skipped_table.setHorizontalHeaderLabels([self.tr("File"), self.tr("Line"), self.tr("Reason")])
        self.prompt_box.setTitle(self.tr("How the model answers"))
        self.words_caption.setText(self.tr("The &word the model answers with, for each label:"))
        self.edit_word_button.setText(self.tr("&Edit word"))
        self.words_table.setHorizontalHeaderLabels([self.tr("Label"), self.tr("Answer word")])
        self.preview_prompt_caption.setText(self.tr("What the model reads, for row no.:"))
        self.template_fold.set_title(self.tr("Details: the question text (for experts)"))
        self.template_caption.setText(self.tr("Question &text around each row (template):"))
        self.template_help.setText(
            self.tr(
                "{text} is replaced by each row's text and {choices} by the answer words. The model answers "
                "right after this text with one of the answer words."
            )
        )
        self.reset_template_button.setText(self.tr("Reset te&mplate"))
        self.next_button.setText(self.tr("&Next: Tuning time"))
        if self.summary is not None:
            self._fill(self.summary, keep_words=True)
        self._refresh()

    def _refresh(self) -> None:
        s = self.summary
        lang = current_language()
        locale = QLocale()
        busy = self.is_busy()
        for w in (self.open_file_button, self.open_folder_button):
            w.setEnabled(not busy)
        self.reload_button.setEnabled(not busy and self.path is not None)
        self.source_label.setText(
            self.tr("Training data: {path}").format(path=self.path) if self.path else self.tr("No data yet.")
        )
        if busy:
            self.load_status.set_message("info", self.tr("Loading"), self.tr("Reading the data…"))
        elif self.error is not None:
            self.load_status.set_message("error", self.tr("Problem"), self.error.message(lang), self.error)
        elif s is not None:
            self.load_status.set_message(
                "ok",
                self.tr("OK"),
                self.tr("{n} rows with {labels} labels read ({encoding}).").format(
                    n=locale.toString(s.n_examples), labels=len(s.labels), encoding=s.encoding or "?"
                ),
            )
        else:
            self.load_status.set_message(
                "info", "", self.tr("Drop a file or folder of training data here, or use the buttons above.")
            )
        for box in (self.data_box, self.skipped_box, self.prompt_box):
            box.setVisible(s is not None)
        if s is None:
            return
        split = self.tr(
            "{train} rows to learn from, {val} to pick the best result during tuning, and {test} kept for the "
            "final test (never used while tuning)."
        ).format(
            train=locale.toString(s.n_train), val=locale.toString(s.n_val), test=locale.toString(s.n_test)
        )
        if s.n_duplicates:
            split += " " + self.tr("{n} repeated rows are counted once.").format(
                n=locale.toString(s.n_duplicates)
            )
        self.split_label.setText(split)
        if s.skipped:
            self.skipped_note.setText(
                self.tr(
                    "{n} rows were skipped and will not be used. Fix them in the file and press Reload, "
                    "or continue without them."
                ).format(n=locale.toString(len(s.skipped)))
            )
        else:
            self.skipped_note.setText(self.tr("No rows were skipped."))
        self.skipped_table.setVisible(bool(s.skipped))
        if self.prompt_error is not None:
            self.prompt_status.set_message("error", self.tr("Problem"), self.prompt_error.message(lang))
        else:
            self.prompt_status.set_message("info", "", "")
