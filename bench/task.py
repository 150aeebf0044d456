"""The one task every benchmarked method sees: data split, prompt, ZO settings and accuracy checkpoints.

Settings not given on the command line are the engine's own defaults (``TuneConfig``), so the benchmark
measures what users get. Examples are encoded exactly as ``tune()`` encodes them: the training CSV is split
into train and validation by the engine's ``split_examples`` (train rows first, then validation rows).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from app.engine.data.examples import load_examples
from app.engine.data.prompting import EncodedExamples, PromptSpec, encode_examples, make_prompt_spec
from app.engine.data.split import split_examples
from app.engine.models.adapters import AdapterConfig, zero_b
from app.engine.models.catalog import ensure_converted, resolve_model
from app.engine.models.llama_config import AdapterSite
from app.engine.models.llama_model import LlamaModel
from app.engine.tuning.budget import Budget
from app.engine.tuning.config import TuneConfig
from bench.datasets import RT_LABEL_WORDS, RT_TEMPLATE

ENGINE_DEFAULTS = TuneConfig.defaults()
NEVER = 10**9  # eval_every for tune(): accuracy curves are rebuilt afterwards from the replayable step log


@dataclass(frozen=True)
class QSchedule:
    """``fixed:N`` (N queries every step) or ``adazeta[:QMAX]`` (the engine's sub-linear growth)."""

    kind: str
    q: int  # the fixed q, or q_max for adazeta

    @classmethod
    def parse(cls, text: str) -> QSchedule:
        kind, _, number = text.strip().partition(":")
        if kind not in ("fixed", "adazeta"):
            raise ValueError(f"unknown query schedule '{text}' (use fixed:N or adazeta[:QMAX])")
        default = ENGINE_DEFAULTS.q if kind == "fixed" else ENGINE_DEFAULTS.q_max
        q = int(number) if number else default
        if q < 1:
            raise ValueError(f"q must be at least 1 in '{text}'")
        return cls(kind, q)

    def __str__(self) -> str:
        return f"{self.kind}:{self.q}"

    @property
    def label(self) -> str:
        return f"q={self.q}" if self.kind == "fixed" else f"AdaZeta q≤{self.q}"


@dataclass(frozen=True)
class BenchSpec:
    """Everything a method's subprocess needs; written to ``spec.json`` by the parent."""

    out_dir: str
    train_csv: str
    test_csv: str
    quick: bool
    minutes: float  # wall-clock training budget of every tuning method
    eval_every_s: float  # accuracy checkpoint interval on that clock
    floor_seconds: float  # how long plain inference is timed
    overhead_repeats: int
    model: str = "default"
    q_schedule: str = "fixed:1"
    eps: float = ENGINE_DEFAULTS.eps
    lr: float = ENGINE_DEFAULTS.lr
    batch_size: int = ENGINE_DEFAULTS.batch_size
    rank: int = ENGINE_DEFAULTS.rank
    alpha: float = ENGINE_DEFAULTS.alpha
    projections: tuple[str, ...] = ENGINE_DEFAULTS.projections
    max_tuned_layers: int = ENGINE_DEFAULTS.max_tuned_layers
    val_fraction: float = ENGINE_DEFAULTS.val_fraction
    max_val: int | None = ENGINE_DEFAULTS.max_val
    split_seed: int = ENGINE_DEFAULTS.split_seed
    seed: int = ENGINE_DEFAULTS.seed
    max_tokens: int = ENGINE_DEFAULTS.max_tokens
    # Backprop baseline: AdamW as PEFT's LoRA recipes use it (lr 1e-3, torch's default weight decay 0.01).
    torch_lr: float = 1e-3
    torch_weight_decay: float = 0.01
    layers: tuple[int, ...] | None = None  # chosen by the engine's probe in run (a), then shared
    # The prompt; Rotten Tomatoes' unless given (bench.hybrid's tasks give theirs, or None for the engine's).
    template: str | None = RT_TEMPLATE
    label_words: dict[str, str] | None = field(default_factory=lambda: dict(RT_LABEL_WORDS))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> BenchSpec:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        raw["projections"] = tuple(raw["projections"])
        if raw.get("layers") is not None:
            raw["layers"] = tuple(raw["layers"])
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def with_(self, **changes) -> BenchSpec:
        return replace(self, **changes)

    @property
    def schedule(self) -> QSchedule:
        return QSchedule.parse(self.q_schedule)

    @property
    def adapter_cfg(self) -> AdapterConfig:
        return AdapterConfig(rank=self.rank, alpha=self.alpha, seed=self.seed)

    def sites(self) -> list[AdapterSite]:
        assert self.layers is not None, "layers are chosen by the engine run first"
        return [AdapterSite(layer, p) for layer in self.layers for p in self.projections]

    def tune_config(self, out_dir: Path, schedule: QSchedule | None = None) -> TuneConfig:
        """The engine's configuration for run (a): defaults everywhere except budget, data and schedule."""
        schedule = schedule or self.schedule
        q_fields = (
            {"q": schedule.q, "q_schedule": "fixed"}
            if schedule.kind == "fixed"
            else {"q": 1, "q_schedule": "adazeta", "q_max": schedule.q}
        )
        return TuneConfig(
            data=self.train_csv,
            out_dir=str(out_dir),
            model=self.model,
            budget=Budget(minutes=self.minutes),
            template=self.template,
            label_words=self.label_words,
            val_fraction=self.val_fraction,
            max_val=self.max_val,
            # This harness holds its own test file and measures the ZO engine as such (bench.hybrid
            # measures the engine with its head and held-out split); without a test file, the engine's own
            # train / validation / test split of the one CSV (bench.hybrid's backprop arm).
            **({} if not self.test_csv else {"test_fraction": 0.0}),
            head="none",
            split_seed=self.split_seed,
            seed=self.seed,
            eps=self.eps,
            lr=self.lr,
            batch_size=self.batch_size,
            rank=self.rank,
            alpha=self.alpha,
            projections=self.projections,
            max_tuned_layers=self.max_tuned_layers,
            max_tokens=self.max_tokens,
            eval_every=NEVER,
            export=False,
            **q_fields,
        ).validate()

    def checkpoints(self) -> np.ndarray:
        """Wall-clock seconds at which every method's accuracy is read.

        Every ``eval_every_s`` for the first 10 intervals, then every 2.5 intervals, then the budget's end:
        curves move most early on, and evaluating 700 examples per checkpoint per method is what makes the
        full run long (0..10 min each minute, then 12.5, 15, ... 30 with the defaults: 19 checkpoints).
        """
        end, every = self.minutes * 60.0, self.eval_every_s
        dense = np.arange(0.0, min(end, 10 * every) + 1e-9, every)
        sparse = np.arange(dense[-1] + 2.5 * every, end, 2.5 * every)
        times = np.concatenate([dense, sparse])
        return times if np.isclose(times[-1], end) else np.append(times[times < end], end)


@dataclass
class Task:
    """The model and encoded examples: ``encoded`` holds train rows then validation rows, as tune() does."""

    model: LlamaModel
    prompt: PromptSpec
    encoded: EncodedExamples
    n_train: int
    n_val: int
    test: EncodedExamples

    @property
    def val_rows(self) -> np.ndarray:
        return np.arange(self.n_train, self.n_train + self.n_val)

    def zero_params(self, spec: BenchSpec, layers=None) -> dict[str, np.ndarray]:
        sites = spec.with_(layers=tuple(layers)).sites() if layers is not None else spec.sites()
        return zero_b(self.model.site_shapes(sites), spec.adapter_cfg)

    def eval_examples(self) -> EncodedExamples:
        """Validation then test examples in one set (rows [0, n_val) and [n_val, n_val + n_test))."""
        val = subset(self.encoded, self.val_rows)
        return EncodedExamples(
            val.ids + self.test.ids,
            np.concatenate([val.label_index, self.test.label_index]),
            self.encoded.label_token_ids,
        )


def subset(encoded: EncodedExamples, rows) -> EncodedExamples:
    return EncodedExamples(
        tuple(encoded.ids[r] for r in rows), encoded.label_index[np.asarray(rows)], encoded.label_token_ids
    )


def by_length(encoded: EncodedExamples, rows) -> np.ndarray:
    """Rows sorted by token count, so evaluation batches waste little on padding."""
    rows = np.asarray(rows)
    return rows[np.argsort([len(encoded.ids[r]) for r in rows], kind="stable")]


def model_folder(spec: BenchSpec) -> Path:
    return ensure_converted(resolve_model(spec.model))


def load_task(spec: BenchSpec, model: LlamaModel | None = None) -> Task:
    """Open the model and encode train/validation/test exactly as the engine does."""
    cfg = spec.tune_config(Path(spec.out_dir))
    model = model or LlamaModel.open(model_folder(spec))
    data = load_examples(spec.train_csv)
    prompt = make_prompt_spec(
        data.labels, cfg.prompt_template([e.text for e in data.examples]), cfg.label_words
    )
    tokenizer = model.tokenizer()
    if not spec.test_csv:  # the engine's own three-way split of the one file, encoded as tune() encodes it
        split = cfg.split(data.examples)
        test_examples, long_text = split.test, cfg.long_text
    else:
        split = split_examples(
            data.examples, val_fraction=cfg.val_fraction, seed=cfg.split_seed, max_val=cfg.max_val
        )
        test = load_examples(spec.test_csv)
        if test.labels != prompt.labels:
            raise SystemExit(f"test labels {test.labels} differ from training labels {prompt.labels}")
        test_examples, long_text = test.examples, "truncate"
    encoded = encode_examples(tokenizer, prompt, split.train + split.val, cfg.max_tokens, long_text)
    test_encoded = encode_examples(tokenizer, prompt, test_examples, cfg.max_tokens, long_text)
    return Task(model, prompt, encoded, len(split.train), len(split.val), test_encoded)
