"""Prompted classification: a template around the text, one label word per class (MeZO's setup).

The model is scored on the label words' logits at the answer position: the last token of the prompt. When
two label words start with the same token (most Japanese words do in a byte-level BPE: SmolLM2 splits kanji
into byte tokens), each class is scored by its whole word: the first token's logit plus the log-probabilities
of its later tokens (``EncodedExamples.label_tokens``; ``LlamaModel.label_continuation`` computes them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.errors import GenbaError

DEFAULT_TEMPLATE = "Text: {text}\nCategory ({choices}):"
DEFAULT_TEMPLATE_JA = "文章: {text}\n分類（{choices}）:"
# Examples whose characters are at least this share kana/kanji are "Japanese": they get the Japanese template
# and, when the user has not chosen a model, the Japanese-capable built-in (models.catalog.pick_builtin).
# Japanese shop text mixes in Latin part numbers and units; 20 % is far above what English text ever has.
JAPANESE_SHARE = 0.2


def _is_japanese_char(ch: str) -> bool:
    """Hiragana, katakana (full and half width), CJK ideographs and the iteration mark."""
    o = ord(ch)
    return (
        0x3040 <= o <= 0x30FF
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF66 <= o <= 0xFF9F
        or o == 0x3005
    )


def japanese_share(texts) -> float:
    """The share of the texts' non-space characters that are kana or kanji (0 for no characters)."""
    total = japanese = 0
    for text in texts:
        for ch in text:
            if not ch.isspace():
                total += 1
                japanese += _is_japanese_char(ch)
    return japanese / total if total else 0.0


def is_japanese(texts) -> bool:
    return japanese_share(texts) >= JAPANESE_SHARE


def default_template(texts) -> str:
    """The template used when the user gives none: Japanese for Japanese examples."""
    return DEFAULT_TEMPLATE_JA if is_japanese(texts) else DEFAULT_TEMPLATE


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
            "問いかけの文には、学習データの文章が入る位置に {text} が必要です。",
            field="template",
        )
    labels = tuple(sorted(labels))
    words = tuple((label_words or {}).get(lab, lab).strip() for lab in labels)
    seen: dict[str, str] = {}
    for lab, word in zip(labels, words, strict=True):
        if not word:
            raise GenbaError(
                f"The label word for '{lab}' is empty.",
                f"ラベル「{lab}」のラベル語が空です。",
                field="label_words",
            )
        if word in seen:
            raise GenbaError(
                f"The labels '{seen[word]}' and '{lab}' have the same label word '{word}'; the model cannot tell "
                "them apart. Give each label its own word.",
                f"ラベル「{seen[word]}」と「{lab}」のラベル語が同じ「{word}」のため、モデルが区別できません。"
                "ラベルごとに別の語を指定してください。",
                field="label_words",
            )
        seen[word] = lab
    return PromptSpec(template, labels, words)


