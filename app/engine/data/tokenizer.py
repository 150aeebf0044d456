"""Tokenizers from GGUF metadata or a ``tokenizer.json`` beside a model.

Two GGUF tokenizer models: ``gpt2`` (byte-level BPE with merges; the pre-tokenizer regex named by
``tokenizer.ggml.pre``) and ``llama`` (SentencePiece BPE with scores, as Gemma uses: the highest-scoring
adjacent pair is merged first, unknown characters fall back to byte tokens ``<0xNN>``).
"""

from __future__ import annotations

import os
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from app.engine.errors import GenbaError

_CONTROL = 3  # llama.cpp token type CONTROL (<|im_start|>, <|endoftext|>, ...)
_USER_DEFINED = 4
_BYTE = 6  # <0x00>..<0xFF> in SentencePiece vocabularies
# llama.cpp's pre-tokenizer regexes (llama-vocab.cpp), for the names whose numbers depend on them.
_PRE_REGEX = {
    "llama-bpe": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+",
    "qwen2": r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
}
# Names handled before (digits split, then GPT-2's regex) and the plain GPT-2 regex.
_DIGITS_THEN_GPT2 = ("smollm", "starcoder", "deepseek-coder")
_GPT2 = ("default", "gpt2", "gpt-2")


def tokenizer_from_gguf(reader) -> Tokenizer:
    """Rebuild the model's BPE tokenizer from ``tokenizer.ggml.*`` fields."""
    fields = reader.fields
    model = fields["tokenizer.ggml.model"].contents() if "tokenizer.ggml.model" in fields else None
    if model == "llama":
        return _sentencepiece_from_gguf(fields)
    if model != "gpt2":
        raise GenbaError(
            f"Unsupported tokenizer '{model}' in the GGUF file (supported: byte-level BPE 'gpt2', "
            "SentencePiece 'llama').",
            f"GGUF 内のトークナイザー「{model}」には対応していません（対応: byte-level BPE「gpt2」、"
            "SentencePiece「llama」）。",
            field="tokenizer.ggml.model",
        )
    tokens = fields["tokenizer.ggml.tokens"].contents()
    merges = [tuple(m.split(" ", 1)) for m in fields["tokenizer.ggml.merges"].contents()]
    types = fields["tokenizer.ggml.token_type"].contents() if "tokenizer.ggml.token_type" in fields else []
    pre = fields["tokenizer.ggml.pre"].contents() if "tokenizer.ggml.pre" in fields else "default"
    vocab = {tok: i for i, tok in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if pre in _PRE_REGEX:
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(_PRE_REGEX[pre]), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    elif pre in _DIGITS_THEN_GPT2:  # llama.cpp's "smollm"/"starcoder": every digit split before GPT-2's regex
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), byte_level]
        )
    elif pre in _GPT2:
        tok.pre_tokenizer = byte_level
    else:
        raise GenbaError(
            f"Unsupported pre-tokenizer '{pre}' in the GGUF file (supported: "
            f"{', '.join([*_PRE_REGEX, *_DIGITS_THEN_GPT2, *_GPT2])}).",
            f"GGUF 内の前処理トークナイザー「{pre}」には対応していません。",
            field="tokenizer.ggml.pre",
        )
    tok.decoder = decoders.ByteLevel()
    specials = [tokens[i] for i, t in enumerate(types) if t in (_CONTROL, _USER_DEFINED)]
    if specials:
        tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    _add_bos(
        tok, fields, tokens, default=False
    )  # Llama 3 sets it (<|begin_of_text|>); Qwen and SmolLM2 do not
    return tok


