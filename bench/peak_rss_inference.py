"""Peak RSS of plain inference: one onnxruntime session of a model, one forward of a batch of prompts.

    python -m bench.peak_rss_inference MODEL.onnx DATA.csv [--batch 16]

The floor to compare a tuning run's peak RSS (report.json "peak_rss_mb") against: same model, same
prompts (the exported model carries its prompt), same batch size, in a fresh process.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from app.engine.data.examples import load_examples
from app.engine.results.evaluation import open_scorer
from app.engine.tuning.monitor import peak_rss_mb


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("data")
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    ds = load_examples(args.data)
    before = peak_rss_mb()
    scorer = open_scorer(args.model, ds.labels)
    texts = [e.text for e in ds.examples[: args.batch]]
    logits = (
        scorer.label_logits(texts)
        if not hasattr(scorer, "net")
        else scorer.label_logits(texts, batch=args.batch)
    )
    print(
        json.dumps(
            {
                "model": args.model,
                "batch": args.batch,
                "peak_rss_mb_before_load": round(before, 1),
                "peak_rss_mb": round(peak_rss_mb(), 1),
                "checksum": float(np.abs(logits).sum()),
            }
        )
    )


if __name__ == "__main__":
    main()
