"""Prompted classification: a template around the text, one label word per class (MeZO's setup).

The model is scored on the label words' logits at the answer position: the last token of the prompt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.errors import GenbaError

DEFAULT_TEMPLATE = "Text: {text}\nCategory ({choices}):"


@dataclass(frozen=True)
class PromptSpec:
    template: str
    labels: tuple[str, ...]  # class names as in the data, sorted
    label_words: tuple[str, ...]  # what the model should say for each class, same order

    def render(self, text: str) -> str:
        return self.template.replace("{choices}", ", ".join(self.label_words)).replace("{text}", text)

    def to_dict(self) -> dict:
        return {"template": self.template, "labels": list(self.labels), "label_words": list(self.label_words)}

    @classmethod
    def from_dict(cls, d: dict) -> PromptSpec:
        return cls(d["template"], tuple(d["labels"]), tuple(d["label_words"]))


def make_prompt_spec(
    labels, template: str | None = None, label_words: dict[str, str] | None = None
) -> PromptSpec:
    """Defaults: the label itself is its label word; the template lists the choices."""
    template = template or DEFAULT_TEMPLATE
    if "{text}" not in template:
        raise GenbaError(
            "The prompt template must contain {text} where the example goes.",
            "プロンプトのテンプレートには、例文が入る位置に {text} が必要です。",
            field="template",
        )
    labels = tuple(sorted(labels))
    words = tuple((label_words or {}).get(lab, lab).strip() for lab in labels)
    for lab, word in zip(labels, words, strict=True):
        if not word:
            raise GenbaError(
                f"The label word for '{lab}' is empty.",
                f"ラベル「{lab}」のラベル語が空です。",
                field="label_words",
            )
    return PromptSpec(template, labels, words)


@dataclass(frozen=True)
class EncodedExamples:
    """Token ids per example, the class index of each, and the first token of each label word."""

    ids: tuple[np.ndarray, ...]  # each int64 [T_i]; the answer position is the last token
    label_index: np.ndarray  # int64 [N]
    label_token_ids: np.ndarray  # int64 [C]

    def __len__(self) -> int:
        return len(self.ids)

    def batch(self, rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Right-padded ids [E, T], answer_index [E], label_ids [E]."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = np.array([len(self.ids[r]) for r in rows], dtype=np.int64)
        ids = np.zeros((len(rows), int(lengths.max())), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : lengths[i]] = self.ids[r]
        return ids, lengths - 1, self.label_index[rows]


def label_token_ids(tokenizer, spec: PromptSpec) -> np.ndarray:
    """First token of each label word as it follows the prompt; label words must start differently."""
    sep = "" if spec.render("x")[-1:].isspace() else " "
    firsts = []
    for word in spec.label_words:
        ids = tokenizer.encode(sep + word, add_special_tokens=False).ids
        firsts.append(ids[0])
    seen: dict[int, str] = {}
    for word, tok in zip(spec.label_words, firsts, strict=True):
        if tok in seen:
            raise GenbaError(
                f"The label words '{seen[tok]}' and '{word}' start with the same token; the model cannot tell "
                "them apart. Choose label words that begin differently.",
                f"ラベル語「{seen[tok]}」と「{word}」は先頭のトークンが同じため、モデルが区別できません。"
                "先頭が異なるラベル語を選んでください。",
                field="label_words",
            )
        seen[tok] = word
    return np.array(firsts, dtype=np.int64)


def encode_examples(tokenizer, spec: PromptSpec, examples, max_tokens: int = 256) -> EncodedExamples:
    """Tokenize rendered prompts; over-long texts are cut (the template is always kept whole)."""
    index = {lab: i for i, lab in enumerate(spec.labels)}
    encoded = []
    for ex in examples:
        text = ex.text
        ids = tokenizer.encode(spec.render(text), add_special_tokens=False).ids
        while len(ids) > max_tokens and len(text) > 1:
            text = text[: max(1, int(len(text) * max_tokens / len(ids) * 0.95))]
            ids = tokenizer.encode(spec.render(text), add_special_tokens=False).ids
        encoded.append(np.asarray(ids[-max_tokens:], dtype=np.int64))
    labels = np.array([index[ex.label] for ex in examples], dtype=np.int64)
    return EncodedExamples(tuple(encoded), labels, label_token_ids(tokenizer, spec))


def answer_mask(ids: np.ndarray, answer: np.ndarray) -> np.ndarray:
    """Attention mask [E, T] of right-padded rows (``EncodedExamples.batch``): 1 up to each answer position."""
    return (np.arange(ids.shape[1])[None, :] <= answer[:, None]).astype(np.int64)
