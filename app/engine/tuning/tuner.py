"""A tuning run: model -> examples -> layers -> prefix cache -> ZO steps -> best adapters -> export.

``tune()`` is the one entry point the CLI and the GUI share. Progress leaves through an event callback;
pause and stop arrive through a RunControl the engine checks between steps.

The run drives its model through ``app.engine.models.tunable.TunableModel`` only: a GGUF model on our own
Llama graphs (a forward probe picks the layers, the frozen layers below them are cached once, a fitted head
may read the features) and a user's ONNX causal LM or classifier tuned as exported (its top layers, the
whole graph each step, read out as exported) differ only behind that interface.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.engine.data.examples import load_examples
from app.engine.data.fingerprint import data_fingerprint
from app.engine.data.keyword_model import keyword_baseline
from app.engine.data.prompting import make_prompt_spec
from app.engine.errors import GenbaError
from app.engine.events import (
    BaselineEvent,
    EvalEvent,
    EventSink,
    FinishedEvent,
    ProgressEvent,
    ResourceEvent,
    StepEvent,
    ignore_events,
)
from app.engine.models.adapters import AdapterConfig, zero_b
from app.engine.models.catalog import open_tunable, resolve_model
from app.engine.models.tunable import TuningRequest
from app.engine.run_lock import RunLock
from app.engine.storage import sha256_file
from app.engine.tuning import zo
from app.engine.tuning.answers import Answerer, BestSoFar
from app.engine.tuning.budget import PLATEAU, BudgetTracker, plateau_reached
from app.engine.tuning.checkpoint import RunState, load_checkpoint_all, save_checkpoint
from app.engine.tuning.config import TuneConfig
from app.engine.tuning.energy import EnergyMeter
from app.engine.tuning.export import export_run
from app.engine.tuning.head import HeadFit, fit_head
from app.engine.tuning.layer_select import choose_layers
from app.engine.tuning.monitor import ResourceMonitor
from app.engine.tuning.resume import check_resume
from app.engine.tuning.run_control import Question, RunControl
from app.engine.tuning.run_folder import claim_run_folder
from app.engine.tuning.run_heads import RunHeads
from app.engine.tuning.run_report import Outcome, RunFacts, run_report
from app.engine.tuning.schedule import batch_rows, queries_at
from app.engine.tuning.scoring import (
    beats,
    evaluate,
    evaluate_features,
    features_of,
    measure_copies_per_run,
    read_out,
)

MAX_FAILED_STEPS = 5  # consecutive non-finite steps before the run stops with its best result


@dataclass(frozen=True)
class RunResult:
    out_dir: str
    report: dict
    stop_reason: str


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
        self.dataset = load_examples(
            self.cfg.data, text_column=self.cfg.text_column, label_column=self.cfg.label_column
        )
        texts = [ex.text for ex in self.dataset.examples]
        # 'auto' follows the examples' language (Japanese: Gemma), as does an unset template (below).
        self.cfg = cfg = self.cfg.for_examples(texts)
        self.ref = resolve_model(cfg.model)
        self.model = open_tunable(self.ref, self.sink, threads=cfg.threads, share_cores=cfg.share_cores)
        self.data_sha = data_fingerprint(self.dataset.sources)
        # An ONNX model's weights may sit beside it (model.onnx.data): the graph's hash alone misses them.
        self.model_data_sha = {loc: sha256_file(self.model.folder / loc) for loc in self.model.external_files}
        self.split = cfg.split(self.dataset.examples)
        self.train, self.val, self.test = self.split.train, self.split.val, self.split.test
        if not self.val:  # every label's rows repeat one text: nothing could tell whether tuning helps
            raise GenbaError(
                "Too few different examples to check what tuning learns: each label has only one distinct "
                "text (rows repeating a text count once). Add at least one more example with a different "
                "text for each label.",
                "調整の効果を確かめるための例文が足りません。どのラベルも異なる文章が 1 件しかありません"
                "（同じ文章の行は 1 件と数えます）。ラベルごとに、別の文章の例文を 1 件以上追加してください。",
                path=cfg.data,
            )
        self.spec = make_prompt_spec(self.dataset.labels, cfg.prompt_template(texts), cfg.label_words)
        everything = self.train + self.val + self.test
        self.model.check_labels(self.spec.labels)  # a classifier's classes against the data's labels
        self.encoded = self.model.encode(self.spec, everything, cfg.max_tokens, cfg.long_text)
        if self.encoded.whole_labels and cfg.head == "none":
            raise whole_words_need_a_head(self.spec.label_words)
        n_train, n_val = len(self.train), len(self.val)
        self.train_rows = np.arange(n_train)
        self.val_rows = np.arange(n_train, n_train + n_val)
        self.test_rows = np.arange(n_train + n_val, len(everything))
        self.adapter_cfg = AdapterConfig(rank=cfg.rank, alpha=cfg.alpha, seed=cfg.seed)

        self.saved_arrays: dict[str, np.ndarray] = {}
        if cfg.resume:
            self.params, self.best, self.state, self.saved_arrays = load_checkpoint_all(self.out)
            check_resume(
                self.state.info,
                cfg,
                model_sha256=self.ref.sha256,
                model_data_sha256=self.model_data_sha,
                data_sha256=self.data_sha,
                labels=list(self.spec.labels),
                model_path=self.ref.source,
                out=self.out,
            )
        else:
            self.state = RunState(lr=cfg.lr)
            self.state.info = {
                "config": cfg.to_dict(),
                "model_sha256": self.ref.sha256,
                "model_data_sha256": self.model_data_sha,
                "data_sha256": self.data_sha,
                "labels": list(self.spec.labels),
            }
        self.seconds_before = self.state.seconds  # the run clock goes on from what a resumed run had spent
        self.heads = RunHeads(
            self.encoded,
            self.train_rows,
            head_setting=cfg.head,
            takes_head=self.model.takes_head,
            pieces=self.model.gram_pieces,
            cross_fit=cfg.head_cross_fit,
            seed=cfg.seed,
            saved=self.saved_arrays,
            # Prompts only: an encoder cuts its raw text itself, and its words are what it reads.
            whole_words=cfg.whole_words and self.encoded.template_ids is not None,
        )
        if self.heads.enabled and "words" not in self.state.info:
            self.fit_words_model()
        # Fitted once per session, up front: faces draw it as the bar to beat while tuning; its test figure
        # is read at the end.
        self.keyword = keyword_baseline(self.train, self.val, self.test)
        if np.isfinite(self.keyword.val_accuracy):
            self.sink(BaselineEvent("keyword", self.keyword.val_accuracy, self.seconds()))
        if "layers" not in self.state.info:
            if cfg.tuned_layers is not None:
                layers, reason = sorted(cfg.tuned_layers), {"method": "chosen by the user"}
                self._check_layers(layers)
            else:
                layers, reason = self._default_layers()
            self.state.info["layers"] = list(layers)
            self.state.info["layer_reason"] = reason
        layers = self.state.info["layers"]
        request = TuningRequest(
            self.encoded,
            layers,
            cfg.projections,
            self.adapter_cfg,
            cfg.max_tuned_layers,
            saved_sites=self.state.info.get("sites"),
            sink=self.sink,
            spill_dir=self.out,  # over its memory budget a prefix cache is memory-mapped from a temp file here
        )
        self.tuning = self.model.prepare_tuning(request)
        self.state.info |= self.tuning.info
        if self.tuning.needs_head and cfg.head == "none":
            raise GenbaError(
                "This model (a sentence encoder) answers only through a fitted head; tune it with the head on.",
                "このモデル（文エンコーダー）は学習した答え方（ヘッド）を通してのみ答えます。ヘッドを有効にして"
                "調整してください。",
                path=self.ref.source,
                field="head",
            )
        self.sites, self.objective = self.tuning.sites, self.tuning.objective
        if not cfg.resume:
            self.params = zero_b(self.model.site_shapes(self.sites), self.adapter_cfg)
            self.best = {k: v.copy() for k, v in self.params.items()}
        self.heads.attach(self.tuning)
        self.answerer = Answerer(
            self.model, self.spec, cfg.max_tokens, cfg.long_text, self.tuning, self.heads
        )

    def choose_copies_per_run(self) -> None:
        """How many perturbed copies one forward pass runs: the user's setting, or timed on this PC. Only the
        steps need it, so it is timed after the first models are shown."""
        cfg, info = self.cfg, self.state.info
        if "copies_per_run" not in info:
            if cfg.copies_per_run is not None:
                info["copies_per_run"] = cfg.copies_per_run
            else:
                probe = self.objective.on(batch_rows(cfg.seed, 0, len(self.train), cfg.batch_size))
                info["copies_per_run"], info["copies_timing_s"] = measure_copies_per_run(
                    probe, self.params, cfg.q
                )
        self.copies_per_run = int(info["copies_per_run"])

    # --- the first models: words, then the exact head ------------------------------------------------------
    def fit_words_model(self) -> None:
        """The run's first model, from the token ids alone (the text blocks of the head, ``fit_text_head``):
        shown seconds after the examples are read, while the frozen layers are still to be cached. It is the
        best so far until a model that reads the network's features beats it on validation."""
        st = self.state
        progress = self.progress("words", "Learning from the words in your examples", "例文の言葉から学習中")
        progress(0.0)
        t = time.perf_counter()
        fit = self.heads.fit_words()
        progress(1.0)
        if fit is None or len(self.val_rows) == 0:  # no validation: nothing could say it beats zero-shot
            return
        acc, loss = self.heads.words_rate(self.val_rows, self.encoded.label_index[self.val_rows])
        st.best_accuracy, st.best_loss, st.best_step = acc, loss, 0
        self.heads.best = fit
        st.info["words"] = {
            "features": fit.name,
            "text_lambda": fit.parts[0].lam,
            "cv_accuracy": fit.cv_accuracy,
            "fit_seconds": round(time.perf_counter() - t, 2),
            "shown_at_s": round(self.seconds(), 2),
            "val_accuracy": acc,
        }
        st.evals.append(
            {"step": 0, "val_accuracy": acc, "val_loss": loss, "seconds": self.seconds(), "model": "words"}
        )
        self.sink(EvalEvent(0, acc, loss, acc, True, self.seconds(), model="words"))

    def step_batch(self, step: int):
        """The examples of a step and the read-out its losses go through.

        Cross-fitting: step s draws from fold s % k only and reads out through the head that never saw them.
        """
        cfg = self.cfg
        fold = self.heads.fold_of_step(step)
        if fold is None:
            rows = batch_rows(cfg.seed, step, len(self.train), cfg.batch_size)
            return self.objective.on(rows)
        members, readout = fold
        rows = members[batch_rows(cfg.seed, step, len(members), cfg.batch_size)]
        return self.objective.on(rows, readout)

    def fit_first_head(self, val_features: np.ndarray | None = None) -> None:
        """Fit the head on the frozen model's features (cross-validated on training examples only).

        ``val_features``: the validation rows' features at the current adapters, when the zero-shot evaluation
        has just computed them; the head is then rated on them without another forward pass."""
        st, cfg = self.state, self.cfg
        self.sink(
            ProgressEvent(
                "head", 0.0, "Fitting the answer layer to your examples", "学習データに合わせて答え方を調整中"
            )
        )
        t = time.perf_counter()
        if self.encoded.whole_labels and self.heads.best is None:
            # Whole-word zero-shot scores have no exported form (they need a forward per label word): the
            # fitted head, which the export carries, is the run's starting result whatever its validation.
            st.best_accuracy, st.best_loss = -1.0, float("inf")
        features = features_of(self.objective, self.params, self.train_rows)
        heads = self.heads
        fit, options = fit_head(
            features,
            heads.labels,
            heads.base.head,
            heads.train_blocks(),
            seed=cfg.seed,
            text_scores=heads.words_scores,
        )
        st.info["head"] = heads.start(fit, features, options)
        st.info["head"]["seconds"] = round(time.perf_counter() - t, 2)
        if val_features is None and self.objective.readout is not None and len(self.val_rows):
            # A resumed run: the same features, so that it rates the head exactly as an unbroken one does.
            val_features = features_of(self.objective, self.params, self.val_rows)
        self.evaluate_now(scheduled=True, refit=False, model="head", features=val_features)

    def _default_layers(self) -> tuple[list[int], dict]:
        """The model's own choice, or (when it can be probed) the layers with the best signal per cost."""
        cfg = self.cfg
        choice = self.model.default_layers(cfg.max_tuned_layers)
        if choice is not None:
            return choice
        self.sink(ProgressEvent("probe", 0.0, "Finding the layers that matter", "効果の大きい層を探索中"))
        return choose_layers(
            self.model,
            self.encoded,
            self.train_rows,
            cfg.projections,
            self.adapter_cfg,
            cfg.max_tuned_layers,
            seed=cfg.seed,
        )

    def _check_layers(self, layers: list[int]) -> None:
        n = self.model.n_layers
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
        self.energy.set_offset(st.energy_wh)  # what the run used before this session (0 when new)
        self.tracker = BudgetTracker(
            cfg.budget, already_seconds=st.seconds, already_steps=st.step, already_wh=st.energy_wh
        )
        start_features = None  # the validation rows' features at the adapters the run starts from
        if st.accuracy_before is None:
            acc, loss, _, start_features = evaluate_features(self.objective, self.params, self.val_rows)
            st.accuracy_before, st.loss_before = acc, loss
            # Better than the words model, if there is one (whole-word scores never are: they have no export).
            better = self.heads.best is None or (
                not self.encoded.whole_labels and beats(acc, loss, st.best_accuracy, st.best_loss)
            )
            if better:
                st.best_accuracy, st.best_loss, st.best_step = acc, loss, 0
                self.heads.best = None
            st.evals.append({"step": 0, "val_accuracy": acc, "val_loss": loss, "seconds": self.seconds()})
            self.sink(EvalEvent(0, acc, loss, st.best_accuracy, better, self.seconds(), model="zero-shot"))
            self.checkpoint()
        if self.heads.enabled and self.heads.head is None:
            self.fit_first_head(start_features)
        self.choose_copies_per_run()
        self.checkpoint()

        stop_reason = ""
        step_times: list[float] = []
        while True:
            stop_reason = self.stop_reason()
            if stop_reason:
                break
            self.paused_seconds += self.control.wait_while_paused(self.answer)
            if self.control.stopped:
                stop_reason = "stopped"
                break
            self.answer_waiting()
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
            if self.heads.bank is not None and rec.accepted:
                self.heads.bank[batch.rows] = batch.mean_features()  # the head follows without a forward
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
        self.answer_waiting()  # what was asked during the last step; the export then answers
        return self.finish(stop_reason)

    def answer(self, questions: list[Question]) -> None:
        """Answer typed texts with the best model so far (``answers``): nothing the run keeps changes."""
        best = BestSoFar(self.best, self.heads.best, self.state.best_step)
        for question in questions:
            self.sink(self.answerer.answer(question, best))

    def answer_waiting(self) -> None:
        """Answer the questions asked since the last step; like a pause, the time is not charged to the
        budget (asking must not shorten the run)."""
        questions = self.control.take_questions()
        if questions:
            t = time.monotonic()
            self.answer(questions)
            self.paused_seconds += time.monotonic() - t

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

    def evaluate_now(
        self,
        scheduled: bool = True,
        refit: bool = True,
        model: str = "step",
        features: np.ndarray | None = None,
    ) -> None:
        """Validate the current adapters; a strictly better accuracy (ties: lower loss) becomes the best.

        Only scheduled evaluations (every eval_every steps) refit the head and move the checkpointed best,
        so a run that is stopped, resumed and finished ends bit-identical to one that never stopped; the
        evaluation at an unscheduled stop still counts for this session's result (``self.final``).
        ``features``: the validation rows' features at the current adapters, if already computed (then read
        out through the current head without a forward pass).
        """
        st = self.state
        if self.heads.head is not None and scheduled and refit:
            # The adapters moved the features: refit the heads to the latest ones the steps computed.
            self.heads.refit()
        if features is not None and self.objective.readout is not None and len(self.val_rows):
            labels = self.encoded.label_index[self.val_rows]
            acc, loss, _ = read_out(features, self.objective.readout, self.val_rows, labels)
        else:
            acc, loss, _ = evaluate(self.objective, self.params, self.val_rows)
        better = beats(acc, loss, st.best_accuracy, st.best_loss)
        self.final = (
            ({k: v.copy() for k, v in self.params.items()}, acc, loss, st.step, self.heads.head)
            if better
            else None
        )
        if better and scheduled:
            self.best, self.heads.best = self.final[0], self.heads.head
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
        save_checkpoint(self.out, self.params, self.best, self.state, self.heads.arrays())

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
        before, _, _, features = evaluate_features(
            self.objective, zero, self.test_rows, readout=self.heads.base
        )
        truth = self.encoded.label_index[self.test_rows]
        readout = self.heads.readout(best_head)
        if features is not None and readout is not None and not any(np.any(v) for v in best.values()):
            # The result kept the adapters at zero (the head did the work): the same features, read out by it.
            after, _, predicted = read_out(features, readout, self.test_rows, truth)
        else:
            after, _, predicted = evaluate(self.objective, best, self.test_rows, readout=readout)
        keyword = self.keyword
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
            confusion = np.zeros((len(self.spec.labels),) * 2, dtype=np.int64)
            np.add.at(confusion, (truth, predicted), 1)
            figures["test_confusion_after"] = confusion.tolist()
        else:
            figures["improved"] = bool(self.state.best_accuracy > (self.state.accuracy_before or 0.0))
        if "words" in self.state.info and self.heads.words is not None:
            # The first model, shown before any forward pass: what a user stopping then would have had.
            words_test = self.heads.words_rate(self.test_rows, truth)[0] if has_test else None
            figures["words_model"] = self.state.info["words"] | {"test_accuracy": words_test}
        return figures

    def finish(self, stop_reason: str) -> RunResult:
        st = self.state
        reading = self.energy.read()
        best, best_acc, best_loss, best_step = self.best, st.best_accuracy, st.best_loss, st.best_step
        best_head = self.heads.best
        if (
            self.final is not None and self.final[3] == st.step
        ):  # the closing evaluation beat every scheduled one
            best, best_acc, best_loss, best_step, best_head = self.final
        facts = RunFacts(
            self.cfg,
            self.ref,
            self.dataset,
            self.data_sha,
            self.model_data_sha,
            self.split,
            self.spec,
            [s.key for s in self.sites],
            self.copies_per_run,
        )
        outcome = Outcome(
            stop_reason,
            best_acc,
            best_loss,
            best_step,
            "label words" if best_head is None else "head" if best_head.reads_llm else "words",
            self.held_out_figures(best, best_head),
            reading,
            self.monitor.sample().peak_rss_mb,
            self.objective.forward_examples,
        )
        report = export_run(
            self.out,
            self.model,
            self.tuning,
            self.spec,
            best,
            run_report(facts, st, outcome),
            st,
            export_model=self.cfg.export,
            progress=self.progress("export", "Writing the tuned model", "調整済みモデルを書き出し中"),
            head=self.heads.class_head(best_head),
        )
        self.sink(FinishedEvent(str(self.out), report, stop_reason))
        return RunResult(str(self.out), report, stop_reason)


def whole_words_need_a_head(words) -> GenbaError:
    return GenbaError(
        f"Some label words ({', '.join(words)}) start with the same token, so they are told apart by their "
        "whole words, which needs the fitted answer layer: use --head auto (the default) or llm, or choose "
        "label words that begin differently.",
        f"ラベル語（{'、'.join(words)}）の一部は先頭のトークンが同じため、語全体で区別します。それには答え方の"
        "調整（--head auto（既定）または llm）が必要です。--head を変えるか、先頭が異なるラベル語を選んでください。",
        field="head",
    )


def tune(config: TuneConfig, sink: EventSink = ignore_events, control: RunControl | None = None) -> RunResult:
    """Run (or resume) a tuning job; raises GenbaError for anything the user must fix."""
    config.validate()
    out = claim_run_folder(config)  # refuses a folder of the user's or the model's own
    with RunLock(out):
        return _Run(config, sink, control or RunControl()).execute()
