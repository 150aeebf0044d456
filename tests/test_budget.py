import math

import pytest

from app.engine.errors import GenbaError
from app.engine.tuning.budget import (
    Budget,
    BudgetTracker,
    estimate_steps,
    minutes_without_improvement,
    plateau_reached,
)


@pytest.mark.parametrize(
    ("budget", "field"),
    [
        (Budget(), "budget"),
        (Budget(minutes=0), "minutes"),
        (Budget(minutes=-5.0), "minutes"),
        (Budget(minutes=math.inf), "minutes"),
        (Budget(minutes=math.nan), "minutes"),
        (Budget(steps=0), "steps"),
        (Budget(steps=2.5), "steps"),  # type: ignore[arg-type]
        (Budget(steps=True), "steps"),  # type: ignore[arg-type]
        (Budget(minutes=10, energy_wh=-1.0), "energy_wh"),
        (Budget(energy_wh="5"), "energy_wh"),  # type: ignore[arg-type]
        (Budget(minutes=10, patience_minutes=0), "patience_minutes"),
        (Budget(patience_minutes=5.0), "budget"),  # early stopping alone is no limit
    ],
)
def test_invalid_budget_names_the_field_in_both_languages(budget, field):
    with pytest.raises(GenbaError) as info:
        budget.validate()
    assert info.value.field == field
    assert info.value.en and info.value.ja and info.value.en != info.value.ja


def test_valid_budget_validates_to_itself():
    budget = Budget(minutes=10.0, steps=500, energy_wh=5.0)
    assert budget.validate() is budget
    assert Budget(steps=1).validate().steps == 1


def test_describe_in_both_languages():
    assert Budget(minutes=10.0).describe() == "up to 10 min"
    assert Budget(minutes=10.0, steps=500).describe("en") == "10 min or 500 rounds, whichever comes first"
    assert Budget(steps=500, energy_wh=2.5).describe("ja") == "500 回・2.5 Wh のうち先に達するまで"
    assert Budget(minutes=1.5).describe("ja") == "1.5 分まで"
    assert Budget(minutes=5, steps=10).describe("ja") == "5 分・10 回のうち先に達するまで"


def test_minutes_limit():
    tracker = BudgetTracker(Budget(minutes=2.0))
    tracker.update(60.0, 10, 0.5)
    assert tracker.exhausted() is None
    assert tracker.fraction() == pytest.approx(0.5)
    tracker.update(120.0, 20, 1.0)
    assert tracker.exhausted() == "minutes"
    assert tracker.fraction() == 1.0


def test_steps_limit():
    tracker = BudgetTracker(Budget(steps=100))
    tracker.update(1000.0, 99, 50.0)
    assert tracker.exhausted() is None
    assert tracker.fraction() == pytest.approx(0.99)
    tracker.update(1010.0, 100, 51.0)
    assert tracker.exhausted() == "steps"


def test_energy_limit():
    tracker = BudgetTracker(Budget(energy_wh=4.0))
    tracker.update(10.0, 1, 1.0)
    assert tracker.fraction() == pytest.approx(0.25)
    tracker.update(50.0, 5, 4.5)
    assert tracker.exhausted() == "energy"
    assert tracker.fraction() == 1.0


def test_combined_limits_first_reached_wins_and_stays():
    tracker = BudgetTracker(Budget(minutes=10.0, steps=50, energy_wh=2.0))
    tracker.update(300.0, 25, 0.5)
    # Largest share decides the progress bar: steps 0.5, minutes 0.5, energy 0.25.
    assert tracker.fraction() == pytest.approx(0.5)
    tracker.update(400.0, 50, 1.0)
    assert tracker.exhausted() == "steps"
    tracker.update(700.0, 60, 3.0)  # later the other limits pass too; the reason does not change
    assert tracker.exhausted() == "steps"


def test_limits_crossed_in_the_same_update_report_the_most_overshot():
    tracker = BudgetTracker(Budget(minutes=1.0, energy_wh=1.0))
    tracker.update(61.0, 5, 2.0)  # minutes 1.02, energy 2.0
    assert tracker.exhausted() == "energy"


