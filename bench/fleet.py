"""Fleet figures: accuracy per minute of 1, 3 and 10 simulated PCs against one PC holding the pooled examples,
and the bytes a PC's answer takes. A tiny random Llama (tests/tiny_models.py) on synthetic repair notes: the
accuracies say how the protocol scales, not what a real model reaches.

PCs are simulated in one process (``app.fleet.member``, the same code the ClientApp runs): a fleet step
takes as long as its slowest PC's answer plus combining and applying; one PC with the pooled examples steps
on the same union of batches (so the same adapters, bit for bit -- asserted) and takes the sum of that work.
Flower's own round time on localhost is measured separately by the process tests (docs/BENCHMARKS.md).

    python -m bench.fleet --clients 1,3,10 --steps 40 --out /tmp/fleet_bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from app.engine.data.examples import Example
from app.engine.data.split import Split, split_examples
from app.engine.models.catalog import resolve_model
from app.engine.tuning import zo
from app.fleet.member import FleetMember
from app.fleet.protocol import FleetSpec, combine
from tests.tiny_models import write_tiny_llama_gguf

WORDS = {
    "bucket": ["bucket", "pin", "good"],
    "engine": ["engine", "oil", "bad"],
    "hydraulic": ["hose", "pump", "leak"],
}
NOISE = ["great", "terrible", "number", "site", "check"]


def notes(n_per_label: int, seed: int = 0) -> list[Example]:
    rng = np.random.default_rng(seed)
    out = []
    for label, words in WORDS.items():
        for i in range(n_per_label):
            text = " ".join([*rng.choice(words, size=2), *rng.choice(NOISE, size=2), str(i)])
            out.append(Example(text, label, "synthetic", i + 1))
    return out


def wire_bytes(report) -> int:
    """Size of a PC's answer as Flower serialises it (the ConfigRecord's protobuf)."""
    from flwr.app import ConfigRecord
    from flwr.common.serde import config_record_to_proto

    return len(
        config_record_to_proto(ConfigRecord(report.to_wire() | {"have": 0, "n_train": 0})).SerializeToString()
    )


def run(k: int, spec: FleetSpec, split: Split, folder: Path, eval_every: int) -> dict:
    parts = [split.train[i::k] for i in range(k)]
    pcs = [FleetMember(spec, f"pc{i}", Split(p, (), ()), folder / f"k{k}pc{i}") for i, p in enumerate(parts)]
    one = FleetMember(spec, "one", Split(sum(parts, ()), split.val, ()), folder / f"k{k}one")
    offsets = np.cumsum([0] + [len(p) for p in parts])
    fleet_s = one_s = 0.0
    curve = [{"step": 0, "fleet_s": 0.0, "one_s": 0.0, "val_accuracy": one.accuracy("val")}]
    answer_bytes = 0
    for step in range(spec.steps):
        times, reports = [], []
        for m in pcs:
            t = time.perf_counter()
            reports.append(m.report(step))
            times.append(time.perf_counter() - t)
        t = time.perf_counter()
        rec = combine(spec, step, reports).record
        for m in pcs:
            m.apply(step, [rec])
        apply_s = (time.perf_counter() - t) / len(pcs)  # each PC combines nothing and applies once
        fleet_s += max(times) + apply_s
        rows = np.concatenate([m.batch(step) + offsets[i] for i, m in enumerate(pcs)])
        t = time.perf_counter()
        one.apply(step, [combine(spec, step, [one.report(step, rows)]).record])
        one_s += time.perf_counter() - t
        answer_bytes = wire_bytes(reports[0])
        if (step + 1) % eval_every == 0:
            curve.append(
                {"step": step + 1, "fleet_s": fleet_s, "one_s": one_s, "val_accuracy": one.accuracy("val")}
            )
    assert all(np.array_equal(pcs[0].params[key], one.params[key]) for key in one.params), "fleet != pooled"
    for m in [*pcs, one]:
        m.close()
    return {
        "pcs": k,
        "examples_per_step": int(len(rows)),
        "fleet_seconds_per_step": fleet_s / spec.steps,
        "one_pc_seconds_per_step": one_s / spec.steps,
        "answer_bytes_per_step": answer_bytes,
        "curve": curve,
    }


def local_seeds(spec: FleetSpec, rnd: int, pc: int, j: int) -> tuple[int, ...]:
    return tuple(
        int(np.random.SeedSequence([spec.seed, rnd, pc, j, i]).generate_state(1, np.uint32)[0])
        for i in range(spec.q)
    )


def run_local(
    k: int, local: int, rounds: int, spec: FleetSpec, split: Split, folder: Path, eval_every: int
) -> dict:
    """``local`` steps per PC per round, each PC on its own seeds and batches from the common start; the server
    applies every PC's records with lr weighted by its share of the examples. local=1 with shared seeds is
    the synchronous protocol; here local=1 still uses per-PC seeds (one record per PC per round)."""
    parts = [split.train[i::k] for i in range(k)]
    pcs = [
        FleetMember(spec, f"pc{i}", Split(p, (), ()), folder / f"L{local}k{k}pc{i}")
        for i, p in enumerate(parts)
    ]
    judge = FleetMember(spec, "judge", Split((), split.val, ()), folder / f"L{local}k{k}judge")
    start = {key: v.copy() for key, v in judge.params.items()}
    common = start
    compute_s = 0.0
    curve = [{"round": 0, "compute_s": 0.0, "val_accuracy": judge.accuracy("val")}]
    for rnd in range(rounds):
        records, times = [], []
        for i, m in enumerate(pcs):
            m.params = {key: v.copy() for key, v in common.items()}
            t = time.perf_counter()
            for j in range(local):
                step = rnd * local + j
                seeds = local_seeds(spec, rnd, i, j)
                report = m.report(step, seeds=seeds)
                grads = report.projected_grads(spec.eps)
                m.params = zo.apply_update(m.params, seeds, grads, spec.lr)
                share = len(m.train_rows) / sum(len(p) for p in parts)
                records.append(zo.StepRecord(step, seeds, grads, spec.lr * share * k, 0.0, True))
            times.append(time.perf_counter() - t)
        # every PC's records from the common start: the mean of the PCs' local moves, weighted by examples
        common = zo.replay(
            common,
            [zo.StepRecord(r.step, r.seeds, r.projected_grads, r.lr / k, r.loss, True) for r in records],
        )
        compute_s += max(times)
        judge.params = common
        if (rnd + 1) % eval_every == 0:
            curve.append({"round": rnd + 1, "compute_s": compute_s, "val_accuracy": judge.accuracy("val")})
    for m in [*pcs, judge]:
        m.close()
    return {"pcs": k, "local_steps": local, "rounds": rounds, "curve": curve}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", default="1,3,10")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch", type=int, default=4, help="examples per PC per step")
    ap.add_argument("--per-label", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=10)
    ap.add_argument("--local", default="", help="also: local steps per round to compare, e.g. 1,5,10")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("GENBA_TUNER_HOME", str(Path(tmp) / "home"))
        model = Path(tmp) / "tiny.gguf"
        write_tiny_llama_gguf(model)
        spec = FleetSpec(
            model=str(model),
            model_sha256=resolve_model(str(model)).sha256,
            labels=tuple(sorted(WORDS)),
            layers=(1, 2),
            rank=4,
            q=2,
            lr=0.05,
            batch_size=args.batch,
            steps=args.steps,
            max_tokens=32,
            head=False,  # the ZO protocol alone: label words (the head is measured on real runs)
        )
        split = split_examples(notes(args.per_label), val_fraction=0.2, test_fraction=0.0, seed=0)
        results = []
        for k in (int(x) for x in args.clients.split(",")):
            results.append(run(k, spec, split, Path(tmp), args.eval_every))
            r = results[-1]
            print(
                f"{k:>2} PCs: {r['examples_per_step']} examples/step; fleet {r['fleet_seconds_per_step'] * 1000:.0f} ms/step, "
                f"one PC (pooled, same batches) {r['one_pc_seconds_per_step'] * 1000:.0f} ms/step; "
                f"answer {r['answer_bytes_per_step']} B/step; val acc by step "
                + ", ".join(f"{c['step']}:{c['val_accuracy']:.3f}" for c in r["curve"]),
                flush=True,
            )
        for local in (int(x) for x in args.local.split(",") if x):
            r = run_local(3, local, args.rounds, spec, split, Path(tmp), args.eval_every)
            results.append(r)
            print(
                f"3 PCs, {local} local steps/round: val acc by round "
                + ", ".join(f"{c['round']}:{c['val_accuracy']:.3f}" for c in r["curve"])
                + f"; compute {r['curve'][-1]['compute_s']:.2f} s",
                flush=True,
            )
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
