"""One command, four methods side by side on the same data and model (issue 4 item 5).

    python -m bench.run [--quick] [--minutes M] [--out bench/out] [--q-schedule fixed:N|adazeta[:QMAX] ...]

(a) the engine with everything on (``tune()``), (b) a MeZO-style reference (full depth, sequential +-eps
forwards, same adapters and settings), (c) backprop LoRA with AdamW in torch, (d) plain ORT inference. Each
runs in a fresh subprocess (bench/methods.py) so peak RSS is its own. Writes ``OUT/results.json``, the PNG
plot and this harness's section of docs/BENCHMARKS.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from bench import report
from bench.datasets import rotten_tomatoes_split
from bench.task import ENGINE_DEFAULTS, BenchSpec, QSchedule, model_folder

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "BENCHMARKS.md"
PNG_NAME = "bench_accuracy_vs_time.png"

# (full, quick): quick must exercise every method end to end in <= 5 minutes on 2 cores.
SIZES = {
    "minutes": (30.0, 1.0),
    "eval_every_s": (60.0, 20.0),
    "n_train": (1000, 96),
    "n_test": (500, 64),  # accuracy SE ~2.2 points at 500; evaluation time grows with it
    "floor_seconds": (60.0, 5.0),
    "overhead_repeats": (30, 4),
    # Quick only: 2 tuned layers, so the engine's layer probe (4 directions x 2*max layers candidates) and
    # its steps fit the tiny budget on a busy 2-core PC. The full run keeps the engine's default.
    "max_tuned_layers": (ENGINE_DEFAULTS.max_tuned_layers, 2),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny budgets and few examples: a harness check")
    ap.add_argument("--minutes", type=float, help="wall-clock budget of each tuning method (default 30)")
    ap.add_argument(
        "--eval-every", type=float, dest="eval_every_s", help="seconds between accuracy checkpoints"
    )
    ap.add_argument("--n-train", type=int, help="training CSV size before the train/validation split")
    ap.add_argument("--n-test", type=int, help="held-out test examples")
    ap.add_argument("--out", default="bench/out", help="results, logs and run folders (default bench/out)")
    ap.add_argument(
        "--q-schedule",
        action="append",
        help="query schedule(s): fixed:N or adazeta[:QMAX]; the first is used by (a) and (b), each further "
        f"one adds an engine run. Default: the engine's own (fixed:{ENGINE_DEFAULTS.q}).",
    )
    ap.add_argument(
        "--doc", type=Path, default=DOC, help="markdown file whose bench.run section is rewritten"
    )
    ap.add_argument("--no-doc", action="store_true", help="write results under --out only")
    ap.add_argument(
        "--from-results",
        action="store_true",
        help="measure nothing: re-render the plot and the doc section from OUT/results.json",
    )
    args = ap.parse_args(argv)
    for name, (full, quick) in SIZES.items():
        if getattr(args, name, None) is None:
            setattr(args, name, quick if args.quick else full)
    args.q_schedule = [str(QSchedule.parse(s)) for s in (args.q_schedule or [f"fixed:{ENGINE_DEFAULTS.q}"])]
    return args


class Children:
    """Runs bench.methods in fresh subprocesses, one log per child, and collects their JSON results."""

    def __init__(self, out: Path, total: int) -> None:
        self.out, self.total, self.done = out, total, 0
        (out / "logs").mkdir(parents=True, exist_ok=True)

    def run(self, name: str, title: str, spec: BenchSpec, *extra: str, tag: str | None = None) -> dict:
        tag = tag or name
        spec_path = self.out / f"spec_{tag}.json"
        spec.save(spec_path)
        result_path = self.out / f"result_{tag}.json"
        result_path.unlink(missing_ok=True)
        log = self.out / "logs" / f"{tag}.log"
        self.done += 1
        print(f"[{self.done}/{self.total}] {title} ...", flush=True)
        t = time.monotonic()
        with log.open("w", encoding="utf-8") as f:
            code = subprocess.run(
                [sys.executable, "-m", "bench.methods", name, str(spec_path), str(result_path), *extra],
                cwd=ROOT,
                stdout=f,
                stderr=subprocess.STDOUT,
            ).returncode
        if code != 0 or not result_path.is_file():
            tail = "".join(log.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)[-25:])
            raise SystemExit(f"{title} failed (exit {code}); log {log}:\n{tail}")
        result = json.loads(result_path.read_text(encoding="utf-8"))
        rss = f", peak RSS {result['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in result else ""
        print(f"      done in {time.monotonic() - t:.0f} s{rss}", flush=True)
        result["result_file"] = str(result_path)
        return result


def measure(args: argparse.Namespace, out: Path) -> tuple[BenchSpec, dict]:
    """Run every method in its own subprocess, in order; returns the spec (with layers) and raw results."""
    train_csv, test_csv = rotten_tomatoes_split(
        out / "data", n_train=args.n_train, n_test=args.n_test, seed=0
    )
    spec = BenchSpec(
        out_dir=str(out),
        train_csv=str(train_csv),
        test_csv=str(test_csv),
        quick=args.quick,
        minutes=args.minutes,
        eval_every_s=args.eval_every_s,
        floor_seconds=args.floor_seconds,
        overhead_repeats=args.overhead_repeats,
        max_tuned_layers=args.max_tuned_layers,
        q_schedule=args.q_schedule[0],
    )
    # Converted once up front, so the first-use conversion is charged to no method's clock.
    print("Model:", model_folder(spec), flush=True)
    extra_schedules = args.q_schedule[1:]
    children = Children(out, 6 + len(extra_schedules))
    budget = f"{spec.minutes:g} min"
    results: dict = {"labels": dict(report.LABELS)}
    results["engine"] = children.run("engine", f"(a) engine, tune() ({budget})", spec, spec.q_schedule)
    spec = spec.with_(layers=tuple(results["engine"]["layers"]))
    for s in extra_schedules:
        key = f"engine[{s}]"
        results[key] = children.run(
            "engine", f"(a') engine, {s} ({budget})", spec, s, tag=f"engine_{s.replace(':', '')}"
        )
        results["labels"][key] = f"(a') engine, {QSchedule.parse(s).label}"
    results["mezo"] = children.run("mezo", f"(b) MeZO-style reference ({budget})", spec)
    zo_keys = ["engine", *(f"engine[{s}]" for s in extra_schedules), "mezo"]
    zo_eval = children.run(
        "zo_eval",
        "accuracy of the ZO runs at the checkpoints",
        spec,
        ",".join(results[k]["result_file"] for k in zo_keys),
    )
    results["backprop"] = children.run("backprop", f"(c) backprop LoRA, torch ({budget})", spec)
    results["inference"] = children.run("inference", "(d) plain inference", spec)
    results["overhead"] = children.run("overhead", "adapter overhead of one forward", spec)

    results["curves"] = {k: zo_eval["curves"][results[k]["result_file"]]["curve"] for k in zo_keys}
    results["curves"]["backprop"] = results["backprop"]["curve"]
    engine_eval = zo_eval["curves"][results["engine"]["result_file"]]
    results["replay_matches_checkpoint"] = engine_eval.get("replay_matches_checkpoint")
    results["n_test"] = zo_eval["n_test"]
    results["zo_eval_seconds"] = zo_eval["eval_seconds"]
    config = json.loads((model_folder(spec) / "config.json").read_text(encoding="utf-8"))
    results["n_layers"] = config["llama"]["n_layers"]
    if not extra_schedules:
        results["q_schedule_note"] = (
            "Query schedules: `python -m bench.q_schedules` compares another schedule with (a) by forward "
            "passes (its section below); `--q-schedule fixed:1 --q-schedule adazeta:4` adds it to this run."
        )
    return spec, results


def publish(
    spec: BenchSpec, results: dict, machine: dict, run_info: dict, out: Path, doc: Path | None
) -> dict:
    """Summary, plot, results.json, summary.md and (unless doc is None) the section of docs/BENCHMARKS.md."""
    from bench.plot import accuracy_plot

    summary = report.summarize(spec, results)
    png = out / PNG_NAME
    zero = results["curves"]["engine"][0]
    model_name = results["engine"].get("model", spec.model)
    title = f"Rotten Tomatoes, {model_name}, {spec.minutes:g} min per method" + (
        " (--quick: a harness check, not a result)" if spec.quick else ""
    )
    accuracy_plot(
        results["curves"],
        results["labels"],
        {"test_acc": zero["test_acc"], "val_acc": zero["val_acc"]},
        summary["target_test"],
        png,
        title,
    )
    section = report.markdown(spec, results, summary, machine, run_info)
    (out / "summary.md").write_text(section + "\n", encoding="utf-8")
    saved = dict(results)
    saved["summary"] = {k: v for k, v in summary.items() if k != "targets"}
    saved["summary"]["targets"] = [
        t.__dict__ | {"met": t.met, "verdict": t.verdict()} for t in summary["targets"]
    ]
    saved["machine"], saved["run"], saved["spec"] = machine, run_info, asdict(spec)
    (out / "results.json").write_text(json.dumps(saved, indent=1), encoding="utf-8")
    if doc is not None:
        report.write_section(doc, section)
        shutil.copyfile(png, doc.parent / PNG_NAME)
    return summary


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    out = Path(args.out).resolve()
    doc = None if args.no_doc else args.doc
    if args.from_results:  # re-render only: no measurement
        saved = json.loads((out / "results.json").read_text(encoding="utf-8"))
        spec_path = out / "spec_overhead.json"  # the last child's spec: has the layers
        summary = publish(BenchSpec.load(spec_path), saved, saved["machine"], saved["run"], out, doc)
    else:
        if importlib.util.find_spec("torch") is None:
            raise SystemExit(
                "The backprop baseline needs torch: .venv/bin/pip install torch==2.13.0 (scripts/setup.sh --bench)."
            )
        t_start = time.monotonic()
        argv = argv if argv is not None else sys.argv[1:]
        out.mkdir(parents=True, exist_ok=True)
        machine = report.machine_facts(ROOT)
        load_start = report.load_average()
        spec, results = measure(args, out)
        run_info = {
            "command": "python -m bench.run" + "".join(" " + shlex.quote(a) for a in argv),
            "wall_min": (time.monotonic() - t_start) / 60.0,
            "load_average": (load_start, report.load_average()),
            "png_name": PNG_NAME,
        }
        summary = publish(spec, results, machine, run_info, out, doc)
    print(f"\nResults: {out / 'results.json'}, plot: {out / PNG_NAME}" + (f", doc: {doc}" if doc else ""))
    for t in summary["targets"]:
        print(f"  {t.goal}: {report.fmt(t.value)} (limit {t.limit:g}) -> {t.verdict()}")


if __name__ == "__main__":
    main()
