"""Step 3: how much time or energy the run may use, what that buys, and when it will finish."""

from __future__ import annotations

from PySide6.QtCore import QDateTime, QLocale, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from app.engine.budget import Budget, estimate_steps
from app.engine.energy import DEFAULT_PROFILE
from app.engine.errors import GenbaError
from app.engine.ort_runtime import physical_cores
from app.gui.choices import BudgetChoice
from app.gui.i18n import current_language
from app.gui.model_check import ModelCheck
from app.gui.pages.page import Page, StatusLine, make_button, wrapping_label
from app.gui.settings import Settings

DEMO_MINUTES = 3.0


def run_watts() -> float:
    """The power the engine's estimate charges for a run: watts per busy core × the cores ORT uses."""
    return DEFAULT_PROFILE.watts_per_core * physical_cores()


class BudgetPage(Page):
    budget_changed = Signal(object)  # BudgetChoice
    next_requested = Signal()

    MODES = ("minutes", "energy", "steps")

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.model: ModelCheck | None = None
        self.error: GenbaError | None = None
        self._seen = False  # the step counts as done once the operator has looked at it

        self.choice_box = QGroupBox(self.body)
        grid = QGridLayout(self.choice_box)
        grid.setHorizontalSpacing(16)
        self.mode_group = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        for row, mode in enumerate(self.MODES):
            radio = QRadioButton(self.choice_box)
            radio.setMinimumHeight(36)
            self.mode_group.addButton(radio, row)
            self.radios[mode] = radio
            grid.addWidget(radio, row, 0)
        self.minutes_spin = QDoubleSpinBox(self.choice_box)
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
        for row, mode in enumerate(self.MODES):
            spin = self.spins[mode]
            spin.setMinimumHeight(36)
            spin.setMinimumWidth(140)
            spin.valueChanged.connect(self._changed)
            grid.addWidget(spin, row, 1)
        self.unit_labels = {mode: QLabel(self.choice_box) for mode in self.MODES}
        for row, mode in enumerate(self.MODES):
            grid.addWidget(self.unit_labels[mode], row, 2)
        self.demo_button = make_button(self.choice_box)
        self.demo_button.clicked.connect(self.use_demo)
        grid.addWidget(self.demo_button, 0, 3)
        grid.setColumnStretch(4, 1)
        self.radios["minutes"].setChecked(True)
        self.mode_group.idToggled.connect(self._mode_toggled)
        self.layout_.addWidget(self.choice_box)

        self.price_box = QGroupBox(self.body)
        price_row = QHBoxLayout(self.price_box)
        self.price_caption = QLabel(self.price_box)
        self.price_spin = QDoubleSpinBox(self.price_box)
        self.price_spin.setRange(0, 1000)
        self.price_spin.setDecimals(1)
        self.price_spin.setMinimumHeight(36)
        self.price_spin.setValue(settings.yen_per_kwh)
        self.price_spin.valueChanged.connect(self._price_changed)
        self.price_caption.setBuddy(self.price_spin)
        self.price_unit = QLabel(self.price_box)
        price_row.addWidget(self.price_caption)
        price_row.addWidget(self.price_spin)
        price_row.addWidget(self.price_unit)
        price_row.addStretch(1)
        self.layout_.addWidget(self.price_box)

        # --- for experts: which layers to tune (default: the engine's probe chooses) -----------------------
        self.layers_box = QGroupBox(self.body)
        layers_row = QHBoxLayout(self.layers_box)
        self.layers_check = QCheckBox(self.layers_box)
        self.layers_check.setMinimumHeight(36)
        self.layers_edit = QLineEdit(self.layers_box)
        self.layers_edit.setMinimumHeight(36)
        self.layers_edit.setEnabled(False)
        self.layers_check.toggled.connect(self.layers_edit.setEnabled)
        self.layers_check.toggled.connect(self._changed)
        self.layers_edit.textChanged.connect(self._changed)
        layers_row.addWidget(self.layers_check)
        layers_row.addWidget(self.layers_edit, 1)
        self.layout_.addWidget(self.layers_box)

        self.estimate_box = QGroupBox(self.body)
        est = QGridLayout(self.estimate_box)
        self.estimate_captions = {k: QLabel(self.estimate_box) for k in ("steps", "finish", "energy")}
        self.estimate_values = {k: wrapping_label(self.estimate_box) for k in ("steps", "finish", "energy")}
        for row, key in enumerate(("steps", "finish", "energy")):
            self.estimate_values[key].setObjectName("emphasis")
            est.addWidget(self.estimate_captions[key], row, 0)
            est.addWidget(self.estimate_values[key], row, 1)
        est.setColumnStretch(1, 1)
        self.estimate_note = wrapping_label(self.estimate_box)
        est.addWidget(self.estimate_note, 3, 0, 1, 2)
        self.layout_.addWidget(self.estimate_box)
        self.status = StatusLine(self.body)
        self.layout_.addWidget(self.status)
        self.layout_.addStretch(1)

        nav = QHBoxLayout()
        nav.addStretch(1)
        self.next_button = make_button(self.body, primary=True)
        self.next_button.clicked.connect(self.next_requested)
        nav.addWidget(self.next_button)
        self.layout_.addLayout(nav)
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
        if mode == "minutes":
            return Budget(minutes=float(self.minutes_spin.value()))
        if mode == "energy":
            return Budget(energy_wh=float(self.energy_spin.value()))
        return Budget(steps=int(self.steps_spin.value()))

    def choice(self) -> BudgetChoice:
        return BudgetChoice(self.budget(), float(self.price_spin.value()), self.tuned_layers())

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
    def _mode_toggled(self) -> None:
        mode = self.mode()
        for m, spin in self.spins.items():
            spin.setEnabled(m == mode)
        self._changed()

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
        self._refresh_estimate()
        self.status_changed.emit()
        if self.error is None:
            self.budget_changed.emit(self.choice())

    # --- text --------------------------------------------------------------------------------------
    def step_title(self) -> str:
        return self.tr("Budget")

    def retranslate(self) -> None:
        super().retranslate()
        self.intro.setText(
            self.tr(
                "How long the PC may work on tuning, or how much electricity it may use. The run stops "
                "when the budget is spent and keeps the best result it found. You can also stop it early."
            )
        )
        self.choice_box.setTitle(self.tr("Budget"))
        self.radios["minutes"].setText(self.tr("By &time"))
        self.radios["energy"].setText(self.tr("By &energy"))
        self.radios["steps"].setText(self.tr("By number of &steps (for experts)"))
        self.unit_labels["minutes"].setText(self.tr("minutes"))
        self.unit_labels["energy"].setText(self.tr("Wh"))
        self.unit_labels["steps"].setText(self.tr("steps"))
        self.demo_button.setText(self.tr("&Demo (3 min)"))
        self.price_box.setTitle(self.tr("Settings"))
        self.price_caption.setText(self.tr("Electricity &price:"))
        self.price_unit.setText(self.tr("yen per kWh"))
        self.layers_box.setTitle(self.tr("Layers to tune (for experts)"))
        self.layers_check.setText(self.tr("Choose the &layers myself:"))
        n = self.model.n_layers if self.model is not None else None
        self.layers_edit.setPlaceholderText(
            self.tr("e.g. 26, 27, 28, 29 (this model: 0 to {last})").format(last=n - 1)
            if n
            else self.tr("e.g. 26, 27, 28, 29")
        )
        self.layers_check.setToolTip(
            self.tr(
                "Normally a short trial before tuning picks the layers with the most effect for their "
                "computing time. Lower layers make every step slower."
            )
        )
        self.estimate_box.setTitle(self.tr("What this budget gives"))
        self.estimate_captions["steps"].setText(self.tr("Tuning steps:"))
        self.estimate_captions["finish"].setText(self.tr("Finishes at:"))
        self.estimate_captions["energy"].setText(self.tr("Electricity:"))
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
        watts = run_watts()
        per_step = self.model.seconds_per_step if self.model is not None else None
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
            self.estimate_values["steps"].setText(self.tr("about {n} steps").format(n=locale.toString(steps)))
        if seconds is None:
            self.estimate_values["finish"].setText(self.tr("unknown"))
        else:
            finish = QDateTime.currentDateTime().addSecs(int(seconds))
            self.estimate_values["finish"].setText(
                self.tr("about {time} (in {minutes} min, after a short preparation)").format(
                    time=locale.toString(finish.time(), QLocale.FormatType.ShortFormat),
                    minutes=locale.toString(seconds / 60, "f", 0 if seconds >= 600 else 1),
                )
            )
        if energy_wh is None:
            self.estimate_values["energy"].setText(self.tr("unknown"))
        else:
            yen = energy_wh / 1000 * self.price_spin.value()
            self.estimate_values["energy"].setText(
                self.tr("about {wh} Wh, about {yen} yen").format(
                    wh=locale.toString(energy_wh, "f", 1), yen=locale.toString(yen, "f", 2)
                )
            )
        self.estimate_note.setText(
            self.tr(
                "Estimates assume {watts} W while tuning ({cores} cores × {per_core} W, a typical desktop "
                "CPU); the run measures its real energy where the PC allows and otherwise estimates it the "
                "same way."
            ).format(
                watts=locale.toString(watts, "f", 0),
                cores=physical_cores(),
                per_core=locale.toString(DEFAULT_PROFILE.watts_per_core, "f", 0),
            )
        )
