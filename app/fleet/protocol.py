"""The fleet protocol: what a round asks, what a PC answers, and how the answers become one step.

Every PC holds the same start (``FleetSpec``: model hash, prompt, adapter layout, ZO settings). A round
names a step; the step's direction seeds are ``zo.direction_seed(spec.seed, step, i)``. Each PC evaluates
the 2q perturbed copies on its own batch and answers with its example count and, per copy, the *exact* sum
of its per-example losses (integers in units of 2**-149, the smallest float32 step), so the server's sum
over PCs equals the sum one PC would get over the pooled batch, whatever the split. The combined projected
gradients go into an ordinary ``zo.StepRecord``; every PC applies the same records with ``zo.apply_update``,
so all PCs hold bit-identical adapters and a PC that missed rounds catches up by replaying the log.

Nothing here knows Flower: ``app.fleet.flower_app`` carries these values as ConfigRecords.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import numpy as np

from app.engine.tuning import zo

LOSS_UNIT_EXP = 149  # every finite float32 is a whole multiple of 2**-149
RULES = ("mean", "median", "trimmed")


@dataclass(frozen=True)
class FleetSpec:
    """The start every PC must share; a PC whose copy differs (by ``fingerprint``) refuses to take part."""

    model: str
    model_sha256: str
    labels: tuple[str, ...]
    layers: tuple[int, ...]
    template: str | None = None
    label_words: dict[str, str] | None = None
    max_tokens: int = 128
    projections: tuple[str, ...] = ("q", "v")
    rank: int = 8
    alpha: float = 16.0
    seed: int = 0
    q: int = 1
    eps: float = 1e-2
    lr: float = 1e-1
    batch_size: int = 16  # examples per PC per step
    steps: int = 100
    eval_every: int = 10  # steps between the PCs' validation accuracies
    rule: str = "mean"  # "mean" (weighted by example count, exact), "median" or "trimmed" (robust)
    head: bool = True  # agree on a fitted head before the first step (app.fleet.head); False: label words
    max_abs_grad: float = 1e4  # a PC's projected gradient beyond this is rejected as faulty
    split_seed: int = 0
    val_fraction: float = 0.2
    test_fraction: float = 0.2

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FleetSpec:
        d = json.loads(text)
        for name in ("labels", "layers", "projections"):
            d[name] = tuple(d[name])
        return cls(**d)

    def fingerprint(self) -> str:
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()[:16]

    def seeds(self, step: int) -> tuple[int, ...]:
        return tuple(zo.direction_seed(self.seed, step, i) for i in range(self.q))


def exact_units(losses: np.ndarray) -> int:
    """The exact sum of float32 values, as an integer count of 2**-149 (no rounding, any order)."""
    total = 0
    for v in np.asarray(losses, dtype=np.float32).ravel().tolist():
        n, d = v.as_integer_ratio()  # d is a power of two <= 2**149 for a float32
        total += n * ((1 << LOSS_UNIT_EXP) // d)
    return total


@dataclass(frozen=True)
class ClientReport:
    """One PC's answer for one step: example count and exact per-copy loss sums (no example leaves)."""

    name: str
    step: int
    count: int
    plus: tuple[int, ...]  # [q] exact loss sums of B + eps z_i over the PC's batch
    minus: tuple[int, ...]  # [q] ... of B - eps z_i
    finite: bool = True  # False: some loss was NaN/inf on the PC (the sums are then meaningless)

    def to_wire(self) -> dict:
        """Plain values for a ConfigRecord (Flower's ints are 64-bit, so the sums travel as decimal text)."""
        return {
            "name": self.name,
            "step": self.step,
            "count": self.count,
            "plus": [str(v) for v in self.plus],
            "minus": [str(v) for v in self.minus],
            "finite": self.finite,
        }

    @classmethod
    def from_wire(cls, d) -> ClientReport:
        """Parse an answer; anything malformed raises ValueError (the PC is then rejected by name)."""
        return cls(
            str(d["name"]),
            int(d["step"]),
            int(d["count"]),
            tuple(int(v) for v in d["plus"]),
            tuple(int(v) for v in d["minus"]),
            bool(d["finite"]),
        )

    def projected_grads(self, eps: float) -> tuple[float, ...]:
        """This PC's own g_i = (mean l+ - mean l-) / (2 eps)."""
        scale = Fraction(1, self.count << LOSS_UNIT_EXP) / (2 * Fraction(eps))
        return tuple(float((p - m) * scale) for p, m in zip(self.plus, self.minus, strict=True))


