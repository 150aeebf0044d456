"""The run budget: stop after so many minutes, steps or watt-hours, whichever comes first.

Early stopping (``patience_minutes``) is part of the budget too: a run also stops when validation accuracy
has not improved for that long, measured between evaluations (:func:`minutes_without_improvement`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.engine.errors import GenbaError

# Exhaustion reasons, also the order in which simultaneous limits are reported.
REASONS = ("minutes", "steps", "energy")
PLATEAU = "plateau"  # the stop reason of early stopping

# The CLI's and the app's default patience. On the demo data accuracy rose 0.57 -> 0.75 between 80 s and
# 6 min of a 15-minute run (docs/BENCHMARKS.md), so a shorter wait would cut such runs off.
DEFAULT_PATIENCE_MINUTES = 10.0


@dataclass(frozen=True)
class Budget:
    """Limits of one run; ``None`` means no limit of that kind. At least one limit must be set."""

    minutes: float | None = None
    steps: int | None = None
    energy_wh: float | None = None
    # Stop early when validation accuracy has not improved for this long; None: never (not a limit by
    # itself, so a budget still needs one of the three above).
    patience_minutes: float | None = None

    def validate(self) -> Budget:
        """Raise :class:`GenbaError` naming the field if a limit is not a positive finite number."""
        if self.minutes is None and self.steps is None and self.energy_wh is None:
            raise GenbaError(
                "Set a budget: minutes, steps or energy (Wh).",
                "調整時間（分・回数・電力量 Wh のいずれか）を設定してください。",
                field="budget",
            )
        for name, ja_name, value in (
            ("minutes", "調整時間（分）", self.minutes),
            ("steps", "調整の回数", self.steps),
            ("energy_wh", "電力量（Wh）", self.energy_wh),
            ("patience_minutes", "早めに止めるまでの時間（分）", self.patience_minutes),
        ):
            if value is None:
                continue
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not math.isfinite(value) or value <= 0:
                raise GenbaError(
                    f"Budget {name} must be a number greater than 0 (got {value!r}).",
                    f"{ja_name}は 0 より大きい数にしてください（入力値: {value!r}）。",
                    field=name,
                )
            if name == "steps" and not isinstance(value, int):
                raise GenbaError(
                    f"Budget steps must be a whole number (got {value!r}).",
                    f"調整の回数は整数にしてください（入力値: {value!r}）。",
                    field=name,
                )
        return self

    def describe(self, lang: str = "en") -> str:
        """One line for the UI, e.g. ``10 min or 500 rounds, whichever comes first``."""
        ja = lang == "ja"
        parts = []
        if self.minutes is not None:
            parts.append(f"{self.minutes:g} 分" if ja else f"{self.minutes:g} min")
        if self.steps is not None:
            parts.append(f"{self.steps} 回" if ja else f"{self.steps} rounds")  # the app's word for a step
        if self.energy_wh is not None:
            parts.append(f"{self.energy_wh:g} Wh")
        if not parts:
            return "予算なし" if ja else "no budget"
        if not ja:
            return f"up to {parts[0]}" if len(parts) == 1 else f"{' or '.join(parts)}, whichever comes first"
        text = parts[0] if len(parts) == 1 else "・".join(parts)
        # Japanese puts a space between a Latin unit and kana ("5 Wh まで") but not after 分/回.
        gap = " " if text[-1].isascii() else ""
        return f"{text}{gap}まで" if len(parts) == 1 else f"{text}{gap}のうち先に達するまで"


class BudgetTracker:
    """How much of a budget a run has used, counting work done before a resume.

    ``update`` takes the run's *totals* (this session plus everything before the resume), which is what
    the tuner keeps in its state; ``already_*`` are those totals at the moment of resuming, so the tracker
    is right before the first update (a resumed run whose budget is already spent stops at once).
    """

    def __init__(
        self,
        budget: Budget,
        *,
        already_seconds: float = 0.0,
        already_steps: int = 0,
        already_wh: float = 0.0,
    ) -> None:
        self.budget = budget
        self.seconds = float(already_seconds)
        self.steps = int(already_steps)
        self.energy_wh = float(already_wh)
        self._reason: str | None = None
        self._check()

    def update(self, seconds: float, steps: int, energy_wh: float) -> None:
        """Record the run's totals so far: wall seconds (pauses excluded), steps done, Wh used."""
        self.seconds = float(seconds)
        self.steps = int(steps)
        self.energy_wh = float(energy_wh)
        self._check()

    def _fractions(self) -> dict[str, float]:
        """Used share of each active limit (may exceed 1)."""
        b = self.budget
        out = {}
        if b.minutes is not None:
            out["minutes"] = self.seconds / (b.minutes * 60.0)
        if b.steps is not None:
            out["steps"] = self.steps / b.steps
        if b.energy_wh is not None:
            out["energy"] = self.energy_wh / b.energy_wh
        return out

    def _check(self) -> None:
        # The first limit reached stays the reason, even if another one is passed later.
        if self._reason is not None:
            return
        spent = {k: f for k, f in self._fractions().items() if f >= 1.0}
        if spent:
            # Several crossed within one update: report the one overshot most (ties: REASONS order).
            self._reason = max(REASONS, key=lambda k: spent.get(k, -1.0))

    def exhausted(self) -> str | None:
        """``"minutes"``, ``"steps"`` or ``"energy"`` once a limit is reached, else ``None``."""
        return self._reason

    def fraction(self) -> float:
        """Share of the budget used, 0..1: the largest share over the active limits."""
        fractions = self._fractions().values()
        return min(max(fractions, default=0.0), 1.0)

    def eta_seconds(self, seconds_per_step: float | None) -> float | None:
        """Seconds until the first limit is reached, or ``None`` if nothing can be estimated yet.

        Minutes count down directly; steps use ``seconds_per_step``; energy uses the mean power so far.
        """
        if self._reason is not None:
            return 0.0
        b = self.budget
        etas = []
        if b.minutes is not None:
            etas.append(b.minutes * 60.0 - self.seconds)
        if b.steps is not None and seconds_per_step is not None and seconds_per_step > 0:
            etas.append((b.steps - self.steps) * seconds_per_step)
        if b.energy_wh is not None and self.energy_wh > 0 and self.seconds > 0:
            wh_per_second = self.energy_wh / self.seconds
            etas.append((b.energy_wh - self.energy_wh) / wh_per_second)
        if not etas:
            return None
        return max(min(etas), 0.0)


