"""Step 6: what tuning on this PC is worth — the ROI inputs as a form, live results, charts, the report.

Every figure comes from the engine (``compute_roi``, ``sensitivity``); this page only turns spin boxes
into :class:`RoiInputs` and shows what comes back. Run figures (energy, accuracy) are pre-filled from the
run; the other inputs start at the engine's example values and say so until the user changes them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLocale, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QDesktopServices, QFont
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import GenbaError
from app.engine.results.held_out import HeldOutAccuracy
from app.engine.results.report import render_run_report, write_report_html
from app.engine.results.roi import (
    RoiInputs,
    RoiResult,
    SensitivityRow,
    compute_roi,
    savings_range,
    sensitivity,
)
from app.engine.results.run_record import load_run, unchanged_examples
from app.gui.i18n import current_language
from app.gui.layouts import Columns, button_row
from app.gui.pages.page import Page, StatusLine, make_button, wrapping_label
from app.gui.plots import BLUE, GREY, ORANGE, VERMILION, LivePlot, pen
from app.gui.report_pdf import write_report_pdf
from app.gui.settings import Settings
from app.gui.worker import ErrorInfo, FunctionWorker, ThreadPool

CHART_MONTHS = 24
SENSITIVITY_DELTA = 0.2
RUN_FIELDS = ("energy_wh_per_run", "accuracy_before", "accuracy_after")
PERCENT_FIELDS = ("accuracy_before", "accuracy_after")  # fractions in the engine, % in the form
# (maximum, decimals) of each input's spin box; generous upper bounds, no negative figures.
SPIN_LIMITS: dict[str, tuple[float, int]] = {
    "energy_wh_per_run": (1e6, 2),
    "accuracy_before": (100.0, 1),
    "accuracy_after": (100.0, 1),
    "pcs": (100_000, 0),
    "runs_per_month": (10_000, 1),
    "electricity_yen_per_kwh": (1_000, 1),
    "documents_per_month": (1e8, 0),
    "minutes_per_misclassified": (10_000, 1),
    "labour_yen_per_hour": (1e6, 0),
    "setup_cost_yen": (1e11, 0),
}


def report_html(progress, run_dir: str, inputs: RoiInputs, lang: str, comparison: dict | None) -> dict:
    """Worker-thread job: the report's HTML (scoring both models first if no comparison is at hand)."""
    run = load_run(run_dir)
    html = render_run_report(run, lang, inputs, comparison, share_cores=True)  # the window stays usable
    return {"html": html, "title": f"Genba Tuner — {run.report.get('model', '')}"}