@dataclass(frozen=True)
class Combined:
    record: zo.StepRecord
    used: tuple[str, ...]  # PCs whose answers went into the step
    rejected: dict[str, str] = field(default_factory=dict)  # name -> why (English, for the log)


def check_report(report: ClientReport, spec: FleetSpec, step: int) -> str | None:
    """Why this answer cannot be used, or None."""
    if report.step != step:
        return f"answered step {report.step}, not {step}"
    if report.count < 1:
        return "no examples"
    if len(report.plus) != spec.q or len(report.minus) != spec.q:
        return f"sent {len(report.plus)}/{len(report.minus)} losses for {spec.q} directions"
    if not report.finite:
        return "non-finite (NaN or infinite) losses"
    grads = report.projected_grads(spec.eps)
    if not all(math.isfinite(g) and abs(g) <= spec.max_abs_grad for g in grads):
        return f"projected gradient {max(abs(g) for g in grads):.3g} beyond the limit {spec.max_abs_grad:g}"
    return None


def screen(answers: list, why_not) -> tuple[list, dict[str, str]]:
    """The answers that pass ``why_not(answer, accepted so far) -> reason or None``, in order, and why each
    other one was refused, by its ``name``; a second answer under an accepted name is refused."""
    good: list = []
    rejected: dict[str, str] = {}
    for a in answers:
        why = why_not(a, good)
        if why is None and any(g.name == a.name for g in good):
            why = "a second answer under the same name"
        if why is None:
            good.append(a)
        else:
            rejected[a.name] = why
    return good, rejected


def combine(spec: FleetSpec, step: int, reports: list[ClientReport], lr: float | None = None) -> Combined:
    """The step's record from the PCs' answers; faulty answers are rejected and named.

    ``mean``: sum of the exact loss sums over all PCs / total examples -- the pooled batch's gradient, bit
    for bit. ``median`` / ``trimmed``: per direction, the median / the mean without the highest and lowest
    PC of the PCs' own gradients (robust against one faulty PC; not equal to the pooled gradient).
    """
    if spec.rule not in RULES:
        raise ValueError(f"unknown rule {spec.rule!r}")
    lr = spec.lr if lr is None else lr
    good, rejected = screen(reports, lambda r, _: check_report(r, spec, step))
    seeds = spec.seeds(step)
    if not good:
        return Combined(zo.StepRecord(step, seeds, (0.0,) * spec.q, lr, float("nan"), False), (), rejected)
    n = sum(r.count for r in good)
    if spec.rule == "mean" or len(good) < 3:
        pooled = ClientReport(
            "pooled",
            step,
            n,
            tuple(sum(col) for col in zip(*(r.plus for r in good), strict=True)),
            tuple(sum(col) for col in zip(*(r.minus for r in good), strict=True)),
        )
        grads = pooled.projected_grads(spec.eps)
    else:
        per_pc = np.array([r.projected_grads(spec.eps) for r in good])  # [PCs, q]
        if spec.rule == "median":
            grads = tuple(float(g) for g in np.median(per_pc, axis=0))
        else:
            grads = tuple(float(g) for g in np.sort(per_pc, axis=0)[1:-1].mean(axis=0))
    total = sum(sum(r.plus) + sum(r.minus) for r in good)
    loss = float(Fraction(total, (2 * spec.q * n) << LOSS_UNIT_EXP))
    record = zo.StepRecord(step, seeds, grads, lr, loss, True)
    return Combined(record, tuple(r.name for r in good), rejected)


def records_to_json(records: list[zo.StepRecord]) -> str:
    return json.dumps([r.to_list() for r in records])


def records_from_json(text: str) -> list[zo.StepRecord]:
    return [zo.StepRecord.from_list(v) for v in json.loads(text)]
