"""A tuning run: model -> examples -> layers -> prefix cache -> ZO steps -> best adapters -> export.

``tune()`` is the one entry point the CLI and the GUI share. Progress leaves through an event callback;
pause and stop arrive through a RunControl the engine checks between steps.

A GGUF model runs on our own Llama graphs: a forward probe picks the layers and the frozen layers below
them are cached once. A user's ONNX causal LM or classifier (``onnx_tuning``) is tuned as exported: its top
layers, the whole graph each step, no probe and no cache; the rest of the run is the same.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from app.engine.data.examples import load_examples
from app.engine.data.keyword_model import keyword_baseline
from app.engine.data.ngrams import CharGrams, NgramVocabulary, fit_char_grams, fit_vocabulary
from app.engine.data.prompting import encode_examples, make_prompt_spec
from app.engine.errors import GenbaError
from app.engine.events import (
    EvalEvent,
    EventSink,
    FinishedEvent,
    ProgressEvent,
    ResourceEvent,
    StepEvent,
    ignore_events,
)
from app.engine.models.adapters import AdapterConfig, frozen_a, zero_b
from app.engine.models.catalog import ONNX_KINDS, ensure_converted, resolve_model
from app.engine.models.llama_graph import AdapterSite, ClassHead
from app.engine.models.llama_model import LlamaModel, Readout, SuffixObjective
from app.engine.models.onnx_tuning import OnnxTunableModel
from app.engine.storage import RunLock, sha256_file
from app.engine.tuning import zo
from app.engine.tuning.budget import PLATEAU, BudgetTracker, plateau_reached
from app.engine.tuning.checkpoint import RunState, load_checkpoint_all, save_checkpoint
from app.engine.tuning.config import TuneConfig
from app.engine.tuning.energy import EnergyMeter
from app.engine.tuning.export import export_run
from app.engine.tuning.head import (
    FOLDS,
    HeadFit,
    class_head_of,
    fit_fold_heads,
    fit_head,
    fold_of,
    refit_head,
    stack,
)
from app.engine.tuning.layer_select import choose_layers
from app.engine.tuning.monitor import ResourceMonitor
from app.engine.tuning.run_folder import claim_run_folder

MAX_FAILED_STEPS = 5  # consecutive non-finite steps before the run stops with its best result


def _sub(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays saved under ``prefix``, without it (the inverse of ``_prefixed``)."""
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}


