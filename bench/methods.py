"""The measured methods, each run by ``bench.run`` in a fresh subprocess so peak RSS is its own.

    python -m bench.methods METHOD SPEC_JSON RESULT_JSON [ARG]

METHOD is ``engine`` (a, ARG = query schedule), ``mezo`` (b), ``zo_eval`` (accuracy of the ZO runs'
checkpoints, ARG = comma-separated result files), ``backprop`` (c), ``inference`` (d) or ``overhead``
(adapter cost of one forward of the tuned layers). Each writes one JSON result.

Every tuning method runs on its own wall clock, started before the model is opened, for ``spec.minutes``.
Accuracy is read at fixed checkpoints on that clock *after* training (the adapters as they were at each
checkpoint are kept, or replayed from the ZO step log), so evaluation costs no method any training time and
peak RSS is read before evaluation starts.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from app.engine.events import EvalEvent, ProgressEvent, StepEvent
from app.engine.models.adapters import frozen_a
from app.engine.models.llama_model import PrefixCache, Readout, SuffixObjective
from app.engine.models.ort_runtime import physical_cores
from app.engine.tuning import zo
from app.engine.tuning.monitor import peak_rss_mb
from app.engine.tuning.schedule import batch_rows, queries_at
from app.engine.tuning.scoring import evaluate
from app.engine.tuning.tuner import tune
from bench.task import BenchSpec, QSchedule, Task, by_length, load_task, subset

EVAL_PREFIX_FILE = "eval_prefix.npz"


def step_stats(ends: list[float], examples_per_step: list[float]) -> dict:
    """Median step time from consecutive step end times, and examples through the model per second.

    A ZO step runs its batch through the model once per perturbed copy (2q copies); a backprop step runs
    it forward and backward once.
    """
    dts = np.diff(np.asarray(ends, dtype=np.float64))
    if len(dts) == 0:
        return {"steps": len(ends), "step_s_median": None, "forward_examples_per_s": None}
    examples = np.asarray(examples_per_step[1:], dtype=np.float64)  # step i took ends[i] - ends[i-1]
    return {
        "steps": len(ends),
        "step_s_median": float(np.median(dts)),
        "step_s_p10": float(np.percentile(dts, 10)),
        "step_s_p90": float(np.percentile(dts, 90)),
        "forward_examples_per_s": float(examples.sum() / dts.sum()),
    }


def engine_run_dir(spec: BenchSpec, schedule: QSchedule) -> Path:
    return Path(spec.out_dir) / f"engine_run_{schedule.kind}{schedule.q}"


# --- (a) the engine, through tune() ------------------------------------------------------------------
def run_engine(spec: BenchSpec, schedule_text: str) -> dict:
    schedule = QSchedule.parse(schedule_text)
    run_dir = engine_run_dir(spec, schedule)
    shutil.rmtree(run_dir, ignore_errors=True)
    cfg = spec.tune_config(run_dir, schedule)
    steps: list[tuple[int, float, int, bool]] = []
    stages: dict[str, float] = {}
    first_eval_s: list[float] = []
    t0 = time.monotonic()

    def sink(event) -> None:
        if isinstance(event, StepEvent):
            steps.append((event.step, event.seconds, event.q, event.accepted))
        elif isinstance(event, ProgressEvent):
            stages.setdefault(event.stage, round(time.monotonic() - t0, 2))
        elif isinstance(event, EvalEvent) and event.step == 0:
            first_eval_s.append(event.seconds)

    report = tune(cfg, sink).report
    peak = peak_rss_mb()
    records = [zo.StepRecord.from_list(json.loads(line)) for line in (run_dir / "steps.jsonl").open()]
    assert len(records) == len(steps) == report["steps"], "step log and step events disagree"
    ends = [s[1] for s in steps]
    return {
        "method": "engine",
        "schedule": str(schedule),
        "model": report["model"],
        "run_dir": str(run_dir),
        "peak_rss_mb": peak,
        "budget_s": spec.minutes * 60.0,
        "layers": report["tuned_layers"],
        "layer_choice": report["layer_choice"],
        "copies_per_run": report["zo"]["copies_per_run"],
        "copies_timing_s": report["zo"]["copies_timing_s"],
        "prefix_cache_mb": report["prefix_cache_mb"],
        "stage_start_s": stages,
        "first_step_starts_s": first_eval_s[0] if first_eval_s else None,
        "val_accuracy_engine_before": report["val_accuracy_before"],
        "val_accuracy_engine_best": report["val_accuracy_after"],
        "examples_train": report["examples_train"],
        "examples_val": report["examples_val"],
        "rejected_steps": sum(1 for s in steps if not s[3]),
        **step_stats(ends, [2 * s[2] * spec.batch_size for s in steps]),
        "step_end_s": ends,
        "records": [r.to_list() for r in records],
    }


# --- (b) MeZO-style reference: full depth, sequential +-eps forwards --------------------------------
def run_mezo(spec: BenchSpec) -> dict:
    t0 = time.monotonic()
    task = load_task(spec)
    cfg = spec.tune_config(Path(spec.out_dir))
    sites = spec.sites()
    session = task.model.loss_session(0, sites, spec.adapter_cfg, from_ids=True)
    head = Readout.label_words(task.model.label_head(task.encoded.label_token_ids), len(task.encoded))
    objective = SuffixObjective(session, None, task.encoded, head, sites)  # no prefix cache: from ids
    params, lr = task.zero_params(spec), spec.lr
    first_step_starts = time.monotonic() - t0
    records, ends, qs = [], [], []
    step = 0
    while time.monotonic() - t0 < spec.minutes * 60.0:
        batch = objective.on(batch_rows(spec.seed, step, task.n_train, spec.batch_size))
        q = queries_at(cfg, step, task.n_train)
        params, rec = zo.zo_step(
            batch, params, step=step, run_seed=spec.seed, q=q, eps=spec.eps, lr=lr, copies_per_run=1
        )
        if not rec.accepted:  # the engine's numerical guard, mirrored
            lr *= 0.5
        step += 1
        records.append(rec.to_list())
        ends.append(time.monotonic() - t0)
        qs.append(q)
    return {
        "method": "mezo",
        "schedule": spec.q_schedule,
        "peak_rss_mb": peak_rss_mb(),
        "budget_s": spec.minutes * 60.0,
        "layers": list(spec.layers),
        "copies_per_run": 1,
        "first_step_starts_s": first_step_starts,
        "rejected_steps": sum(1 for r in records if not r[5]),
        **step_stats(ends, [2 * q * spec.batch_size for q in qs]),
        "step_end_s": ends,
        "records": records,
    }


# --- accuracy of the ZO runs at the checkpoints, rebuilt from their step logs -----------------------
def checkpoint_steps(ends: list[float], checkpoints: np.ndarray) -> list[int]:
    """Steps completed by each checkpoint: the adapters at time t are those after the last step ending <= t."""
    return [int(np.searchsorted(np.asarray(ends), t, side="right")) for t in checkpoints]


def run_zo_eval(spec: BenchSpec, result_files: str) -> dict:
    task = load_task(spec)
    examples = task.eval_examples()
    n_val = task.n_val
    val_rows = by_length(examples, np.arange(n_val))
    test_rows = by_length(examples, np.arange(n_val, len(examples)))
    head = Readout.label_words(task.model.label_head(examples.label_token_ids), len(examples))
    checkpoints = spec.checkpoints()
    curves, caches = {}, {}
    t_eval = time.monotonic()
    for path in result_files.split(","):
        res = json.loads(Path(path).read_text(encoding="utf-8"))
        layers = tuple(res["layers"])
        start = min(layers)
        if start not in caches:
            caches[start] = task.model.build_prefix_cache(examples, start)
            if layers == spec.layers:  # the backprop run evaluates its checkpoints on the same states
                c = caches[start]
                np.savez(
                    Path(spec.out_dir) / EVAL_PREFIX_FILE,
                    blocks=c.blocks,
                    offsets=c.offsets,
                    lengths=c.lengths,
                    start=start,
                    n_val=n_val,
                )
        sites = spec.with_(layers=layers).sites()
        session = task.model.loss_session(start, sites, spec.adapter_cfg)
        objective = SuffixObjective(session, caches[start], examples, head, sites)
        records = [zo.StepRecord.from_list(r) for r in res["records"]]
        params, done, seen = task.zero_params(spec, layers), 0, {}
        curve, eval_times = [], []
        for t, k in zip(checkpoints, checkpoint_steps(res["step_end_s"], checkpoints), strict=True):
            if k not in seen:
                params = zo.replay(params, records[done:k])  # incremental: bit-identical to the run
                done = k
                t_one = time.perf_counter()
                val_acc, val_loss, _ = evaluate(objective, params, val_rows)
                test_acc, test_loss, _ = evaluate(objective, params, test_rows)
                eval_times.append(time.perf_counter() - t_one)
                seen[k] = (val_acc, val_loss, test_acc, test_loss)
            va, vl, ta, tl = seen[k]
            curve.append(
                {"t": float(t), "step": k, "val_acc": va, "val_loss": vl, "test_acc": ta, "test_loss": tl}
            )
        curves[path] = {"curve": curve, "eval_s_per_checkpoint": float(np.median(eval_times))}
        if res["method"] == "engine":  # the rebuilt adapters must be the run's own, bit for bit
            final = zo.replay(task.zero_params(spec, layers), records)
            saved = np.load(Path(res["run_dir"]) / "checkpoint.npz")
            same = all(np.array_equal(final[k], saved[f"B/{k}"]) for k in final)
            curves[path]["replay_matches_checkpoint"] = bool(same)
    return {
        "method": "zo_eval",
        "curves": curves,
        "n_val": n_val,
        "n_test": len(task.test),
        "eval_seconds": time.monotonic() - t_eval,
    }


# --- (c) backprop LoRA with AdamW in torch -----------------------------------------------------------
def run_backprop(spec: BenchSpec) -> dict:
    import torch

    from bench.torch_lora import TorchLlama, label_loss

    t0 = time.monotonic()
    torch.manual_seed(spec.seed)
    task = load_task(spec)
    cfg, acfg = task.model.cfg, spec.adapter_cfg
    # Same A initialisation as the engine's LoRA-FA adapters (Kaiming-uniform), here trained too.
    a_init = {
        (s.layer, s.proj): frozen_a(shape, acfg) / np.float32(acfg.alpha / acfg.rank)
        for s, shape in zip(spec.sites(), task.model.site_shapes(spec.sites()), strict=True)
    }
    net = TorchLlama(cfg, task.model.store, a_init, spec.rank, spec.alpha)
    head = torch.from_numpy(task.model.label_head(task.encoded.label_token_ids))
    threads, thread_timing = choose_torch_threads(net, task, spec)
    lora = net.lora_parameters()
    opt = torch.optim.AdamW(lora, lr=spec.torch_lr, weight_decay=spec.torch_weight_decay)
    checkpoints = spec.checkpoints()
    snapshots: list[list[np.ndarray]] = []
    first_step_starts = time.monotonic() - t0
    ends, losses = [], []
    step = 0
    while time.monotonic() - t0 < spec.minutes * 60.0:
        before = [p.detach().clone().numpy() for p in lora]  # [r, out] / [in, r]: cheap to keep
        ids, answer, labels = task.encoded.batch(batch_rows(spec.seed, step, task.n_train, spec.batch_size))
        logits = net.label_logits(net.hidden(torch.from_numpy(ids)), torch.from_numpy(answer), head)
        loss = label_loss(logits, torch.from_numpy(labels))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        end = time.monotonic() - t0
        while len(snapshots) < len(checkpoints) and checkpoints[len(snapshots)] < end:
            snapshots.append(before)
        ends.append(end)
        losses.append(float(loss))
    peak = peak_rss_mb()
    final = [p.detach().clone().numpy() for p in lora]
    while len(snapshots) < len(checkpoints):
        snapshots.append(final)
    snap_steps = checkpoint_steps(ends, checkpoints)

    # Outside the clock: a forward-only timing of the same batch, then accuracy at every checkpoint.
    ids, answer, _ = task.encoded.batch(batch_rows(spec.seed, 0, task.n_train, spec.batch_size))
    fwd = []
    with torch.no_grad():
        for _ in range(2):
            t = time.perf_counter()
            net.label_logits(net.hidden(torch.from_numpy(ids)), torch.from_numpy(answer), head)
            fwd.append(time.perf_counter() - t)
    curve, eval_info = torch_checkpoint_accuracy(
        spec, task, net, head, lora, snapshots, snap_steps, checkpoints
    )
    return {
        "method": "backprop",
        "peak_rss_mb": peak,
        "budget_s": spec.minutes * 60.0,
        "layers": list(spec.layers),
        "torch_version": torch.__version__,
        "torch_threads": threads,
        "torch_threads_timing_s": thread_timing,
        "first_step_starts_s": first_step_starts,
        "train_loss_first": losses[0] if losses else None,
        "train_loss_last": float(np.mean(losses[-10:])) if losses else None,
        "no_grad_forward_s_median": float(np.median(fwd)),
        "no_grad_forward_examples_per_s": spec.batch_size / float(np.median(fwd)),
        **step_stats(ends, [spec.batch_size] * len(ends)),
        "step_end_s": ends,
        "curve": curve,
        **eval_info,
    }


def choose_torch_threads(net, task: Task, spec: BenchSpec) -> tuple[int, dict]:
    """Threads for torch by timing, as the engine times copies per run: 1 or one per physical core.

    With another process busy on a 2-core PC, torch's OpenMP threads were 4x slower at 2 threads than at
    1 (ORT's pool degrades far less); on a quiet PC one per core wins. Timed on the first four layers.
    """
    import torch

    ids = torch.from_numpy(task.encoded.batch(batch_rows(spec.seed, 0, task.n_train, spec.batch_size))[0])
    timings = {}
    for threads in sorted({1, physical_cores()}):
        torch.set_num_threads(threads)
        with torch.no_grad():
            net.hidden(ids, 0, 1)  # warm-up
            best = float("inf")
            for _ in range(2):
                t = time.perf_counter()
                net.hidden(ids, 0, 4)
                best = min(best, time.perf_counter() - t)
        timings[threads] = best
    choice = min(timings, key=timings.get)
    torch.set_num_threads(choice)
    return choice, {str(k): round(v, 4) for k, v in timings.items()}


def torch_checkpoint_accuracy(spec, task: Task, net, head, lora, snapshots, snap_steps, checkpoints):
    """Validation/test accuracy of each kept LoRA state; the frozen prefix is computed once."""
    import torch

    examples = task.eval_examples()
    start = net.first_adapted_layer()
    cached = Path(spec.out_dir) / EVAL_PREFIX_FILE
    prefix = None
    if cached.is_file():
        z = np.load(cached)
        if int(z["start"]) == start and int(z["n_val"]) == task.n_val:
            prefix = PrefixCache(z["blocks"], z["offsets"], z["lengths"])
    source = "ORT prefix cache (shared with the ZO evaluation)" if prefix is not None else "torch"
    batches = []
    for is_test, rows_all in ((False, np.arange(task.n_val)), (True, np.arange(task.n_val, len(examples)))):
        rows_sorted = by_length(examples, rows_all)
        for s in range(0, len(rows_sorted), 32):
            rows = rows_sorted[s : s + 32]
            ids, answer, labels = examples.batch(rows)
            with torch.no_grad():
                if prefix is not None:
                    hidden = torch.from_numpy(prefix.batch(rows))
                else:
                    hidden = net.hidden(torch.from_numpy(ids), 0, start)
            batches.append((is_test, hidden, torch.from_numpy(answer), labels))
    t_eval = time.monotonic()
    curve, seen, eval_times = [], {}, []
    for t, k, snap in zip(checkpoints, snap_steps, snapshots, strict=True):
        if k not in seen:
            t_one = time.perf_counter()
            with torch.no_grad():
                for p, value in zip(lora, snap, strict=True):
                    p.copy_(torch.from_numpy(value))
                stats = {False: [0, 0, 0.0], True: [0, 0, 0.0]}  # is_test -> correct, count, loss sum
                for is_test, hidden, answer, labels in batches:
                    logits = net.label_logits(net.hidden(None, start, x=hidden), answer, head)
                    logp = torch.log_softmax(logits, -1).numpy()
                    st = stats[is_test]
                    st[0] += int((logp.argmax(-1) == labels).sum())
                    st[1] += len(labels)
                    st[2] += float(-logp[np.arange(len(labels)), labels].sum())
            seen[k] = stats
            eval_times.append(time.perf_counter() - t_one)
        st = seen[k]
        curve.append(
            {
                "t": float(t),
                "step": k,
                "val_acc": st[False][0] / st[False][1],
                "val_loss": st[False][2] / st[False][1],
                "test_acc": st[True][0] / st[True][1],
                "test_loss": st[True][2] / st[True][1],
            }
        )
    return curve, {
        "eval_prefix_source": source,
        "eval_seconds": time.monotonic() - t_eval,
        "eval_s_per_checkpoint": float(np.median(eval_times)),
    }


# --- (d) plain inference: the floor ------------------------------------------------------------------
def run_inference(spec: BenchSpec) -> dict:
    t0 = time.monotonic()
    task = load_task(spec)
    session = task.model.session(task.model.causal_lm_graph(), "causal_lm")
    setup = time.monotonic() - t0
    label_ids = task.encoded.label_token_ids
    times, agree, step = [], [], 0
    while True:
        ids, answer, labels = task.encoded.batch(batch_rows(spec.seed, step, task.n_train, spec.batch_size))
        lengths = answer + 1
        mask = (np.arange(ids.shape[1])[None] < lengths[:, None]).astype(np.int64)
        t = time.perf_counter()
        logits = session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]  # [E, T, V]
        times.append(time.perf_counter() - t)
        agree.append(logits[np.arange(len(ids)), answer][:, label_ids].argmax(-1) == labels)
        step += 1
        if step >= 3 and sum(times[1:]) >= spec.floor_seconds:
            break
    batch_s = float(np.median(times[1:]))  # the first run allocates
    return {
        "method": "inference",
        "peak_rss_mb": peak_rss_mb(),
        "setup_s": setup,
        "batches": len(times) - 1,
        "batch_s_median": batch_s,
        "forward_examples_per_s": spec.batch_size / batch_s,
        "logits_mb_per_batch": float(logits.nbytes / 2**20),
        "zero_shot_accuracy_on_timed_batches": float(np.concatenate(agree).mean()),
    }


# --- adapter overhead of one forward of the tuned layers ---------------------------------------------
def run_overhead(spec: BenchSpec) -> dict:
    task = load_task(spec)
    model, sites = task.model, spec.sites()
    start = min(spec.layers)
    rows = batch_rows(spec.seed, 0, task.n_train, spec.batch_size)
    batch = subset(task.encoded, rows)
    local = np.arange(len(rows))
    head = Readout.label_words(model.label_head(batch.label_token_ids), len(batch))
    cache = model.build_prefix_cache(batch, start)
    tuned = SuffixObjective(model.loss_session(start, sites, spec.adapter_cfg), cache, batch, head, sites)
    plain = SuffixObjective(model.loss_session(start, [], spec.adapter_cfg), cache, batch, head, [])
    full = SuffixObjective(
        model.loss_session(0, sites, spec.adapter_cfg, from_ids=True), None, batch, head, sites
    )
    zero = task.zero_params(spec)
    z = zo.perturbation(zo.direction_seed(spec.seed, 0, 0), zero)
    one_copy = {k: (zero[k] + np.float32(spec.eps) * z[k])[None] for k in zero}  # [1, r, out]
    for _ in range(2):  # warm-up: the first runs allocate
        tuned.run(local, one_copy)
        plain.run(local, {})
    t_tuned, t_plain = [], []
    for i in range(spec.overhead_repeats):  # interleaved, alternating order, so drift hits both alike
        for which in (tuned, plain) if i % 2 == 0 else (plain, tuned):
            t = time.perf_counter()
            which.run(local, one_copy if which is tuned else {})
            (t_tuned if which is tuned else t_plain).append(time.perf_counter() - t)
    full.run(local, one_copy)
    t_full = []
    for _ in range(max(2, spec.overhead_repeats // 5)):
        t = time.perf_counter()
        full.run(local, one_copy)
        t_full.append(time.perf_counter() - t)
    pair = np.asarray(t_tuned) / np.asarray(t_plain)
    return {
        "method": "overhead",
        "start_layer": start,
        "tuned_layers": list(spec.layers),
        "batch_examples": len(rows),
        "batch_tokens": int(sum(len(x) for x in batch.ids)),
        "repeats": spec.overhead_repeats,
        "perturbed_suffix_s_median": float(np.median(t_tuned)),
        "plain_suffix_s_median": float(np.median(t_plain)),
        "ratio_of_medians": float(np.median(t_tuned) / np.median(t_plain)),
        "ratio_paired_median": float(np.median(pair)),
        "ratio_paired_p10": float(np.percentile(pair, 10)),
        "ratio_paired_p90": float(np.percentile(pair, 90)),
        "full_depth_perturbed_s_median": float(np.median(t_full)),
    }


METHODS = {
    "engine": run_engine,
    "mezo": run_mezo,
    "zo_eval": run_zo_eval,
    "backprop": run_backprop,
    "inference": run_inference,
    "overhead": run_overhead,
}


def main(argv: list[str]) -> None:
    method, spec_path, result_path, *extra = argv
    spec = BenchSpec.load(Path(spec_path))
    t = time.monotonic()
    result = METHODS[method](spec, *extra)
    result["child_wall_s"] = time.monotonic() - t
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
