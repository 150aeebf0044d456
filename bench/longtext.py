"""Long texts (issue 11 item 6): how a long e-mail should reach the model, measured on SpamAssassin.

    python -m bench.longtext compare --variants truncate   # one process per variant; run them side by side
    python -m bench.longtext side --n 1500 --legs 5,15      # zero-shot, keyword, hybrid legs, linear probe

``compare`` scores how the text is prepared, on the same seeded rows of the engine's split of a fixed
1,500-e-mail sample (default 200 training / 200 test rows, because the 2-core machine is shared):

- ``raw``: the whole message, headers included, cut at ``max_tokens`` (the engine before this change);
- ``truncate``: Subject + body (``app.engine.data.email_text``), cut at ``max_tokens``;
- ``head_tail``: Subject + body, the prompt's first and last tokens kept (``prompting.prompt_ends``);
- ``chunks``: Subject + body in up to ``--windows`` successive windows (``prompting.text_windows``), each
  through the frozen layers, the pooled states averaged over the windows.

Each variant runs the frozen layers below ``--layer`` once per window and reads out with logistic
regression (C by 3-fold CV on the training rows) on the pooled states, on those plus the word-piece
n-grams, and the keyword model on the prepared texts. Wall clock counts text preparation, encoding, the
frozen forwards and the fits. Writes OUT/longtext_compare.jsonl (one line per variant).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from threadpoolctl import threadpool_limits

from app.engine.data.examples import load_examples
from app.engine.data.keyword_model import _vectorize
from app.engine.data.ngrams import fit_vocabulary
from app.engine.data.prompting import EncodedExamples, encode_examples, make_prompt_spec, text_windows
from app.engine.models.catalog import ensure_converted, resolve_model
from app.engine.models.llama_model import LlamaModel
from app.engine.tuning.config import TuneConfig
from bench.datasets import SPAM_TEMPLATE, spam_assassin_sample
from bench.hybrid import linear_probe, run_legs

N_EMAILS = 1500
# 1,500 rows -> 1,000 train / 200 validation / 300 test in the engine's own split.
SPLIT = {"val_fraction": 200 / 1500, "test_fraction": 0.2, "max_val": 200, "max_test": 300}


def spam_config(out: Path, **kw) -> TuneConfig:
    data = spam_assassin_sample(out, n=N_EMAILS)
    return TuneConfig(data=str(data), out_dir=str(out / "run"), template=SPAM_TEMPLATE, **SPLIT, **kw)


def _rows(cfg: TuneConfig, variant: str, n_train: int, n_test: int):
    """The engine's split of the sample; seeded subsamples of its training and test rows (time: the
    machine is shared), the same rows for every variant."""
    data = load_examples(cfg.data, emails="raw" if variant == "raw" else "body")
    split = cfg.split(data.examples)
    rng = np.random.default_rng(0)
    train = [split.train[i] for i in np.sort(rng.permutation(len(split.train))[:n_train])]
    test = [split.test[i] for i in np.sort(rng.permutation(len(split.test))[:n_test])]
    return data, train, test


def _cv_logistic(x_train, y_train, x_test, y_test) -> dict:
    """Logistic regression, C by 3-fold CV on the training rows, scored once on the test rows."""
    cv = [
        (cross_val_score(LogisticRegression(C=c, max_iter=3000), x_train, y_train, cv=3).mean(), c)
        for c in (0.1, 1.0, 10.0, 100.0)
    ]
    cv_acc, c = max(cv)
    model = LogisticRegression(C=c, max_iter=3000).fit(x_train, y_train)
    return {"test_accuracy": float((model.predict(x_test) == y_test).mean()), "c": c, "cv_accuracy": cv_acc}


@threadpool_limits.wrap(limits=1, user_api="blas")
def score_variant(
    model: LlamaModel, cfg: TuneConfig, variant: str, layer: int, windows: int, n_train: int, n_test: int
) -> dict:
    """Text preparation + the frozen layers below ``layer`` on one variant, then three read-outs.

    The read-outs, each a logistic regression with C chosen by 3-fold CV on the training rows: the states
    entering ``layer`` pooled over the text (``PrefixCache.pooled``, averaged over windows for "chunks"),
    those plus the word-piece n-grams of the tokens the model read (``data.ngrams``), and the keyword model
    on the prepared texts (TF-IDF char 2-4 + words).
    """
    t0 = time.monotonic()
    data, train, test = _rows(cfg, variant, n_train, n_test)
    spec = make_prompt_spec(data.labels, cfg.template, cfg.label_words)
    everything = train + test
    tok = model.tokenizer()
    long_text = "head_tail" if variant == "head_tail" else "truncate"
    enc = encode_examples(tok, spec, everything, cfg.max_tokens, long_text)
    windows_of = [[ids] for ids in enc.ids]
    if variant == "chunks":
        windows_of = [text_windows(tok, spec, ex.text, cfg.max_tokens, windows) for ex in everything]
    flat = [w for ws in windows_of for w in ws]
    owner = np.repeat(np.arange(len(everything)), [len(ws) for ws in windows_of])
    t_encode = time.monotonic() - t0
    saved = Path(cfg.out_dir).parent / f"pooled_{variant}_{layer}_{len(train)}_{len(test)}.npz"
    if saved.exists():  # a rerun after a failure in the read-outs: the forwards' time is the saved one
        pooled, t0 = np.load(saved)["pooled"], t0 - float(np.load(saved)["seconds"])
    else:
        cache = model.build_prefix_cache(
            EncodedExamples(tuple(flat), np.zeros(len(flat), np.int64), enc.label_token_ids), layer
        )
        pooled = np.zeros((len(everything), model.cfg.hidden), np.float32)
        np.add.at(pooled, owner, cache.pooled())
        pooled /= np.bincount(owner, minlength=len(everything))[:, None]
        np.savez(saved, pooled=pooled, seconds=time.monotonic() - t0 - t_encode)
    n_windows = np.bincount(owner, minlength=len(everything))
    t_forward = time.monotonic() - t0
    tr, te = np.arange(len(train)), np.arange(len(train), len(everything))
    y = enc.label_index
    vocab = fit_vocabulary([w for r in tr for w in windows_of[r]])
    # Each text's n-gram row: the mean of its windows' rows.
    average = sp.csr_matrix(
        (1.0 / n_windows[owner], (owner, np.arange(len(flat)))), (len(everything), len(flat))
    )
    grams = (average @ vocab.transform(flat)).tocsr()
    both = sp.hstack([sp.csr_matrix(pooled.astype(np.float64)), grams]).tocsr()
    result = {
        "pooled": _cv_logistic(pooled[tr], y[tr], pooled[te], y[te]),
        "pooled+ngrams": _cv_logistic(both[tr], y[tr], both[te], y[te]),
    }
    seconds = time.monotonic() - t0
    x_tr, (x_te,) = _vectorize([e.text for e in train], [[e.text for e in test]])
    result["keyword"] = _cv_logistic(x_tr, y[tr], x_te, y[te])
    lengths = np.array([len(x) for x in flat])
    return {
        "variant": variant,
        "layer": layer,
        "max_tokens": cfg.max_tokens,
        "examples": [len(train), len(test)],
        "emails_prepared": data.emails,
        "mean_tokens_per_window": float(lengths.mean()),
        "windows_per_text": float(n_windows.mean()),
        "tokens_through_the_model": int(lengths.sum()),
        **result,
        "seconds": {
            "prepare_encode": round(t_encode, 1),
            "frozen_layers": round(t_forward - t_encode, 1),
            "fit": round(seconds - t_forward, 1),
            "total": round(seconds, 1),
        },
        "accuracy_per_minute": result["pooled+ngrams"]["test_accuracy"] / (seconds / 60),
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
    c.add_argument("--layer", type=int, default=8)
    c.add_argument("--windows", type=int, default=3)
    c.add_argument("--n-train", type=int, default=200, help="training rows used (of the split's 1,000)")
    c.add_argument("--n-test", type=int, default=200, help="test rows used (of the split's 300)")
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
        result = score_variant(model, cfg, variant, args.layer, args.windows, args.n_train, args.n_test)
        print(json.dumps(result), flush=True)
        with (out / "longtext_compare.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
