"""Compare ZO settings at equal wall-clock time on the demo data (one process, settings run in turn).

    python -m bench.zo_settings --minutes 4 [--data resources/demo/excavator_work_orders.csv]

Each setting is a full engine run (`tune()`, layer probe, prefix cache, eval every 50 steps) with a
minutes budget; the table gives validation accuracy reached and steps done. Medians are not possible
for whole runs here, so treat differences of one or two validation examples as noise.
"""

from __future__ import annotations

import argparse
import json
import tempfile

from app.engine.tuning.budget import Budget
from app.engine.tuning.config import TuneConfig
from app.engine.tuning.tuner import tune

SETTINGS = {
    "q=1 lr=0.1 (default)": {"q": 1, "lr": 0.1},
    "q=4 lr=0.1": {"q": 4, "lr": 0.1},
    "q=1 lr=0.05": {"q": 1, "lr": 0.05},
    "q=1 lr=0.2": {"q": 1, "lr": 0.2},
    "adazeta q<=4 lr=0.1": {"q": 1, "lr": 0.1, "q_schedule": "adazeta", "q_max": 4},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=4.0)
    ap.add_argument("--data", default="resources/demo/excavator_work_orders.csv")
    ap.add_argument("--model", default="default")
    ap.add_argument("--only", nargs="*", help="names of settings to run")
    args = ap.parse_args()
    rows = []
    for name, overrides in SETTINGS.items():
        if args.only and name not in args.only:
            continue
        with tempfile.TemporaryDirectory() as out:
            cfg = TuneConfig(
                data=args.data,
                out_dir=out,
                model=args.model,
                budget=Budget(minutes=args.minutes),
                export=False,
                **overrides,
            )
            r = tune(cfg).report
        rows.append(
            {
                "setting": name,
                "steps": r["steps"],
                "forward_examples": r["forward_examples"],
                "val_before": r["val_accuracy_before"],
                "val_after": r["val_accuracy_after"],
                "best_step": r["best_step"],
                "seconds": r["seconds"],
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    print(f"\n| setting | steps in {args.minutes:g} min | val acc before | val acc after | best at step |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['setting']} | {r['steps']} | {r['val_before']:.3f} | {r['val_after']:.3f} | {r['best_step']} |"
        )


if __name__ == "__main__":
    main()
