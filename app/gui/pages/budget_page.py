"""Step 3: how long (or how much electricity) the run may use, when it stops early, how it shares the PC."""

from __future__ import annotations

from PySide6.QtCore import QDateTime, QLocale, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import GenbaError
from app.engine.models.ort_runtime import physical_cores
from app.engine.results.model_check import ModelCheck
from app.engine.tuning.budget import DEFAULT_PATIENCE_MINUTES, Budget, estimate_steps
from app.engine.tuning.energy import DEFAULT_PROFILE
from app.gui.choices import BudgetChoice
from app.gui.formatting import format_minutes, format_yen, plain_number
from app.gui.i18n import current_language
from app.gui.layouts import FlowBox, button_row
from app.gui.pages.page import (
    BUTTON_MIN_HEIGHT,
    DetailsFold,
    Page,
    StatusLine,
    make_button,
    wrapping_label,
)
from app.gui.settings import Settings
from app.gui.share_pc import (
    SHARE_BY_DEFAULT_MAX_CORES,
    leave_core_free_by_default,
    slowdown_bound,
    tuning_threads,
)

DEMO_MINUTES = 3.0


def run_watts(threads: int | None = None) -> float:
    """The power the engine's estimate charges for a run: watts per busy core × the cores ORT uses."""
    return DEFAULT_PROFILE.watts_per_core * (threads or physical_cores())


class MinutesSpinBox(QDoubleSpinBox):
    """Minutes without a trailing ".0" (3, 0.3, 12.5), so the figure reads as on the Tune page."""

    def textFromValue(self, value: float) -> str:
        return format_minutes(value)