def test_resume_counts_work_done_before():
    budget = Budget(minutes=10.0, steps=100, energy_wh=10.0)
    tracker = BudgetTracker(budget, already_seconds=300.0, already_steps=40, already_wh=2.0)
    assert tracker.exhausted() is None
    assert tracker.fraction() == pytest.approx(0.5)  # 300 s of 600 s
    tracker.update(310.0, 41, 2.1)  # totals, including the time before the resume
    assert tracker.fraction() == pytest.approx(310.0 / 600.0)

    spent = BudgetTracker(Budget(steps=100), already_steps=100)
    assert spent.exhausted() == "steps"
    assert spent.eta_seconds(1.0) == 0.0


def test_eta_uses_the_limit_that_ends_the_run_first():
    tracker = BudgetTracker(Budget(minutes=10.0, steps=100, energy_wh=10.0))
    tracker.update(120.0, 20, 1.0)
    # minutes: 600 - 120 = 480 s; steps: 80 × 2 s = 160 s; energy: 9 Wh / (1 Wh / 120 s) = 1080 s
    assert tracker.eta_seconds(2.0) == pytest.approx(160.0)
    # With no step time known, minutes (480 s) bind before energy (1080 s).
    assert tracker.eta_seconds(None) == pytest.approx(480.0)


def test_eta_for_energy_uses_mean_power_so_far():
    tracker = BudgetTracker(Budget(energy_wh=3.0))
    assert tracker.eta_seconds(1.0) is None  # no energy used yet: no rate to extrapolate
    tracker.update(600.0, 30, 1.0)
    # 1 Wh per 600 s so far; 2 Wh left → 1200 s
    assert tracker.eta_seconds(None) == pytest.approx(1200.0)


def test_eta_for_steps_only_needs_a_step_time():
    tracker = BudgetTracker(Budget(steps=10))
    tracker.update(5.0, 4, 0.0)
    assert tracker.eta_seconds(None) is None
    assert tracker.eta_seconds(0.5) == pytest.approx(3.0)


def test_estimate_steps_before_starting():
    # 10 min at 4 s/step = 150 steps; 5 Wh at 30 W × 4 s = 1/30 Wh per step = 150 steps; steps 200
    assert estimate_steps(Budget(minutes=10.0, steps=200), 4.0, 30.0) == 150
    assert estimate_steps(Budget(minutes=10.0, energy_wh=2.0), 4.0, 30.0) == 60
    assert estimate_steps(Budget(steps=200), None, None) == 200
    assert estimate_steps(Budget(minutes=10.0), None, 30.0) is None
    assert estimate_steps(Budget(energy_wh=2.0), 4.0, None) is None
    # 1 min at 7 s/step: the run checks the budget before each step, so it does 9 steps (63 s).
    assert estimate_steps(Budget(minutes=1.0), 7.0, None) == 9


def evals(*points: tuple[float, float]) -> list[dict]:
    """(minutes into the run, validation accuracy) per evaluation."""
    return [{"seconds": 60.0 * m, "val_accuracy": a} for m, a in points]


def test_wait_without_improvement_counts_from_the_last_new_best():
    assert minutes_without_improvement([]) == 0.0
    assert minutes_without_improvement(evals((0, 0.5))) == 0.0
    # a new best at 3 min; equal or lower accuracy afterwards does not reset the wait
    assert minutes_without_improvement(evals((0, 0.5), (3, 0.6), (5, 0.6), (9, 0.55))) == 6.0
    assert minutes_without_improvement(evals((0, 0.5), (3, 0.6), (9, 0.7))) == 0.0


def test_early_stopping_only_when_on_and_the_wait_is_long_enough():
    flat = evals((0, 0.5), (4, 0.5), (10, 0.5))
    assert plateau_reached(Budget(minutes=30, patience_minutes=10), flat)
    assert not plateau_reached(Budget(minutes=30, patience_minutes=11), flat)
    assert not plateau_reached(Budget(minutes=30), flat)  # off
