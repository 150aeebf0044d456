"""Word-piece n-grams of the model's own token ids, weighted by TF-IDF: the keyword half of the head.

A keyword model (TF-IDF + logistic regression) beat the tuned LLM on short shop-floor texts (issue 11:
0.975 vs 0.847 on the demo work orders). The head can use the same kind of evidence, but read from the
token ids the model already gets, so that the exported ONNX graph computes it with the standard
``TfIdfVectorizer`` operator and needs no second tokenizer. ``NgramVocabulary.transform`` computes exactly
what that operator (mode TFIDF, no skips) followed by L2 row normalisation computes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

MAX_NGRAMS = 20000  # columns kept, by document frequency; ~5 MB of head weights at 64 classes


@dataclass(frozen=True)
class NgramVocabulary:
    """The kept n-grams (unigrams first, then bigrams) and their IDF weights."""

    unigrams: np.ndarray  # int64 [U]
    bigrams: np.ndarray  # int64 [B, 2]
    idf: np.ndarray  # float32 [U + B]

    @property
    def size(self) -> int:
        return len(self.unigrams) + len(self.bigrams)

    def transform(self, ids: Sequence[np.ndarray]) -> sp.csr_matrix:
        """[N, F] TF-IDF rows (count x idf), L2-normalised; rows with no kept n-gram stay zero."""
        column = {(int(t),): i for i, t in enumerate(self.unigrams)}
        column |= {(int(a), int(b)): len(self.unigrams) + i for i, (a, b) in enumerate(self.bigrams)}
        rows, cols, vals = [], [], []
        for r, seq in enumerate(ids):
            counts = Counter(_grams(seq))
            for gram, n in counts.items():
                c = column.get(gram)
                if c is not None:
                    rows.append(r)
                    cols.append(c)
                    vals.append(n * float(self.idf[c]))
        x = sp.csr_matrix(
            (np.asarray(vals, np.float64), (rows, cols)), shape=(len(ids), self.size), dtype=np.float64
        )
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
        x = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ x
        return x.astype(np.float32).tocsr()

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"unigrams": self.unigrams, "bigrams": self.bigrams, "idf": self.idf}

    @classmethod
    def from_arrays(cls, d: dict[str, np.ndarray]) -> NgramVocabulary:
        return cls(
            np.asarray(d["unigrams"], np.int64),
            np.asarray(d["bigrams"], np.int64).reshape(-1, 2),
            np.asarray(d["idf"], np.float32),
        )


def _grams(seq: np.ndarray):
    toks = [int(t) for t in seq]
    yield from ((t,) for t in toks)
    yield from zip(toks[:-1], toks[1:], strict=True)


def fit_vocabulary(ids: Sequence[np.ndarray], max_ngrams: int = MAX_NGRAMS) -> NgramVocabulary:
    """Unigrams and bigrams seen in at least two training texts (all, for tiny data), most frequent first.

    IDF is ``ln((1 + N) / (1 + df))``: a gram in every text (the prompt template's) weighs nothing.
    """
    df: Counter = Counter()
    for seq in ids:
        df.update(set(_grams(seq)))
    n = len(ids)
    min_df = 2 if n >= 50 else 1
    kept = sorted((g for g, c in df.items() if c >= min_df), key=lambda g: (-df[g], len(g), g))[:max_ngrams]
    uni = sorted(g for g in kept if len(g) == 1)
    bi = sorted(g for g in kept if len(g) == 2)
    idf = np.array([np.log((1.0 + n) / (1.0 + df[g])) for g in uni + bi], dtype=np.float32)
    return NgramVocabulary(
        np.array([g[0] for g in uni], dtype=np.int64),
        np.array(bi, dtype=np.int64).reshape(-1, 2),
        idf,
    )
