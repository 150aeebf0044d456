"""Tokenizers from GGUF metadata (GPT-2-style byte-level BPE) or a ``tokenizer.json`` beside a model."""

from __future__ import annotations

import os
from pathlib import Path

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

from app.engine.errors import GenbaError

_CONTROL = 3  # llama.cpp token type CONTROL (<|im_start|>, <|endoftext|>, ...)
_USER_DEFINED = 4


def tokenizer_from_gguf(reader) -> Tokenizer:
    """Rebuild the model's BPE tokenizer from ``tokenizer.ggml.*`` fields."""
    fields = reader.fields
    model = fields["tokenizer.ggml.model"].contents() if "tokenizer.ggml.model" in fields else None
    if model != "gpt2":
        raise GenbaError(
            f"Unsupported tokenizer '{model}' in the GGUF file (expected byte-level BPE 'gpt2').",
            f"GGUF 内のトークナイザー「{model}」には対応していません（byte-level BPE「gpt2」が必要です）。",
            field="tokenizer.ggml.model",
        )
    tokens = fields["tokenizer.ggml.tokens"].contents()
    merges = [tuple(m.split(" ", 1)) for m in fields["tokenizer.ggml.merges"].contents()]
    types = fields["tokenizer.ggml.token_type"].contents() if "tokenizer.ggml.token_type" in fields else []
    pre = fields["tokenizer.ggml.pre"].contents() if "tokenizer.ggml.pre" in fields else "default"
    vocab = {tok: i for i, tok in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    # llama.cpp's "smollm"/"starcoder" pre-tokenizers split every digit before the GPT-2 regex.
    if pre in ("smollm", "starcoder", "qwen2", "deepseek-coder"):
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), byte_level]
        )
    else:
        tok.pre_tokenizer = byte_level
    tok.decoder = decoders.ByteLevel()
    specials = [tokens[i] for i, t in enumerate(types) if t in (_CONTROL, _USER_DEFINED)]
    if specials:
        tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


def load_tokenizer_json(path: str | os.PathLike[str]) -> Tokenizer:
    path = Path(path)
    try:
        return Tokenizer.from_file(str(path))
    except Exception as exc:
        raise GenbaError(
            "The tokenizer file could not be read (expected a Hugging Face tokenizer.json).",
            "トークナイザーのファイルを読み込めません（Hugging Face の tokenizer.json が必要です）。",
            path=path,
            detail=repr(exc),
        ) from exc
