"""The configuration of a tuning run: one frozen dataclass, validated once at the boundary."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

from app.engine.data.prompting import LONG_TEXT, default_template
from app.engine.data.split import Split, split_examples
from app.engine.errors import GenbaError
from app.engine.models.adapters import PROJECTIONS
from app.engine.models.catalog import AUTO_MODEL, pick_builtin
from app.engine.tuning.budget import Budget

HEADS = ("auto", "llm", "none")


@dataclass(frozen=True)
class TuneConfig:
    data: str
    out_dir: str
    model: str = "default"
    budget: Budget = field(default_factory=lambda: Budget(minutes=10.0))
    text_column: str | None = None
    label_column: str | None = None
    template: str | None = None
    label_words: dict[str, str] | None = None
    val_fraction: float = 0.2
    max_val: int | None = 200
    # A held-out test part, read once at the end for the reported figures (never used for a choice).
    test_fraction: float = 0.2
    max_test: int | None = 500
    # The read-out: "auto" fits an exact head on the model's features (and, where cross-validation on the
    # training examples prefers it, on word-piece n-grams too) before and between ZO steps; "llm" uses the
    # model's features only; "none" is the label-word read-out of the first engine (a benchmark baseline).
    head: str = "auto"
    # ZO steps on fold k of the training examples read out through a head fitted on the other folds, so
    # the perturbed losses keep a signal (False: through the head fitted on all of them; a benchmark arm).
    head_cross_fit: bool = True
    split_seed: int = 0
    seed: int = 0
    # ZO hyper-parameters. q=1 with 4x the steps beat q=4 at equal time on the demo data
    # (val 0.57 vs 0.51 after ~5 min; docs/BENCHMARKS.md), as MeZO reports.
    q: int = 1
    # "fixed": q every step; "adazeta": q grows sub-linearly with epochs, min(max(floor(epoch**0.5), 1), q_max)
    # (AdaZeta, EMNLP 2024). Not offered to users: on Rotten Tomatoes it needed more forward passes than q=1
    # for the same accuracy and missed the target in 15 min (docs/BENCHMARKS.md, bench.q_schedules); it stays
    # here only so the benchmark can re-test schedules.
    q_schedule: str = "fixed"
    q_max: int = 4
    eps: float = 1e-2
    lr: float = 1e-1
    batch_size: int = 16
    rank: int = 8
    alpha: float = 16.0
    projections: tuple[str, ...] = ("q", "v")
    tuned_layers: tuple[int, ...] | None = None  # None: chosen automatically
    max_tuned_layers: int = 4
    eval_every: int = 50
    checkpoint_every: int = 25
    copies_per_run: int | None = None  # None: measured at start-up
    max_tokens: int = 128
    # How a text longer than max_tokens is cut: "truncate" keeps its beginning, "head_tail" its beginning and
    # end (app.engine.data.prompting.prompt_ends). On 200/200 SpamAssassin e-mails head_tail tied truncation
    # on pooled states (0.965) and led with n-grams (0.945 vs 0.930) at the same cost (docs/BENCHMARKS.md).
    long_text: str = "head_tail"
    # The head's words read a cut prompt whole (``EncodedExamples.word_ids``), as a keyword model reads an
    # e-mail: on SpamAssassin, 8 re-splits, the text part 97.1 -> 97.8 %, the head 97.9 -> 98.5 %
    # (docs/BENCHMARKS.md). False in runs saved before, whose words read what the model read.
    whole_words: bool = True
    threads: int | None = None
    share_cores: bool = False  # True when a GUI shares the cores
    export: bool = True
    resume: bool = False

    def validate(self) -> TuneConfig:
        def bad(name: str, en: str, ja: str) -> GenbaError:
            return GenbaError(en, ja, field=name)

        for name in (
            "q",
            "batch_size",
            "rank",
            "eval_every",
            "checkpoint_every",
            "max_tokens",
            "max_tuned_layers",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise bad(
                    name,
                    f"'{name}' must be a whole number of at least 1 (got {value}).",
                    f"「{name}」は 1 以上の整数にしてください（指定値: {value}）。",
                )
        for name in ("eps", "lr", "alpha"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise bad(
                    name,
                    f"'{name}' must be a positive number (got {value}).",
                    f"「{name}」は正の数にしてください（指定値: {value}）。",
                )
        if self.q_schedule not in ("fixed", "adazeta"):
            raise bad(
                "q_schedule",
                "q_schedule must be 'fixed' or 'adazeta'.",
                "q_schedule は 'fixed' か 'adazeta' にしてください。",
            )
        if not 0.0 < self.val_fraction < 1.0:
            raise bad(
                "val_fraction",
                "The validation share must be between 0 and 1.",
                "検証データの割合は 0 から 1 の間にしてください。",
            )
        if not 0.0 <= self.test_fraction < 1.0 or self.val_fraction + self.test_fraction >= 1.0:
            raise bad(
                "test_fraction",
                "The test share must be at least 0 and leave room for training examples.",
                "テスト用データの割合は 0 以上で、学習用データが残るようにしてください。",
            )
        if self.long_text not in LONG_TEXT:
            raise bad(
                "long_text",
                f"long_text must be one of {', '.join(LONG_TEXT)}.",
                f"long_text は {', '.join(LONG_TEXT)} のいずれかにしてください。",
            )
        if self.head not in HEADS:
            raise bad(
                "head",
                f"head must be one of {', '.join(HEADS)}.",
                f"head は {', '.join(HEADS)} のいずれかにしてください。",
            )
        unknown = [p for p in self.projections if p not in PROJECTIONS]
        if unknown or not self.projections:
            raise bad(
                "projections",
                f"Unknown projections {unknown}; choose from {', '.join(PROJECTIONS)}.",
                f"不明な射影 {unknown} です。{', '.join(PROJECTIONS)} から選んでください。",
            )
        if self.copies_per_run is not None and self.copies_per_run < 1:
            raise bad(
                "copies_per_run",
                "copies_per_run must be at least 1.",
                "copies_per_run は 1 以上にしてください。",
            )
        self.budget.validate()
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["projections"] = list(self.projections)
        d["tuned_layers"] = list(self.tuned_layers) if self.tuned_layers is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TuneConfig:
        d = dict(d)
        d["budget"] = Budget(**d["budget"])
        d["projections"] = tuple(d["projections"])
        if d.get("tuned_layers") is not None:
            d["tuned_layers"] = tuple(d["tuned_layers"])
        d.setdefault("long_text", "truncate")  # runs saved before the setting existed cut their texts so
        d.setdefault("whole_words", False)  # and their words read the cut prompt
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})

    def split(self, examples) -> Split:
        """The run's train / validation / test split: the one definition every face and report uses."""
        return split_examples(
            examples,
            val_fraction=self.val_fraction,
            test_fraction=self.test_fraction,
            seed=self.split_seed,
            max_val=self.max_val,
            max_test=self.max_test,
        )

    @classmethod
    def defaults(cls) -> TuneConfig:
        """The engine's default settings, with no data and no output folder (``TuneConfig.defaults().q``)."""
        return cls(data="", out_dir="")

    def for_examples(self, texts) -> TuneConfig:
        """'auto' made concrete: the built-in model that suits the examples' language."""
        return replace(self, model=pick_builtin(texts)) if self.model == AUTO_MODEL else self

    def prompt_template(self, texts) -> str:
        """The template of the run: the user's, else the default for the examples' language (kept out of the
        config, so a run's saved settings stay what the user gave)."""
        return self.template or default_template(texts)

    def with_(self, **changes) -> TuneConfig:
        return replace(self, **changes)
