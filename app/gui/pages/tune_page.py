"""Step 4: run the tuning in a worker thread and watch it live.

In front: a status tile in words and one large chart of validation accuracy over time; loss, electricity,
CPU and memory wait behind a "More charts" tab.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QDateTime, QLocale, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.engine.events import (
    AnswerEvent,
    BaselineEvent,
    EvalEvent,
    FinishedEvent,
    ProgressEvent,
    ResourceEvent,
    StepEvent,
)
from app.engine.results.model_check import ModelCheck
from app.engine.storage import user_data_dir
from app.engine.tuning.budget import DEFAULT_PATIENCE_MINUTES, minutes_without_improvement
from app.engine.tuning.config import TuneConfig
from app.gui.choices import BudgetChoice, ExamplesChoice, RunOutcome
from app.gui.formatting import format_duration, format_yen
from app.gui.i18n import current_language
from app.gui.layouts import Columns, FlowBox
from app.gui.pages.page import Page, StatusLine, make_button, wrapping_label
from app.gui.plots import BLUE, GREEN, GREY, ORANGE, VERMILION, LivePlot, PlotRefresher
from app.gui.settings import Settings
from app.gui.share_pc import tuning_threads
from app.gui.try_it import ExportedAnswers, TryItBox
from app.gui.worker import ErrorInfo, FunctionWorker, ThreadPool, TuneWorker

SMOOTHING = 0.9  # exponential moving average of the loss, for the eye only
# The tile says "levelling off" after this share of the early-stopping wait without a new best.
LEVELLING_SHARE = 0.5


def new_run_folder() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = user_data_dir() / "runs" / stamp
    n = 2
    while folder.exists():
        folder = user_data_dir() / "runs" / f"{stamp}-{n}"
        n += 1
    return folder


class TunePage(Page):
    run_started = Signal()
    run_ended = Signal(object)  # RunOutcome

    IDLE, PREPARING, RUNNING, PAUSED, STOPPING = range(5)

    def __init__(self, pool: ThreadPool, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.settings = settings
        self.model: ModelCheck | None = None
        self.examples: ExamplesChoice | None = None
        self.budget: BudgetChoice | None = None
        self.extra_config: dict = {}  # engine settings the UI does not show (tests, experts)
        self.worker: TuneWorker | None = None
        self.config: TuneConfig | None = None
        self.state = self.IDLE
        self.last_outcome: RunOutcome | None = None
        self.error: ErrorInfo | None = None  # shown until the next run starts, in the current language
        self._reset_figures()
        self.layout_.setSpacing(8)

        self.summary = wrapping_label(self.body)
        self.layout_.addWidget(self.summary)

        buttons_box = FlowBox(self.body)
        self.start_button = make_button(self.body, primary=True)
        self.start_button.clicked.connect(self.start_run)
        self.pause_button = make_button(self.body)
        self.pause_button.clicked.connect(self.pause_run)
        self.resume_button = make_button(self.body)
        self.resume_button.clicked.connect(self.resume_run)
        self.stop_button = make_button(self.body)
        self.stop_button.clicked.connect(self.stop_run)
        for b in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            buttons_box.add(b)
        # Where the run is and how much of the time is used, beside the buttons (the chart needs the height).
        # (On a narrow window, under them.)
        progress_box = QWidget(self.body)
        progress = QVBoxLayout(progress_box)
        progress.setContentsMargins(0, 0, 0, 0)
        self.stage_label = wrapping_label(self.body)
        self.progress = QProgressBar(self.body)
        self.progress.setRange(0, 1000)
        self.progress.setMinimumHeight(28)
        progress.addWidget(self.stage_label)
        progress.addWidget(self.progress)
        controls = Columns(self.body)
        controls.add(buttons_box, 0)
        controls.add(progress_box, 1)
        self.layout_.addWidget(controls)
        self.primary_button = self.start_button
        self.status = StatusLine(self.body)
        self.layout_.addWidget(self.status)

        # --- the status tile (in words) and the figures that matter ----------------------------------
        top = QHBoxLayout()
        self.tile = QFrame(self.body)
        self.tile.setObjectName("statusTile")
        tile_layout = QVBoxLayout(self.tile)
        self.tile_title = QLabel(self.tile)
        self.tile_title.setObjectName("tileTitle")
        self.tile_text = wrapping_label(self.tile)
        tile_layout.addWidget(self.tile_title)
        tile_layout.addWidget(self.tile_text)
        tile_layout.addStretch(1)
        top.addWidget(self.tile, 3)
        self.figures_box = QFrame(self.body)
        self.figures_box.setObjectName("figures")
        figures = QGridLayout(self.figures_box)
        self.figure_captions: dict[str, QLabel] = {}
        self.figure_values: dict[str, QLabel] = {}
        for i, key in enumerate(("accuracy", "elapsed", "eta", "energy")):
            caption, value = wrapping_label(self.figures_box), wrapping_label(self.figures_box)
            value.setObjectName("figure")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            figures.addWidget(caption, 2 * (i // 2), i % 2)
            figures.addWidget(value, 2 * (i // 2) + 1, i % 2)
            self.figure_captions[key], self.figure_values[key] = caption, value
        top.addWidget(self.figures_box, 4)
        self.layout_.addLayout(top)

        # --- try it: the best model so far answers a typed text, during the run and after it ------------
        self.try_box = TryItBox(self.body)
        self.try_box.asked.connect(self.ask)
        self.layout_.addWidget(self.try_box)
        self._question: int | None = None  # the run's number for the question still waiting for its answer
        self._question_text = ""
        self.exported: ExportedAnswers | None = None  # after a run: the tuned model it wrote
        self._answer_worker: FunctionWorker | None = None

        # --- charts: accuracy in front, the rest behind a tab ------------------------------------------
        self.tabs = QTabWidget(self.body)
        self.accuracy_plot = LivePlot(self.tabs)
        self.accuracy_plot.view.setMinimumHeight(160)  # it takes the rest of the height; 1366×768 fits
        self.accuracy_plot.add_series("val", GREEN, symbol="o", width=2.5)
        # The first model (the words of the examples alone) is a point of its own: joined to the line, it
        # would seem to fall to the model as it came, which is measured after it.
        self.accuracy_plot.add_series("words", BLUE, style=Qt.PenStyle.NoPen, symbol="s")
        self.accuracy_plot.set_y_range(0, 100)
        self.zero_shot_line = pg.InfiniteLine(
            angle=0, movable=False, pen=pg.mkPen(VERMILION, width=2, style=Qt.PenStyle.DashLine)
        )
        self.zero_shot_line.setVisible(False)
        self.accuracy_plot.addItem(self.zero_shot_line)
        self.accuracy_plot.add_series(
            "zero", VERMILION, style=Qt.PenStyle.DashLine
        )  # drawn as the line above
        # The simple keyword model (the engine's BaselineEvent): the bar the tuned model has to beat.
        self.keyword_line = pg.InfiniteLine(
            angle=0, movable=False, pen=pg.mkPen(GREY, width=2, style=Qt.PenStyle.DotLine)
        )
        self.keyword_line.setVisible(False)
        self.accuracy_plot.addItem(self.keyword_line)
        self.keyword_accuracy: float | None = None
        self.accuracy_plot.add_series("keyword", GREY, style=Qt.PenStyle.DotLine)  # drawn as the line above
        self.tabs.addTab(self.accuracy_plot, "")
        # The four smaller charts scroll inside their tab, so they never force the page to scroll.
        more_scroll = QScrollArea(self.tabs)
        more_scroll.setWidgetResizable(True)
        more_scroll.setFrameShape(QFrame.Shape.NoFrame)
        more = QWidget()
        more_scroll.setWidget(more)
        plots = QGridLayout(more)
        self.loss_plot = LivePlot(more)
        self.loss_plot.add_series("raw", GREY, width=1.0)
        self.loss_plot.add_series("smooth", BLUE, width=2.5)
        self.energy_plot = LivePlot(more, y_from_zero=True)
        self.energy_plot.add_series("wh", ORANGE)
        self.cpu_plot = LivePlot(more)
        self.cpu_plot.add_series("process", BLUE)
        self.cpu_plot.add_series("system", VERMILION, style=Qt.PenStyle.DashLine)
        self.cpu_plot.set_y_range(0, 100)  # % of the whole PC: 100 = every core busy
        self.memory_plot = LivePlot(more, y_from_zero=True)
        self.memory_plot.add_series("rss", BLUE)
        plots.addWidget(self.loss_plot, 0, 0)
        plots.addWidget(self.energy_plot, 0, 1)
        plots.addWidget(self.cpu_plot, 1, 0)
        plots.addWidget(self.memory_plot, 1, 1)
        self.tabs.addTab(more_scroll, "")
        # The charts take whatever height is left (at least 240 px); their own size hints never make the
        # page scroll at 1366×768.
        self.tabs.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.tabs.setMinimumHeight(240)
        self.layout_.addWidget(self.tabs, 1)
        self.plots = [self.accuracy_plot, self.loss_plot, self.energy_plot, self.cpu_plot, self.memory_plot]
        self.refresher = PlotRefresher(self.plots, self)
        self.tabs.currentChanged.connect(self.refresher.flush)  # a tab coming into view draws at once
        self._logical_cores = max(os.cpu_count() or 1, 1)
        self.retranslate()

    # --- inputs ------------------------------------------------------------------------------------
    def set_inputs(
        self, model: ModelCheck | None, examples: ExamplesChoice | None, budget: BudgetChoice | None
    ) -> None:
        self.model, self.examples, self.budget = model, examples, budget
        self.try_box.set_examples(examples.sample_texts if examples is not None else ())
        self._refresh()

    def missing_input(self) -> str:
        """What must be done before a run can start, in words, or ''."""
        if self.model is None:
            return self.tr("Choose a model first (step 1).")
        if not self.model.can_tune:
            return self.tr("The chosen model cannot be tuned on this PC; see step 1.")
        if self.examples is None:
            return self.tr("Choose your training data first (step 2).")
        if not self.examples.prompt_ok:
            return self.tr("Fix the answer words in step 2 first.")
        if self.budget is None:
            return self.tr("Set the tuning time first (step 3).")
        return ""

    def is_running(self) -> bool:
        return self.state != self.IDLE

    def is_done(self) -> bool:
        return self.last_outcome is not None and self.last_outcome.report is not None

    def is_reachable(self) -> bool:
        return not self.missing_input() or self.is_running() or self.last_outcome is not None

    # --- run control -------------------------------------------------------------------------------
    def make_config(self) -> TuneConfig:
        ex = self.examples
        settings = dict(
            data=ex.path,
            out_dir=str(new_run_folder()),
            model=self.model.spec,
            budget=self.budget.budget,
            text_column=ex.text_column,
            label_column=ex.label_column,
            template=ex.template,
            label_words=ex.label_words,
            share_cores=True,  # ORT threads must not spin: the GUI thread needs its share of a core
            threads=tuning_threads(self.budget.leave_core_free),
            export=True,
            tuned_layers=self.budget.tuned_layers,
        )
        settings.update(self.extra_config)
        return TuneConfig(**settings).validate()

    @Slot()
    def start_run(self) -> None:
        if self.is_running() or self.missing_input():
            return
        try:
            config = self.make_config()
        except Exception as exc:
            self._show_error(ErrorInfo.from_exception(exc))
            return
        self.start_config(config)

    def start_config(self, config: TuneConfig) -> None:
        """Start a run (new or resumed) from a ready configuration."""
        self.config = config
        self.last_outcome = None
        self.error = None
        self.exported = None
        self._question = None
        self.try_box.clear_answer()
        self._reset_figures()
        for plot in self.plots:
            plot.clear_data()
        self.zero_shot_line.setVisible(False)
        self.keyword_line.setVisible(False)
        self.keyword_accuracy: float | None = None
        lower_priority = self.budget is not None and self.budget.leave_core_free
        worker = TuneWorker(config, lower_priority=lower_priority)
        worker.events.connect(self._on_events)
        worker.succeeded.connect(self._on_succeeded)
        worker.failed.connect(self._on_failed)
        self.worker = worker
        self.state = self.PREPARING
        self.refresher.start()
        self.pool.start(worker)
        self._refresh()
        self.status_changed.emit()
        self.run_started.emit()

    @Slot()
    def pause_run(self) -> None:
        if self.worker is not None and self.state in (self.RUNNING, self.PREPARING):
            self.worker.pause()
            self.state = self.PAUSED
            self._refresh()

    @Slot()
    def resume_run(self) -> None:
        if self.worker is not None and self.state == self.PAUSED:
            self.worker.resume()
            self.state = self.RUNNING if self._step > 0 else self.PREPARING
            self._refresh()

    @Slot()
    def stop_run(self) -> None:
        """Ask the engine to stop after the current step; it keeps the best result so far and exports it."""
        if self.worker is not None and self.state != self.STOPPING:
            self.worker.stop()
            self.state = self.STOPPING
            self._refresh()

    @Slot(str)
    def ask(self, text: str) -> None:
        """Ask the running tuning (it answers between steps) or, after the run, the tuned model it wrote."""
        if self.worker is not None:
            self._question, self._question_text = self.worker.ask(text), text
        elif self.exported is not None:
            self._ask_exported(text)
        else:
            self.try_box.stop_waiting()

    def _ask_exported(self, text: str) -> None:
        worker = FunctionWorker(self.exported.answer, 0, text)
        worker.succeeded.connect(self._on_exported_answer)
        worker.failed.connect(self._on_exported_failed)
        self._answer_worker = worker
        self.pool.start(worker)

    @Slot(object)
    def _on_exported_answer(self, answer: AnswerEvent) -> None:
        if self.sender() is self._answer_worker:
            self.try_box.show_answer(answer, TryItBox.MODEL)

    @Slot(object)
    def _on_exported_failed(self, error: ErrorInfo) -> None:
        if self.sender() is self._answer_worker:
            failed = AnswerEvent(0, "", "", 0.0, 0, False, error.message_en, error.message_ja)
            self.try_box.show_answer(failed, TryItBox.MODEL)

    def _try_source(self) -> tuple[int, str]:
        """Who answers the "Try it" box now, or why nobody can."""
        if self.worker is not None:
            if self._evals:
                return TryItBox.RUN, ""
            return TryItBox.NONE, self.tr(
                "The model is getting ready: you can ask once the first check of accuracy is done."
            )
        if self.exported is not None:
            return TryItBox.MODEL, ""
        if self.last_outcome is not None:
            return TryItBox.NONE, self.tr("This run wrote no tuned model, so there is nothing to ask.")
        return TryItBox.NONE, self.tr(
            "No model to ask yet: start tuning, and ask once the first check of accuracy is done."
        )

    # --- events from the worker --------------------------------------------------------------------
    def _reset_figures(self) -> None:
        self._step = 0
        self._loss_smooth: float | None = None
        self._budget_fraction = 0.0
        self._eta: float | None = None
        self._seconds = 0.0
        self._zero_shot: float | None = None
        self._words: float | None = None  # the first model's accuracy (from the words of the examples alone)
        self._best: float | None = None
        self._energy_wh: float | None = None
        self._energy_source = ""
        self._stage: ProgressEvent | None = None
        self._evals: list[dict] = []  # val_accuracy and seconds per evaluation, for the status tile

    @Slot(object)
    def _on_events(self, batch: tuple) -> None:
        if self.sender() is not self.worker:
            return
        for event in batch:
            if isinstance(event, StepEvent):
                self._step = event.step
                self._seconds = event.seconds
                self._budget_fraction = event.budget_fraction
                self._eta = event.eta_seconds
                if event.loss == event.loss:  # a rejected (non-finite) step is not drawn
                    s = self._loss_smooth
                    s = event.loss if s is None else SMOOTHING * s + (1 - SMOOTHING) * event.loss
                    self._loss_smooth = s
                    self.loss_plot.append("raw", event.seconds, event.loss)
                    self.loss_plot.append("smooth", event.seconds, s)
            elif isinstance(event, EvalEvent):
                self._seconds = max(self._seconds, event.seconds)  # the clock moves before the first round
                series = "words" if event.model == "words" else "val"
                self.accuracy_plot.append(series, event.seconds, 100 * event.val_accuracy)
                self._evals.append({"val_accuracy": event.val_accuracy, "seconds": event.seconds})
                # The dashed line is the model as it came; the models fitted before any step (from the words
                # of the examples, then the head) are points beside it, not a new start.
                if event.model == "words":
                    self._words = event.val_accuracy
                if event.model == "zero-shot" or (self._zero_shot is None and event.model != "words"):
                    self._zero_shot = event.val_accuracy
                    self.zero_shot_line.setPos(100 * event.val_accuracy)
                    self.zero_shot_line.setVisible(True)
                self._best = event.best_accuracy
            elif isinstance(event, BaselineEvent) and event.model == "keyword":
                self.keyword_accuracy = event.val_accuracy
                self.keyword_line.setPos(100 * event.val_accuracy)
                self.keyword_line.setVisible(True)
            elif isinstance(event, ResourceEvent):
                t = event.seconds
                self.cpu_plot.append("process", t, event.process_cpu_percent / self._logical_cores)
                self.cpu_plot.append("system", t, event.system_cpu_percent)
                self.memory_plot.append("rss", t, event.process_rss_mb)
                self.energy_plot.append("wh", t, event.energy_wh)
                self._energy_wh, self._energy_source = event.energy_wh, event.energy_source
            elif isinstance(event, ProgressEvent):
                self._stage = event
            elif isinstance(event, FinishedEvent):
                self._stage = None
            elif isinstance(event, AnswerEvent) and event.question == self._question:
                self._question = None
                self.try_box.show_answer(event, TryItBox.RUN)
        if self.state == self.PREPARING and self._step > 0:
            self.state = self.RUNNING
        self._refresh()

    @Slot(object)
    def _on_succeeded(self, result: dict) -> None:
        if self.sender() is not self.worker:
            return
        report = result["report"]
        self._energy_wh = report.get("energy_wh", self._energy_wh)
        self._finish(RunOutcome(self.config, result["out_dir"], report, result["stop_reason"]))

    @Slot(object)
    def _on_failed(self, error: ErrorInfo) -> None:
        if self.sender() is not self.worker:
            return
        self._finish(RunOutcome(self.config, self.config.out_dir, None, "", error))

    def _finish(self, outcome: RunOutcome) -> None:
        self.worker = None
        pending = self._question_text if self._question is not None else ""
        self._question = None
        model = outcome.report.get("exported_model") if outcome.report is not None else None
        if model:
            labels = tuple(outcome.report["labels"])
            self.exported = ExportedAnswers(model, labels, int(outcome.report.get("best_step", 0)))
            if pending:  # asked as the run ended: the tuned model it wrote answers instead
                self._ask_exported(pending)
        elif pending:
            self.try_box.stop_waiting()
        self.state = self.IDLE
        self.refresher.stop()
        self.last_outcome = outcome
        self._stage = None
        if outcome.error is not None:
            self._show_error(outcome.error)
        self._refresh()
        self.status_changed.emit()
        self.run_ended.emit(outcome)

    def _show_error(self, error: ErrorInfo) -> None:
        self.error = error
        self._refresh()

    # --- text --------------------------------------------------------------------------------------
    def step_title(self) -> str:
        return self.tr("Tune")

    def retranslate(self) -> None:
        super().retranslate()
        self.intro.setText(
            self.tr(
                "Start the run and watch it learn. The PC may feel slower while it tunes; this window stays "
                "usable. Stop keeps the best result found so far."
            )
        )
        self.start_button.setText(self.tr("&Start tuning"))
        self.pause_button.setText(self.tr("&Pause"))
        self.resume_button.setText(self.tr("Res&ume"))
        self.stop_button.setText(self.tr("S&top (keep best so far)"))
        self.next_button.setText(self.tr("&Next: Results"))
        captions = {
            "accuracy": self.tr("Correct answers: best (at start)"),
            "elapsed": self.tr("Time spent"),
            "eta": self.tr("Time left"),
            "energy": self.tr("Electricity so far"),
        }
        for key, label in self.figure_captions.items():
            label.setText(captions[key])
        self.tabs.setTabText(0, self.tr("Accuracy"))
        self.tabs.setTabText(1, self.tr("More charts"))
        time_axis = self.tr("time (min:s)")
        self.accuracy_plot.set_labels(
            self.tr("Correct answers on the checking rows (they pick the best result)"),
            self.tr("% correct"),
            time_axis,
        )
        self.accuracy_plot.set_series_name("val", self.tr("while tuning"))
        self.accuracy_plot.set_series_name("zero", self.tr("before tuning"))
        self.accuracy_plot.set_series_name("words", self.tr("first model, from the words alone"))
        self.accuracy_plot.set_series_name("keyword", self.tr("simple keyword model (the bar to beat)"))
        self.loss_plot.set_labels(
            self.tr("Error while learning (lower is better)"), self.tr("error"), time_axis
        )
        self.loss_plot.set_series_name("raw", self.tr("each round"))
        self.loss_plot.set_series_name("smooth", self.tr("average"))
        self.energy_plot.set_labels(self.tr("Electricity used"), self.tr("Wh"), time_axis)
        self.energy_plot.set_series_name("wh", self.tr("electricity"))
        self.cpu_plot.set_labels(self.tr("Processor load (whole PC = 100%)"), self.tr("%"), time_axis)
        self.cpu_plot.set_series_name("process", self.tr("tuning"))
        self.cpu_plot.set_series_name("system", self.tr("whole PC"))
        self.memory_plot.set_labels(self.tr("Memory used by tuning"), self.tr("MB"), time_axis)
        self.memory_plot.set_series_name("rss", self.tr("tuning"))
        self.try_box.retranslate()
        self._refresh()

    def _patience_minutes(self) -> float | None:
        budget = (
            self.config.budget if self.config is not None else self.budget.budget if self.budget else None
        )
        return budget.patience_minutes if budget is not None else None

    def _tile(self) -> tuple[str, str, str]:
        """The status tile: level (for its colour), a few words, and one sentence."""
        state, locale = self.state, QLocale()
        if state == self.IDLE:
            outcome = self.last_outcome
            if outcome is None:
                return (
                    "info",
                    self.tr("Not started"),
                    self.tr("Press Start tuning when the steps above are done."),
                )
            if outcome.error is not None:
                return "error", self.tr("Did not finish"), self.tr("See the message above.")
            if outcome.stop_reason == "plateau":
                return (
                    "ok",
                    self.tr("Stopped early"),
                    self.tr(
                        "Accuracy had stopped going up, so the run ended early and kept its best result."
                    ),
                )
            return "ok", self.tr("Finished"), self.tr("The best result is kept. See the results (step 5).")
        if state == self.PAUSED:
            return "info", self.tr("Paused"), self.tr("Press Resume to continue.")
        if state == self.STOPPING:
            return "info", self.tr("Stopping"), self.tr("Keeping the best result so far.")
        if state == self.PREPARING and self._words is not None:
            return (
                "ok",
                self.tr("A first model is ready"),
                self.tr(
                    "From the words in your examples alone, it answers {acc}% of the checking rows right. "
                    "The language model is reading your examples now; its answers come next."
                ).format(acc=locale.toString(100 * self._words, "f", 0)),
            )
        if state == self.PREPARING or len(self._evals) < 2:
            return (
                "info",
                self.tr("Getting ready"),
                self.tr("The first check of accuracy comes after a few rounds."),
            )
        waited = minutes_without_improvement(self._evals)
        patience = self._patience_minutes()
        levelling = (patience or DEFAULT_PATIENCE_MINUTES) * LEVELLING_SHARE
        if patience is not None:
            left = format_duration(max(patience - waited, 0.0) * 60)
            stop_text = self.tr("Stops early if nothing improves for another {left}.").format(left=left)
        else:
            stop_text = self.tr("Early stop is off: it runs for the whole time.")
        since = format_duration(waited * 60)
        if waited >= levelling:
            return (
                "warning",
                self.tr("Levelling off: safe to stop"),
                self.tr("No better result for {since}. {stop}").format(since=since, stop=stop_text),
            )
        if (self._best or 0) > (self._zero_shot or 0):
            return (
                "ok",
                self.tr("Improving steadily"),
                self.tr("Up from {start}% to {best}%. {stop}").format(
                    start=locale.toString(100 * (self._zero_shot or 0), "f", 0),
                    best=locale.toString(100 * (self._best or 0), "f", 0),
                    stop=stop_text,
                ),
            )
        return (
            "info",
            self.tr("Learning, no gain yet"),
            self.tr("Gains often come after a few minutes. {stop}").format(stop=stop_text),
        )

    def _refresh(self) -> None:
        locale = QLocale()
        lang = current_language()
        state = self.state
        missing = self.missing_input()
        self.start_button.setEnabled(state == self.IDLE and not missing)
        self.pause_button.setEnabled(state in (self.PREPARING, self.RUNNING))
        self.resume_button.setEnabled(state == self.PAUSED)
        self.stop_button.setEnabled(state in (self.PREPARING, self.RUNNING, self.PAUSED))
        if self.error is not None:
            self.status.set_message("error", self.tr("Problem"), self.error.message(lang), self.error)
        else:
            self.status.set_message("info", "", "")

        if missing and state == self.IDLE:
            self.summary.setText(missing)
        elif self.model is not None and self.examples is not None and self.budget is not None:
            self.summary.setText(
                self.tr(
                    "{model} learns from {n} rows of your data ({labels}); tuning time: {budget}."
                ).format(
                    model=self.model.display_name,
                    n=locale.toString(self.examples.n_train + self.examples.n_val + self.examples.n_test),
                    labels=", ".join(self.examples.labels),
                    budget=self.budget.budget.describe(lang),
                )
            )

        if state == self.IDLE:
            if self.last_outcome is None:
                stage = self.tr("Ready.") if not missing else ""
            elif self.last_outcome.error is not None:
                stage = self.tr("The run did not finish.")
            else:
                stage = self.tr("Finished: see the results (step 5).")
            self.progress.setValue(1000 if self.last_outcome and self.last_outcome.report else 0)
        elif state == self.PAUSED:
            stage = self.tr("Paused after {step} rounds. Press Resume to continue.").format(step=self._step)
        elif state == self.STOPPING:
            stage = self.tr("Stopping: checking the best result and writing the model…")
        elif self._stage is not None and (state == self.PREPARING or self._stage.stage == "export"):
            message = self._stage.message_ja if lang == "ja" else self._stage.message_en
            stage = self.tr("Preparing: {message}…").format(message=message)
            self.progress.setValue(int(1000 * self._stage.done))
        elif state == self.PREPARING:
            stage = self.tr("Preparing…")
            self.progress.setValue(0)
        else:
            stage = self.tr("Tuning. The bar shows how much of the tuning time is used.")
            self.progress.setValue(int(1000 * self._budget_fraction))
        self.stage_label.setText(stage)

        self.try_box.set_source(*self._try_source())

        level, title, text = self._tile()
        self.tile.setProperty("level", level)
        self.tile_title.setText(title)
        self.tile_text.setText(text)
        self.tile.style().unpolish(self.tile)
        self.tile.style().polish(self.tile)

        v = self.figure_values
        v["elapsed"].setText(format_duration(self._seconds))
        if self._eta is None or state == self.IDLE:
            v["eta"].setText("--:--")
        else:
            finish = QDateTime.currentDateTime().addSecs(int(self._eta))
            v["eta"].setText(
                self.tr("{left} (at {time})").format(
                    left=format_duration(self._eta),
                    time=locale.toString(finish.time(), QLocale.FormatType.ShortFormat),
                )
            )
        if self._best is None:
            v["accuracy"].setText("—")
        elif self._zero_shot is None:  # the first model is shown before the model as it came is measured
            v["accuracy"].setText(self.tr("{best}%").format(best=locale.toString(100 * self._best, "f", 1)))
        else:
            v["accuracy"].setText(
                self.tr("{best}% ({start}%)").format(
                    best=locale.toString(100 * self._best, "f", 1),
                    start=locale.toString(100 * (self._zero_shot or 0), "f", 1),
                )
            )
        if self._energy_wh is None:
            v["energy"].setText("—")
        else:
            yen = self._energy_wh / 1000 * (self.budget.yen_per_kwh if self.budget else 0)
            text = (
                self.tr("{wh} Wh, {yen} (measured)")
                if self._energy_source == "measured"
                else self.tr("{wh} Wh, {yen} (estimated)")
            )
            v["energy"].setText(text.format(wh=locale.toString(self._energy_wh, "f", 2), yen=format_yen(yen)))
