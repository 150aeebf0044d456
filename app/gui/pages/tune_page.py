"""Step 4: run the tuning in a worker thread and watch it live: loss, accuracy, CPU, memory, energy."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QDateTime, QLocale, Qt, Signal, Slot
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QWidget

from app.engine.config import TuneConfig
from app.engine.events import EvalEvent, FinishedEvent, ProgressEvent, ResourceEvent, StepEvent
from app.engine.storage import user_data_dir
from app.gui.choices import BudgetChoice, ExamplesChoice, RunOutcome
from app.gui.i18n import current_language
from app.gui.model_check import ModelCheck
from app.gui.pages.page import Page, StatusLine, make_button, wrapping_label
from app.gui.plots import BLUE, GREEN, GREY, ORANGE, VERMILION, LivePlot, PlotRefresher
from app.gui.settings import Settings
from app.gui.worker import ErrorInfo, ThreadPool, TuneWorker

SMOOTHING = 0.9  # exponential moving average of the loss, for the eye only


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "--:--"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


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

        self.summary = wrapping_label(self.body)
        self.layout_.addWidget(self.summary)

        buttons = QHBoxLayout()
        self.start_button = make_button(self.body, primary=True)
        self.start_button.clicked.connect(self.start_run)
        self.pause_button = make_button(self.body)
        self.pause_button.clicked.connect(self.pause_run)
        self.resume_button = make_button(self.body)
        self.resume_button.clicked.connect(self.resume_run)
        self.stop_button = make_button(self.body)
        self.stop_button.clicked.connect(self.stop_run)
        for b in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.layout_.addLayout(buttons)
        self.primary_button = self.start_button

        self.stage_label = wrapping_label(self.body)
        self.progress = QProgressBar(self.body)
        self.progress.setRange(0, 1000)
        self.progress.setMinimumHeight(28)
        self.layout_.addWidget(self.stage_label)
        self.layout_.addWidget(self.progress)
        self.status = StatusLine(self.body)
        self.layout_.addWidget(self.status)

        self.figures_box = QGroupBox(self.body)
        figures = QGridLayout(self.figures_box)
        self.figure_captions: dict[str, QLabel] = {}
        self.figure_values: dict[str, QLabel] = {}
        for col, key in enumerate(("step", "elapsed", "eta", "accuracy", "energy")):
            caption, value = wrapping_label(self.figures_box), wrapping_label(self.figures_box)
            value.setObjectName("figure")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            figures.addWidget(caption, 0, col)
            figures.addWidget(value, 1, col)
            self.figure_captions[key], self.figure_values[key] = caption, value
        self.layout_.addWidget(self.figures_box)

        plots = QGridLayout()
        self.loss_plot = LivePlot(self.body)
        self.loss_plot.add_series("raw", GREY, width=1.0)
        self.loss_plot.add_series("smooth", BLUE, width=2.5)
        self.accuracy_plot = LivePlot(self.body)
        self.accuracy_plot.add_series("val", GREEN, symbol="o")
        self.accuracy_plot.set_y_range(0, 100)
        self.zero_shot_line = pg.InfiniteLine(
            angle=0, movable=False, pen=pg.mkPen(VERMILION, width=2, style=Qt.PenStyle.DashLine)
        )
        self.zero_shot_line.setVisible(False)
        self.accuracy_plot.addItem(self.zero_shot_line)
        self.accuracy_plot.add_series(
            "zero", VERMILION, style=Qt.PenStyle.DashLine
        )  # drawn as the line above
        self.energy_plot = LivePlot(self.body)
        self.energy_plot.add_series("wh", ORANGE)
        self.cpu_plot = LivePlot(self.body)
        self.cpu_plot.add_series("process", BLUE)
        self.cpu_plot.add_series("system", VERMILION, style=Qt.PenStyle.DashLine)
        self.cpu_plot.set_y_range(0, 100 * max(os.cpu_count() or 1, 1) + 5)  # 100% per core, fixed scale
        self.memory_plot = LivePlot(self.body, right_axis=True)
        self.memory_plot.add_series("rss", BLUE)
        self.memory_plot.add_series("system", VERMILION, style=Qt.PenStyle.DashLine, on_right=True)
        self.memory_plot.set_y_range(0, 100, on_right=True)
        plots.addWidget(self.loss_plot, 0, 0)
        plots.addWidget(self.accuracy_plot, 0, 1)
        plots.addWidget(self.energy_plot, 0, 2)
        plots.addWidget(self.cpu_plot, 1, 0)
        plots.addWidget(self.memory_plot, 1, 1, 1, 2)
        for c in range(3):
            plots.setColumnStretch(c, 1)
        self.layout_.addLayout(plots, 1)
        self.plots = [self.loss_plot, self.accuracy_plot, self.energy_plot, self.cpu_plot, self.memory_plot]
        self.refresher = PlotRefresher(self.plots, self)
        self.retranslate()

    # --- inputs ------------------------------------------------------------------------------------
    def set_inputs(
        self, model: ModelCheck | None, examples: ExamplesChoice | None, budget: BudgetChoice | None
    ) -> None:
        self.model, self.examples, self.budget = model, examples, budget
        self._refresh()

    def missing_input(self) -> str:
        """What must be done before a run can start, in words, or ''."""
        if self.model is None:
            return self.tr("Choose a model first (step 1).")
        if not self.model.can_tune:
            return self.tr("The chosen model cannot be tuned on this PC; see step 1.")
        if self.examples is None:
            return self.tr("Choose your examples first (step 2).")
        if not self.examples.prompt_ok:
            return self.tr("Fix the prompt in step 2 first.")
        if self.budget is None:
            return self.tr("Set a budget first (step 3).")
        return ""

    def is_running(self) -> bool:
        return self.state != self.IDLE

    def is_done(self) -> bool:
        return self.last_outcome is not None and self.last_outcome.report is not None

    # --- run control -------------------------------------------------------------------------------
    def make_config(self) -> TuneConfig:
        ex = self.examples
        return TuneConfig(
            data=ex.path,
            out_dir=str(new_run_folder()),
            model=self.model.spec,
            budget=self.budget.budget,
            text_column=ex.text_column,
            label_column=ex.label_column,
            template=ex.template,
            label_words=ex.label_words,
            share_cores=True,  # ORT threads must not spin: the GUI thread needs its share of a core
            export=True,
            tuned_layers=self.budget.tuned_layers,
            **self.extra_config,
        ).validate()

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
        self._reset_figures()
        for plot in self.plots:
            plot.clear_data()
        self.zero_shot_line.setVisible(False)
        worker = TuneWorker(config)
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

    # --- events from the worker --------------------------------------------------------------------
    def _reset_figures(self) -> None:
        self._step = 0
        self._loss_smooth: float | None = None
        self._budget_fraction = 0.0
        self._eta: float | None = None
        self._seconds = 0.0
        self._zero_shot: float | None = None
        self._best: float | None = None
        self._energy_wh: float | None = None
        self._energy_source = ""
        self._stage: ProgressEvent | None = None

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
                    self.loss_plot.append("raw", event.step, event.loss)
                    self.loss_plot.append("smooth", event.step, s)
            elif isinstance(event, EvalEvent):
                self.accuracy_plot.append("val", event.step, 100 * event.val_accuracy)
                if event.step == 0 or self._zero_shot is None:
                    self._zero_shot = event.val_accuracy
                    self.zero_shot_line.setPos(100 * event.val_accuracy)
                    self.zero_shot_line.setVisible(True)
                self._best = event.best_accuracy
            elif isinstance(event, ResourceEvent):
                minutes = event.seconds / 60
                self.cpu_plot.append("process", minutes, event.process_cpu_percent)
                self.cpu_plot.append("system", minutes, event.system_cpu_percent)
                self.memory_plot.append("rss", minutes, event.process_rss_mb)
                self.memory_plot.append("system", minutes, event.system_memory_percent)
                self.energy_plot.append("wh", minutes, event.energy_wh)
                self._energy_wh, self._energy_source = event.energy_wh, event.energy_source
            elif isinstance(event, ProgressEvent):
                self._stage = event
            elif isinstance(event, FinishedEvent):
                self._stage = None
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
        self.figures_box.setTitle(self.tr("Now"))
        captions = {
            "step": self.tr("Step"),
            "elapsed": self.tr("Elapsed"),
            "eta": self.tr("Time left"),
            "accuracy": self.tr("Best accuracy (start)"),
            "energy": self.tr("Electricity so far"),
        }
        for key, label in self.figure_captions.items():
            label.setText(captions[key])
        step, minutes = self.tr("step"), self.tr("minutes")
        self.loss_plot.set_labels(self.tr("Training loss (lower is better)"), self.tr("loss"), step)
        self.loss_plot.set_series_name("raw", self.tr("each step"))
        self.loss_plot.set_series_name("smooth", self.tr("smoothed"))
        self.accuracy_plot.set_labels(self.tr("Validation accuracy"), self.tr("% correct"), step)
        self.accuracy_plot.set_series_name("val", self.tr("while tuning"))
        self.accuracy_plot.set_series_name("zero", self.tr("before tuning"))
        self.energy_plot.set_labels(self.tr("Electricity used"), self.tr("Wh"), minutes)
        self.energy_plot.set_series_name("wh", self.tr("energy"))
        self.cpu_plot.set_labels(self.tr("CPU"), self.tr("%"), minutes)
        self.cpu_plot.set_series_name("process", self.tr("this run (100% = 1 core)"))
        self.cpu_plot.set_series_name("system", self.tr("whole PC (all cores)"))
        self.memory_plot.set_labels(
            self.tr("Memory"), self.tr("MB used by this run"), minutes, self.tr("% of PC")
        )
        self.memory_plot.set_series_name("rss", self.tr("this run (MB, left)"))
        self.memory_plot.set_series_name("system", self.tr("whole PC (%, right)"))
        self._refresh()

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
            self.status.set_message("error", self.tr("Problem"), self.error.message(lang))
        else:
            self.status.set_message("info", "", "")

        if missing and state == self.IDLE:
            self.summary.setText(missing)
        elif self.model is not None and self.examples is not None and self.budget is not None:
            self.summary.setText(
                self.tr("{model} on {n} examples ({labels}); budget: {budget}.").format(
                    model=self.model.display_name,
                    n=locale.toString(self.examples.n_train + self.examples.n_val),
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
            stage = self.tr("Paused at step {step}. Press Resume to continue.").format(step=self._step)
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
            stage = self.tr("Tuning. The bar shows how much of the budget is used.")
            self.progress.setValue(int(1000 * self._budget_fraction))
        self.stage_label.setText(stage)

        v = self.figure_values
        v["step"].setText(locale.toString(self._step))
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
            source = self.tr("measured") if self._energy_source == "measured" else self.tr("estimated")
            v["energy"].setText(
                self.tr("{wh} Wh, {yen} yen ({source})").format(
                    wh=locale.toString(self._energy_wh, "f", 2),
                    yen=locale.toString(yen, "f", 2),
                    source=source,
                )
            )