class TornadoChart(pg.PlotWidget):
    """Horizontal bars, widest swing on top: the change in monthly savings at −20 % and +20 % of an input."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(False)
        self.setMinimumHeight(300)
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.getAxis("bottom").enableAutoSIPrefix(False)
        self.low_bars = pg.BarGraphItem(
            x0=[0], y=[0], height=0.6, width=[0], brush=ORANGE, pen=pen(ORANGE, 1)
        )
        self.high_bars = pg.BarGraphItem(x0=[0], y=[0], height=0.6, width=[0], brush=BLUE, pen=pen(BLUE, 1))
        item.addItem(self.low_bars)
        item.addItem(self.high_bars)
        self.zero_line = pg.InfiniteLine(pos=0, angle=90, movable=False, pen=pen("#222222", 1))
        item.addItem(self.zero_line)
        self.rows: list[SensitivityRow] = []

    def set_rows(self, rows: list[SensitivityRow], captions: dict[str, str], axis_label: str) -> None:
        """Show ``rows`` (the engine's order, widest first) with each field's caption beside its bar."""
        self.rows = rows
        item = self.getPlotItem()
        n = len(rows)
        y = np.arange(n - 1, -1, -1, dtype=float)  # widest at the top
        low = np.array([r.change_at_low_yen for r in rows])
        high = np.array([r.change_at_high_yen for r in rows])
        self.low_bars.setOpts(x0=np.minimum(low, 0), y=y, width=np.abs(low), height=0.6)
        self.high_bars.setOpts(x0=np.minimum(high, 0), y=y, width=np.abs(high), height=0.6)
        item.getAxis("left").setTicks(
            [[(float(yi), captions[r.field]) for yi, r in zip(y, rows, strict=True)]]
        )
        item.setLabel("bottom", axis_label)
        extent = float(max(np.abs(low).max(initial=0), np.abs(high).max(initial=0))) or 1.0
        item.setXRange(-extent * 1.05, extent * 1.05, padding=0)
        item.setYRange(-0.6, max(n, 1) - 0.4, padding=0)


class RoiPage(Page):
    report_exported = Signal(object)  # dict: pdf, html (paths)

    def __init__(self, pool: ThreadPool, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.settings = settings
        self.run_dir: str | None = None
        self.report: dict | None = None
        self.result: RoiResult | None = None
        self.rows: list[SensitivityRow] = []
        self.error: GenbaError | None = None
        self.exported: dict | None = None
        self.export_error: ErrorInfo | None = None
        self._exporter: FunctionWorker | None = None
        self._pdf_target = Path()
        self._filling = False
        # Where the comparison of the run's validation split can be had without running the models again
        # (the Results page's): run folder -> comparison dict or None. Set by the window.
        self.comparison_source: Callable[[str], dict | None] = lambda run_dir: None

        self.status = StatusLine(self.body)
        self.layout_.addWidget(self.status)
        self.energy_label = wrapping_label(self.body, selectable=True)
        self.layout_.addWidget(self.energy_label)
        # Amber, above every money figure, while any input still holds the examples' own figure.
        self.example_banner = wrapping_label(self.body)
        self.example_banner.setObjectName("exampleBanner")
        self.example_banner.setStyleSheet(
            "#exampleBanner { background: #FFF3CD; color: #6B4400; border: 2px solid #E69F00; "
            "border-radius: 4px; padding: 8px; font-weight: bold; }"
        )
        self.example_banner.hide()
        self.layout_.addWidget(self.example_banner)

        top = QVBoxLayout()  # inputs above, outputs and chart side by side below: fits 1366 px at 13 pt
        top.setSpacing(16)
        # --- inputs ---------------------------------------------------------------------------------
        self.inputs_box = QGroupBox(self.body)
        form = QGridLayout(self.inputs_box)
        form.setVerticalSpacing(4)
        self.captions: dict[str, QLabel] = {}
        self.spins: dict[str, QDoubleSpinBox] = {}
        self.units: dict[str, QLabel] = {}
        self.tags: dict[str, QLabel] = {}
        tag_font = QFont(self.font())
        tag_font.setItalic(True)
        for row, f in enumerate(fields(RoiInputs)):
            caption, unit, tag = QLabel(self.inputs_box), QLabel(self.inputs_box), QLabel(self.inputs_box)
            spin = QDoubleSpinBox(self.inputs_box)
            maximum, decimals = SPIN_LIMITS[f.name]
            spin.setRange(0, maximum)
            spin.setDecimals(decimals)
            spin.setGroupSeparatorShown(True)
            spin.setMinimumHeight(34)
            spin.setMinimumWidth(150)
            spin.setAlignment(Qt.AlignmentFlag.AlignRight)
            spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
            spin.setKeyboardTracking(False)  # recompute when a number is complete, not per keystroke
            spin.valueChanged.connect(self._inputs_changed)
            caption.setBuddy(spin)
            caption.setWordWrap(True)  # long names wrap rather than widen a narrow window
            tag.setWordWrap(True)
            tag.setFont(tag_font)
            tag.setStyleSheet("color: #8A5A00")  # the words carry the meaning; the colour only groups them
            form.addWidget(caption, row, 0)
            form.addWidget(spin, row, 1)
            form.addWidget(unit, row, 2)
            form.addWidget(tag, row, 3)
            self.captions[f.name], self.spins[f.name] = caption, spin
            self.units[f.name], self.tags[f.name] = unit, tag
        form.setColumnStretch(0, 2)  # the names take the room first and wrap only on a narrow window
        form.setColumnStretch(3, 1)
        self.reset_button = make_button(self.inputs_box)
        self.reset_button.clicked.connect(self.reset_examples)
        form.addWidget(self.reset_button, len(self.spins), 0, 1, 2, Qt.AlignmentFlag.AlignLeft)
        top.addWidget(self.inputs_box)

        # --- outputs: three large figures, each beside its caption; the parts they are made of below ---
        right = Columns(self.body)  # side by side, or the chart under the figures on a narrow window
        self.outputs_box = QGroupBox(self.body)
        outputs = QGridLayout(self.outputs_box)
        outputs.setHorizontalSpacing(12)
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.7)
        big.setBold(True)
        self.output_captions: dict[str, QLabel] = {}
        self.output_values: dict[str, QLabel] = {}
        keys = ("energy_run", "net", "payback", "range", "energy_month", "labour", "errors")
        for row, key in enumerate(keys):
            caption = wrapping_label(self.outputs_box)
            value = QLabel(self.outputs_box)  # one line: a figure never wraps between number and unit
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if row < 3:
                value.setFont(big)
            else:
                value.setObjectName("emphasis")
            outputs.addWidget(caption, row, 0)
            outputs.addWidget(value, row, 1)
            self.output_captions[key], self.output_values[key] = caption, value
        outputs.setColumnStretch(0, 1)
        right.add(self.outputs_box, 1)

        self.cumulative_plot = LivePlot(self.body, time_axis=False)  # months, not run time
        self.cumulative_plot.setMinimumHeight(240)
        self.cumulative_plot.add_series("cost", VERMILION, style=Qt.PenStyle.DashLine)
        self.cumulative_plot.add_series("benefit", BLUE)
        self.payback_line = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen(GREY, width=2, style=Qt.PenStyle.DotLine)
        )
        self.payback_line.setVisible(False)
        self.cumulative_plot.addItem(self.payback_line)
        right.add(self.cumulative_plot, 1)
        top.addWidget(right)
        self.layout_.addLayout(top)

        # --- sensitivity: full width, so the inputs' names fit beside their bars --------------------
        self.tornado = TornadoChart(self.body)
        self.tornado_legend = QLabel(self.body)
        self.tornado_legend.setTextFormat(Qt.TextFormat.RichText)
        self.tornado_legend.setWordWrap(True)
        self.tornado_legend.setContentsMargins(8, 0, 8, 4)
        self.tornado_panel = QWidget(self.body)  # chart and legend on one white panel, as LivePlot draws
        self.tornado_panel.setAutoFillBackground(True)
        palette = self.tornado_panel.palette()
        palette.setColor(self.tornado_panel.backgroundRole(), QColor("white"))
        self.tornado_panel.setPalette(palette)
        panel = QVBoxLayout(self.tornado_panel)
        panel.setContentsMargins(0, 0, 0, 0)
        panel.setSpacing(2)
        panel.addWidget(self.tornado)
        panel.addWidget(self.tornado_legend)
        self.layout_.addWidget(self.tornado_panel)

        # --- report ---------------------------------------------------------------------------------
        self.report_box = QGroupBox(self.body)
        report = QGridLayout(self.report_box)
        self.report_note = wrapping_label(self.report_box)
        self.export_button = make_button(self.report_box, primary=True)
        self.export_button.clicked.connect(self.choose_report_file)
        self.open_report_button = make_button(self.report_box)
        self.open_report_button.clicked.connect(self.open_report)
        self.open_run_button = make_button(self.report_box)
        self.open_run_button.clicked.connect(self.choose_run_folder)
        self.export_progress = QProgressBar(self.report_box)
        self.export_progress.setRange(0, 0)  # busy: scoring both models takes as long as it takes
        self.export_progress.hide()
        self.export_status = StatusLine(self.report_box)
        report.addWidget(self.report_note, 0, 0, 1, 4)
        report.addWidget(
            button_row(self.export_button, self.open_report_button, self.open_run_button), 1, 0, 1, 4
        )
        report.addWidget(self.export_progress, 2, 0, 1, 4)
        report.addWidget(self.export_status, 3, 0, 1, 4)
        self.layout_.addWidget(self.report_box)
        self.primary_button = self.export_button
        self.layout_.addStretch(1)

        self._fill_examples()
        self.retranslate()

    # --- the run -----------------------------------------------------------------------------------
    def set_run(self, run_dir: str, report: dict | None) -> None:
        """Pre-fill energy and accuracy from a run's report (None: a failed run, nothing to fill)."""
        self.run_dir = run_dir if report is not None else None
        self.report = report
        self.exported = None
        self.export_error = None
        if report is not None:
            run = RoiInputs.from_report(report)
            self._filling = True
            try:
                for name in RUN_FIELDS:
                    self.spins[name].setValue(self._shown(name, getattr(run, name)))
                self.spins["electricity_yen_per_kwh"].setValue(self.settings.yen_per_kwh)
            finally:
                self._filling = False
        self._recompute()
        self.status_changed.emit()

    @Slot()
    def choose_run_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Open a run folder"), self.run_dir or "")
        if folder:
            self.open_run_folder(folder)

    def open_run_folder(self, folder: str) -> None:
        """Use an earlier run (its report.json) for the figures and the report."""
        try:
            run = load_run(folder)
        except GenbaError as exc:
            self.export_error = ErrorInfo.from_exception(exc)
            self._refresh()
            return
        self.set_run(run.out_dir, run.report)

    def _shown(self, name: str, value: float) -> float:
        return 100 * value if name in PERCENT_FIELDS else value

    def _run_value(self, name: str) -> float | None:
        if self.report is None:
            return None
        return getattr(RoiInputs.from_report(self.report), name)

    # --- inputs ------------------------------------------------------------------------------------
    def _fill_examples(self) -> None:
        self._filling = True
        try:
            for f in fields(RoiInputs):
                if f.name in RoiInputs.EXAMPLE_FIELDS:
                    self.spins[f.name].setValue(f.default)
        finally:
            self._filling = False

    @Slot()
    def reset_examples(self) -> None:
        """Put every assumption back to the engine's example value (the run's figures stay)."""
        self._fill_examples()
        self._recompute()

    def inputs(self) -> RoiInputs:
        """The form as the engine's inputs; a run figure left as shown keeps the run's exact value."""
        values = {}
        for f in fields(RoiInputs):
            spin = self.spins[f.name]
            value = spin.value()
            exact = self._run_value(f.name) if f.name in RUN_FIELDS else None
            if exact is not None and value == round(self._shown(f.name, exact), spin.decimals()):
                values[f.name] = exact  # 44.4 % on screen is 0.4444… in the run
            elif f.name in PERCENT_FIELDS:
                values[f.name] = value / 100
            elif f.name == "pcs":
                values[f.name] = int(value)
            else:
                values[f.name] = value
        return RoiInputs(**values)

    @Slot()
    def _inputs_changed(self) -> None:
        if not self._filling:
            self._recompute()

    def _recompute(self) -> None:
        self.error = None
        self.result, self.rows = None, []
        if self.report is not None:
            try:
                inputs = self.inputs()
                self.result = compute_roi(inputs)
                self.rows = [r for r in sensitivity(inputs, SENSITIVITY_DELTA) if r.swing_yen > 0]
            except GenbaError as exc:
                self.error = exc
        self._refresh()

    # --- report ------------------------------------------------------------------------------------
    @Slot()
    def choose_report_file(self) -> None:
        if self.run_dir is None or self.is_busy():
            return
        stem = f"genba-report-{Path(self.run_dir).name}-{current_language()}.pdf"
        start = str(Path(self.settings.export_folder or Path.home()) / stem)
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the report as…"), start, self.tr("PDF report (*.pdf)")
        )
        if path:
            self.export_report_to(path)

    def export_report_to(self, pdf_path: str) -> None:
        """Write the report as ``…pdf`` and ``…html`` (same name) in the UI language.

        The HTML is made in a worker thread (it may score both models for the confusion matrices); the
        PDF is laid out here on the GUI thread, where Qt's fonts live: four pages take under 0.2 s.
        """
        self.settings.export_folder = str(Path(pdf_path).parent)
        self._pdf_target = Path(pdf_path).with_suffix(".pdf")
        self.exported = None
        self.export_error = None
        worker = FunctionWorker(
            report_html, self.run_dir, self.inputs(), current_language(), self.comparison_source(self.run_dir)
        )
        worker.succeeded.connect(self._on_report_made)
        worker.failed.connect(self._on_export_failed)
        self._exporter = worker
        self.pool.start(worker)
        self._refresh()

    def is_busy(self) -> bool:
        return self._exporter is not None

    @Slot(object)
    def _on_report_made(self, made: dict) -> None:
        if self.sender() is not self._exporter:
            return
        self._exporter = None
        pdf = self._pdf_target
        try:
            html_path = write_report_html(pdf.with_suffix(".html"), made["html"])
            write_report_pdf(pdf, made["html"], title=made["title"])
        except GenbaError as exc:
            self.export_error = ErrorInfo.from_exception(exc)
            self._refresh()
            return
        self.exported = {"pdf": str(pdf), "html": str(html_path)}
        self._refresh()
        self.status_changed.emit()
        self.report_exported.emit(self.exported)

    @Slot(object)
    def _on_export_failed(self, error: ErrorInfo) -> None:
        if self.sender() is not self._exporter:
            return
        self._exporter = None
        self.export_error = error
        self._refresh()

    @Slot()
    def open_report(self) -> None:
        if self.exported is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.exported["pdf"]))

    def is_done(self) -> bool:
        return self.exported is not None

    # --- text --------------------------------------------------------------------------------------
    def step_title(self) -> str:
        return self.tr("Payback")

    def field_captions(self) -> dict[str, str]:
        # No mnemonics: twelve fields would exhaust the letters; Tab moves through the form in order.
        return {
            "energy_wh_per_run": self.tr("Electricity per run"),
            "accuracy_before": self.tr("Correct before tuning (final test)"),
            "accuracy_after": self.tr("Correct after tuning (final test)"),
            "pcs": self.tr("PCs or lines"),
            "runs_per_month": self.tr("Tuning runs per month, per PC"),
            "electricity_yen_per_kwh": self.tr("Electricity price"),
            "documents_per_month": self.tr("Documents per month, per PC"),
            "minutes_per_misclassified": self.tr("Minutes to fix one misclassified document"),
            "labour_yen_per_hour": self.tr("Labour cost"),
            "setup_cost_yen": self.tr("Setup cost"),
        }

    def retranslate(self) -> None:
        super().retranslate()
        self.heading.setText(self.tr("Is it worth it?"))
        self.next_button.setText(self.tr("&Next: Fleet (several PCs)"))
        self.intro.setText(
            self.tr(
                "What tuning is worth compared with keeping the model as it came: the labour saved on "
                "fewer wrong answers, minus electricity. The run's electricity and accuracy are filled in; "
                "every other figure is an example until you enter your own. The results change as you type."
            )
        )
        self.inputs_box.setTitle(self.tr("Your figures"))
        for name, caption in self.field_captions().items():
            self.captions[name].setText(caption)
        yen = self.tr("yen")
        units = {
            "energy_wh_per_run": self.tr("Wh"),
            "accuracy_before": self.tr("%"),
            "accuracy_after": self.tr("%"),
            "pcs": "",
            "runs_per_month": "",
            "electricity_yen_per_kwh": self.tr("yen per kWh"),
            "documents_per_month": "",
            "minutes_per_misclassified": self.tr("minutes"),
            "labour_yen_per_hour": self.tr("yen per hour"),
            "setup_cost_yen": yen,
        }
        for name, unit in units.items():
            self.units[name].setText(unit)
        self.reset_button.setText(self.tr("Reset the e&xamples"))
        self.outputs_box.setTitle(self.tr("What it gives"))
        captions = {
            "energy_run": self.tr("Electricity cost per run"),
            "net": self.tr("Net savings per month"),
            "payback": self.tr("Setup cost paid back after"),
            "energy_month": self.tr("Electricity per month:"),
            "range": self.tr("Likely range, from the number of test rows:"),
            "labour": self.tr("Labour saved per month:"),
            "errors": self.tr("Misclassified documents avoided per month:"),
        }
        for key, label in self.output_captions.items():
            label.setText(captions[key])
        self.cumulative_plot.set_labels(
            self.tr("Cumulative cost and benefit"), self.tr("thousand yen"), self.tr("months")
        )
        self.cumulative_plot.set_series_name("cost", self.tr("cost: setup + electricity"))
        self.cumulative_plot.set_series_name("benefit", self.tr("benefit: labour saved"))
        self.tornado.getPlotItem().setTitle(
            self.tr("What moves the monthly savings (each input 20% lower or higher)"), size="11pt"
        )
        self.tornado_legend.setText(
            self.tr(
                '<span style="color:{low}; font-weight:bold">■</span>&nbsp;input 20% lower&nbsp;&nbsp; '
                '<span style="color:{high}; font-weight:bold">■</span>&nbsp;input 20% higher'
            ).format(low=ORANGE, high=BLUE)
        )
        self.report_box.setTitle(self.tr("Report for management"))
        self.report_note.setText(
            self.tr(
                "One PDF and one HTML file with the run, the share of correct answers before and after (with "
                "the table of right and model answers), these figures and charts, and what stayed on this PC. "
                "They are written in the language of the window."
            )
        )
        self.export_button.setText(self.tr("Save &report (PDF + HTML)…"))
        self.open_report_button.setText(self.tr("&Open the report"))
        self.open_run_button.setText(self.tr("Use an &earlier run…"))
        self._refresh()

    # --- showing -----------------------------------------------------------------------------------
    def _money(self, yen: float) -> str:
        size = abs(yen)
        decimals = 0 if size >= 100 or size == 0 else 2 if size >= 0.01 else 4  # a run can cost 0.002 yen
        return self.tr("{n} yen").format(n=QLocale().toString(float(yen), "f", decimals))

    def _headline_money(self, yen: float) -> str:
        """Monthly amounts to three significant figures: a range from a few dozen test rows is not exact."""
        if abs(yen) < 1000:
            return self._money(round(yen))
        return self._money(round(yen, 2 - int(math.floor(math.log10(abs(yen))))))

    def _refresh(self) -> None:
        locale = QLocale()
        lang = current_language()
        has_run = self.report is not None
        for box in (
            self.inputs_box,
            self.outputs_box,
            self.cumulative_plot,
            self.tornado,
            self.tornado_legend,
        ):
            box.setVisible(has_run)
        busy = self.is_busy()
        self.export_button.setEnabled(has_run and self.result is not None and not busy)
        self.open_report_button.setEnabled(self.exported is not None and not busy)
        self.open_run_button.setEnabled(not busy)
        self.export_progress.setVisible(busy)

        if not has_run:
            self.status.set_message(
                "info",
                "",
                self.tr(
                    "No run yet: tune in step 4, or press Run the demo in step 1, or use an earlier run."
                ),
            )
            self.energy_label.setText("")
            self.example_banner.hide()
        elif self.error is not None:
            self.status.set_message("error", self.tr("Problem"), self.error.message(lang))
        else:
            self.status.set_message("info", "", "")
        if has_run:
            # The engine's assumption text starts with "measured:" or "estimated:" in each language.
            source = (
                self.tr("measured")
                if self.report.get("energy_source") == "measured"
                else self.tr("estimated")
            )
            assumption = (self.report.get("energy_assumption") or {}).get(lang) or source
            self.energy_label.setText(
                self.tr("Electricity of this run: {wh} Wh — {assumption}").format(
                    wh=locale.toString(float(self.report.get("energy_wh", 0.0)), "f", 2),
                    assumption=assumption,
                )
            )
        self._refresh_tags()
        self._refresh_outputs()

        if self.exported is not None:
            self.export_status.set_message(
                "ok",
                self.tr("Saved"),
                "\n".join((self.exported["pdf"], self.exported["html"])),  # two paths, nothing to translate
            )
        elif self.export_error is not None:
            self.export_status.set_message(
                "error", self.tr("Problem"), self.export_error.message(lang), self.export_error
            )
        elif busy:
            self.export_status.set_message(
                "info", "", self.tr("Writing the report (asking both models about the final-test rows)…")
            )
        else:
            self.export_status.set_message("info", "", "")

    def _refresh_tags(self) -> None:
        if self.report is None:
            return
        try:
            inputs = self.inputs()
        except GenbaError:
            return
        examples = unchanged_examples(inputs)
        self._refresh_banner(examples)
        for name, tag in self.tags.items():
            if name in RUN_FIELDS:
                run_value = self._run_value(name)
                from_run = run_value is not None and getattr(inputs, name) == run_value
                tag.setText(self.tr("from this run") if from_run else "")
                tag.setToolTip(self.tr("Measured in the run; change it to see what if.") if from_run else "")
            elif name in examples:
                tag.setText(self.tr("example"))
                tag.setToolTip(self.tr("An example figure, not your site's: replace it with your own."))
            else:
                tag.setText("")
                tag.setToolTip("")
            self.spins[name].setToolTip(tag.toolTip())

    def _refresh_banner(self, examples: frozenset[str]) -> None:
        captions = self.field_captions()
        listed = self.tr(", ").join(captions[f.name] for f in fields(RoiInputs) if f.name in examples)
        self.example_banner.setText(
            self.tr(
                "⚠ Calculated with example figures: {fields} are examples, not your site's. Enter your own "
                "figures below before you rely on these amounts."
            ).format(fields=listed)
        )
        self.example_banner.setVisible(bool(examples))

    def example_banner_shown(self) -> bool:
        """True while the amber banner stands above the money (not isVisible: the page may be hidden)."""
        return not self.example_banner.isHidden()

    def _refresh_outputs(self) -> None:
        r = self.result
        v = self.output_values
        if r is None:
            for label in v.values():
                label.setText("—")
            self.payback_line.setVisible(False)
            return
        locale = QLocale()
        v["energy_run"].setText(self._money(r.energy_cost_yen_per_run))
        v["net"].setText(self._headline_money(r.monthly_net_savings_yen))
        if r.payback_months is None:
            v["payback"].setText(self.tr("no payback"))
            v["payback"].setToolTip(self.tr("The monthly savings do not exceed the costs."))
        else:
            v["payback"].setText(self.tr("{n} months").format(n=locale.toString(r.payback_months, "f", 1)))
            v["payback"].setToolTip("")
        v["energy_month"].setText(self._money(r.energy_cost_yen_per_month))
        v["labour"].setText(self._money(r.labour_saved_yen_per_month))
        held_out = HeldOutAccuracy.of(self.report)
        spread = savings_range(self.inputs(), held_out.examples if held_out.split == "test" else 0)
        v["range"].setText(
            self.tr("{low} to {high}").format(
                low=self._headline_money(spread[0]), high=self._headline_money(spread[1])
            )
            if spread is not None
            else "—"
        )
        v["errors"].setText(locale.toString(r.errors_avoided_per_month, "f", 1))

        plot = self.cumulative_plot
        plot.clear_data()
        for month, cost, benefit in r.cumulative(CHART_MONTHS):
            plot.append("cost", month, cost / 1000)  # the axis is in thousands of yen
            plot.append("benefit", month, benefit / 1000)
        plot.refresh()
        payback = r.payback_months
        self.payback_line.setVisible(payback is not None and payback <= CHART_MONTHS)
        if payback is not None:
            self.payback_line.setPos(payback)
        self.tornado.set_rows(
            self.rows, self.field_captions(), self.tr("change in net savings per month (yen)")
        )

    def showEvent(self, event) -> None:
        self.cumulative_plot.refresh()  # data set while the page was hidden is drawn now
        super().showEvent(event)
