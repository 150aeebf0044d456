"""Tuning a sentence encoder (an ONNX graph with the output ``last_hidden_state``) into a classifier.

An encoder such as all-MiniLM-L6-v2 has no answer of its own: no label words, no class logits. Its features
are ``last_hidden_state`` averaged over the real tokens and L2-normalised, as sentence-transformers pools
them (``onnx_surgery.add_mean_pooling``); the run fits a head on them (``app.engine.tuning.head``), starting
from zero weights, since there is no zero-shot read-out to start from, and ZO moves LoRA-FA adapters on the
top layers' linear layers through that head, as for a user's ONNX LM (``onnx_tuning``). The export is the
encoder with the adapters folded in and the pooling and head appended: a second output ``class_logits``,
same inputs as the source.

Before the head is fitted every class scores 0, so the accuracy "before" is the share of the first label:
no answer yet, not a zero-shot figure (``Tuning.info["zero_shot"]`` says so in report.json).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import onnx
from tokenizers import models as tokenizer_models

from app.engine.data.prompting import EncodedExamples
from app.engine.errors import GenbaError
from app.engine.models.llama_config import ClassHead
from app.engine.models.objective import BatchObjective, Readout
from app.engine.models.onnx_inspect import model_opset
from app.engine.models.onnx_objective import OnnxObjective
from app.engine.models.onnx_surgery import (
    CHAR_GRAMS_MIN_OPSET,
    ENCODER_MIN_OPSET,
    FEATURES,
    add_mean_pooling,
    append_class_head,
)
from app.engine.models.onnx_tuning import OnnxTunableModel
from app.engine.models.tunable import NewTexts, Tuning, TuningRequest

# sentence-transformers' all-MiniLM-L6-v2 pools by the mean and normalises (its modules.json); the head's
# features are the model's sentence embeddings exactly.
NORMALISE = True
ZERO_SHOT_NOTE = (
    "none: an encoder has no answer before its head is fitted; the accuracy before is the first label's share"
)


class EncoderObjective(OnnxObjective):
    """The loss of perturbed copies through a read-out on the pooled features (``objective.Readout``)."""

    def __init__(
        self, session, encoded: EncodedExamples, sites, readout: Readout | None, path: Path, max_positions
    ) -> None:
        super().__init__(session, encoded, sites, {}, path, max_positions)
        self.readout = readout  # set by prepare_tuning once the feature size is known

    def features(self, rows: np.ndarray, copies: dict[str, np.ndarray]) -> np.ndarray:
        """[P, E, H] pooled features of ``rows`` under each copy of the adapters."""
        p = next(iter(copies.values())).shape[0] if copies else 1
        (pooled,) = self.outputs([FEATURES], self.feeds(rows, copies))  # [P*E, H], copies outermost
        self.forward_examples += p * len(rows)
        return pooled.reshape(p, len(rows), -1)

    def run(
        self, rows: np.ndarray, copies: dict[str, np.ndarray], readout: Readout | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """loss [P, E], class logits [P, E, C] and features [P, E, H], read out by ``readout`` (default: the
        objective's own)."""
        readout = readout or self.readout
        features = self.features(rows, copies)
        logits = features @ readout.head.T + readout.offset[rows]  # [P, E, C]
        top = logits.max(axis=-1, keepdims=True)
        log_norm = np.log(np.exp(logits - top).sum(axis=-1)) + top[..., 0]
        labels = self.encoded.label_index[rows]
        loss = log_norm - np.take_along_axis(logits, labels[None, :, None], axis=-1)[..., 0]
        return loss, logits, features

    def on(self, rows: np.ndarray, readout: Readout | None = None) -> BatchObjective:
        return BatchObjective(self, np.asarray(rows), readout)


@dataclass
class OnnxEncoderModel(OnnxTunableModel):
    """A sentence encoder with ``tokenizer.json`` beside it, tuned into a classifier (module docstring)."""

    features_size: int = 0  # H of the pooled features, known once ``prepare_tuning`` has run
    takes_head: ClassVar[bool] = True  # an encoder answers only through a head

    @classmethod
    def open(cls, path: str | os.PathLike[str], **options) -> OnnxEncoderModel:
        """``OnnxTunableModel.open`` (same options), then the encoder's own checks."""
        model = super().open(path, **options)
        if model.kind != "onnx-encoder":
            raise ValueError(f"{model.path} is an {model.kind}, not an encoder")
        opset = model.opset
        if opset < ENCODER_MIN_OPSET:
            raise GenbaError(
                f"The encoder uses ONNX opset {opset}; tuning an encoder needs opset {ENCODER_MIN_OPSET} or "
                "newer. Export it again with a recent exporter.",
                f"このエンコーダーは ONNX opset {opset} です。エンコーダーの調整には opset {ENCODER_MIN_OPSET} "
                "以降が必要です。新しいエクスポーターで書き出し直してください。",
                path=model.path,
            )
        return model

    @property
    def opset(self) -> int:
        return model_opset(onnx.load(str(self.path), load_external_data=False))

    def pieces(self) -> list[str | None]:
        """The vocabulary's pieces by id, word starts marked as SentencePiece marks them (``ngrams.piece_text``
        reads the mark as a space): WordPiece marks continuations (``##``) instead."""
        tok = self.tokenizer()
        pieces = [tok.id_to_token(i) for i in range(tok.get_vocab_size())]
        if not isinstance(tok.model, tokenizer_models.WordPiece):
            return pieces
        prefix = tok.model.continuing_subword_prefix
        return [
            None if p is None else p[len(prefix) :] if p.startswith(prefix) else "\u2581" + p for p in pieces
        ]

    def gram_pieces(self) -> list[str | None] | None:
        """``pieces``, when the export can count character n-grams (ScatterElements' reduction: opset 16)."""
        return self.pieces() if self.opset >= CHAR_GRAMS_MIN_OPSET else None

    # --- tuning -------------------------------------------------------------------------------------------
    def add_scoring(self, graph: onnx.ModelProto) -> None:
        add_mean_pooling(graph, normalise=NORMALISE, inplace=True)

    def new_objective(self, encoded: EncodedExamples) -> EncoderObjective:
        return EncoderObjective(self.session, encoded, self.adapted, None, self.path, self.max_positions)

    def new_texts(self, encoded: EncodedExamples) -> NewTexts:
        """Other texts on the adapted session; untuned, every class scores 0 (``prepare_tuning``)."""
        objective = self.new_objective(encoded)
        base = Readout.label_words(
            np.zeros((len(encoded.label_token_ids), self.features_size), np.float32), len(encoded)
        )
        objective.readout = base
        return NewTexts(objective, base)

    def copy_outputs(self, objective: OnnxObjective, rows: np.ndarray, copies: dict) -> np.ndarray:
        """The pooled features: with no head yet, every copy's loss is the same."""
        return objective.features(rows, copies)

    def prepare_tuning(self, request: TuningRequest) -> Tuning:
        """As for a user's ONNX model, with a read-out of zero weights (there is no zero-shot one)."""
        tuning = super().prepare_tuning(request)
        encoded = request.encoded
        zero = {s.key: np.zeros((1, self.a[s.key].shape[1], s.d_out), np.float32) for s in self.adapted}
        hidden = tuning.objective.features(np.arange(1), zero).shape[-1]
        tuning.objective.forward_examples = 0
        self.features_size = hidden
        n_classes = len(encoded.label_token_ids)
        tuning.base_readout = Readout.label_words(np.zeros((n_classes, hidden), np.float32), len(encoded))
        tuning.objective.readout = tuning.base_readout
        tuning.for_texts = self.new_texts
        tuning.needs_head = True
        tuning.info["zero_shot"] = ZERO_SHOT_NOTE
        tuning.info["encoder_features"] = "mean of last_hidden_state" + (
            ", L2-normalised" if NORMALISE else ""
        )
        return tuning

    # --- the deliverable ----------------------------------------------------------------------------------
    def add_export_head(self, model: onnx.ModelProto, head: ClassHead | None) -> None:
        """The pooling and the fitted head, as the output ``class_logits``."""
        if head is None:
            raise GenbaError(
                "An encoder becomes a classifier only with a fitted head; run with the head on (--head auto).",
                "エンコーダーは答え方（ヘッド）を学習して初めて分類モデルになります。ヘッドを有効にして"
                "（--head auto）実行してください。",
                path=self.path,
                field="head",
            )
        append_class_head(model, head, normalise=NORMALISE, inplace=True)
