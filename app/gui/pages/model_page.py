"""Step 1: which model to tune, its card, and whether this PC can tune it."""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt, QUrl, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app.engine.models.gemma_builtin import GEMMA_BUILTIN, gemma_terms_files
from app.engine.results.model_check import ModelCheck, check_model
from app.gui.formatting import data_size
from app.gui.i18n import current_language
from app.gui.layouts import button_row
from app.gui.pages.page import DetailsFold, Page, StatusLine, make_button, wrapping_label
from app.gui.settings import Settings
from app.gui.worker import ErrorInfo, FunctionWorker, ThreadPool

DEFAULT_SPEC = "default"
BUILTIN_SPECS = (DEFAULT_SPEC, GEMMA_BUILTIN)
MODEL_SUFFIXES = (".gguf", ".onnx")


class ModelPage(Page):
    model_checked = Signal(object)  # ModelCheck

    def __init__(self, pool: ThreadPool, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.settings = settings
        self.check: ModelCheck | None = None
        self.error: ErrorInfo | None = None
        self.spec: str | None = None
        self.chosen_by_user = False  # a model picked on this page in this session is never replaced
        self._worker: FunctionWorker | None = None
        self._stage_done = 0.0

        row = QHBoxLayout()
        self.selected_label = QLabel(self.body)
        self.selected_name = QLabel(self.body)
        self.selected_name.setObjectName("emphasis")
        row.addWidget(self.selected_label)
        row.addWidget(self.selected_name, 1)
        self.layout_.addLayout(row)

        self.gemma_button = make_button(self.body)
        self.gemma_button.clicked.connect(self.use_japanese_model)
        self.default_button = make_button(self.body)
        self.default_button.clicked.connect(self.use_default_model)
        self.open_button = make_button(self.body)
        self.open_button.clicked.connect(self.choose_model_file)
        self.layout_.addWidget(button_row(self.gemma_button, self.default_button, self.open_button))

        self.stage_label = wrapping_label(self.body)
        self.progress = QProgressBar(self.body)
        self.progress.setRange(0, 1000)
        self.progress.setMinimumHeight(28)
        self.layout_.addWidget(self.stage_label)
        self.layout_.addWidget(self.progress)

        self.card = QGroupBox(self.body)
        card = QVBoxLayout(self.card)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        card.addLayout(form)
        # The technical rows (file, kind, size in parameters) wait behind a Details fold.
        self.card_details = DetailsFold(self.card)
        details = QFormLayout()
        details.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.card_details.content_layout.addLayout(details)
        card.addWidget(self.card_details)
        self.card_fields: dict[str, tuple[QLabel, QLabel]] = {}
        for key in ("name", "size", "memory", "speed", "file", "kind", "parameters", "measured"):
            technical = key in ("file", "kind", "parameters", "measured")
            parent = self.card_details.content if technical else self.card
            caption, value = QLabel(parent), wrapping_label(parent, selectable=True)
            (details if technical else form).addRow(caption, value)
            self.card_fields[key] = (caption, value)
        # Gemma's terms travel with it (GEMMA_TERMS.html and NOTICE.md from its package): shown with its card.
        self.terms_label = wrapping_label(self.card)
        self.terms_label.setOpenExternalLinks(True)
        self.terms_label.setTextFormat(Qt.TextFormat.RichText)  # its links to the licence files
        card.addWidget(self.terms_label)
        self.layout_.addWidget(self.card)

        self.verdict = StatusLine(self.body)
        self.layout_.addWidget(self.verdict)
        self.layout_.addStretch(1)

        self.primary_button = self.next_button
        self._show_idle()
        self.retranslate()

    # --- actions -----------------------------------------------------------------------------------
    @Slot()
    def use_default_model(self) -> None:
        self.open_model(DEFAULT_SPEC, by_user=True)

    @Slot()
    def use_japanese_model(self) -> None:
        self.open_model(GEMMA_BUILTIN, by_user=True)

    def suggest_model(self, spec: str) -> bool:
        """Switch between the built-ins to the one that suits the examples, unless the user picked a model (on
        this page, or any model file, which only a user opens); True if it switched."""
        if self.chosen_by_user or self.spec not in BUILTIN_SPECS or spec == self.spec:
            return False
        self.open_model(spec)
        return True

    @Slot()
    def choose_model_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Open a model"),
            self.settings.model_folder,
            self.tr("Models (*.gguf *.onnx);;All files (*)"),
        )
        if path:
            self.open_model(path, by_user=True)

    def open_model(self, spec: str, by_user: bool = False) -> None:
        """Check a model ('default', 'gemma3-270m' or a file path) in a worker thread; the card fills in when
        done. ``by_user``: the user picked it, so the examples' language will not replace it."""
        from pathlib import Path

        self.chosen_by_user = self.chosen_by_user or by_user
        self.spec = str(spec)
        self.check = None
        self.error = None
        if self.spec not in BUILTIN_SPECS:
            self.settings.model_folder = str(Path(self.spec).parent)
        self._stage_done = 0.0
        worker = FunctionWorker(check_model, self.spec)
        worker.progress.connect(self._on_progress)
        worker.succeeded.connect(self._on_checked)
        worker.failed.connect(self._on_failed)
        self._worker = worker
        self.progress.setValue(0)
        self.progress.show()
        self.stage_label.show()
        self.pool.start(worker)
        self._refresh()
        self.status_changed.emit()

    @Slot(object)
    def _on_progress(self, done: object) -> None:
        if self.sender() is not self._worker:
            return
        if isinstance(done, float | int):
            self._stage_done = float(done)
            self.progress.setValue(int(1000 * self._stage_done))
            self._refresh_stage()

    @Slot(object)
    def _on_checked(self, check: ModelCheck) -> None:
        if self.sender() is not self._worker:
            return
        self._worker = None
        self.check = check
        self.settings.last_model = check.spec
        self._show_idle()
        self._refresh()
        self.status_changed.emit()
        self.model_checked.emit(check)

    @Slot(object)
    def _on_failed(self, error: ErrorInfo) -> None:
        if self.sender() is not self._worker:
            return
        self._worker = None
        self.error = error
        self._show_idle()
        self._refresh()
        self.status_changed.emit()

    def is_busy(self) -> bool:
        return self._worker is not None

    def is_done(self) -> bool:
        return self.check is not None and self.check.can_tune

    def can_continue(self) -> bool:
        return not self.is_busy()  # the examples can be chosen before the model is settled

    # --- text --------------------------------------------------------------------------------------
    def step_title(self) -> str:
        return self.tr("Model")

    def retranslate(self) -> None:
        super().retranslate()
        self.intro.setText(
            self.tr(
                "The language model that will learn from your data. Two models are included: one that "
                "reads Japanese (and other languages) and a smaller one for English. Both work on most PCs. "
                "When you choose your examples, the one that suits their language is picked for you. You can "
                "also open another model file, or drop it onto this window."
            )
        )
        self.selected_label.setText(self.tr("Selected model:"))
        self.gemma_button.setText(self.tr("Use the &Japanese / multilingual model"))
        self.default_button.setText(self.tr("Use the &English model"))
        self.open_button.setText(self.tr("&Open model file…"))
        self.next_button.setText(self.tr("&Next: Training data"))
        self.card.setTitle(self.tr("About this model"))
        self.card_details.set_title(self.tr("Details"))
        captions = {
            "name": self.tr("Name"),
            "file": self.tr("File"),
            "kind": self.tr("Kind"),
            "size": self.tr("Size on disk"),
            "parameters": self.tr("Parameters"),
            "measured": self.tr("Measured"),
            "memory": self.tr("Memory"),
            "speed": self.tr("Speed on this PC"),
        }
        for key, (caption, _) in self.card_fields.items():
            caption.setText(captions[key])
        self._refresh()

    def _show_idle(self) -> None:
        self.progress.hide()
        self.stage_label.hide()

    def _refresh_stage(self) -> None:
        if self._stage_done < 1.0:
            self.stage_label.setText(self.tr("Converting the model for this PC (first use only)…"))
        else:
            self.stage_label.setText(self.tr("Measuring the speed of this PC…"))

    def _name_for(self, spec: str | None, fallback: str = "") -> str:
        if spec == DEFAULT_SPEC:
            return self.tr("SmolLM2 135M — included, English")
        if spec == GEMMA_BUILTIN:
            return self.tr("Gemma 3 270M — included, Japanese and other languages")
        return fallback or (spec or "")

    def _terms_text(self, spec: str | None) -> str:
        if spec != GEMMA_BUILTIN:
            return ""
        files = gemma_terms_files()
        if not files:
            return self.tr("Gemma is provided under and subject to the Gemma Terms of Use.")
        return self.tr(
            'Gemma is provided under and subject to the <a href="{terms}">Gemma Terms of Use</a> '
            '(<a href="{notice}">notice</a>).'
        ).format(
            terms=QUrl.fromLocalFile(str(files[0])).toString(),
            notice=QUrl.fromLocalFile(str(files[1])).toString(),
        )

    def _kind_text(self, kind: str) -> str:
        return {
            "gguf-llama": self.tr("Causal language model (Llama family, GGUF)"),
            "onnx-causal-lm": self.tr("Causal language model (ONNX)"),
            "onnx-classifier": self.tr("Sequence classifier (ONNX)"),
            "onnx-encoder": self.tr("Sentence encoder (ONNX): becomes a classifier when tuned"),
        }.get(kind, kind)

    def _refresh(self) -> None:
        check = self.check
        self.selected_name.setText(self._name_for(self.spec, check.display_name if check else "") or "—")
        self.default_button.setEnabled(not self.is_busy())
        self.gemma_button.setEnabled(not self.is_busy())
        self.open_button.setEnabled(not self.is_busy())
        self.terms_label.setText(self._terms_text(check.spec if check else None))
        self.terms_label.setVisible(bool(self.terms_label.text()))
        if self.is_busy():
            self._refresh_stage()
        self.card.setVisible(check is not None)
        if check is not None:
            values = {
                "name": self._name_for(check.spec, check.display_name),
                "file": check.source,
                "kind": self._kind_text(check.kind),
                "size": data_size(check.size_bytes),
                "parameters": self._parameters_text(check),
                "measured": self._measured_text(check),
                "memory": self._memory_text(check),
                "speed": self._speed_text(check),
            }
            for key, (_, value) in self.card_fields.items():
                value.setText(values[key])
        self._refresh_verdict()

    def _parameters_text(self, check: ModelCheck) -> str:
        if not check.parameters:
            return self.tr("unknown")
        millions = QLocale().toString(check.parameters / 1e6, "f", 0 if check.parameters >= 1e7 else 2)
        if check.tunable and check.n_layers:
            return self.tr("{millions} million ({layers} layers)").format(
                millions=millions, layers=check.n_layers
            )
        if check.tunable:
            return self.tr("{millions} million").format(millions=millions)
        return self.tr("about {millions} million (estimated from the file size)").format(millions=millions)

    def _memory_text(self, check: ModelCheck) -> str:
        free = data_size(int(check.memory_free_mb * 2**20))
        if check.memory_needed_mb is None:
            return self.tr("{free} free now").format(free=free)
        need = data_size(int(check.memory_needed_mb * 2**20))
        return self.tr("tuning needs about {need}; {free} free now").format(need=need, free=free)

    def _speed_text(self, check: ModelCheck) -> str:
        if check.seconds_per_step is None:
            return self.tr("not measured (this kind of model cannot be tuned)")
        per_minute = check.steps_per_minute or 0.0
        locale = QLocale()
        if per_minute >= 1:
            return self.tr("about {n} tuning rounds a minute").format(
                n=locale.toString(per_minute, "f", 0 if per_minute >= 10 else 1)
            )
        return self.tr("about one tuning round every {s} seconds").format(
            s=locale.toString(check.seconds_per_step, "f", 0)
        )

    def _measured_text(self, check: ModelCheck) -> str:
        if check.seconds_per_example is None:
            return "—"
        return self.tr("{ms} ms per example for one forward pass").format(
            ms=QLocale().toString(check.seconds_per_example * 1000, "f", 1)
        )

    def _refresh_verdict(self) -> None:
        lang = current_language()
        if self.is_busy():
            self.verdict.set_message("info", "", "")
            return
        if self.error is not None:
            self.verdict.set_message("error", self.tr("Problem"), self.error.message(lang), self.error)
            return
        check = self.check
        if check is None:
            self.verdict.set_message(
                "info", "", self.tr("Choose an included model or open a model file to see its card.")
            )
            return
        if not check.tunable:
            why = (
                check.not_tunable.message(lang)
                if check.not_tunable is not None
                else self.tr(
                    "Tuning needs a Llama-family GGUF model, an ONNX causal language model or an ONNX "
                    "sequence classifier."
                )
            )
            self.verdict.set_message(
                "error",
                self.tr("Cannot tune"),
                self.tr("This model can be evaluated but not tuned here. {why}").format(why=why),
            )
        elif not check.fits_in_memory:
            self.verdict.set_message(
                "error",
                self.tr("Cannot tune"),
                self.tr(
                    "This PC cannot tune this model: a run needs about {need} of free memory and only {free} "
                    "is free now. Close other programs, or choose a smaller model."
                ).format(
                    need=data_size(int(check.memory_needed_mb * 2**20)),
                    free=data_size(int(check.memory_free_mb * 2**20)),
                ),
            )
        else:
            text = self.tr("This PC can tune this model ({speed}).").format(speed=self._speed_text(check))
            self.verdict.set_message("ok", self.tr("OK"), text)
