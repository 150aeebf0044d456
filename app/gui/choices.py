"""What each step hands to the next, as frozen values (data flows one way: model → examples → budget → run)."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.tuning.budget import Budget


@dataclass(frozen=True)
class SkippedRowInfo:
    source: str
    line: int | None
    reason_en: str
    reason_ja: str


@dataclass(frozen=True)
class ExamplesSummary:
    """One loaded example set, as the Examples page shows it (made in a worker thread)."""

    path: str
    columns: tuple[str, ...]
    text_column: str | None
    label_column: str | None
    encoding: str
    labels: tuple[str, ...]
    counts: tuple[int, ...]  # per label, same order
    skipped: tuple[SkippedRowInfo, ...]
    preview_header: tuple[str, ...]
    preview_rows: tuple[tuple[str, ...], ...]
    sample_texts: tuple[str, ...]  # first few example texts, for the prompt preview
    n_examples: int
    n_train: int
    n_val: int
    n_test: int = 0  # held out for the final test, never used while tuning
    n_duplicates: int = 0  # repeated rows left out of the split
    japanese: bool = False  # the texts are Japanese (prompting.is_japanese): the Japanese template
    suggested_model: str = "default"  # the built-in that suits their language (catalog.pick_builtin)


@dataclass(frozen=True)
class ExamplesChoice:
    """The examples and prompt a run will use."""

    path: str
    text_column: str | None
    label_column: str | None
    template: str | None  # None: the engine's default
    label_words: dict[str, str] | None  # None: each label is its own word
    labels: tuple[str, ...]
    n_train: int
    n_val: int
    prompt_ok: bool
    n_test: int = 0
    sample_texts: tuple[str, ...] = ()  # a few of the examples' texts, to pick from in "Try it"


@dataclass(frozen=True)
class BudgetChoice:
    budget: Budget
    yen_per_kwh: float
    tuned_layers: tuple[int, ...] | None = None  # None: the engine's probe chooses
    leave_core_free: bool = False  # ORT threads = cores − 1 and the run at low priority (share_pc)


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended: its configuration, and either the engine's result or the error it raised."""

    config: object  # TuneConfig
    out_dir: str
    report: dict | None  # report.json as the engine wrote it; None if the run failed
    stop_reason: str  # "minutes", "steps", "energy", "plateau", "stopped", "diverged", or "" when failed
    error: object | None = None  # ErrorInfo
