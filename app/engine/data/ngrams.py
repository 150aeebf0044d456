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

from app.engine.errors import GenbaError

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

    IDF is scikit-learn's smooth one, ``ln((1 + N) / (1 + df)) + 1``, except that a gram in every text (the
    prompt template's) weighs nothing: the ``+ 1`` keeps common grams in play (demo work orders, 10 splits: head
    test accuracy median 96.5 -> 97.2 %, Rotten Tomatoes 80.7 -> 81.7 %, no split worse by more than 0.7 point;
    docs/BENCHMARKS.md).
    """
    df: Counter = Counter()
    for seq in ids:
        df.update(set(_grams(seq)))
    n = len(ids)
    min_df = 2 if n >= 50 else 1
    kept = sorted((g for g, c in df.items() if c >= min_df), key=lambda g: (-df[g], len(g), g))[:max_ngrams]
    uni = sorted(g for g in kept if len(g) == 1)
    bi = sorted(g for g in kept if len(g) == 2)
    idf = np.array([np.log((1.0 + n) / (1.0 + df[g])) + (df[g] < n) for g in uni + bi], dtype=np.float32)
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
MAX_PIECE_CHARS = 16  # a piece's characters beyond this are dropped, in tuning and in the export alike
SPACE = ord(" ")
NO_CHAR = -1  # a table cell past a piece's end; no kept gram contains it
_BLANKS = str.maketrans({"\u0120": " ", "\u2581": " ", "\u010a": " ", "\u0109": " ", "\n": " ", "\t": " "})


def piece_text(piece: str | None) -> str:
    """A vocabulary piece as text: the word-start marks of byte-level BPE (``Ġ``) and SentencePiece (``▁``) and
    byte-level BPE's new line and tab (``Ċ``, ``ĉ``) become spaces, letters lower case."""
    return (piece or "").translate(_BLANKS).lower()


def char_table(pieces: Sequence[str | None]) -> np.ndarray:
    """int32 [V + 1, L]: the code points of each piece's text (``piece_text``), ``NO_CHAR`` after its end; the
    last row (padding) has none. Concatenating a text's rows, blanks dropped, spells the text."""
    texts = [piece_text(p)[:MAX_PIECE_CHARS] for p in pieces]
    width = max([len(t) for t in texts] + [1])
    table = np.full((len(pieces) + 1, width), NO_CHAR, dtype=np.int32)
    for t, text in enumerate(texts):
        table[t, : len(text)] = [ord(c) for c in text]
    return table


