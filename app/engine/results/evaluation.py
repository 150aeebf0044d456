"""Scoring examples with any supported model: accuracy, confusion matrix, predictions.

The same prompt (template + label words) is used for the base model, a tuned run and its exported ONNX
model, so their accuracies are comparable; an exported model carries its prompt in genba_task.json.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.engine.data.prompting import (
    LONG_TEXT,
    WORDS_MAX_TOKENS,
    PromptSpec,
    answer_mask,
    encode_examples,
    label_token_ids,
    make_prompt_spec,
)
from app.engine.data.tokenizer import load_tokenizer_json
from app.engine.errors import GenbaError
from app.engine.models.adapters import AdapterConfig
from app.engine.models.catalog import ensure_converted, resolve_model
from app.engine.models.llama_model import LlamaModel
from app.engine.models.onnx_models import OnnxLogitsModel
from app.engine.run_files import TASK_FILE, TEXT_IDS
from app.engine.tuning.config import TuneConfig

DEFAULT_MAX_TOKENS = TuneConfig.max_tokens  # what a model without genba_task.json is scored with
DEFAULT_LONG_TEXT = TuneConfig.long_text  # how a base model cuts long texts, as a run's zero-shot does


@dataclass(frozen=True)
class EvalResult:
    accuracy: float
    labels: tuple[str, ...]
    truth: np.ndarray  # class index per example
    predicted: np.ndarray
    probabilities: np.ndarray  # [N, C] softmax over label words

    @property
    def confusion(self) -> np.ndarray:
        """[true, predicted] counts."""
        c = len(self.labels)
        m = np.zeros((c, c), dtype=np.int64)
        np.add.at(m, (self.truth, self.predicted), 1)
        return m

    def to_dict(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "examples": int(len(self.truth)),
            "labels": list(self.labels),
            "confusion": self.confusion.tolist(),
        }


@dataclass(frozen=True)
class _Text:
    """An unlabelled text in the shape encode_examples expects."""

    text: str
    label: str


def softmax(x: np.ndarray) -> np.ndarray:
    """Probabilities over the last axis (label words)."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class Scorer:
    """Label-word logits [N, C] for texts under a prompt."""

    spec: PromptSpec

    def label_logits(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def evaluate(self, examples) -> EvalResult:
        index = {lab: i for i, lab in enumerate(self.spec.labels)}
        unknown = sorted({ex.label for ex in examples} - set(index))
        if unknown:
            raise GenbaError(
                f"The data has labels the model was not tuned for: {', '.join(unknown)}.",
                f"モデルの調整対象にないラベルがデータにあります: {', '.join(unknown)}。",
            )
        logits = self.label_logits([ex.text for ex in examples])
        truth = np.array([index[ex.label] for ex in examples], dtype=np.int64)
        pred = logits.argmax(-1)
        return EvalResult(float((pred == truth).mean()), self.spec.labels, truth, pred, softmax(logits))

    def answer(self, text: str) -> tuple[str, float]:
        """The label this model gives ``text`` and its probability (a typed text, "try it")."""
        p = softmax(self.label_logits([text]))[0]
        k = int(p.argmax())
        return self.spec.labels[k], float(p[k])


class LlamaScorer(Scorer):
    """A converted GGUF model (our own graph, no adapters): label-word logits at the answer position."""

    def __init__(self, model, spec: PromptSpec, max_tokens: int = 128, long_text: str = "truncate") -> None:
        self.model, self.spec, self.max_tokens, self.long_text = model, spec, max_tokens, long_text
        self.tokenizer = model.tokenizer()
        self.session = model.loss_session(0, [], AdapterConfig(), from_ids=True)
        self.head = None

    def label_logits(self, texts: list[str], batch: int = 16) -> np.ndarray:
        """[N, C]; label words that start alike are scored by their whole word (``LlamaModel.label_continuation``)."""
        fake = [_Text(t, self.spec.labels[0]) for t in texts]
        enc = encode_examples(
            self.tokenizer, self.spec, fake, self.max_tokens, self.long_text, distinct_first_tokens=False
        )
        continuation = self.model.label_continuation(enc)
        if self.head is None:
            self.head = self.model.label_head(enc.label_token_ids)
        out = []
        for s in range(0, len(texts), batch):
            ids, answer, labels = enc.batch(np.arange(s, min(s + batch, len(texts))))
            feeds = {"input_ids": ids, "answer_index": answer, "label_ids": labels, "label_head": self.head}
            feeds["label_offset"] = continuation[s : s + len(answer)]
            out.append(self.session.run(["label_logits"], feeds)[0][0])  # the one copy: [E, C]
        return np.concatenate(out)


class OnnxCausalLMScorer(Scorer):
    """Any ONNX causal LM with a tokenizer.json beside it: full logits, read at the answer position.

    Our exports of a run that fitted a head carry its scores as a second output, ``class_logits``, named in
    genba_task.json ("output"); those are read instead of the label-word logits.
    """

    def __init__(
        self,
        path: Path,
        spec: PromptSpec,
        tokenizer,
        max_tokens: int = 128,
        long_text: str = "truncate",
        **session_kw,
    ) -> None:

        self.net = OnnxLogitsModel(path, **session_kw)
        self.spec, self.tokenizer, self.max_tokens = spec, tokenizer, max_tokens
        self.long_text = long_text
        head_output = head_output_beside(self.net.path)
        self.head_output = head_output if head_output in self.net.output_names else None
        # Our exports whose head reads whole prompts take them as the optional input text_ids.
        words = text_ids_beside(self.net.path) if self.head_output is not None else None
        self.words_max_tokens = words if TEXT_IDS in self.net.optional_inputs else None
        # Without a head the label words' first tokens are the scores, so they must differ.
        self.label_ids = label_token_ids(tokenizer, spec) if self.head_output is None else None

    def label_logits(self, texts: list[str], batch: int = 8) -> np.ndarray:
        fake = [_Text(t, self.spec.labels[0]) for t in texts]
        head_output = self.head_output
        enc = encode_examples(
            self.tokenizer,
            self.spec,
            fake,
            self.max_tokens,
            self.long_text,
            distinct_first_tokens=head_output is None,
            words_max_tokens=self.words_max_tokens or WORDS_MAX_TOKENS,
        )
        whole = self.words_max_tokens is not None and enc.word_ids is not None
        out = []
        for s in range(0, len(texts), batch):
            rows = np.arange(s, min(s + batch, len(texts)))
            ids, answer, _ = enc.batch(rows)
            mask = answer_mask(ids, answer)
            if head_output is not None:
                extra = {TEXT_IDS: enc.word_batch(rows)} if whole else None
                out.append(self.net.logits(ids, mask, head_output, extra))  # [B, C]
                continue
            logits = self.net.logits(ids, mask)  # [B, T, V]
            out.append(logits[np.arange(len(answer)), answer][:, self.label_ids])
        return np.concatenate(out)


class OnnxClassifierScorer(Scorer):
    """A sequence classifier: class i of its logits is the i-th label in sorted order (or genba_task.json).

    A sentence encoder tuned into a classifier reads the same way, from the output genba_task.json names
    (``class_logits``); an encoder without one has no answer and is refused.
    """

    def __init__(self, path: Path, spec: PromptSpec, tokenizer, max_tokens: int = 128, **session_kw) -> None:

        self.net = OnnxLogitsModel(path, **session_kw)
        self.spec, self.tokenizer, self.max_tokens = spec, tokenizer, max_tokens
        self.output = "logits"
        if "logits" not in self.net.output_names:
            self.output = head_output_beside(self.net.path) or ""
            if self.output not in self.net.output_names:
                raise GenbaError(
                    "This is a sentence encoder: it gives text embeddings, not answers. Tune it on your examples "
                    "first; the tuned model it writes can be scored.",
                    "これは文エンコーダーで、文のベクトルを出すだけで答えを出しません。先に学習データで調整してください。"
                    "調整後に書き出されるモデルは採点できます。",
                    path=self.net.path,
                )

    def label_logits(self, texts: list[str], batch: int = 16) -> np.ndarray:
        out = []
        for s in range(0, len(texts), batch):
            encs = [self.tokenizer.encode(t).ids[: self.max_tokens] for t in texts[s : s + batch]]
            t = max(len(e) for e in encs)
            ids = np.zeros((len(encs), t), dtype=np.int64)
            mask = np.zeros_like(ids)
            for i, e in enumerate(encs):
                ids[i, : len(e)], mask[i, : len(e)] = e, 1
            out.append(self.net.logits(ids, mask, self.output))
        logits = np.concatenate(out)
        if logits.shape[1] != len(self.spec.labels):
            raise GenbaError(
                f"The classifier has {logits.shape[1]} classes but the data has {len(self.spec.labels)} labels.",
                f"分類モデルのクラス数は {logits.shape[1]} ですが、データのラベル数は {len(self.spec.labels)} です。",
                path=self.net.path,
            )
        return logits


def _task_error(f: Path, detail: str, field: str | None = None) -> GenbaError:
    return GenbaError(
        f"The task file {f.name} beside the model is damaged, so the model cannot be scored as it was tuned. "
        "Export the model again, or remove the file and give the labels yourself.",
        f"モデルと同じフォルダーのタスクファイル {f.name} が壊れているため、調整時と同じ方法で採点できません。"
        "モデルを書き出し直すか、ファイルを取り除いてラベルを指定してください。",
        path=f,
        field=field,
        detail=detail,
    )


def task_file_beside(model_path: Path) -> tuple[PromptSpec, int | None] | None:
    """(prompt, max_tokens) an exported model was tuned with, if it carries them; max_tokens is None in
    exports written before it was stored."""

    f = Path(model_path).parent / TASK_FILE
    if not f.is_file():
        return None
    try:
        task = json.loads(f.read_text(encoding="utf-8"))
        spec = PromptSpec.from_dict(task)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _task_error(f, repr(exc)) from exc
    max_tokens = task.get("max_tokens")
    if max_tokens is not None and (type(max_tokens) is not int or max_tokens < 1):
        raise _task_error(f, f"max_tokens={max_tokens!r}", field="max_tokens")
    return spec, max_tokens


def _field_beside(model_path: Path, key: str, default=None) -> tuple[Path, object] | None:
    """(the task file, its ``key``) beside an exported model; None without a task file."""

    f = Path(model_path).parent / TASK_FILE
    if not f.is_file():
        return None
    try:
        return f, json.loads(f.read_text(encoding="utf-8")).get(key, default)
    except (OSError, ValueError, AttributeError) as exc:
        raise _task_error(f, repr(exc)) from exc


def head_output_beside(model_path: Path) -> str | None:
    """The output holding class scores when the run fitted a head ("output" in genba_task.json)."""
    found = _field_beside(model_path, "output")
    if found is None:
        return None
    f, output = found
    if output is not None and not isinstance(output, str):
        raise _task_error(f, f"output={output!r}", field="output")
    return output


def text_ids_beside(model_path: Path) -> int | None:
    """How many tokens of a prompt an exported head's words read ("text_ids" in genba_task.json; None: the
    model's own input)."""
    found = _field_beside(model_path, "text_ids")
    if found is None or found[1] is None:
        return None
    f, words = found
    limit = words.get("max_tokens") if isinstance(words, dict) else None
    if type(limit) is not int or limit < 1:
        raise _task_error(f, f"text_ids={words!r}", field="text_ids")
    return limit


def long_text_beside(model_path: Path) -> str | None:
    """How an exported model's run cut long texts ("long_text" in genba_task.json; absent: "truncate")."""
    found = _field_beside(model_path, "long_text", "truncate")
    if found is None:
        return None
    f, long_text = found
    if long_text not in LONG_TEXT:
        raise _task_error(f, f"long_text={long_text!r}", field="long_text")
    return long_text


def task_beside(model_path: Path) -> PromptSpec | None:
    """The prompt an exported model was tuned with, if it carries one."""
    carried = task_file_beside(model_path)
    return carried[0] if carried is not None else None


def open_scorer(
    model_spec: str | os.PathLike[str],
    labels,
    template: str | None = None,
    label_words: dict[str, str] | None = None,
    *,
    progress=None,
    max_tokens: int | None = None,
    long_text: str | None = None,
    **session_kw,
) -> Scorer:
    """A scorer for 'default', a GGUF, an ONNX causal LM (tokenizer.json beside it), an ONNX classifier or a
    sentence encoder tuned into one.

    ``max_tokens`` and ``long_text`` default to those an exported model was tuned with (genba_task.json),
    else the tuner's defaults.
    """

    ref = resolve_model(model_spec)
    carried = task_file_beside(ref.source) if ref.kind != "gguf-llama" else None
    if carried is not None and template is None and label_words is None:
        spec = carried[0]
    else:
        spec = make_prompt_spec(labels, template, label_words)
    if max_tokens is None:
        max_tokens = carried[1] if carried is not None and carried[1] is not None else DEFAULT_MAX_TOKENS
    if long_text is None:
        carried_cut = long_text_beside(ref.source) if ref.kind != "gguf-llama" else None
        long_text = carried_cut or DEFAULT_LONG_TEXT
    if ref.kind == "gguf-llama":
        folder = ensure_converted(ref, progress)
        model = LlamaModel.open(folder, **session_kw)
        return LlamaScorer(model, spec, max_tokens=max_tokens, long_text=long_text)
    tok_file = ref.source.parent / "tokenizer.json"
    if not tok_file.is_file():
        raise GenbaError(
            "No tokenizer.json beside this ONNX model; put the model's tokenizer.json in the same folder.",
            "この ONNX モデルと同じフォルダーに tokenizer.json がありません。モデルの tokenizer.json を同じフォルダーに置いてください。",
            path=ref.source,
        )
    tokenizer = load_tokenizer_json(tok_file)
    if ref.kind == "onnx-causal-lm":
        return OnnxCausalLMScorer(
            ref.source, spec, tokenizer, max_tokens=max_tokens, long_text=long_text, **session_kw
        )
    return OnnxClassifierScorer(ref.source, spec, tokenizer, max_tokens=max_tokens, **session_kw)
