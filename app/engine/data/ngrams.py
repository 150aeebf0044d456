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
    # float32 [U + B]: how often each kept n-gram occurs in the prompt template itself (``template_counts``);
    # None in runs saved before 2026-12-04, which counted the template's n-grams as the text's.
    template: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.unigrams) + len(self.bigrams)

    def counts(self, ids: Sequence[np.ndarray]) -> sp.csr_matrix:
        """[N, F] how often each kept n-gram occurs in each example's text (its prompt's, less the template's)."""
        column = {(int(t),): i for i, t in enumerate(self.unigrams)}
        column |= {(int(a), int(b)): len(self.unigrams) + i for i, (a, b) in enumerate(self.bigrams)}
        rows, cols = [], []
        for r, seq in enumerate(ids):
            for gram in _grams(seq):
                c = column.get(gram)
                if c is not None:
                    rows.append(r)
                    cols.append(c)
        return _less_template(_count_matrix(rows, cols, (len(ids), self.size)), self.template)

    def transform(self, ids: Sequence[np.ndarray]) -> sp.csr_matrix:
        """[N, F] TF-IDF rows (count x idf), L2-normalised; rows with no kept n-gram stay zero."""
        x = self.counts(ids)
        x.data = x.data * self.idf[x.indices].astype(np.float64)
        return _unit_rows(x)

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {"unigrams": self.unigrams, "bigrams": self.bigrams, "idf": self.idf}
        return arrays | ({"template": self.template} if self.template is not None else {})

    @classmethod
    def from_arrays(cls, d: dict[str, np.ndarray]) -> NgramVocabulary:
        return cls(
            np.asarray(d["unigrams"], np.int64),
            np.asarray(d["bigrams"], np.int64).reshape(-1, 2),
            np.asarray(d["idf"], np.float32),
            np.asarray(d["template"], np.float32) if "template" in d else None,
        )