class BudgetPage(Page):
    budget_changed = Signal(object)  # BudgetChoice

    MODES = ("minutes", "energy", "steps")
    PRESETS = {"minutes": (5, 15, 30, 60), "energy": (2, 5, 10, 20)}  # chips: one tap, no typing

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.model: ModelCheck | None = None
        self.error: GenbaError | None = None
        self._seen = False  # the step counts as done once the operator has looked at it

        self.choice_box = QGroupBox(self.body)
        grid = QGridLayout(self.choice_box)
        grid.setHorizontalSpacing(12)
        self.mode_group = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        for row, mode in enumerate(self.MODES):
            radio = QRadioButton(self.choice_box)
            radio.setMinimumHeight(BUTTON_MIN_HEIGHT)
            self.mode_group.addButton(radio, row)
            self.radios[mode] = radio
            grid.addWidget(radio, 2 * row, 0)
        self.minutes_spin = MinutesSpinBox(self.choice_box)
        self.minutes_spin.setRange(0.1, 24 * 60)
        self.minutes_spin.setDecimals(1)
        self.minutes_spin.setSingleStep(5)
        self.minutes_spin.setValue(15)
        self.energy_spin = QDoubleSpinBox(self.choice_box)
        self.energy_spin.setRange(0.1, 100_000)
        self.energy_spin.setDecimals(1)
        self.energy_spin.setValue(5)
        self.steps_spin = QSpinBox(self.choice_box)
        self.steps_spin.setRange(1, 1_000_000)
        self.steps_spin.setValue(300)
        self.spins = {"minutes": self.minutes_spin, "energy": self.energy_spin, "steps": self.steps_spin}
        self.chips: dict[str, list[QPushButton]] = {}
        self.unit_labels = {mode: QLabel(self.choice_box) for mode in self.MODES}
        for row, mode in enumerate(self.MODES):
            chips = FlowBox(self.choice_box)  # under its choice, indented; wraps on a narrow window
            chips.setContentsMargins(32, 0, 0, 8)
            self.chips[mode] = []
            for value in self.PRESETS.get(mode, ()):
                chip = make_button(self.choice_box)
                chip.setCheckable(True)
                chip.setProperty("chip", True)
                chip.setProperty("value", value)
                chip.clicked.connect(self._chip_clicked)
                chip.setProperty("mode", mode)
                chips.add(chip)
                self.chips[mode].append(chip)
            spin = self.spins[mode]
            spin.setMinimumHeight(BUTTON_MIN_HEIGHT)
            spin.setMinimumWidth(130)
            spin.valueChanged.connect(self._changed)
            typed = QWidget(self.choice_box)  # the number and its unit stay together when the chips wrap
            typed_row = QHBoxLayout(typed)
            typed_row.setContentsMargins(0, 0, 0, 0)
            spin.setParent(typed)
            self.unit_labels[mode].setParent(typed)
            typed_row.addWidget(spin)
            typed_row.addWidget(self.unit_labels[mode])
            chips.add(typed)
            grid.addWidget(chips, 2 * row + 1, 0)
        self.demo_button = make_button(self.choice_box)
        self.demo_button.clicked.connect(self.use_demo)
        grid.addWidget(self.demo_button, 2 * len(self.MODES), 0, Qt.AlignmentFlag.AlignLeft)
        self.radios["minutes"].setChecked(True)
        self.mode_group.idToggled.connect(self._mode_toggled)
        self.layout_.addWidget(self.choice_box)

        # --- early stopping -----------------------------------------------------------------------------
        self.stop_box = QGroupBox(self.body)
        stop = QGridLayout(self.stop_box)
        self.stop_check = QCheckBox(self.stop_box)
        self.stop_check.setMinimumHeight(BUTTON_MIN_HEIGHT)
        self.stop_check.setChecked(True)
        self.patience_spin = MinutesSpinBox(self.stop_box)
        self.patience_spin.setRange(1, 24 * 60)
        self.patience_spin.setDecimals(1)
        self.patience_spin.setValue(DEFAULT_PATIENCE_MINUTES)
        self.patience_spin.setMinimumHeight(BUTTON_MIN_HEIGHT)
        self.patience_spin.setMinimumWidth(130)
        self.patience_unit = QLabel(self.stop_box)
        self.stop_check.toggled.connect(self.patience_spin.setEnabled)
        self.stop_check.toggled.connect(self._changed)
        self.patience_spin.valueChanged.connect(self._changed)
        self.stop_note = wrapping_label(self.stop_box)
        patience = QWidget(self.stop_box)  # the number and its unit, beside the check box or under it
        patience_row = QHBoxLayout(patience)
        patience_row.setContentsMargins(0, 0, 0, 0)
        self.patience_spin.setParent(patience)
        self.patience_unit.setParent(patience)
        patience_row.addWidget(self.patience_spin)
        patience_row.addWidget(self.patience_unit)
        stop.addWidget(button_row(self.stop_check, patience), 0, 0)
        stop.addWidget(self.stop_note, 1, 0)

        # --- sharing the PC -----------------------------------------------------------------------------
        self.share_box = QGroupBox(self.body)
        share = QVBoxLayout(self.share_box)
        self.share_check = QCheckBox(self.share_box)
        self.share_check.setMinimumHeight(BUTTON_MIN_HEIGHT)
        self.share_check.setChecked(leave_core_free_by_default())
        self.share_check.toggled.connect(self._changed)
        self.share_note = wrapping_label(self.share_box)
        share.addWidget(self.share_check)
        share.addWidget(self.share_note)

        self.price_box = QGroupBox(self.body)
        price_row = QHBoxLayout(self.price_box)
        self.price_caption = QLabel(self.price_box)
        self.price_spin = QDoubleSpinBox(self.price_box)
        self.price_spin.setRange(0, 1000)
        self.price_spin.setDecimals(1)
        self.price_spin.setMinimumHeight(BUTTON_MIN_HEIGHT)
        self.price_spin.setValue(settings.yen_per_kwh)
        self.price_spin.valueChanged.connect(self._price_changed)
        self.price_caption.setBuddy(self.price_spin)
        self.price_unit = QLabel(self.price_box)
        price_row.addWidget(self.price_caption)
        price_row.addWidget(self.price_spin)
        price_row.addWidget(self.price_unit)
        price_row.addStretch(1)

        self.estimate_box = QGroupBox(self.body)
        est = QGridLayout(self.estimate_box)
        keys = ("finish", "energy", "share", "steps")
        self.estimate_captions = {k: QLabel(self.estimate_box) for k in keys}
        self.estimate_values = {k: wrapping_label(self.estimate_box) for k in keys}
        for row, key in enumerate(keys):
            self.estimate_values[key].setObjectName("emphasis")
            est.addWidget(self.estimate_captions[key], row, 0)
            est.addWidget(self.estimate_values[key], row, 1)
        est.setColumnStretch(1, 1)
        self.estimate_note = wrapping_label(self.estimate_box)
        est.addWidget(self.estimate_note, len(keys), 0, 1, 2)
        self.layout_.addWidget(self.estimate_box)
        self.layout_.addWidget(self.stop_box)
        self.layout_.addWidget(self.share_box)
        self.layout_.addWidget(self.price_box)

        # --- for experts, folded away: which layers to tune (default: a short trial chooses) -------------
        self.details = DetailsFold(self.body)
        self.layers_box = QGroupBox(self.details.content)
        layers = QGridLayout(self.layers_box)
        self.layers_check = QCheckBox(self.layers_box)
        self.layers_check.setMinimumHeight(BUTTON_MIN_HEIGHT)
        self.layers_edit = QLineEdit(self.layers_box)
        self.layers_edit.setMinimumHeight(BUTTON_MIN_HEIGHT)
        self.layers_edit.setEnabled(False)
        self.layers_check.toggled.connect(self.layers_edit.setEnabled)
        self.layers_check.toggled.connect(self._changed)
        self.layers_edit.textChanged.connect(self._changed)
        self.layers_note = wrapping_label(self.layers_box)
        layers.addWidget(self.layers_check, 0, 0)
        layers.addWidget(self.layers_edit, 0, 1)
        layers.addWidget(self.layers_note, 1, 0, 1, 2)
        layers.setColumnStretch(1, 1)
        self.details.content_layout.addWidget(self.layers_box)
        self.layout_.addWidget(self.details)

        self.status = StatusLine(self.body)
        self.layout_.addWidget(self.status)
        self.layout_.addStretch(1)
        self.primary_button = self.next_button

        self._clock = QTimer(self)  # the finish time moves with the clock
        self._clock.setInterval(20_000)
        self._clock.timeout.connect(self._refresh_estimate)
        self._clock.start()
        self._mode_toggled()
        self.retranslate()

    # --- state -------------------------------------------------------------------------------------
    def mode(self) -> str:
        return self.MODES[max(self.mode_group.checkedId(), 0)]

    def set_mode(self, mode: str) -> None:
        self.radios[mode].setChecked(True)

    def budget(self) -> Budget:
        mode = self.mode()
        patience = float(self.patience_spin.value()) if self.stop_check.isChecked() else None
        if mode == "minutes":
            return Budget(minutes=float(self.minutes_spin.value()), patience_minutes=patience)
        if mode == "energy":
            return Budget(energy_wh=float(self.energy_spin.value()), patience_minutes=patience)
        return Budget(steps=int(self.steps_spin.value()), patience_minutes=patience)

    def choice(self) -> BudgetChoice:
        return BudgetChoice(
            self.budget(), float(self.price_spin.value()), self.tuned_layers(), self.share_check.isChecked()
        )

    def tuned_layers(self) -> tuple[int, ...] | None:
        """The layers typed by the operator, or None for the automatic choice; GenbaError if unusable."""
        if not self.layers_check.isChecked():
            return None
        n = self.model.n_layers if self.model is not None else None
        text = self.layers_edit.text().replace("、", ",").replace("，", ",")
        parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
        if not parts or not all(p.isdigit() for p in parts):
            raise GenbaError(
                "Type the layer numbers to tune separated by commas, for example 26, 27, 28, 29, or untick "
                "the box to let the app choose.",
                "調整する層の番号をカンマ区切りで入力してください（例: 26, 27, 28, 29）。自動で選ぶ場合は"
                "チェックを外してください。",
                field="tuned_layers",
            )
        layers = tuple(sorted({int(p) for p in parts}))
        if n is not None and layers[-1] >= n:
            raise GenbaError(
                f"This model has layers 0 to {n - 1}; {layers[-1]} does not exist.",
                f"このモデルの層は 0 から {n - 1} までです。{layers[-1]} はありません。",
                field="tuned_layers",
            )
        return layers

    def set_model(self, model: ModelCheck | None) -> None:
        self.model = model
        self.retranslate()  # the layer hint names this model's layers
        self._changed()

    def is_done(self) -> bool:
        return self.error is None and self._seen

    def showEvent(self, event) -> None:
        if not self._seen:
            self._seen = True
            self.status_changed.emit()
        super().showEvent(event)

    @Slot()
    def use_demo(self) -> None:
        self.minutes_spin.setValue(DEMO_MINUTES)
        self.set_mode("minutes")
        self._changed()

    @Slot()
    def _chip_clicked(self) -> None:
        chip = self.sender()
        mode = chip.property("mode")
        self.spins[mode].setValue(float(chip.property("value")))
        self.set_mode(mode)
        self._changed()

    @Slot()
    def _mode_toggled(self) -> None:
        mode = self.mode()
        for m, spin in self.spins.items():
            spin.setEnabled(m == mode)
        self._changed()

    def _refresh_chips(self) -> None:
        mode = self.mode()
        for m, chips in self.chips.items():
            for chip in chips:
                chip.setChecked(m == mode and self.spins[m].value() == float(chip.property("value")))

    @Slot()
    def _price_changed(self) -> None:
        self.settings.yen_per_kwh = float(self.price_spin.value())
        self._changed()

    @Slot()
    def _changed(self) -> None:
        try:
            self.error = None
            self.budget().validate()
            self.tuned_layers()
        except GenbaError as exc:
            self.error = exc
        self._refresh_chips()
        self._refresh_estimate()
        self.status_changed.emit()
        if self.error is None:
            self.budget_changed.emit(self.choice())

    # --- text --------------------------------------------------------------------------------------
    def step_title(self) -> str:
        return self.tr("Tuning time")

    def retranslate(self) -> None:
        super().retranslate()
        self.intro.setText(
            self.tr(
                "How long the PC may work on tuning, or how much electricity it may use. When the time is "
                "up the run stops and keeps the best result it found. You can also stop it yourself."
            )
        )
        self.choice_box.setTitle(self.tr("How long may it tune?"))
        self.radios["minutes"].setText(self.tr("By &time"))
        self.radios["energy"].setText(self.tr("By &electricity"))
        self.radios["steps"].setText(self.tr("By number of &rounds (for experts)"))
        locale = QLocale()
        for chip in self.chips["minutes"]:
            chip.setText(self.tr("{n} min").format(n=locale.toString(int(chip.property("value")))))
        for chip in self.chips["energy"]:
            chip.setText(self.tr("{n} Wh").format(n=locale.toString(int(chip.property("value")))))
        self.unit_labels["minutes"].setText(self.tr("minutes"))
        self.unit_labels["energy"].setText(self.tr("Wh"))
        self.unit_labels["steps"].setText(self.tr("rounds"))
        self.demo_button.setText(self.tr("&Demo (3 min)"))
        self.stop_box.setTitle(self.tr("Stop early"))
        self.stop_check.setText(self.tr("&Stop when accuracy has not gone up for"))
        self.patience_unit.setText(self.tr("minutes"))
        self.stop_note.setText(
            self.tr(
                "Saves time when the model has learned what it can. The best result so far is kept. "
                "Untick to use the whole time."
            )
        )
        self.share_box.setTitle(self.tr("Sharing this PC"))
        self.share_check.setText(self.tr("Leave one &core free for other programs"))
        self.price_box.setTitle(self.tr("Electricity price"))
        self.price_caption.setText(self.tr("Electricity &price:"))
        self.price_unit.setText(self.tr("yen per kWh"))
        self.details.set_title(self.tr("Details (for experts)"))
        self.layers_box.setTitle(self.tr("Which part of the model to tune"))
        self.layers_check.setText(self.tr("Choose the &layers myself:"))
        n = self.model.n_layers if self.model is not None else None
        example = ", ".join(str(i) for i in range(max(n - 4, 0), n)) if n else ""
        self.layers_edit.setPlaceholderText(
            self.tr("e.g. {example} (this model has layers 0 to {last})").format(example=example, last=n - 1)
            if n
            else self.tr("layer numbers separated by commas")
        )
        self.layers_note.setText(
            self.tr(
                "Normally a short trial before tuning picks the layers with the most effect for their "
                "computing time. Lower layers make every step slower."
            )
        )
        self.estimate_box.setTitle(self.tr("What this gives"))
        self.estimate_captions["finish"].setText(self.tr("Finishes at:"))
        self.estimate_captions["energy"].setText(self.tr("Electricity:"))
        self.estimate_captions["share"].setText(self.tr("Sharing the PC:"))
        self.estimate_captions["steps"].setText(self.tr("Tuning rounds:"))
        self.next_button.setText(self.tr("&Next: Tune"))
        self._refresh_estimate()

    @Slot()
    def _refresh_estimate(self) -> None:
        locale = QLocale()
        lang = current_language()
        if self.error is not None:
            self.status.set_message("error", self.tr("Problem"), self.error.message(lang))
        else:
            self.status.set_message("info", "", "")
        budget = self.budget()
        share = self.share_check.isChecked()
        cores = physical_cores()
        threads = tuning_threads(share, cores) or cores
        watts = run_watts(threads)
        per_step = self.model.seconds_per_step if self.model is not None else None
        if per_step is not None:
            per_step *= slowdown_bound(share, cores)  # measured with every core; fewer may be slower
        steps = estimate_steps(budget, per_step, watts) if self.error is None else None
        mode = self.mode()
        if mode == "minutes":
            seconds = budget.minutes * 60
        elif mode == "energy":
            seconds = budget.energy_wh / watts * 3600
        else:
            seconds = budget.steps * per_step if per_step else None
        energy_wh = budget.energy_wh if mode == "energy" else (watts * seconds / 3600 if seconds else None)

        if steps is None:
            self.estimate_values["steps"].setText(
                self.tr("unknown until the model's speed is measured (step 1)")
            )
        else:
            self.estimate_values["steps"].setText(self.tr("about {n}").format(n=locale.toString(steps)))
        if seconds is None:
            self.estimate_values["finish"].setText(self.tr("unknown"))
        else:
            finish = QDateTime.currentDateTime().addSecs(int(seconds))
            self.estimate_values["finish"].setText(
                self.tr("about {time} (in {minutes} min, after a short preparation)").format(
                    time=locale.toString(finish.time(), QLocale.FormatType.ShortFormat),
                    minutes=format_minutes(round(seconds / 60, 0 if seconds >= 600 else 1)),
                )
            )
        if energy_wh is None:
            self.estimate_values["energy"].setText(self.tr("unknown"))
        else:
            yen = energy_wh / 1000 * self.price_spin.value()
            self.estimate_values["energy"].setText(
                self.tr("about {wh} Wh, {yen}").format(
                    wh=locale.toString(energy_wh, "f", 1), yen=format_yen(yen)
                )
            )
        if share and threads < cores:
            self.estimate_values["share"].setText(
                self.tr(
                    "uses {threads} of {cores} cores at low priority: each round may take up to {factor}× as long"
                ).format(
                    threads=threads,
                    cores=cores,
                    factor=plain_number(slowdown_bound(share, cores)),
                )
            )
        elif share:
            self.estimate_values["share"].setText(
                self.tr("this PC has only one core: tuning runs at low priority instead")
            )
        else:
            self.estimate_values["share"].setText(
                self.tr("uses all {cores} cores: other programs may be slow meanwhile").format(cores=cores)
            )
        self.share_note.setText(
            self.tr(
                "Tuning is slower, but the PC stays usable. On by default on PCs with up to {n} cores."
            ).format(n=SHARE_BY_DEFAULT_MAX_CORES)
        )
        self.estimate_note.setText(
            self.tr(
                "Electricity is estimated at {watts} W while tuning ({cores} cores × {per_core} W, a typical "
                "desktop CPU); the run measures its real use where the PC allows."
            ).format(
                watts=locale.toString(watts, "f", 0),
                cores=threads,
                per_core=locale.toString(DEFAULT_PROFILE.watts_per_core, "f", 0),
            )
        )