def _prefixed(prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {prefix + k: v for k, v in arrays.items()}


class RunControl:
    """Pause/stop flags set by the face (any thread) and checked by the engine between steps."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self) -> float:
        """Block while paused; returns the seconds spent paused (not charged to the budget)."""
        if self._running.is_set():
            return 0.0
        t = time.monotonic()
        self._running.wait()
        return time.monotonic() - t


@dataclass(frozen=True)
class RunResult:
    out_dir: str
    report: dict
    stop_reason: str


def data_fingerprint(sources) -> str:
    """SHA-256 over each example file's contents and its path within the data folder.

    The path is taken below the files' common folder, so a file moved to another label folder (another
    label) changes the fingerprint, while the data folder itself may move.
    """
    paths = [Path(s) for s in sources]
    root = Path(os.path.commonpath([p.parent for p in paths])) if paths else Path()
    h = hashlib.sha256()
    for relative, path in sorted((p.relative_to(root).as_posix(), p) for p in paths):
        h.update(relative.encode())
        h.update(sha256_file(path).encode())
    return h.hexdigest()


def batch_rows(run_seed: int, step: int, n_train: int, batch_size: int) -> np.ndarray:
    """The examples of a step: a pure function of (seed, step), so a resumed run sees the same batches."""
    rng = np.random.default_rng([run_seed, step, 0xBA7C4])
    return np.sort(rng.choice(n_train, size=min(batch_size, n_train), replace=False))


def queries_at(cfg: TuneConfig, step: int, n_train: int) -> int:
    """Perturbations for this step under the configured schedule."""
    if cfg.q_schedule == "fixed":
        return cfg.q
    epoch = step * cfg.batch_size / max(1, n_train)
    return int(min(max(int(np.floor(epoch**0.5)), 1), cfg.q_max))


def evaluate(
    objective: SuffixObjective, params: zo.Params, rows: np.ndarray, batch: int = 64, readout=None
) -> tuple[float, float, np.ndarray]:
    """(accuracy, mean loss, predicted class per row) with the given adapters (and read-out)."""
    if len(rows) == 0:
        return float("nan"), float("nan"), np.zeros(0, dtype=np.int64)
    copies = {k: v[None] for k, v in params.items()}
    losses, preds = [], []
    for s in range(0, len(rows), batch):
        loss, logits, _ = objective.run(rows[s : s + batch], copies, readout)
        losses.append(loss[0])
        preds.append(logits[0].argmax(-1))
    pred = np.concatenate(preds)
    truth = objective.encoded.label_index[rows]
    return float((pred == truth).mean()), float(np.concatenate(losses).mean()), pred


def features_of(
    objective: SuffixObjective, params: zo.Params, rows: np.ndarray, batch: int = 64
) -> np.ndarray:
    """[N, H] final-norm hidden states at the answer position, with the given adapters."""
    copies = {k: v[None] for k, v in params.items()}
    return np.concatenate(
        [objective.run(rows[s : s + batch], copies)[2][0] for s in range(0, len(rows), batch)]
    )


def measure_copies_per_run(
    objective: SuffixObjective, params: zo.Params, q: int, trials: int = 2
) -> tuple[int, dict]:
    """Time sequential (1 copy per run) against batched (2q copies per run) on this PC and model.

    Batching copies was 0.75-1.0x the speed of sequential runs at ~512 tokens/run on 2 cores
    (../shared/ZO-NOTES.md §4); it can pay for very short sequences, so measure rather than assume.
    """
    timings = {}
    for per_run in sorted({1, 2 * q}):
        copies = {k: np.repeat(v[None], per_run, axis=0) for k, v in params.items()}
        objective(copies)  # warm-up: first run allocates
        best = float("inf")
        for _ in range(trials):
            t = time.perf_counter()
            for _ in range(2 * q // per_run):
                objective(copies)
            best = min(best, time.perf_counter() - t)
        timings[per_run] = best
    choice = min(timings, key=timings.get)
    return choice, {str(k): round(v, 4) for k, v in timings.items()}


class _Run:
    def __init__(self, config: TuneConfig, sink: EventSink, control: RunControl) -> None:
        self.cfg = config
        self.sink = sink
        self.control = control
        self.out = Path(config.out_dir)
        self.t0 = time.monotonic()
        self.paused_seconds = 0.0
        self.monitor = ResourceMonitor()
        self._last_resource_event = 0.0
        self.final: tuple | None = (
            None  # (adapters, accuracy, loss, step) of an evaluation that beat the best
        )

    # --- preparation -------------------------------------------------------------------------------
    def progress(self, stage: str, en: str, ja: str):
        def report(done: float) -> None:
            self.sink(ProgressEvent(stage, float(done), en, ja))

        return report

    def prepare(self) -> None:
        cfg = self.cfg
        self.ref = resolve_model(cfg.model)
        self.is_onnx = self.ref.kind in ONNX_KINDS
        if self.is_onnx:
            # A user's ONNX causal LM or classifier, tuned as its exporter wrote it (onnx_tuning).
            self.model = OnnxTunableModel.open(
                self.ref.source, threads=cfg.threads, share_cores=cfg.share_cores, kind=self.ref.kind
            )
        elif self.ref.kind == "gguf-llama":
            folder = ensure_converted(
                self.ref,
                self.progress(
                    "convert", "Converting the model (first use only)", "モデルを変換中（初回のみ）"
                ),
            )
            self.model = LlamaModel.open(folder, threads=cfg.threads, share_cores=cfg.share_cores)
        else:
            raise GenbaError(
                f"'{self.ref.source.name}' is an {self.ref.kind}, which cannot be tuned.",
                f"「{self.ref.source.name}」は {self.ref.kind} のため、調整できません。",
                path=self.ref.source,
            )
        self.dataset = load_examples(cfg.data, text_column=cfg.text_column, label_column=cfg.label_column)
        self.data_sha = data_fingerprint(self.dataset.sources)
        # An ONNX model's weights may sit beside it (model.onnx.data): the graph's hash alone misses them.
        self.model_data_sha = (
            {loc: sha256_file(self.model.folder / loc) for loc in self.model.external_files}
            if self.is_onnx
            else {}
        )
        self.split = cfg.split(self.dataset.examples)
        self.train, self.val, self.test = self.split.train, self.split.val, self.split.test
        self.spec = make_prompt_spec(self.dataset.labels, cfg.template, cfg.label_words)
        everything = self.train + self.val + self.test
        if self.is_onnx:
            self.model.check_labels(self.spec.labels)  # a classifier's classes against the data's labels
            self.encoded = self.model.encode(self.spec, everything, cfg.max_tokens)
        else:
            self.tokenizer = self.model.tokenizer()
            self.encoded = encode_examples(self.tokenizer, self.spec, everything, cfg.max_tokens)
        n_train, n_val = len(self.train), len(self.val)
        self.train_rows = np.arange(n_train)
        self.val_rows = np.arange(n_train, n_train + n_val)
        self.test_rows = np.arange(n_train + n_val, len(everything))
        self.adapter_cfg = AdapterConfig(rank=cfg.rank, alpha=cfg.alpha, seed=cfg.seed)

        self.saved_arrays: dict[str, np.ndarray] = {}
        if cfg.resume:
            self.params, self.best, self.state, self.saved_arrays = load_checkpoint_all(self.out)
            self._check_resume_matches()
        else:
            self.state = RunState(lr=cfg.lr)
            self.state.info = {
                "config": cfg.to_dict(),
                "model_sha256": self.ref.sha256,
                "model_data_sha256": self.model_data_sha,
                "data_sha256": self.data_sha,
                "labels": list(self.spec.labels),
            }
        if "layers" not in self.state.info:
            if cfg.tuned_layers is not None:
                layers, reason = sorted(cfg.tuned_layers), {"method": "chosen by the user"}
                self._check_layers(layers)
            elif self.is_onnx:
                # No probe: it needs the frozen-prefix cache our own Llama graphs have (see onnx_tuning).
                layers = self.model.top_layers(cfg.max_tuned_layers)
                reason = {
                    "method": "top layers of a user ONNX model (no probe)",
                    "n_layers": self.model.n_layers,
                }
                if not layers:
                    reason["method"] = (
                        "last linear layers of a user ONNX model (its names carry no layer numbers; no probe)"
                    )
            else:
                self.sink(
                    ProgressEvent("probe", 0.0, "Finding the layers that matter", "効果の大きい層を探索中")
                )
                layers, reason = choose_layers(
                    self.model,
                    self.encoded,
                    self.train_rows,
                    cfg.projections,
                    self.adapter_cfg,
                    cfg.max_tuned_layers,
                    seed=cfg.seed,
                )
            self.state.info["layers"] = list(layers)
            self.state.info["layer_reason"] = reason
        layers = self.state.info["layers"]
        if self.is_onnx:
            self._prepare_onnx(layers)
        else:
            self._prepare_llama(layers)
        if "copies_per_run" not in self.state.info:
            if cfg.copies_per_run is not None:
                self.state.info["copies_per_run"] = cfg.copies_per_run
            else:
                probe = self.objective.on(batch_rows(cfg.seed, 0, len(self.train), cfg.batch_size))
                choice, timings = measure_copies_per_run(probe, self.params, cfg.q)
                self.state.info["copies_per_run"] = choice
                self.state.info["copies_timing_s"] = timings
        self.copies_per_run = int(self.state.info["copies_per_run"])
        self._prepare_head()

    # --- the exact head -------------------------------------------------------------------------------
    def _prepare_head(self) -> None:
        """The fixed feature blocks a head may read and, on resume, the saved heads."""
        self.head: HeadFit | None = None  # the read-out ZO steps go through (None: the label words)
        self.best_head: HeadFit | None = None  # the read-out of the best adapters
        self.bank: np.ndarray | None = None  # [n_train, H] latest features of each training example
        self.fold_heads: list[HeadFit] = []  # head k: fitted without fold k, read out by ZO steps on fold k
        self.fold_readouts: list[Readout] = []
        self.folds = fold_of(self.encoded.label_index[self.train_rows], self.cfg.seed)
        # Features of every encoded example that the adapters cannot move, by name; cross-validation on the
        # training examples picks which of them the head reads (app.engine.tuning.head).
        self.blocks: dict[str, sp.csr_matrix] = {}
        self.vocab: NgramVocabulary | None = None
        self.chars: CharGrams | None = None
        # A user's ONNX graph gives no features to fit a head on: it is read out as it was exported.
        self.uses_head = self.cfg.head != "none" and not self.is_onnx
        if not self.uses_head:
            return
        if self.cfg.head == "auto":
            # The frozen layers' states over the whole text, from the prefix cache the run holds anyway.
            self.blocks["pooled"] = sp.csr_matrix(self.objective.cache.pooled().astype(np.float64))
            self.vocab = (
                NgramVocabulary.from_arrays(_sub(self.saved_arrays, "ngrams/"))
                if "ngrams/idf" in self.saved_arrays
                else fit_vocabulary([self.encoded.ids[i] for i in self.train_rows])
            )
            self.blocks["ngrams"] = self.vocab.transform(self.encoded.ids)
            # Character n-grams inside the word pieces (the keyword model's evidence, from the token ids).
            pieces = [self.tokenizer.id_to_token(i) for i in range(self.tokenizer.get_vocab_size())]
            self.chars = (
                CharGrams.from_arrays(_sub(self.saved_arrays, "chars/"), pieces)
                if "chars/idf" in self.saved_arrays
                else fit_char_grams(pieces, [self.encoded.ids[i] for i in self.train_rows])
            )
            self.blocks["chars"] = self.chars.transform(self.encoded.ids)
        saved = self.saved_arrays
        if "bank" in saved:
            self.bank = saved["bank"]
            self.head = HeadFit.from_arrays(_sub(saved, "head/"))
            self.best_head = (
                HeadFit.from_arrays(_sub(saved, "best_head/")) if "best_head/v" in saved else None
            )
            self.objective.readout = self.readout(self.head)
            k = 0
            while f"fold_head{k}/v" in saved:
                self.fold_heads.append(HeadFit.from_arrays(_sub(saved, f"fold_head{k}/")))
                k += 1
            self.fold_readouts = [self.readout(h) for h in self.fold_heads]

    def set_heads(self, head: HeadFit, fold_heads: list[HeadFit]) -> None:
        self.head, self.fold_heads = head, fold_heads
        self.objective.readout = self.readout(head)
        self.fold_readouts = [self.readout(h) for h in fold_heads]

    def train_blocks(self, head: HeadFit) -> sp.csr_matrix | None:
        """The fixed blocks ``head`` reads, training examples only (None: it reads none)."""
        x = stack(self.blocks, head.blocks)
        return x[self.train_rows] if x is not None else None

    def adopt_head(self, head: HeadFit, features: np.ndarray) -> None:
        """Read out through ``head``; when cross-fitting, also through one head per fold fitted from it."""
        y, x = self.encoded.label_index[self.train_rows], self.train_blocks(head)
        cross_fit = self.cfg.head_cross_fit and np.bincount(self.folds, minlength=FOLDS).min() >= 1
        start = self.label_words.head
        folds = fit_fold_heads(head, features, y, start, x, self.folds) if cross_fit else []
        self.set_heads(head, folds)

    def refit_heads(self, head: HeadFit, features: np.ndarray) -> None:
        """The head (and the fold heads) refitted to ``features``."""
        y, x = self.encoded.label_index[self.train_rows], self.train_blocks(head)
        self.adopt_head(refit_head(head, features, y, self.label_words.head, x), features)

    def step_batch(self, step: int):
        """The examples of a step and the read-out its losses go through.

        Cross-fitting: step s draws from fold s % k only and reads out through the head that never saw them.
        """
        cfg = self.cfg
        if not self.fold_heads:
            rows = batch_rows(cfg.seed, step, len(self.train), cfg.batch_size)
            return self.objective.on(rows)
        k = step % len(self.fold_heads)
        members = np.flatnonzero(self.folds == k)
        rows = members[batch_rows(cfg.seed, step, len(members), cfg.batch_size)]
        return self.objective.on(rows, self.fold_readouts[k])

    def readout(self, head: HeadFit | None) -> Readout:
        if head is None:
            return self.label_words
        return Readout(head.head(), head.offsets(stack(self.blocks, head.blocks), len(self.encoded)))

    def fit_first_head(self) -> None:
        """Fit the head on the frozen model's features (cross-validated on training examples only)."""
        st, cfg = self.state, self.cfg
        self.sink(
            ProgressEvent(
                "head", 0.0, "Fitting the answer layer to your examples", "学習データに合わせて答え方を調整中"
            )
        )
        t = time.perf_counter()
        features = features_of(self.objective, self.params, self.train_rows)
        y = self.encoded.label_index[self.train_rows]
        train_blocks = {name: m[self.train_rows] for name, m in self.blocks.items()}
        fit, options = fit_head(features, y, self.label_words.head, train_blocks, seed=cfg.seed)
        self.bank = features.astype(np.float32)
        self.adopt_head(fit, features)
        st.info["head"] = {
            "features": fit.name,
            "lambda": fit.lam,
            "cv_accuracy": fit.cv_accuracy,
            "ngram_columns": int(self.blocks["ngrams"].shape[1]) if "ngrams" in self.blocks else 0,
            "char_gram_columns": int(self.blocks["chars"].shape[1]) if "chars" in self.blocks else 0,
            "pooled_layer": self.start_layer if "pooled" in self.blocks else None,
            "options": options,
            "seconds": round(time.perf_counter() - t, 2),
        }
        self.evaluate_now(scheduled=True, refit=False, model="head")

    def head_arrays(self) -> dict[str, np.ndarray]:
        if self.head is None:
            return {}
        arrays = {"bank": self.bank} | _prefixed("head/", self.head.to_arrays())
        if self.best_head is not None:
            arrays |= _prefixed("best_head/", self.best_head.to_arrays())
        if self.vocab is not None:
            arrays |= _prefixed("ngrams/", self.vocab.to_arrays())
        if self.chars is not None:
            arrays |= _prefixed("chars/", self.chars.to_arrays())
        for k, head in enumerate(self.fold_heads):
            arrays |= _prefixed(f"fold_head{k}/", head.to_arrays())
        return arrays

    def _start_params(self) -> None:
        if not self.cfg.resume:
            self.params = zero_b(self.model.site_shapes(self.sites), self.adapter_cfg)
            self.best = {k: v.copy() for k, v in self.params.items()}

    def _prepare_llama(self, layers: list[int]) -> None:
        cfg = self.cfg
        self.start_layer = min(layers)
        self.sites = [AdapterSite(layer, p) for layer in layers for p in cfg.projections]
        self._start_params()
        cache = self.model.build_prefix_cache(
            self.encoded,
            self.start_layer,
            self.progress("cache", "Caching the frozen layers", "固定層の出力をキャッシュ中"),
            spill_dir=self.out,  # over its memory budget the cache is memory-mapped from a temp file here
        )
        self.state.info["prefix_cache_mb"] = round(cache.nbytes / 2**20, 2)
        self.state.info["prefix_cache_storage"] = cache.storage + (
            f" ({cache.plan.note})" if cache.plan.note else ""
        )
        session = self.model.loss_session(self.start_layer, self.sites, self.adapter_cfg)
        self.label_words = Readout.label_words(
            self.model.label_head(self.encoded.label_token_ids), len(self.encoded)
        )
        self.objective = SuffixObjective(session, cache, self.encoded, self.label_words, self.sites)

    def _prepare_onnx(self, layers: list[int]) -> None:
        """Sites (kept in the checkpoint, so a resumed run adapts the same ones), adapted graph, objective."""
        cfg, info = self.cfg, self.state.info
        if "sites" not in info:
            sites = self.model.choose_sites(cfg.projections, layers, cfg.max_tuned_layers)
            if not sites:
                raise GenbaError(
                    f"The chosen layers {layers} hold no tunable linear layer in this model.",
                    f"指定した層 {layers} には、このモデルで調整できる線形層がありません。",
                    path=self.ref.source,
                    field="tuned_layers",
                )
            info["sites"] = [s.key for s in sites]
        by_key = {s.key: s for s in self.model.sites}
        missing = [k for k in info["sites"] if k not in by_key]
        if missing:
            raise GenbaError(
                f"Cannot resume: the model no longer has the tuned layers {', '.join(missing)}.",
                f"再開できません: 調整していた層 {', '.join(missing)} がモデルにありません。",
                path=self.ref.source,
            )
        self.sites = [by_key[k] for k in info["sites"]]
        self._start_params()
        report = self.progress("prepare", "Preparing the model for tuning", "モデルを調整用に準備中")
        report(0.0)
        self.model.adapt(self.sites, self.adapter_cfg)
        self.objective = self.model.objective(self.encoded)
        report(1.0)

    def _check_layers(self, layers: list[int]) -> None:
        n = self.model.n_layers if self.is_onnx else self.model.cfg.n_layers
        if n is None:
            raise GenbaError(
                "This ONNX model's node and weight names carry no layer numbers, so layers cannot be chosen by "
                "number. Leave the layers to tune empty: the last linear layers are then tuned.",
                "この ONNX モデルはノード名・重み名に層番号がないため、層を番号で指定できません。"
                "調整する層を空欄（自動）にしてください。最後の線形層が調整されます。",
                path=self.ref.source,
                field="tuned_layers",
            )
        if not layers or any(not 0 <= layer < n for layer in layers):
            raise GenbaError(
                f"Layers to tune must be between 0 and {n - 1} (got {layers}).",
                f"調整する層は 0 から {n - 1} の範囲で指定してください（指定値: {layers}）。",
                field="tuned_layers",
            )

    def _check_resume_matches(self) -> None:
        info = self.state.info
        if (
            info.get("model_sha256") != self.ref.sha256
            or info.get("model_data_sha256", {}) != self.model_data_sha
        ):
            raise GenbaError(
                "Cannot resume: the model file changed since this run started.",
                "再開できません: 実行開始後にモデルファイルが変更されています。",
                path=self.ref.source,
            )
        if info.get("data_sha256") != self.data_sha:
            raise GenbaError(
                "Cannot resume: the example files changed since this run started (their contents, names, "
                "or the label folders they are in).",
                "再開できません: 実行開始後に例文ファイルが変更されています（内容、名前、または入っているラベルフォルダー）。",
                path=self.cfg.data,
            )
        saved = TuneConfig.from_dict(info["config"])
        # Everything that changes the steps' arithmetic, the split, or how examples are encoded and labelled.
        fixed = (
            "seed",
            "q",
            "q_schedule",
            "q_max",
            "eps",
            "batch_size",
            "rank",
            "alpha",
            "projections",
            "split_seed",
            "val_fraction",
            "max_val",
            "text_column",
            "label_column",
            "max_tokens",
            "template",
            "label_words",
        )
        changed = [
            f"{f} ({getattr(saved, f)!r} → {getattr(self.cfg, f)!r})"
            for f in fixed
            if getattr(saved, f) != getattr(self.cfg, f)
        ]
        if info.get("labels", list(self.spec.labels)) != list(self.spec.labels):
            changed.append(f"labels ({', '.join(info['labels'])} → {', '.join(self.spec.labels)})")
        if changed:
            raise GenbaError(
                f"Cannot resume with different settings: {'; '.join(changed)}.",
                f"設定が異なるため再開できません: {'; '.join(changed)}。",
                path=self.out,
            )

    # --- the loop ----------------------------------------------------------------------------------
    def seconds(self) -> float:
        return self.seconds_before + (time.monotonic() - self.t0 - self.paused_seconds)

    def execute(self) -> RunResult:
        self.seconds_before = 0.0
        # One meter from before preparation to the end: converting, probing and caching cost energy too,
        # and the time budget counts them (self.t0).
        self.energy = EnergyMeter()
        self.energy.start()
        self.prepare()
        st, cfg = self.state, self.cfg
        self.seconds_before = st.seconds
        self.energy.set_offset(st.energy_wh)  # what the run used before this session (0 when new)
        self.tracker = BudgetTracker(
            cfg.budget, already_seconds=st.seconds, already_steps=st.step, already_wh=st.energy_wh
        )
        if st.accuracy_before is None:
            acc, loss, _ = evaluate(self.objective, self.params, self.val_rows)
            st.accuracy_before, st.loss_before = acc, loss
            st.best_accuracy, st.best_loss, st.best_step = acc, loss, 0
            st.evals.append({"step": 0, "val_accuracy": acc, "val_loss": loss, "seconds": self.seconds()})
            self.sink(EvalEvent(0, acc, loss, acc, True, self.seconds(), model="zero-shot"))
            self.checkpoint()
        if self.uses_head and self.head is None:
            self.fit_first_head()
            self.checkpoint()

        stop_reason = ""
        step_times: list[float] = []
        while True:
            stop_reason = self.stop_reason()
            if stop_reason:
                break
            self.paused_seconds += self.control.wait_while_paused()
            if self.control.stopped:
                stop_reason = "stopped"
                break
            t = time.perf_counter()
            batch = self.step_batch(st.step)
            q = queries_at(cfg, st.step, len(self.train))
            self.params, rec = zo.zo_step(
                batch,
                self.params,
                step=st.step,
                run_seed=cfg.seed,
                q=q,
                eps=cfg.eps,
                lr=st.lr,
                copies_per_run=self.copies_per_run
                if self.copies_per_run == 1 or cfg.q_schedule == "fixed"
                else 2 * q,
            )
            st.records.append(rec.to_list())
            if self.bank is not None and rec.accepted:
                self.bank[batch.rows] = batch.mean_features()  # the head follows without a forward
            st.step += 1
            if rec.accepted:
                st.fail_streak = 0
            else:  # numerical guard: adapters unchanged, smaller steps from now on
                st.fail_streak += 1
                st.lr *= 0.5
            step_times.append(time.perf_counter() - t)
            self.update_budget()
            self.sink(
                StepEvent(
                    st.step,
                    rec.loss,
                    rec.projected_grads,
                    rec.lr,
                    q,
                    self.seconds(),
                    self.tracker.fraction(),
                    self.tracker.eta_seconds(float(np.median(step_times[-20:]))),
                    rec.accepted,
                )
            )
            if st.step % cfg.eval_every == 0:
                self.evaluate_now()
            if st.step % cfg.checkpoint_every == 0:
                self.checkpoint()
            self.maybe_resources()
        if st.evals[-1]["step"] != st.step:
            self.evaluate_now(scheduled=st.step % cfg.eval_every == 0)
        self.checkpoint()
        return self.finish(stop_reason)

    def stop_reason(self) -> str:
        if self.control.stopped:
            return "stopped"
        if self.state.fail_streak >= MAX_FAILED_STEPS:
            return "diverged"
        # A spent budget names the stop first; early stopping is the extra reason to end sooner.
        return self.tracker.exhausted() or (
            PLATEAU if plateau_reached(self.cfg.budget, self.state.evals) else ""
        )

    def update_budget(self) -> None:
        reading = self.energy.read()
        self.state.seconds = self.seconds()
        self.state.energy_wh = reading.wh
        self.tracker.update(self.state.seconds, self.state.step, reading.wh)

    def evaluate_now(self, scheduled: bool = True, refit: bool = True, model: str = "step") -> None:
        """Validate the current adapters; a strictly better accuracy (ties: lower loss) becomes the best.

        Only scheduled evaluations (every eval_every steps) refit the head and move the checkpointed best,
        so a run that is stopped, resumed and finished ends bit-identical to one that never stopped; the
        evaluation at an unscheduled stop still counts for this session's result (``self.final``).
        """
        st = self.state
        if self.head is not None and scheduled and refit:
            # The adapters moved the features: refit the heads to the latest ones the steps computed.
            self.refit_heads(self.head, self.bank)
        acc, loss, _ = evaluate(self.objective, self.params, self.val_rows)
        better = acc > st.best_accuracy or (acc == st.best_accuracy and loss < st.best_loss)
        self.final = (
            ({k: v.copy() for k, v in self.params.items()}, acc, loss, st.step, self.head) if better else None
        )
        if better and scheduled:
            self.best, self.best_head = self.final[0], self.head
            st.best_accuracy, st.best_loss, st.best_step = acc, loss, st.step
        st.evals.append(
            {
                "step": st.step,
                "val_accuracy": acc,
                "val_loss": loss,
                "seconds": self.seconds(),
                "scheduled": scheduled,
            }
        )
        self.sink(EvalEvent(st.step, acc, loss, max(acc, st.best_accuracy), better, self.seconds(), model))

    def checkpoint(self) -> None:
        self.update_budget()
        save_checkpoint(self.out, self.params, self.best, self.state, self.head_arrays())

    def maybe_resources(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_resource_event < 1.0:
            return
        self._last_resource_event = now
        s = self.monitor.sample()
        e = self.energy.read()
        self.sink(
            ResourceEvent(
                self.seconds(),
                s.process_cpu_percent,
                s.system_cpu_percent,
                s.process_rss_mb,
                s.system_memory_percent,
                e.wh,
                e.source,
            )
        )

    def held_out_figures(self, best: zo.Params, best_head: HeadFit | None) -> dict:
        """Test accuracy of the untuned model, the result and the keyword model: read once, at the end.

        Without a test split (too few examples) the gain is judged on validation and says so.
        """
        zero = {k: np.zeros_like(v) for k, v in best.items()}
        before, _, _ = evaluate(self.objective, zero, self.test_rows, readout=self.label_words_or_none())
        after, _, predicted = evaluate(
            self.objective, best, self.test_rows, readout=self.readout_or_none(best_head)
        )
        keyword = keyword_baseline(self.train, self.val, self.test)
        has_test = len(self.test_rows) > 0
        figures = {
            "test_accuracy_before": before if has_test else None,
            "test_accuracy_after": after if has_test else None,
            "keyword_accuracy": keyword.test_accuracy,
            "keyword_val_accuracy": keyword.val_accuracy,
            "keyword_seconds": round(keyword.seconds, 2),
            "test_note": {"en": self.split.test_note_en, "ja": self.split.test_note_ja},
            "improved_split": "test" if has_test else "val",
        }
        if has_test:
            figures["improved"] = bool(after > before)
            truth = self.encoded.label_index[self.test_rows]
            confusion = np.zeros((len(self.spec.labels),) * 2, dtype=np.int64)
            np.add.at(confusion, (truth, predicted), 1)
            figures["test_confusion_after"] = confusion.tolist()
        else:
            figures["improved"] = bool(self.state.best_accuracy > (self.state.accuracy_before or 0.0))
        return figures

    def class_head(self, head: HeadFit | None) -> ClassHead | None:
        """The fitted head in the exported graph's terms (None: the label words are the read-out)."""
        if head is None:
            return None
        widths = {name: m.shape[1] for name, m in self.blocks.items()}
        return class_head_of(head, widths, self.vocab, self.start_layer, self.chars)

    def label_words_or_none(self) -> Readout | None:
        return None if self.is_onnx else self.label_words

    def readout_or_none(self, head: HeadFit | None) -> Readout | None:
        return None if self.is_onnx else self.readout(head)

    def finish(self, stop_reason: str) -> RunResult:

        st = self.state
        reading = self.energy.read()
        best, best_acc, best_loss, best_step = self.best, st.best_accuracy, st.best_loss, st.best_step
        best_head = self.best_head
        if (
            self.final is not None and self.final[3] == st.step
        ):  # the closing evaluation beat every scheduled one
            best, best_acc, best_loss, best_step, best_head = self.final
        held_out = self.held_out_figures(best, best_head)
        report = {
            "model": self.ref.display_name,
            "model_file": str(self.ref.source),
            "model_sha256": self.ref.sha256,
            "data": [str(s) for s in self.dataset.sources],
            "data_sha256": self.data_sha,
            "examples_train": len(self.train),
            "examples_val": len(self.val),
            "examples_test": len(self.test),
            "test_examples": len(self.test),
            "duplicates_removed": self.split.duplicates_removed,
            "rows_skipped": len(self.dataset.skipped),
            "labels": list(self.spec.labels),
            "prompt": self.spec.to_dict(),
            "steps": st.step,
            "seconds": round(st.seconds, 2),
            "stop_reason": stop_reason,
            # Validation chose the result (a maximum over it flatters it); test, read once here, reports it.
            "val_accuracy_before": st.accuracy_before,
            "val_accuracy_after": best_acc,
            "val_loss_before": st.loss_before,
            "val_loss_after": best_loss,
            "best_step": best_step,
            **held_out,
            "energy_wh": round(reading.wh, 4),
            "energy_source": reading.source,
            "energy_assumption": {"en": reading.assumption_en, "ja": reading.assumption_ja},
            "peak_rss_mb": round(self.monitor.sample().peak_rss_mb, 1),
            "model_kind": self.ref.kind,
            "tuned_layers": st.info["layers"],
            "tuned_sites": [s.key for s in self.sites],
            "layer_choice": st.info.get("layer_reason", {}),
            "projections": list(self.cfg.projections),
            "adapter": {"rank": self.cfg.rank, "alpha": self.cfg.alpha, "seed": self.cfg.seed},
            "zo": {
                "q": self.cfg.q,
                "q_schedule": self.cfg.q_schedule,
                "eps": self.cfg.eps,
                "lr": self.cfg.lr,
                "lr_final": st.lr,
                "batch_size": self.cfg.batch_size,
                "copies_per_run": self.copies_per_run,
                "copies_timing_s": st.info.get("copies_timing_s"),
            },
            "prefix_cache_mb": st.info.get("prefix_cache_mb"),
            "prefix_cache_storage": st.info.get("prefix_cache_storage"),
            "forward_examples": self.objective.forward_examples,
            "head": st.info.get("head"),
            "readout": "head" if best_head is not None else "label words",
            "exported_model": None,
        }
        if self.model_data_sha:
            report["model_data_sha256"] = self.model_data_sha
        a = {s.key: frozen_a(s, self.adapter_cfg) for s in self.model.site_shapes(self.sites)}
        report = export_run(
            self.out,
            self.model,
            self.spec,
            self.sites,
            a,
            best,
            report,
            st,
            export_model=self.cfg.export,
            progress=self.progress("export", "Writing the tuned model", "調整済みモデルを書き出し中"),
            head=self.class_head(best_head),
        )
        self.sink(FinishedEvent(str(self.out), report, stop_reason))
        return RunResult(str(self.out), report, stop_reason)


def tune(config: TuneConfig, sink: EventSink = ignore_events, control: RunControl | None = None) -> RunResult:
    """Run (or resume) a tuning job; raises GenbaError for anything the user must fix."""
    config.validate()
    out = claim_run_folder(config)  # refuses a folder of the user's or the model's own
    with RunLock(out):
        return _Run(config, sink, control or RunControl()).execute()