def _sentencepiece_from_gguf(fields) -> Tokenizer:
    """SentencePiece BPE (``tokenizer.ggml.model = llama``) as a tokenizers BPE with byte fallback.

    llama.cpp's llm_tokenizer_spm repeatedly merges the adjacent pair whose joined text is the
    highest-scoring vocabulary entry; ranking every two-piece split of each entry by that entry's score
    gives the same order as BPE merges (what Hugging Face's SentencePiece converter does).
    """
    tokens = fields["tokenizer.ggml.tokens"].contents()
    scores = fields["tokenizer.ggml.scores"].contents() if "tokenizer.ggml.scores" in fields else None
    types = fields["tokenizer.ggml.token_type"].contents() if "tokenizer.ggml.token_type" in fields else []
    if scores is None or len(scores) != len(tokens):
        raise GenbaError(
            "The GGUF SentencePiece vocabulary has no scores for its tokens.",
            "GGUF の SentencePiece 語彙にトークンのスコアがありません。",
            field="tokenizer.ggml.scores",
        )

    def flag(key: str, default: bool) -> bool:
        return bool(fields[key].contents()) if key in fields else default

    vocab = {tok: i for i, tok in enumerate(tokens)}
    ranked = []
    for i, piece in enumerate(tokens):
        if types and types[i] != 1:  # only normal pieces are merge results
            continue
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in vocab and right in vocab:
                ranked.append((-scores[i], i, vocab[left], vocab[right], left, right))
    ranked.sort()
    merges = [(left, right) for *_, left, right in ranked]
    unk_id = (
        int(fields["tokenizer.ggml.unknown_token_id"].contents())
        if "tokenizer.ggml.unknown_token_id" in fields
        else None
    )
    tok = Tokenizer(
        models.BPE(
            vocab=vocab,
            merges=merges,
            unk_token=tokens[unk_id] if unk_id is not None else None,
            fuse_unk=True,
            byte_fallback=True,
        )
    )
    steps = [normalizers.Replace(" ", "▁")]
    if flag("tokenizer.ggml.add_space_prefix", True):
        steps.insert(0, normalizers.Prepend("▁"))
    tok.normalizer = normalizers.Sequence(steps)
    tok.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]
        + ([decoders.Strip(" ", 1, 0)] if flag("tokenizer.ggml.add_space_prefix", True) else [])
    )
    # llama.cpp splits control and user-defined pieces out of the raw text first; only control ones are
    # dropped when decoding (Gemma's user-defined pieces are runs of spaces, tabs, newlines, HTML tags).
    tok.add_tokens(
        [
            AddedToken(tokens[i], special=False, normalized=False)
            for i, t in enumerate(types)
            if t == _USER_DEFINED
        ]
    )
    tok.add_special_tokens(
        [AddedToken(tokens[i], special=True, normalized=False) for i, t in enumerate(types) if t == _CONTROL]
    )
    _add_bos(tok, fields, tokens, default=True)  # llama.cpp's default for SPM vocabularies
    return tok


def _add_bos(tok: Tokenizer, fields, tokens: list[str], default: bool) -> None:
    """BOS first, as ``tokenizer.ggml.add_bos_token`` says (by ``encode(..., add_special_tokens=True)``)."""
    key = "tokenizer.ggml.add_bos_token"
    wanted = bool(fields[key].contents()) if key in fields else default
    if not wanted or "tokenizer.ggml.bos_token_id" not in fields:
        return
    bos_id = int(fields["tokenizer.ggml.bos_token_id"].contents())
    bos = tokens[bos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A $B", special_tokens=[(bos, bos_id)]
    )


def load_tokenizer_json(path: str | os.PathLike[str]) -> Tokenizer:
    path = Path(path)
    try:
        tok = Tokenizer.from_file(str(path))
    except Exception as exc:
        raise GenbaError(
            "The tokenizer file could not be read (expected a Hugging Face tokenizer.json).",
            "トークナイザーのファイルを読み込めません（Hugging Face の tokenizer.json が必要です）。",
            path=path,
            detail=repr(exc),
        ) from exc
    # The engine pads batches itself and takes every id as a real token: sentence-transformers' tokenizer.json
    # (all-MiniLM-L6-v2's) pads each text to 128 ids, which would be averaged into its features as words.
    tok.no_padding()
    return tok
