"""Progress events: plain frozen dataclasses that the engine hands to a callback.

The CLI prints them, the GUI receives them through Qt signals; both consume the same stream. Every event
has ``to_dict()`` so it can be written as one JSON line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    kind = "event"

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["event"] = self.kind
        return d


@dataclass(frozen=True)
class ProgressEvent(Event):
    """A long preparation stage (model conversion, prefix cache, probes)."""

    kind = "progress"
    stage: str  # "convert", "cache", "probe", "export", ...
    done: float  # 0..1
    message_en: str = ""
    message_ja: str = ""


@dataclass(frozen=True)
class StepEvent(Event):
    kind = "step"
    step: int
    loss: float  # mean of the +/- losses of this step
    projected_grads: tuple[float, ...]  # one per perturbation
    lr: float
    q: int
    seconds: float  # wall clock since the run started (this session + resumed time)
    budget_fraction: float  # 0..1 of the budget spent
    eta_seconds: float | None
    accepted: bool = True  # False when a numerical guard rejected the step


@dataclass(frozen=True)
class EvalEvent(Event):
    kind = "eval"
    step: int
    val_accuracy: float
    val_loss: float
    best_accuracy: float
    is_best: bool
    seconds: float
    # "zero-shot": the model as it came (label words); "head": the first fitted head, before any step;
    # "step": after ZO steps. Faces draw the zero-shot line from the first and mark the second.
    model: str = "step"


@dataclass(frozen=True)
class BaselineEvent(Event):
    """A reference the run is measured against, scored once on the validation rows (faces draw a line)."""

    kind = "baseline"
    model: str  # "keyword": a simple keyword model fitted on the training rows (data/keyword_model.py)
    val_accuracy: float
    seconds: float


@dataclass(frozen=True)
class AnswerEvent(Event):
    """The answer to a typed text (``RunControl.ask``) by the best model the run has so far.

    ``label`` is '' when the text could not be answered; ``message_en``/``message_ja`` then say why.
    """

    kind = "answer"
    question: int  # the number ``RunControl.ask`` returned
    text: str
    label: str
    confidence: float  # 0..1, the answer's share of the probability over the labels
    best_step: int  # the round the best model so far comes from (0: before any step)
    tuned: bool  # False: the best so far is still the model as it came (no step, no fitted head beat it)
    message_en: str = ""
    message_ja: str = ""


@dataclass(frozen=True)
class ResourceEvent(Event):
    kind = "resources"
    seconds: float
    process_cpu_percent: float  # 100 = one core
    system_cpu_percent: float  # 0..100 of all cores
    process_rss_mb: float
    system_memory_percent: float
    energy_wh: float
    energy_source: str  # "measured" | "estimated"


@dataclass(frozen=True)
class FinishedEvent(Event):
    kind = "finished"
    out_dir: str
    report: dict = field(default_factory=dict)
    stop_reason: str = ""  # "budget", "steps", "stopped", "diverged"


@dataclass(frozen=True)
class FailedEvent(Event):
    kind = "failed"
    message_en: str
    message_ja: str
    detail: str = ""
    kept: str = ""  # what was kept (checkpoint path), if anything


EventSink = Callable[[Event], None]


def ignore_events(_event: Event) -> None:
    """An EventSink that drops everything."""
