"""The fitted read-outs of one run: the head ZO steps go through, its fold heads, and the features they follow.

``app.engine.tuning.head`` fits a head; this module keeps a run's heads in step with the adapters. The head
reads the final hidden state (``bank``: the latest features of each training example, updated by every
accepted step without another forward) and fixed feature blocks the adapters cannot move (pooled frozen
states, n-grams), chosen by cross-validation. With cross-fitting, step s draws from fold s % k only and
reads out through the head fitted without that fold.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from app.engine.data.ngrams import CharGrams, NgramVocabulary, fit_char_grams, fit_vocabulary
from app.engine.data.prompting import EncodedExamples
from app.engine.models.llama_config import ClassHead
from app.engine.models.objective import Readout
from app.engine.models.tunable import NewTexts, Tuning
from app.engine.tuning.head import (
    FOLDS,
    HeadFit,
    class_head_of,
    fit_fold_heads,
    fit_text_head,
    fold_of,
    is_answer,
    is_pooled,
    pooled_layer_of,
    pooled_name,
    rate,
    refit_head,
    stack,
)


def _sub(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays saved under ``prefix``, without it (the inverse of ``_prefixed``)."""
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}


def _prefixed(prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {prefix + k: v for k, v in arrays.items()}


class RunHeads:
    """A run's heads; ``enabled`` is False when the run reads out through the base read-out only.

    Made in two stages: from the token ids alone (the text blocks, and the text-only head that is the run's
    first model, ``fit_words``), then ``attach``-ed to the model's tuning once the frozen layers are cached.
    """

    def __init__(
        self,
        encoded: EncodedExamples,
        train_rows: np.ndarray,
        *,
        head_setting: str,
        takes_head: bool,
        pieces: Callable[[], list[str | None] | None],
        cross_fit: bool,
        seed: int,
        saved: dict[str, np.ndarray],
        whole_words: bool = False,
    ) -> None:
        self.n_examples = len(encoded)
        self.n_classes = len(encoded.label_token_ids)
        self.train_rows = train_rows
        self.labels = encoded.label_index[train_rows]  # [n_train] class of each training example
        self.cross_fit = cross_fit
        self.seed = seed
        self.saved = saved
        self.head_setting = head_setting
        # The text blocks read each prompt whole (``EncodedExamples.words``), or as the model reads it.
        self.whole_words = whole_words
        self.head: HeadFit | None = None  # the read-out ZO steps go through (None: the base read-out)
        self.best: HeadFit | None = None  # the read-out of the best adapters
        self.words: HeadFit | None = None  # the text blocks alone: the first model (``fit_words``)
        self.words_scores: dict = {}  # its out-of-fold scores, which the first full head reuses
        self.bank: np.ndarray | None = None  # [n_train, H] latest features of each training example
        self.fold_heads: list[HeadFit] = []  # head k: fitted without fold k, read out by ZO steps on fold k
        self.fold_readouts: list[Readout] = []
        self.folds = fold_of(self.labels, seed)
        # Features of every encoded example that the adapters cannot move, by name; cross-validation on the
        # training examples picks which of them the head reads (app.engine.tuning.head).
        self.blocks: dict[str, sp.csr_matrix] = {}
        self.vocab: NgramVocabulary | None = None
        self.chars: CharGrams | None = None
        self.pooled_layer: int | None = None
        self.objective = None
        self.base: Readout | None = None
        # A graph that reads out by itself (a user's ONNX model as exported) takes no head.
        self.enabled = head_setting != "none" and takes_head
        if not self.enabled or head_setting != "auto":
            return
        words = self.words_of(encoded)
        self.vocab = (
            NgramVocabulary.from_arrays(_sub(saved, "ngrams/"))
            if "ngrams/idf" in saved
            else fit_vocabulary([words[i] for i in train_rows], template_ids=encoded.template_ids)
        )
        self.blocks["ngrams"] = self.vocab.transform(words)
        table = pieces()
        if table is not None:
            # Character n-grams of the text the pieces spell: the keyword model's evidence, from the token ids.
            self.chars = (
                CharGrams.from_arrays(_sub(saved, "chars/"), table)
                if "chars/idf" in saved
                else fit_char_grams(table, [words[i] for i in train_rows], template_ids=encoded.template_ids)
            )
            self.blocks["chars"] = self.chars.transform(words)
        if "words_head/v" in saved:
            self.words = HeadFit.from_arrays(_sub(saved, "words_head/"))

    def words_of(self, encoded: EncodedExamples) -> tuple[np.ndarray, ...]:
        """The token ids the text blocks read: each prompt whole (``whole_words``) or as the model reads it."""
        return encoded.words if self.whole_words else encoded.ids

    def fit_words(self) -> HeadFit | None:
        """The text-only head (``head.fit_text_head``) on the training rows: a model before any forward pass."""
        if not self.blocks:
            return None
        fitted = fit_text_head(self.train_blocks(), self.labels, self.n_classes, seed=self.seed)
        if fitted is not None:
            self.words, self.words_scores = fitted
        return self.words

    def words_rate(self, rows: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
        """(accuracy, mean cross-entropy) of the text-only head on ``rows``, no forward pass."""
        x = stack(self.blocks, self.words.blocks)[rows]
        accuracy, log_likelihood = rate(self.words.offsets(x, len(rows)).astype(np.float64), labels)
        return accuracy, -log_likelihood

    def attach(self, tuning: Tuning) -> None:
        """Read out through the model's tuning: its objective, base read-out and pooled states; heads a
        resumed run saved are restored."""
        self.objective = tuning.objective
        self.base = tuning.base_readout  # the label words (None: the graph reads out by itself)
        self.pooled_layer = tuning.pooled_layer
        self.enabled = self.enabled and self.base is not None
        if not self.enabled:
            return
        if self.head_setting == "auto" and tuning.pooled is not None:
            # The frozen layers' states over the whole text (free from the prefix cache, for one), first as
            # cross-validation has always listed the blocks; then the same layers' at the answer position.
            frozen = self._frozen_blocks(tuning.pooled(), "pooled")
            if tuning.answers is not None:
                frozen |= self._frozen_blocks(tuning.answers(), "answer")
            self.blocks = frozen | self.blocks
        hidden = self.base.head.shape[1]
        if self.words is not None and self.words.v.shape[1] != hidden:
            self.words = self.words.widened(hidden)
        saved = self.saved
        if "best_head/v" in saved:
            self.best = HeadFit.from_arrays(_sub(saved, "best_head/"))
        elif self.best is not None and not self.best.reads_llm:
            self.best = self.words  # the first model is still the best: now in the graph's shape
        if "bank" in saved:
            self.bank = saved["bank"]
            k, folds = 0, []
            while f"fold_head{k}/v" in saved:
                folds.append(HeadFit.from_arrays(_sub(saved, f"fold_head{k}/")))
                k += 1
            self._set(HeadFit.from_arrays(_sub(saved, "head/")), folds)

    # --- reading out ------------------------------------------------------------------------------------------
    def readout(self, head: HeadFit | None) -> Readout | None:
        """The read-out through ``head``; None: the base read-out."""
        if head is None:
            return self.base
        return Readout(head.head(), head.offsets(stack(self.blocks, head.blocks), self.n_examples))

    def readout_of_texts(self, head: HeadFit | None, texts: NewTexts) -> Readout | None:
        """``readout(head)`` for texts the run was not prepared on (``Tuning.for_texts``): their own blocks."""
        if head is None:
            return texts.base_readout
        ids = self.words_of(texts.objective.encoded)
        blocks = {}
        if any(is_pooled(b) for b in head.blocks):
            blocks |= self._frozen_blocks(texts.pooled(), "pooled")
        if any(is_answer(b) for b in head.blocks):
            blocks |= self._frozen_blocks(texts.answers(), "answer")
        make = {"ngrams": lambda: self.vocab.transform(ids), "chars": lambda: self.chars.transform(ids)}
        blocks = {name: blocks[name] if name in blocks else make[name]() for name in head.blocks}
        return Readout(head.head(), head.offsets(stack(blocks, head.blocks), len(ids)))

    def _frozen_blocks(self, states: dict[int, np.ndarray], kind: str) -> dict[str, sp.csr_matrix]:
        """Blocks of ``kind`` ("pooled" or "answer") from states by layer, the highest layer first."""
        return {
            pooled_name(layer, self.pooled_layer, kind): sp.csr_matrix(x.astype(np.float64))
            for layer, x in sorted(states.items(), key=lambda item: -item[0])
        }

    def fold_of_step(self, step: int) -> tuple[np.ndarray, Readout] | None:
        """Cross-fitting: the training rows step ``step`` may draw from and their read-out (None: all rows)."""
        if not self.fold_heads:
            return None
        k = step % len(self.fold_heads)
        return np.flatnonzero(self.folds == k), self.fold_readouts[k]

    def class_head(self, head: HeadFit | None) -> ClassHead | None:
        """The fitted head in the exported graph's terms (None: the label words are the read-out)."""
        if head is None:
            return None
        widths = {name: m.shape[1] for name, m in self.blocks.items()}
        return class_head_of(head, widths, self.vocab, self.pooled_layer, self.chars, self.whole_words)

    # --- fitting ------------------------------------------------------------------------------------------------
    def train_blocks(self) -> dict[str, sp.csr_matrix]:
        """Every fixed block, training examples only (what ``head.fit_head`` chooses among)."""
        return {name: m[self.train_rows] for name, m in self.blocks.items()}

    def start(self, fit: HeadFit, features: np.ndarray, options: list) -> dict:
        """Adopt the first head, fitted on the frozen model's ``features``; returns its facts for the report."""
        self.bank = features.astype(np.float32)
        self.adopt(fit, features)
        return {
            "features": fit.name,
            "pull": "label words" if fit.pulls_to_labels else "zero",
            "lambda": fit.lam,
            "llm_weight": round(fit.llm_weight, 4),
            "parts": [
                {"features": "+".join(p.blocks), "lambda": p.lam, "weight": round(p.weight, 4)}
                for p in fit.parts
            ],
            "cv_accuracy": fit.cv_accuracy,
            "ngram_columns": int(self.blocks["ngrams"].shape[1]) if "ngrams" in self.blocks else 0,
            "char_gram_columns": int(self.blocks["chars"].shape[1]) if "chars" in self.blocks else 0,
            "pooled_layer": self.pooled_layer if "pooled" in self.blocks else None,
            "pooled_layers": sorted(
                pooled_layer_of(b, self.pooled_layer) for b in self.blocks if is_pooled(b)
            ),
            "answer_layers": sorted(
                pooled_layer_of(b, self.pooled_layer) for b in self.blocks if is_answer(b)
            ),
            "options": options,
        }

    def adopt(self, head: HeadFit, features: np.ndarray) -> None:
        """Read out through ``head``; when cross-fitting, also through one head per fold fitted from it."""
        x = self._train_stack(head)
        cross_fit = self.cross_fit and np.bincount(self.folds, minlength=FOLDS).min() >= 1
        folds = (
            fit_fold_heads(head, features, self.labels, self.base.head, x, self.folds) if cross_fit else []
        )
        self._set(head, folds)

    def refit(self) -> None:
        """The head (and the fold heads) refitted to the latest features the steps computed (``bank``)."""
        x = self._train_stack(self.head)
        self.adopt(refit_head(self.head, self.bank, self.labels, self.base.head, x), self.bank)

    def _train_stack(self, head: HeadFit) -> sp.csr_matrix | None:
        """The fixed blocks ``head`` reads, training examples only (None: it reads none)."""
        x = stack(self.blocks, head.blocks)
        return x[self.train_rows] if x is not None else None

    def _set(self, head: HeadFit, fold_heads: list[HeadFit]) -> None:
        self.head, self.fold_heads = head, fold_heads
        self.objective.readout = self.readout(head)
        self.fold_readouts = [self.readout(h) for h in fold_heads]

    # --- the checkpoint -----------------------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """Everything a resumed run needs to carry on with the same heads, by checkpoint key."""
        arrays = {}
        if self.head is not None:
            arrays |= {"bank": self.bank} | _prefixed("head/", self.head.to_arrays())
        if self.best is not None:
            arrays |= _prefixed("best_head/", self.best.to_arrays())
        if self.words is not None:
            arrays |= _prefixed("words_head/", self.words.to_arrays())
        if not arrays:
            return {}
        if self.vocab is not None:
            arrays |= _prefixed("ngrams/", self.vocab.to_arrays())
        if self.chars is not None:
            arrays |= _prefixed("chars/", self.chars.to_arrays())
        for k, head in enumerate(self.fold_heads):
            arrays |= _prefixed(f"fold_head{k}/", head.to_arrays())
        return arrays
