import math
from dataclasses import MISSING, fields

import pytest

from app.engine.errors import GenbaError
from app.engine.results.roi import RoiInputs, compute_roi, savings_range, sensitivity

RUN = {"energy_wh_per_run": 60.0, "accuracy_before": 0.80, "accuracy_after": 0.86}


def example_inputs(**overrides) -> RoiInputs:
    return RoiInputs(**{**RUN, **overrides})


def test_defaults_hand_checked():
    result = compute_roi(example_inputs())
    # energy: 60 Wh = 0.06 kWh × 31 yen = 1.86 yen per run; × 4 runs × 1 PC = 7.44 yen per month
    # errors avoided: 2000 documents × 1 PC × (0.86 − 0.80) = 120 per month
    # labour: 120 × 5 min = 600 min = 10 h × 3000 yen = 30 000 yen per month
    # net (against keeping the model as it came; no cloud fees on top): 30 000 − 7.44 = 29 992.56 yen
    # payback 300 000 / 29 992.56 = 10.0025 months
    assert result.energy_cost_yen_per_run == pytest.approx(1.86)
    assert result.energy_cost_yen_per_month == pytest.approx(7.44)
    assert result.errors_avoided_per_month == pytest.approx(120.0)
    assert result.labour_saved_yen_per_month == pytest.approx(30_000.0)
    assert result.monthly_net_savings_yen == pytest.approx(29_992.56)
    assert result.payback_months == pytest.approx(10.00248, abs=1e-5)


def test_worse_model_hand_checked():
    inputs = RoiInputs(
        energy_wh_per_run=120.0,
        accuracy_before=0.90,
        accuracy_after=0.85,
        pcs=3,
        runs_per_month=2,
        electricity_yen_per_kwh=25.0,
        documents_per_month=1000,
        minutes_per_misclassified=6.0,
        labour_yen_per_hour=2400.0,
        setup_cost_yen=100_000.0,
    )
    result = compute_roi(inputs)
    # energy: 0.12 kWh × 25 yen = 3 yen per run; × 2 runs × 3 PCs = 18 yen per month
    # errors avoided: 1000 × 3 × (0.85 − 0.90) = −150 (the tuned model makes more mistakes)
    # labour: −150 × 6 min = −900 min = −15 h × 2400 yen = −36 000 yen
    # net: −36 000 − 18 = −36 018 yen per month → never pays back
    assert result.energy_cost_yen_per_run == pytest.approx(3.0)
    assert result.energy_cost_yen_per_month == pytest.approx(18.0)
    assert result.errors_avoided_per_month == pytest.approx(-150.0)
    assert result.labour_saved_yen_per_month == pytest.approx(-36_000.0)
    assert result.monthly_net_savings_yen == pytest.approx(-36_018.0)
    assert result.payback_months is None


def test_payback_none_when_savings_are_exactly_zero():
    inputs = example_inputs(
        accuracy_after=0.80,
        electricity_yen_per_kwh=0.0,
    )
    result = compute_roi(inputs)
    assert result.monthly_net_savings_yen == 0.0
    assert result.payback_months is None


def test_cumulative_lines_cross_at_payback():
    result = compute_roi(example_inputs())
    points = result.cumulative(3)
    assert [m for m, _, _ in points] == [0, 1, 2, 3]
    assert points[0] == (0, 300_000.0, 0.0)
    month, cost, benefit = points[2]
    assert cost == pytest.approx(300_000.0 + 2 * 7.44)
    assert benefit == pytest.approx(2 * 30_000.0)
    points = result.cumulative(11)
    assert points[10][1] > points[10][2] and points[11][2] > points[11][1]  # paid back in month 11
    assert result.payback_months is not None and 10 < result.payback_months < 11