def _count_matrix(rows: list[int], cols: list[int], shape: tuple[int, int]) -> sp.csr_matrix:
    x = sp.csr_matrix(
        (np.ones(len(cols)), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
        shape=shape,
        dtype=np.float64,
    )
    x.sum_duplicates()
    return x


def _less_template(x: sp.csr_matrix, template: np.ndarray | None) -> sp.csr_matrix:
    """Counts less the template's own (at least 0): what the text itself contributes."""
    if template is not None:
        x.data = np.maximum(x.data - template[x.indices].astype(np.float64), 0.0)
        x.eliminate_zeros()
    return x


def _unit_rows(x: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
    return (sp.diags(1.0 / np.maximum(norms, 1e-12)) @ x).astype(np.float32).tocsr()


def _text_counts(
    grams_of, ids: Sequence[np.ndarray], template_ids: np.ndarray | None
) -> tuple[list, Counter]:
    """Per example, how often each gram occurs in its text: its prompt's grams less the template's own."""
    template = Counter(grams_of(template_ids)) if template_ids is not None else Counter()
    rows = []
    for seq in ids:
        c = Counter(grams_of(seq))
        c.subtract(template)
        rows.append(+c)  # unary plus keeps the positive counts
    return rows, template


def _kept_by_df(rows: list[Counter], limit: int) -> tuple[list, Counter]:
    """The grams in at least two training texts (all, for tiny data), most frequent first, and each gram's
    document frequency."""
    df: Counter = Counter()
    for c in rows:
        df.update(c.keys())
    min_df = 2 if len(rows) >= 50 else 1
    kept = sorted((g for g, c in df.items() if c >= min_df), key=lambda g: (-df[g], len(g), g))[:limit]
    return kept, df


def _idf(kept: list, df: Counter, n: int) -> np.ndarray:
    return np.array([np.log((1.0 + n) / (1.0 + df[g])) + (df[g] < n) for g in kept], dtype=np.float32)


def _grams(seq: np.ndarray):
    toks = [int(t) for t in seq]
    yield from ((t,) for t in toks)
    yield from zip(toks[:-1], toks[1:], strict=True)


def fit_vocabulary(
    ids: Sequence[np.ndarray], max_ngrams: int = MAX_NGRAMS, template_ids: np.ndarray | None = None
) -> NgramVocabulary:
    """Unigrams and bigrams seen in at least two training texts (all, for tiny data), most frequent first.

    ``template_ids``: the prompt with an empty text (``EncodedExamples.template_ids``). Its own n-grams are in
    every prompt and say nothing about the text, yet they include the label names the template lists: a text
    that says "bucket" would otherwise count the same token as every other text's template and weigh nothing
    (``template_counts``). Counts are the prompt's less the template's, at least 0.

    IDF is scikit-learn's smooth one, ``ln((1 + N) / (1 + df)) + 1``, except that a gram in every text weighs
    nothing: the ``+ 1`` keeps common grams in play (demo work orders, 10 splits: head test accuracy median
    96.5 -> 97.2 %, Rotten Tomatoes 80.7 -> 81.7 %, no split worse by more than 0.7 point; docs/BENCHMARKS.md).
    """
    rows, template = _text_counts(_grams, ids, template_ids)
    kept, df = _kept_by_df(rows, max_ngrams)
    uni = sorted(g for g in kept if len(g) == 1)
    bi = sorted(g for g in kept if len(g) == 2)
    return NgramVocabulary(
        np.array([g[0] for g in uni], dtype=np.int64),
        np.array(bi, dtype=np.int64).reshape(-1, 2),
        _idf(uni + bi, df, len(rows)),
        template_counts(uni + bi, template) if template_ids is not None else None,
    )


def template_counts(kept: list, template: Counter) -> np.ndarray:
    """float32 [F]: how often each kept gram occurs in the prompt template itself."""
    return np.array([template.get(g, 0) for g in kept], dtype=np.float32)


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
    template: np.ndarray | None = None  # float32 [F]: as ``NgramVocabulary.template``

    @property
    def size(self) -> int:
        return len(self.grams)

    def counts(self, ids: Sequence[np.ndarray]) -> sp.csr_matrix:
        """[N, F] how often each kept gram occurs in the text each example spells (less the template's own)."""
        column = {tuple(int(c) for c in g if c != NO_CHAR): i for i, g in enumerate(self.grams)}
        rows, cols = [], []
        for r, seq in enumerate(ids):
            for g in _text_grams(spelled(self.table, seq)):
                c = column.get(g)
                if c is not None:
                    rows.append(r)
                    cols.append(c)
        return _less_template(_count_matrix(rows, cols, (len(ids), self.size)), self.template)

    def transform(self, ids: Sequence[np.ndarray]) -> sp.csr_matrix:
        """[N, F] rows of (1 + ln count) x idf, L2-normalised (what ``llama_graph.char_gram_scores`` computes)."""
        x = self.counts(ids)
        x.data = (1.0 + np.log(x.data)) * self.idf[x.indices].astype(np.float64)
        return _unit_rows(x)

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
        return {"grams": self.grams, "idf": self.idf} | (
            {"template": self.template} if self.template is not None else {}
        )

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
        template = np.asarray(d["template"], np.float32) if "template" in d else None
        return cls(grams, np.asarray(d["idf"], np.float32), char_table(pieces), template)


def fit_char_grams(
    pieces: Sequence[str | None],
    ids: Sequence[np.ndarray],
    max_grams: int = MAX_NGRAMS,
    template_ids: np.ndarray | None = None,
) -> CharGrams:
    """Character n-grams of the training texts (as their token ids spell them) found in at least two of them
    (all, for tiny data); IDF and the template's own grams as ``fit_vocabulary``'s."""
    table = char_table(pieces)

    def grams_of(seq: np.ndarray) -> list[tuple[int, ...]]:
        return _text_grams(spelled(table, seq))

    rows, template = _text_counts(grams_of, ids, template_ids)
    kept, df = _kept_by_df(rows, max_grams)
    kept.sort(key=lambda g: (len(g), g))
    grams = np.full((len(kept), max(CHAR_GRAM_SIZES)), NO_CHAR, dtype=np.int64)
    for i, g in enumerate(kept):
        grams[i, : len(g)] = g
    counts = template_counts(kept, template) if template_ids is not None else None
    return CharGrams(grams, _idf(kept, df, len(rows)), table, counts)
