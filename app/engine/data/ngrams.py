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


# --- character n-grams inside the model's own word pieces ------------------------------------------------
# The keyword model reads character 2-4-grams of the raw text, and on short, abbreviated shop text that beat
# word pieces: over 10 random splits of the demo work orders, a head on word-piece n-grams scored 0.908 test
# accuracy, 0.954 once it also read the character n-grams inside each piece, the keyword model 0.979
# (docs/BENCHMARKS.md). A piece's character n-grams are a fixed function of its id, so the exported graph
# computes them from the token ids with a table lookup (``llama_graph.char_gram_scores``) and needs no
# second tokenizer; n-grams across piece boundaries are not seen.
CHAR_GRAM_SIZES = (2, 3, 4)
MAX_GRAMS_PER_PIECE = 24  # a piece's kept grams beyond this are dropped, in tuning and in the export alike


def piece_text(piece: str | None) -> str:
    """A vocabulary piece as text: the word-start marks of byte-level BPE (``Ġ``) and SentencePiece (``▁``)
    become spaces, letters lower case."""
    return (piece or "").replace("\u0120", " ").replace("\u2581", " ").lower()


def _char_grams(text: str) -> list[str]:
    return [text[k : k + n] for n in CHAR_GRAM_SIZES for k in range(len(text) - n + 1)]


@dataclass(frozen=True)
class CharGrams:
    """The kept character n-grams, their IDF weights and, per vocabulary piece, the columns of its grams."""

    grams: np.ndarray  # str [F]
    idf: np.ndarray  # float32 [F]
    table: np.ndarray  # int32 [V + 1, G]: columns of each piece's kept grams, F where none; row V is padding

    @property
    def size(self) -> int:
        return len(self.grams)

    def counts(self, ids: Sequence[np.ndarray]) -> sp.csr_matrix:
        """[N, F] how often each kept gram occurs in each example's pieces."""
        rows, cols = [], []
        for r, seq in enumerate(ids):
            c = self.table[np.asarray(seq, np.int64)].ravel()
            c = c[c < self.size]
            rows.append(np.full(len(c), r))
            cols.append(c)
        rows, cols = (
            np.concatenate(rows or [[]]).astype(np.int64),
            np.concatenate(cols or [[]]).astype(np.int64),
        )
        x = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(ids), self.size), dtype=np.float64)
        x.sum_duplicates()
        return x

    def transform(self, ids: Sequence[np.ndarray]) -> sp.csr_matrix:
        """[N, F] rows of (1 + ln count) x idf, L2-normalised (what ``llama_graph.char_gram_scores`` computes)."""
        x = self.counts(ids)
        x.data = (1.0 + np.log(x.data)) * self.idf[x.indices].astype(np.float64)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
        return (sp.diags(1.0 / np.maximum(norms, 1e-12)) @ x).astype(np.float32).tocsr()

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"grams": self.grams, "idf": self.idf}

    @classmethod
    def from_arrays(cls, d: dict[str, np.ndarray], pieces: Sequence[str | None]) -> CharGrams:
        """Saved grams and weights; the table is rebuilt from the same vocabulary (deterministic)."""
        grams = np.asarray(d["grams"], dtype=str)
        return cls(grams, np.asarray(d["idf"], np.float32), _table(grams, pieces))


def _table(grams: np.ndarray, pieces: Sequence[str | None]) -> np.ndarray:
    column = {g: i for i, g in enumerate(grams.tolist())}
    table = np.full((len(pieces) + 1, MAX_GRAMS_PER_PIECE), len(grams), dtype=np.int32)
    for t, piece in enumerate(pieces):
        kept = [c for c in map(column.get, _char_grams(piece_text(piece))) if c is not None]
        table[t, : len(kept[:MAX_GRAMS_PER_PIECE])] = kept[:MAX_GRAMS_PER_PIECE]
    return table


def fit_char_grams(
    pieces: Sequence[str | None], ids: Sequence[np.ndarray], max_grams: int = MAX_NGRAMS
) -> CharGrams:
    """Character n-grams of the pieces seen in at least two training texts (all, for tiny data); IDF as
    ``fit_vocabulary``'s, so the prompt template's grams weigh nothing."""
    df: Counter = Counter()
    for seq in ids:
        df.update({g for t in set(int(i) for i in seq) for g in _char_grams(piece_text(pieces[t]))})
    n = len(ids)
    min_df = 2 if n >= 50 else 1
    kept = sorted((g for g, c in df.items() if c >= min_df), key=lambda g: (-df[g], len(g), g))[:max_grams]
    grams = np.array(sorted(kept), dtype=str)
    idf = np.array([np.log((1.0 + n) / (1.0 + df[g])) for g in grams.tolist()], dtype=np.float32)
    return CharGrams(grams, idf, _table(grams, pieces))
