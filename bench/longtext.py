"""Long texts (issue 11 item 6): how a long e-mail should reach the model, measured on SpamAssassin.

    python -m bench.longtext compare [--variants raw,truncate,head_tail,chunks] [--layer 22]

Every variant is scored the way a run's first model is made: features of the frozen model (final-norm state
at the answer position, states entering ``--layer`` pooled over the text, word-piece n-grams), the exact head
(``app.engine.tuning.head.fit_head``: blocks and strength by 3-fold CV on training rows only), then test
accuracy, once. Wall clock counts the text preparation, encoding, the frozen forwards and the head fit.

- ``raw``: the whole message, headers included, cut at ``max_tokens`` (the engine before this change);
- ``truncate``: Subject + body (``app.engine.data.email_text``), cut at ``max_tokens``;
- ``head_tail``: Subject + body, first and last tokens kept (``prompting.prompt_ends``);
- ``chunks``: as ``truncate`` for the answer state, but the pooled block averages the states of up to
  ``--windows`` successive windows of the text (the extra windows through the frozen layers only; run
  ``windows`` and ``truncate`` first, in parallel if you like, then ``chunks``).

Writes OUT/longtext_compare.jsonl (one line per variant).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from app.engine.data.examples import load_examples
from app.engine.data.ngrams import fit_vocabulary
from app.engine.data.prompting import EncodedExamples, encode_examples, make_prompt_spec, text_windows
from app.engine.models.adapters import AdapterConfig
from app.engine.models.catalog import ensure_converted, resolve_model
from app.engine.models.llama_model import LlamaModel, Readout, SuffixObjective
from app.engine.tuning.config import TuneConfig
from app.engine.tuning.head import fit_head, stack
from app.engine.tuning.scoring import features_of
from bench.datasets import SPAM_TEMPLATE, spam_assassin_sample
from bench.hybrid import linear_probe, run_legs

N_EMAILS = 1500
# 1,500 rows -> 1,000 train / 200 validation / 300 test in the engine's own split.
SPLIT = {"val_fraction": 200 / 1500, "test_fraction": 0.2, "max_val": 200, "max_test": 300}


def spam_config(out: Path, **kw) -> TuneConfig:
    data = spam_assassin_sample(out, n=N_EMAILS)
    return TuneConfig(data=str(data), out_dir=str(out / "run"), template=SPAM_TEMPLATE, **SPLIT, **kw)


def score_variant(
    model: LlamaModel, cfg: TuneConfig, variant: str, layer: int, windows: int, n_train: int, out: Path
) -> dict | None:
    """Features of one variant, saved to OUT/features_<variant>.npz, and the head's test accuracy.

    "windows" computes only the pooled states of the windows after the first (saved, no score); "chunks"
    then adds them to "truncate"'s first window, so the two can run in parallel processes.
    """
    t0 = time.monotonic()
    data = load_examples(cfg.data, emails="raw" if variant == "raw" else "body")
    split = cfg.split(data.examples)
    spec = make_prompt_spec(data.labels, cfg.template, cfg.label_words)
    # The engine's split; a seeded subsample of its training rows (the machine is shared: time) and all of test.
    picked = np.sort(np.random.default_rng(0).permutation(len(split.train))[:n_train])
    train = tuple(split.train[i] for i in picked)
    everything = train + split.test
    tok = model.tokenizer()
    long_text = "head_tail" if variant == "head_tail" else "truncate"
    enc = encode_examples(tok, spec, everything, cfg.max_tokens, long_text)
    t_encode = time.monotonic() - t0
    label_words = Readout.label_words(model.label_head(enc.label_token_ids), len(enc))
    n_windows = np.ones(len(enc))
    if variant == "windows":
        extra, owner = [], []
        for r, ex in enumerate(everything):
            for w in text_windows(tok, spec, ex.text, cfg.max_tokens, windows)[1:]:
                extra.append(w)
                owner.append(r)
        more = model.build_prefix_cache(
            EncodedExamples(tuple(extra), np.zeros(len(extra), np.int64), enc.label_token_ids), layer
        )
        pooled_sum = np.zeros((len(enc), model.cfg.hidden), np.float32)
        np.add.at(pooled_sum, np.array(owner), more.pooled())
        np.add.at(n_windows, np.array(owner), 1)
        np.savez(
            out / "features_windows.npz",
            pooled_sum=pooled_sum,
            n_windows=n_windows,
            seconds=time.monotonic() - t0 - t_encode,
        )
        return None
    if variant == "chunks":  # the first window is "truncate"'s; its forward time is added to this one
        first = np.load(out / "features_truncate.npz")
        rest = np.load(out / "features_windows.npz")
        feats = first["feats"]
        n_windows = rest["n_windows"]
        pooled = (first["pooled"] + rest["pooled_sum"]) / n_windows[:, None].astype(np.float32)
        t0 -= float(first["seconds"]) + float(rest["seconds"])
        t_prefix = t_features = time.monotonic() - t0
    else:
        cache = model.build_prefix_cache(enc, layer)
        t_prefix = time.monotonic() - t0
        session = model.loss_session(layer, [], AdapterConfig())
        objective = SuffixObjective(session, cache, enc, label_words, [])
        feats = features_of(objective, {}, np.arange(len(enc)))
        pooled = cache.pooled()
        t_features = time.monotonic() - t0
        np.savez(out / f"features_{variant}.npz", feats=feats, pooled=pooled, seconds=t_features - t_encode)
    t_chunks = time.monotonic() - t0
    n_tr, n_va = len(train), 0
    tr, te = np.arange(n_tr), np.arange(n_tr, len(enc))
    y = enc.label_index
    vocab = fit_vocabulary([enc.ids[i] for i in tr])
    blocks = {"pooled": sp.csr_matrix(pooled.astype(np.float64)), "ngrams": vocab.transform(enc.ids)}
    fit, options = fit_head(feats[tr], y[tr], label_words.head, {k: m[tr] for k, m in blocks.items()})
    test_acc = float(
        (
            fit.logits(feats[te], stack(blocks, fit.blocks)[te] if fit.blocks else None).argmax(1) == y[te]
        ).mean()
    )
    zero_shot = float(((feats[te] @ label_words.head.T).argmax(1) == y[te]).mean())
    seconds = time.monotonic() - t0
    lengths = np.array([len(x) for x in enc.ids])
    return {
        "variant": variant,
        "layer": layer,
        "max_tokens": cfg.max_tokens,
        "examples": [n_tr, n_va, len(te)],
        "emails_prepared": data.emails,
        "mean_tokens": float(lengths.mean()),
        "cut": float((lengths >= cfg.max_tokens).mean()),
        "mean_windows": float(n_windows.mean()),
        "zero_shot_test": zero_shot,
        "head": fit.name,
        "lambda": fit.lam,
        "cv_accuracy": fit.cv_accuracy,
        "test_accuracy": test_acc,
        "options": options,
        "seconds": {
            "encode": round(t_encode, 1),
            "prefix": round(t_prefix - t_encode, 1),
            "suffix": round(t_features - t_prefix, 1),
            "extra_windows": round(t_chunks - t_features, 1),
            "head": round(seconds - t_chunks, 1),
            "total": round(seconds, 1),
        },
        "accuracy_per_minute": test_acc / (seconds / 60),
    }


def side_by_side(out: Path, n: int, legs: list[float], long_text: str, threads: int | None) -> dict:
    """Zero-shot, keyword model and the hybrid at each leg (bench.hybrid.run_legs), then the linear probe,
    on the engine's own split of ``n`` e-mails (test 300, validation 200 at most, the rest training)."""
    data = spam_assassin_sample(out, n=n)
    split = {"val_fraction": 200 / n, "test_fraction": 300 / n, "max_val": 200, "max_test": 300}
    cfg = TuneConfig(
        data=str(data),
        out_dir=str(out / f"side_{n}_{long_text}"),
        template=SPAM_TEMPLATE,
        long_text=long_text,
        threads=threads,
        **split,
    )
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    result = {"started": started, "n": n, "long_text": long_text, "load_start": os.getloadavg()[0]}
    result["hybrid"] = run_legs(cfg, legs)
    result["probe"] = linear_probe(cfg)
    result["load_end"] = os.getloadavg()[0]
    with (out / "longtext_side.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.longtext")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--variants", default="truncate,raw,head_tail,chunks")
    c.add_argument("--layer", type=int, default=22)
    c.add_argument("--windows", type=int, default=3)
    c.add_argument("--n-train", type=int, default=300, help="training rows used (of the split's 1,000)")
    c.add_argument("--max-tokens", type=int, default=128)
    c.add_argument("--threads", type=int, default=1)
    c.add_argument("--out", default="bench/out.longtext")
    b = sub.add_parser("side")
    b.add_argument("--n", type=int, default=1500, help="e-mails in the sample the engine splits")
    b.add_argument("--legs", default="5,15")
    b.add_argument("--long-text", default="head_tail")
    b.add_argument("--threads", type=int, default=1)
    b.add_argument("--out", default="bench/out.longtext")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if args.cmd == "side":
        legs = [float(x) for x in args.legs.split(",")]
        print(json.dumps(side_by_side(out, args.n, legs, args.long_text, args.threads)), flush=True)
        return
    cfg = spam_config(out, max_tokens=args.max_tokens)
    # One ORT thread, no spinning: with 10+ runnable jobs on the 2 cores, a second thread mostly waited at
    # barriers for a descheduled partner (as torch's 2 OpenMP threads were 4x slower than 1, bench/README.md).
    model = LlamaModel.open(
        ensure_converted(resolve_model(cfg.model)), threads=args.threads, share_cores=True
    )
    for variant in args.variants.split(","):
        result = score_variant(model, cfg, variant, args.layer, args.windows, args.n_train, out)
        if result is None:
            continue
        print(json.dumps({k: v for k, v in result.items() if k != "options"}), flush=True)
        with (out / "longtext_compare.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
