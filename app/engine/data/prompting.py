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


LONG_TEXT = ("truncate", "head_tail")


def prompt_ends(tokenizer, spec: PromptSpec, max_tokens: int) -> tuple[int, int]:
    """(head, tail): a prompt longer than ``max_tokens`` keeps its first ``head`` and last ``tail`` tokens.

    The tail holds the template's end (the question) and half the room left for the text, the head the
    template's start and the other half: the opening (for an e-mail, its Subject) and the closing of a long
    text both reach the model.
    """
    before, after = spec.render("\0").split("\0", 1) if "\0" not in spec.template else ("", "")
    n_before = len(tokenizer.encode(before, add_special_tokens=False).ids)
    n_after = len(tokenizer.encode(after, add_special_tokens=False).ids)
    room = max_tokens - n_before - n_after
    if room < 2:  # the template alone fills the window: keep its end, as truncation does
        return 0, max_tokens
    tail = n_after + room // 2
    return max_tokens - tail, tail


def encode_examples(
    tokenizer, spec: PromptSpec, examples, max_tokens: int = 256, long_text: str = "truncate"
) -> EncodedExamples:
    """Tokenize rendered prompts; over-long texts are cut (the template is always kept whole).

    ``long_text``: "truncate" keeps the text's beginning; "head_tail" keeps the prompt's first and last
    tokens (``prompt_ends``), dropping the middle of the text.
    """
    index = {lab: i for i, lab in enumerate(spec.labels)}
    ends = prompt_ends(tokenizer, spec, max_tokens) if long_text == "head_tail" else None
    encoded = []
    for ex in examples:
        text = ex.text
        ids = tokenizer.encode(spec.render(text), add_special_tokens=False).ids
        if ends is not None and len(ids) > max_tokens:
            head, tail = ends
            ids = ids[:head] + ids[len(ids) - tail :]
        while len(ids) > max_tokens and len(text) > 1:
            text = text[: max(1, int(len(text) * max_tokens / len(ids) * 0.95))]
            ids = tokenizer.encode(spec.render(text), add_special_tokens=False).ids
        encoded.append(np.asarray(ids[-max_tokens:], dtype=np.int64))
    labels = np.array([index[ex.label] for ex in examples], dtype=np.int64)
    return EncodedExamples(tuple(encoded), labels, label_token_ids(tokenizer, spec))


def _common(a: list[int], b: list[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def text_windows(
    tokenizer, spec: PromptSpec, text: str, max_tokens: int, max_windows: int
) -> list[np.ndarray]:
    """The prompt with successive ``max_tokens``-sized windows of a long text in place of the text.

    Window k is the template's start, the text's tokens [k w, (k+1) w) and the template's end; the first
    window is the text's beginning. At most ``max_windows`` windows; a text that fits gives one.
    """
    ids = tokenizer.encode(spec.render(text), add_special_tokens=False).ids
    if len(ids) <= max_tokens:
        return [np.asarray(ids, dtype=np.int64)]
    before, after = spec.render("\0").split("\0", 1) if "\0" not in spec.template else ("", "")
    # The template's own tokens: those the prompt shares with the template's parts encoded alone (a space
    # ending the start merges into the text's first token, so that one is the text's).
    n_before = _common(tokenizer.encode(before, add_special_tokens=False).ids, ids)
    n_after = _common(tokenizer.encode(after, add_special_tokens=False).ids[::-1], ids[::-1])
    width = max(1, max_tokens - n_before - n_after)
    middle = ids[n_before : len(ids) - n_after]
    return [
        np.asarray(ids[:n_before] + middle[k : k + width] + ids[len(ids) - n_after :], dtype=np.int64)
        for k in range(0, len(middle), width)
    ][:max_windows]
