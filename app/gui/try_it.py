"""The Tune page's "Try it" box: a typed text (or one of the examples) and the model's answer in words.

During a run the question goes to the run itself (``TuneWorker.ask``): the engine answers it between steps,
in the run's thread, with the best model so far (an ``AnswerEvent``). After the run the tuned model the run
wrote answers, opened once and asked in a worker thread (``ExportedAnswers``). No model runs on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QLocale, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from app.engine.events import AnswerEvent
from app.gui.i18n import current_language
from app.gui.layouts import Columns
from app.gui.pages.page import BUTTON_MIN_HEIGHT, make_button, wrapping_label

# Plain words for the answer's probability: high from 90%, medium from 70%.
HIGH, MEDIUM = 0.9, 0.7


class ExportedAnswers:
    """The tuned model a finished run wrote, opened on the first question and kept for the next ones.

    Called from worker threads, one question at a time (the box waits for each answer).
    """

    def __init__(self, model_path: str, labels: tuple[str, ...], best_step: int) -> None:
        self.model_path, self.labels, self.best_step = model_path, labels, best_step
        self._scorer = None

    def answer(self, _progress, number: int, text: str) -> AnswerEvent:
        from app.engine.results.evaluation import open_scorer

        if self._scorer is None:
            # share_cores: ORT threads yield, the GUI thread keeps its share of a core.
            self._scorer = open_scorer(self.model_path, self.labels, share_cores=True)
        label, confidence = self._scorer.answer(text)
        return AnswerEvent(number, text, label, confidence, self.best_step, tuned=True)


class TryItBox(QFrame):
    """Type or pick a text, press Ask, read the answer; the page decides who answers (``asked``)."""

    asked = Signal(str)

    # Who answers now: nobody yet, the running tuning, the tuned model written by the run.
    NONE, RUN, MODEL = range(3)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = self.NONE
        self.why_not = ""  # the sentence shown while nobody can answer
        self.waiting = False
        self.answer: AnswerEvent | None = None
        self.answer_source = self.NONE
        # One row, no frame title (title, text, button, answer): the charts below keep their 240 px at 1366×768.
        # On a narrow window the answer goes under the question.
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        columns = Columns(self)
        outer.addWidget(columns)
        question = QWidget(self)
        row = QHBoxLayout(question)
        row.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(self)
        self.title.setObjectName("emphasis")
        row.addWidget(self.title)
        self.text_box = QComboBox(self)  # editable: type a text, or pick one of the examples
        self.text_box.setEditable(True)
        self.text_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.text_box.setMinimumHeight(BUTTON_MIN_HEIGHT)
        self.text_box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.text_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.text_box.setMinimumContentsLength(12)
        self.text_box.lineEdit().installEventFilter(self)  # Enter asks (and is not the page's default button)
        self.ask_button = make_button(self)
        self.ask_button.clicked.connect(self.ask)
        self.result = wrapping_label(self, selectable=True)
        self.result.setObjectName("emphasis")
        self.result.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row.addWidget(self.text_box, 1)
        row.addWidget(self.ask_button)
        columns.add(question, 3)
        columns.add(self.result, 2)
        self.retranslate()

    # --- what the page tells the box ---------------------------------------------------------------
    def set_examples(self, texts: tuple[str, ...]) -> None:
        typed = self.text_box.currentText()
        self.text_box.clear()
        self.text_box.addItems(list(texts))
        self.text_box.setCurrentIndex(-1)
        self.text_box.setEditText(typed)

    def set_source(self, source: int, why_not: str = "") -> None:
        """Who answers from now on; ``why_not``: the sentence shown while nobody can (``NONE``)."""
        if (source, why_not) != (self.source, self.why_not):
            self.source, self.why_not = source, why_not
            self._refresh()

    def clear_answer(self) -> None:
        self.waiting, self.answer = False, None
        self._refresh()

    def show_answer(self, answer: AnswerEvent, source: int) -> None:
        self.waiting = False
        self.answer, self.answer_source = answer, source
        self._refresh()

    def stop_waiting(self) -> None:
        self.waiting = False
        self._refresh()

    @Slot()
    def ask(self) -> None:
        text = self.text_box.currentText().strip()
        if not text or self.waiting or self.source == self.NONE:
            return
        self.waiting = True
        self._refresh()
        self.asked.emit(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.text_box.lineEdit()
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.ask()
            return True
        return super().eventFilter(watched, event)

    # --- text --------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.title.setText(self.tr("Try it:"))
        self.text_box.lineEdit().setPlaceholderText(self.tr("Type a text as it would appear in your data…"))
        self.ask_button.setText(self.tr("&Ask"))
        self._refresh()

    def certainty(self, p: float) -> str:
        if p >= HIGH:
            return self.tr("high")
        if p >= MEDIUM:
            return self.tr("medium")
        return self.tr("low")

    def answer_text(self, answer: AnswerEvent, source: int) -> str:
        """The answer in two plain sentences: what and how sure, then which model gave it."""
        if not answer.label:
            return answer.message_ja if current_language() == "ja" else answer.message_en
        first = self.tr("Answer: {label}. Certainty: {certainty} ({percent}%).").format(
            label=answer.label,
            certainty=self.certainty(answer.confidence),
            percent=QLocale().toString(100 * answer.confidence, "f", 0),
        )
        if source == self.MODEL:
            second = self.tr("From the tuned model this run wrote.")
        elif answer.tuned and answer.best_step == 0:
            second = self.tr("From the best result so far (fitted to your examples before the first round).")
        elif answer.tuned:
            second = self.tr("From the best result so far (round {step}).").format(step=answer.best_step)
        else:
            second = self.tr("Not tuned yet: this is how the model answered before tuning.")
        return f"{first}\n{second}"

    def _refresh(self) -> None:
        can_ask = self.source != self.NONE
        self.ask_button.setEnabled(can_ask and not self.waiting)
        self.text_box.setEnabled(can_ask)
        if self.waiting:
            text = (
                self.tr("Asking the best model so far…")
                if self.source == self.RUN
                else self.tr("Asking the tuned model…")
            )
        elif self.answer is not None:
            text = self.answer_text(self.answer, self.answer_source)
        elif not can_ask:
            text = self.why_not
        else:
            text = self.tr("Type a text or pick one of your examples, then press Ask.")
        self.result.setText(text)
