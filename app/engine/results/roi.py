"""Return on investment of tuning on the factory PC, for a management walkthrough.

One alternative, named wherever money is shown: keeping the model as it came. The benefit is the labour of
the misclassified documents the tuned model avoids; the cost is the setup and the electricity. (Cloud fees
are not counted as well: a cloud tuning would give the same gain, so counting both the labour saved against
the untuned model and the fees avoided against a cloud service would count one saving twice.)

Energy and accuracy come from a real run; every other input is a site-specific assumption whose default
is only an example (listed in ``RoiInputs.EXAMPLE_FIELDS``) for the user to replace with their own figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import ClassVar

from app.engine.errors import GenbaError
from app.engine.results.held_out import HeldOutAccuracy


@dataclass(frozen=True, kw_only=True)
class RoiInputs:
    """Figures for the ROI model. Money in yen; "per month" means per calendar month, all PCs together."""

    EXAMPLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "pcs",
            "runs_per_month",
            "electricity_yen_per_kwh",
            "documents_per_month",
            "minutes_per_misclassified",
            "labour_yen_per_hour",
            "setup_cost_yen",
        }
    )
    # From the run (report.json): no defaults.
    energy_wh_per_run: float
    accuracy_before: float  # 0..1, held-out (test) accuracy before tuning (HeldOutAccuracy)
    accuracy_after: float  # 0..1, after tuning
    # Examples only (EXAMPLE_FIELDS): replace with the site's own figures.
    pcs: int = 1  # PCs or lines, each tuning its own model
    runs_per_month: float = 4.0  # per PC
    electricity_yen_per_kwh: float = 31.0
    documents_per_month: float = 2000.0  # per PC, classified by the tuned model
    minutes_per_misclassified: float = 5.0  # staff time to notice and fix one wrong label
    labour_yen_per_hour: float = 3000.0
    setup_cost_yen: float = 300000.0  # PC, licence, staff time to set up

    @classmethod
    def from_report(cls, report: dict, **assumptions: float) -> RoiInputs:
        """Inputs from a run's report (energy, accuracy before/after) plus the site's own assumptions."""
        held_out = HeldOutAccuracy.of(report)
        return cls(
            energy_wh_per_run=float(report["energy_wh"]),
            accuracy_before=held_out.before,
            accuracy_after=held_out.after,
            **assumptions,
        )

    def validate(self) -> RoiInputs:
        """Raise :class:`GenbaError` naming the field if a figure is negative, not finite, or out of 0..1."""
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise GenbaError(
                    f"{f.name} must be a number (got {value!r}).",
                    f"{f.name} には数値を入力してください（入力値: {value!r}）。",
                    field=f.name,
                )
            if value < 0:
                raise GenbaError(
                    f"{f.name} must be zero or more (got {value!r}).",
                    f"{f.name} は 0 以上にしてください（入力値: {value!r}）。",
                    field=f.name,
                )
            if f.name.startswith("accuracy_") and value > 1:
                raise GenbaError(
                    f"{f.name} is a fraction between 0 and 1 (got {value!r}; for 85 % enter 0.85).",
                    f"{f.name} は 0〜1 の割合で入力してください（入力値: {value!r}。85 % なら 0.85）。",
                    field=f.name,
                )
        return self


@dataclass(frozen=True)
class RoiResult:
    """Monthly costs and savings in yen, and when the setup cost is paid back."""

    energy_cost_yen_per_run: float
    energy_cost_yen_per_month: float
    errors_avoided_per_month: float  # negative if the tuned model is worse
    labour_saved_yen_per_month: float
    monthly_net_savings_yen: float
    payback_months: float | None  # None: the savings never pay the setup back
    setup_cost_yen: float

    def cumulative(self, months: int) -> list[tuple[int, float, float]]:
        """``(month, cumulative cost, cumulative benefit)`` for months 0..``months``, for the chart.

        Cost is the setup plus electricity; benefit is the labour saved. The lines cross at ``payback_months``.
        """
        benefit = self.labour_saved_yen_per_month
        return [
            (m, self.setup_cost_yen + self.energy_cost_yen_per_month * m, benefit * m)
            for m in range(months + 1)
        ]


@dataclass(frozen=True)
class SensitivityRow:
    """One bar of a tornado chart: how the monthly net savings move when one input moves ±delta."""

    field: str
    low_value: float  # the input at -delta (accuracies clipped to 0..1)
    high_value: float  # the input at +delta
    change_at_low_yen: float  # monthly net savings at low_value minus the base case
    change_at_high_yen: float

    @property
    def swing_yen(self) -> float:
        """Width of the bar: the spread between the low and high cases."""
        return abs(self.change_at_high_yen - self.change_at_low_yen)


def _yen_per_error(inputs: RoiInputs) -> float:
    return inputs.minutes_per_misclassified / 60.0 * inputs.labour_yen_per_hour


# 95 % of a normal distribution lies within 1.96 standard deviations.
Z_95 = 1.96


def savings_range(inputs: RoiInputs, rows: int) -> tuple[float, float] | None:
    """A 95 % range of the monthly net savings from the accuracies having been measured on ``rows`` rows.

    Before and after are shares of the same test rows; their difference is treated as two independent
    binomial shares (standard error sqrt((b(1-b) + a(1-a)) / n)), which overstates the spread of a paired
    difference, so the range errs wide. None without test rows. The other inputs are taken as exact.
    """
    if rows <= 0:
        return None
    net = compute_roi(inputs).monthly_net_savings_yen
    b, a = inputs.accuracy_before, inputs.accuracy_after
    gain_error = Z_95 * math.sqrt((b * (1 - b) + a * (1 - a)) / rows)
    spread = gain_error * inputs.documents_per_month * inputs.pcs * _yen_per_error(inputs)
    return net - spread, net + spread


def compute_roi(inputs: RoiInputs) -> RoiResult:
    """Monthly costs and savings of tuning on site, from validated inputs."""
    inputs.validate()
    runs = inputs.runs_per_month * inputs.pcs
    energy_per_run = inputs.energy_wh_per_run / 1000.0 * inputs.electricity_yen_per_kwh
    energy_per_month = energy_per_run * runs
    errors_avoided = (
        inputs.documents_per_month * inputs.pcs * (inputs.accuracy_after - inputs.accuracy_before)
    )
    labour_saved = errors_avoided * _yen_per_error(inputs)
    net = labour_saved - energy_per_month
    return RoiResult(
        energy_cost_yen_per_run=energy_per_run,
        energy_cost_yen_per_month=energy_per_month,
        errors_avoided_per_month=errors_avoided,
        labour_saved_yen_per_month=labour_saved,
        monthly_net_savings_yen=net,
        payback_months=inputs.setup_cost_yen / net if net > 0 else None,
        setup_cost_yen=inputs.setup_cost_yen,
    )


def sensitivity(inputs: RoiInputs, delta: float = 0.2) -> list[SensitivityRow]:
    """Change in monthly net savings when each input moves by -delta and +delta, widest swing first.

    Every input is varied on its own around ``inputs``; accuracies are clipped to 0..1. Inputs that do not
    affect the monthly figure (the setup cost) come last with zero swing.
    """
    if not (0 < delta < 1) or not math.isfinite(delta):
        raise GenbaError(
            f"delta must be between 0 and 1 (got {delta!r}).",
            f"delta は 0 と 1 の間にしてください（入力値: {delta!r}）。",
            field="delta",
        )
    base = compute_roi(inputs).monthly_net_savings_yen
    rows = []
    for f in fields(inputs):
        value = float(getattr(inputs, f.name))
        low, high = value * (1 - delta), value * (1 + delta)
        if f.name.startswith("accuracy_"):
            low, high = min(max(low, 0.0), 1.0), min(max(high, 0.0), 1.0)
        # pcs is varied continuously (1 ± 20 %): the tornado chart shows a slope, not a whole PC.
        net_low = compute_roi(replace(inputs, **{f.name: low})).monthly_net_savings_yen
        net_high = compute_roi(replace(inputs, **{f.name: high})).monthly_net_savings_yen
        rows.append(SensitivityRow(f.name, low, high, net_low - base, net_high - base))
    # sorted() is stable, so equal swings keep the field order of RoiInputs.
    return sorted(rows, key=lambda row: -row.swing_yen)