@dataclass(frozen=True)
class EncodedExamples:
    """Token ids per example, the class index of each, and the tokens of each label word."""

    ids: tuple[np.ndarray, ...]  # each int64 [T_i]; the answer position is the last token
    label_index: np.ndarray  # int64 [N]
    label_token_ids: np.ndarray  # int64 [C], the first token of each label word
    # Every token of each label word as it follows the prompt, when classes are scored by their whole word
    # (first tokens not distinct); empty when the first tokens alone tell the classes apart.
    label_tokens: tuple[np.ndarray, ...] = ()
    # The prompt with an empty text: its own n-grams are in every example and say nothing about the text
    # (``ngrams.fit_vocabulary``); None where texts are encoded without a template (encoders).
    template_ids: np.ndarray | None = None
    # Each prompt as the words read it when some prompt was cut: whole up to ``WORDS_MAX_TOKENS`` (its head and
    # tail beyond, as ``prompt_ends`` cuts), so the text part of a head sees all of a long e-mail as a keyword
    # model would while the model reads ``max_tokens``; None when no prompt was cut (``words`` is ``ids``).
    word_ids: tuple[np.ndarray, ...] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def words(self) -> tuple[np.ndarray, ...]:
        """Each prompt's ids as the text blocks read them (``word_ids``, else ``ids``)."""
        return self.word_ids if self.word_ids is not None else self.ids

    def word_batch(self, rows) -> np.ndarray:
        """[E, W] ``words`` of ``rows``, right-padded with -1 (the exported graph's ``text_ids``)."""
        seqs = [self.words[r] for r in np.asarray(rows, dtype=np.int64)]
        out = np.full((len(seqs), max(len(s) for s in seqs)), -1, dtype=np.int64)
        for i, s in enumerate(seqs):
            out[i, : len(s)] = s
        return out

    @property
    def whole_labels(self) -> bool:
        """True when a class's score needs the later tokens of its label word too."""
        return bool(self.label_tokens)

    def batch(self, rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Right-padded ids [E, T], answer_index [E], label_ids [E]."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = np.array([len(self.ids[r]) for r in rows], dtype=np.int64)
        ids = np.zeros((len(rows), int(lengths.max())), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : lengths[i]] = self.ids[r]
        return ids, lengths - 1, self.label_index[rows]


def _separator(spec: PromptSpec, word: str) -> str:
    """What goes between the prompt and a label word: a space, unless the prompt ends in one or the word
    is Japanese (written without spaces; a leading space would be a token of its own in Gemma's vocabulary,
    the same first token for every class)."""
    if spec.render("x")[-1:].isspace() or (word and _is_japanese_char(word[0])):
        return ""
    return " "


def label_tokens(tokenizer, spec: PromptSpec) -> tuple[np.ndarray, ...]:
    """Every token of each label word as it follows the prompt.

    Read off the tokenized prompt + word, so merges across the boundary are what the model sees; a
    tokenizer that re-splits the prompt's end there falls back to the word tokenized alone.
    """
    prompt = spec.render("x")
    head = tokenizer.encode(prompt, add_special_tokens=False).ids
    out = []
    for word in spec.label_words:
        sep = _separator(spec, word)
        both = tokenizer.encode(prompt + sep + word, add_special_tokens=False).ids
        tail = both[len(head) :] if both[: len(head)] == head else []
        if not tail:
            tail = tokenizer.encode(sep + word, add_special_tokens=False).ids
        out.append(np.asarray(tail, dtype=np.int64))
    return tuple(out)


def first_tokens_collide(tokens: tuple[np.ndarray, ...]) -> bool:
    firsts = [int(t[0]) for t in tokens]
    return len(set(firsts)) < len(firsts)


def label_token_ids(tokenizer, spec: PromptSpec, distinct: bool = True) -> np.ndarray:
    """First token of each label word as it follows the prompt.

    ``distinct``: refuse label words that start with the same token (a read-out by first tokens only, as an
    exported model without a fitted head scores, cannot tell them apart).
    """
    tokens = label_tokens(tokenizer, spec)
    firsts = [int(t[0]) for t in tokens]
    seen: dict[int, str] = {}
    for word, tok in zip(spec.label_words, firsts, strict=True):
        if distinct and tok in seen:
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
# What the words of a long prompt are read to (``EncodedExamples.word_ids``): SpamAssassin e-mails average ~455
# tokens as prompts; the keyword model reads them whole (docs/BENCHMARKS.md, "The words of a long text").
WORDS_MAX_TOKENS = 2048


def _template_parts(spec: PromptSpec) -> tuple[str, str]:
    """The rendered template before and after the text."""
    before, _, after = spec.render("\0").partition("\0") if "\0" not in spec.template else ("", "", "")
    return before, after


def prompt_ends(tokenizer, spec: PromptSpec, max_tokens: int) -> tuple[int, int]:
    """(head, tail): a prompt longer than ``max_tokens`` keeps its first ``head`` and last ``tail`` tokens.

    The tail holds the template's end (the question) and half the room left for the text, the head the
    template's start and the other half: the opening (for an e-mail, its Subject) and the closing of a long
    text both reach the model.
    """
    before, after = _template_parts(spec)
    n_before = len(tokenizer.encode(before).ids)  # with the tokenizer's own start token, as the prompt
    n_after = len(tokenizer.encode(after, add_special_tokens=False).ids)
    room = max_tokens - n_before - n_after
    if room < 2:  # the template alone fills the window: keep its end, as truncation does
        return 0, max_tokens
    tail = n_after + room // 2
    return max_tokens - tail, tail


def encode_examples(
    tokenizer,
    spec: PromptSpec,
    examples,
    max_tokens: int = 256,
    long_text: str = "truncate",
    distinct_first_tokens: bool = True,
    words_max_tokens: int = WORDS_MAX_TOKENS,
) -> EncodedExamples:
    """Tokenize rendered prompts; over-long texts are cut (the template is always kept whole).

    ``long_text``: "truncate" keeps the text's beginning; "head_tail" keeps the prompt's first and last
    tokens (``prompt_ends``), dropping the middle of the text. When a prompt was cut, every prompt is also
    kept as the words read it (``EncodedExamples.word_ids``: whole up to ``words_max_tokens``).

    The tokenizer's own special tokens are added (a BOS where the model wants one: Gemma, Llama 3).
    ``distinct_first_tokens=False`` accepts label words that start alike: the encoded examples then carry
    every label token (``label_tokens``) so each class is scored by its whole word.
    """
    index = {lab: i for i, lab in enumerate(spec.labels)}
    ends = prompt_ends(tokenizer, spec, max_tokens) if long_text == "head_tail" else None
    word_ends = None
    encoded, words = [], []
    for ex in examples:
        text = ex.text
        ids = tokenizer.encode(spec.render(text)).ids
        if len(ids) > words_max_tokens:
            word_ends = word_ends or prompt_ends(tokenizer, spec, words_max_tokens)
            words.append(np.asarray(ids[: word_ends[0]] + ids[len(ids) - word_ends[1] :], dtype=np.int64))
        else:
            words.append(np.asarray(ids, dtype=np.int64))
        if ends is not None and len(ids) > max_tokens:
            ids = ids[: ends[0]] + ids[len(ids) - ends[1] :]
        while len(ids) > max_tokens and len(text) > 1:
            text = text[: max(1, int(len(text) * max_tokens / len(ids) * 0.95))]
            ids = tokenizer.encode(spec.render(text)).ids
        encoded.append(np.asarray(ids[-max_tokens:], dtype=np.int64))
    labels = np.array([index[ex.label] for ex in examples], dtype=np.int64)
    firsts = label_token_ids(tokenizer, spec, distinct=distinct_first_tokens)
    tokens = label_tokens(tokenizer, spec)
    whole = tokens if first_tokens_collide(tokens) else ()
    template = np.asarray(tokenizer.encode(spec.render("")).ids, dtype=np.int64)
    cut = any(len(w) != len(e) for w, e in zip(words, encoded, strict=True))
    return EncodedExamples(tuple(encoded), labels, firsts, whole, template, tuple(words) if cut else None)


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
    ids = tokenizer.encode(spec.render(text)).ids
    if len(ids) <= max_tokens:
        return [np.asarray(ids, dtype=np.int64)]
    before, after = _template_parts(spec)
    # The template's own tokens: those the prompt shares with the template's parts encoded alone (a space
    # ending the start merges into the text's first token, so that one is the text's).
    n_before = _common(tokenizer.encode(before).ids, ids)
    n_after = _common(tokenizer.encode(after, add_special_tokens=False).ids[::-1], ids[::-1])
    width = max(1, max_tokens - n_before - n_after)
    middle = ids[n_before : len(ids) - n_after]
    return [
        np.asarray(ids[:n_before] + middle[k : k + width] + ids[len(ids) - n_after :], dtype=np.int64)
        for k in range(0, len(middle), width)
    ][:max_windows]


def answer_mask(ids: np.ndarray, answer: np.ndarray) -> np.ndarray:
    """Attention mask [E, T] of right-padded rows (``EncodedExamples.batch``): 1 up to each answer position."""
    return (np.arange(ids.shape[1])[None, :] <= answer[:, None]).astype(np.int64)