def test_sensitivity_is_sorted_by_swing_like_a_tornado_chart():
    rows = sensitivity(example_inputs())
    assert {r.field for r in rows} == {f.name for f in fields(RoiInputs)}
    swings = [r.swing_yen for r in rows]
    assert swings == sorted(swings, reverse=True)
    # Each error is worth 5 min × 3000 yen/h = 250 yen.
    # accuracy_before 0.80 → 0.64 / 0.96: labour 2000 × (0.86 − 0.64) × 250 = 110 000 (+80 000)
    #   and 2000 × (0.86 − 0.96) × 250 = −50 000 (−80 000): swing 160 000
    # accuracy_after 0.86 → 0.688 / 1.032 clipped to 1.0: −86 000 and +70 000: swing 156 000
    # documents, minutes, labour each scale labour only: 0.4 × 30 000 = 12 000 (ties keep field order)
    # pcs scales labour and energy: 0.4 × (30 000 − 7.44) = 11 997.024
    assert [r.field for r in rows[:6]] == [
        "accuracy_before",
        "accuracy_after",
        "documents_per_month",
        "minutes_per_misclassified",
        "labour_yen_per_hour",
        "pcs",
    ]
    by_field = {r.field: r for r in rows}
    assert by_field["accuracy_before"].change_at_low_yen == pytest.approx(80_000.0)
    assert by_field["accuracy_before"].change_at_high_yen == pytest.approx(-80_000.0)
    assert by_field["accuracy_after"].high_value == 1.0
    assert by_field["accuracy_after"].swing_yen == pytest.approx(156_000.0)
    assert by_field["pcs"].swing_yen == pytest.approx(11_997.024)
    # Setup cost does not change the monthly figure: last, with no swing.
    assert rows[-1].field == "setup_cost_yen" and rows[-1].swing_yen == 0.0


def test_sensitivity_rejects_a_bad_delta():
    with pytest.raises(GenbaError) as info:
        sensitivity(example_inputs(), delta=1.5)
    assert info.value.field == "delta"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pcs": -1}, "pcs"),
        ({"runs_per_month": -2.0}, "runs_per_month"),
        ({"documents_per_month": math.nan}, "documents_per_month"),
        ({"labour_yen_per_hour": math.inf}, "labour_yen_per_hour"),
        ({"accuracy_after": 1.2}, "accuracy_after"),
        ({"accuracy_before": -0.1}, "accuracy_before"),
        ({"energy_wh_per_run": -5.0}, "energy_wh_per_run"),
        ({"setup_cost_yen": "lots"}, "setup_cost_yen"),
    ],
)
def test_invalid_inputs_name_the_field(overrides, field):
    inputs = example_inputs(**overrides)
    with pytest.raises(GenbaError) as info:
        compute_roi(inputs)
    assert info.value.field == field
    assert field in info.value.en and field in info.value.ja


def test_example_fields_are_exactly_the_defaulted_ones():
    # The figures a run measures have no default; everything with a default is an example to replace.
    defaulted = {f.name for f in fields(RoiInputs) if f.default is not MISSING}
    assert defaulted == RoiInputs.EXAMPLE_FIELDS
    assert defaulted.isdisjoint(RUN)


def test_inputs_from_a_run_report():
    report = {"energy_wh": 42.5, "val_accuracy_before": 0.7, "val_accuracy_after": 0.75}
    inputs = RoiInputs.from_report(report, pcs=2)
    assert (inputs.energy_wh_per_run, inputs.accuracy_before, inputs.accuracy_after) == (42.5, 0.7, 0.75)
    assert inputs.pcs == 2 and inputs.runs_per_month == 4.0


def test_savings_range_follows_the_number_of_test_rows_hand_checked():
    inputs = example_inputs()
    # gain error: 1.96 × sqrt((0.8 × 0.2 + 0.86 × 0.14) / 100) = 1.96 × 0.052957 = 0.103796
    # × 2000 documents × 250 yen per error = 51 898 yen either side of 29 992.56
    low, high = savings_range(inputs, 100)
    assert low == pytest.approx(29_992.56 - 51_898.0, abs=5)
    assert high == pytest.approx(29_992.56 + 51_898.0, abs=5)
    wide, narrow = savings_range(inputs, 25), savings_range(inputs, 2500)
    assert wide[1] - wide[0] == pytest.approx(2 * (high - low))  # 4x fewer rows, twice as wide
    assert narrow[1] - narrow[0] == pytest.approx((high - low) / 5)
    assert savings_range(inputs, 0) is None