def spelled(table: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """The code points of the text a token sequence spells, with a space before and after it (so the first and
    last word have their edges, as every other word has)."""
    codes = table[np.asarray(seq, np.int64)].ravel()
    return np.concatenate([[SPACE], codes[codes != NO_CHAR], [SPACE]]).astype(np.int64)


def _text_grams(codes: np.ndarray) -> list[tuple[int, ...]]:
    """Every character n-gram that lies within one word (spaces only at its ends, not all spaces): the
    grams of scikit-learn's ``char_wb`` analyzer over the spelled text."""
    out = []
    c = codes.tolist()
    for n in CHAR_GRAM_SIZES:
        for k in range(len(c) - n + 1):
            g = tuple(c[k : k + n])
            if SPACE not in g[1:-1] and any(c != SPACE for c in g):
                out.append(g)
    return out


@dataclass(frozen=True)
class CharGrams:
    """Character n-grams of the text the token ids spell, across piece boundaries (the keyword model's
    evidence), their IDF weights and the table that spells each piece.

    The exported graph spells each row through ``table``, closes the gaps, and counts the kept grams with the
    ``TfIdfVectorizer`` operator (``llama_graph.char_gram_scores``): exactly ``transform`` below.
    """

    grams: np.ndarray  # int64 [F, max n]: code points of each kept gram, NO_CHAR after its end
    idf: np.ndarray  # float32 [F]
    table: np.ndarray  # int32 [V + 1, L]: ``char_table`` of the vocabulary

    @property
    def size(self) -> int:
        return len(self.grams)

    def counts(self, ids: Sequence[np.ndarray]) -> sp.csr_matrix:
        """[N, F] how often each kept gram occurs in the text each example spells."""
        column = {tuple(int(c) for c in g if c != NO_CHAR): i for i, g in enumerate(self.grams)}
        rows, cols = [], []
        for r, seq in enumerate(ids):
            for g in _text_grams(spelled(self.table, seq)):
                c = column.get(g)
                if c is not None:
                    rows.append(r)
                    cols.append(c)
        x = sp.csr_matrix(
            (np.ones(len(cols)), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
            shape=(len(ids), self.size),
            dtype=np.float64,
        )
        x.sum_duplicates()
        return x

    def transform(self, ids: Sequence[np.ndarray]) -> sp.csr_matrix:
        """[N, F] rows of (1 + ln count) x idf, L2-normalised (what ``llama_graph.char_gram_scores`` computes)."""
        x = self.counts(ids)
        x.data = (1.0 + np.log(x.data)) * self.idf[x.indices].astype(np.float64)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
        return (sp.diags(1.0 / np.maximum(norms, 1e-12)) @ x).astype(np.float32).tocsr()

    def by_length(self) -> tuple[list[int], list[int], list[int]]:
        """The operator's attributes: (pool of code points, start of each length's grams in it, the output
        column of each pool entry), grams grouped by length as ``TfIdfVectorizer`` wants them."""
        lengths = (self.grams != NO_CHAR).sum(axis=1)
        pool, starts, columns = [], [0], []
        for n in range(1, max(CHAR_GRAM_SIZES) + 1):
            if n > 1:
                starts.append(len(pool))
            for i in np.flatnonzero(lengths == n):
                pool += [int(c) for c in self.grams[i, :n]]
                columns.append(int(i))
        return pool, starts, columns

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"grams": self.grams, "idf": self.idf}

    @classmethod
    def from_arrays(cls, d: dict[str, np.ndarray], pieces: Sequence[str | None]) -> CharGrams:
        """Saved grams and weights; the table is rebuilt from the same vocabulary (deterministic)."""
        grams = np.asarray(d["grams"], np.int64)
        if grams.ndim != 2:  # the in-piece grams of the version before 2026-12-03
            raise GenbaError(
                "This run was saved by an earlier version of Genba Tuner that read the texts differently, so it "
                "cannot be continued. Start a new run with the same data.",
                "この調整は文章の読み方が異なる以前のバージョンで保存されたため、続きから再開できません。"
                "同じデータで新しく調整を始めてください。",
            )
        return cls(grams, np.asarray(d["idf"], np.float32), char_table(pieces))


def fit_char_grams(
    pieces: Sequence[str | None], ids: Sequence[np.ndarray], max_grams: int = MAX_NGRAMS
) -> CharGrams:
    """Character n-grams of the training texts (as their token ids spell them) found in at least two of them
    (all, for tiny data); IDF as ``fit_vocabulary``'s (the prompt template's grams weigh nothing)."""
    table = char_table(pieces)
    df: Counter = Counter()
    for seq in ids:
        df.update(set(_text_grams(spelled(table, seq))))
    n = len(ids)
    min_df = 2 if n >= 50 else 1
    kept = sorted((g for g, c in df.items() if c >= min_df), key=lambda g: (-df[g], len(g), g))[:max_grams]
    kept.sort(key=lambda g: (len(g), g))
    grams = np.full((len(kept), max(CHAR_GRAM_SIZES)), NO_CHAR, dtype=np.int64)
    for i, g in enumerate(kept):
        grams[i, : len(g)] = g
    idf = np.array([np.log((1.0 + n) / (1.0 + df[g])) + (df[g] < n) for g in kept], dtype=np.float32)
    return CharGrams(grams, idf, table)