def minutes_without_improvement(evals: list[dict]) -> float:
    """Minutes from the evaluation that last raised the best validation accuracy to the latest one.

    ``evals`` are the run's evaluations in order, each with ``val_accuracy`` and ``seconds`` (run time).
    Only evaluations count, so the wait is judged on evidence, not on time since the last check.
    """
    if not evals:
        return 0.0
    best, since = -1.0, 0.0
    for e in evals:
        if e["val_accuracy"] > best:
            best, since = e["val_accuracy"], e["seconds"]
    return max(evals[-1]["seconds"] - since, 0.0) / 60.0


def plateau_reached(budget: Budget, evals: list[dict]) -> bool:
    """True when early stopping is on and accuracy has not improved for ``patience_minutes``."""
    if budget.patience_minutes is None:
        return False
    return minutes_without_improvement(evals) >= budget.patience_minutes


def estimate_steps(budget: Budget, seconds_per_step: float | None, watts: float | None) -> int | None:
    """About how many steps the budget allows, for "about N steps" before a run starts.

    ``seconds_per_step`` and ``watts`` come from a short measurement (or ``None`` if not measured yet);
    a limit that cannot be converted to steps is left out. ``None`` if no limit can be converted.
    """
    limits: list[float] = []
    if budget.steps is not None:
        limits.append(budget.steps)
    if seconds_per_step is not None and seconds_per_step > 0:
        if budget.minutes is not None:
            limits.append(budget.minutes * 60.0 / seconds_per_step)
        if budget.energy_wh is not None and watts is not None and watts > 0:
            wh_per_step = watts * seconds_per_step / 3600.0
            limits.append(budget.energy_wh / wh_per_step)
    if not limits:
        return None
    # A run stops at the first step that reaches the limit, so a partial step still counts as one.
    return max(math.ceil(min(limits) - 1e-9), 0)
