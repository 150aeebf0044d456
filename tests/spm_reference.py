"""An independent SentencePiece-BPE tokenizer, following llama.cpp's ``llm_tokenizer_spm`` step by step.

Symbols start as single UTF-8 characters; the adjacent pair whose joined text is in the vocabulary with
the highest score is merged first (ties: the leftmost pair); a final symbol not in the vocabulary is split
back along its merges, and characters that are not tokens become byte tokens ``<0xNN>``.
``spm_tokenize_with_specials`` first splits out special pieces as llama.cpp's ``tokenizer_st_partition``
does (longest pieces first; each raw fragment split at every occurrence).
"""

from __future__ import annotations

import heapq


def spm_tokenize(text: str, tokens: list[str], scores: list[float], add_space_prefix: bool) -> list[int]:
    vocab = {t: i for i, t in enumerate(tokens)}
    if add_space_prefix:
        text = " " + text
    text = text.replace(" ", "▁")
    symbols = list(text)  # None once merged into its left neighbour
    prev = list(range(-1, len(symbols) - 1))
    nxt = list(range(1, len(symbols) + 1))
    rev_merge: dict[str, tuple[str, str]] = {}
    queue: list[tuple[float, int, int, str]] = []

    def try_add_bigram(left: int, right: int) -> None:
        if left < 0 or right >= len(symbols):
            return
        joined = symbols[left] + symbols[right]
        if joined in vocab:
            heapq.heappush(queue, (-scores[vocab[joined]], left, right, joined))
            rev_merge.setdefault(joined, (symbols[left], symbols[right]))

    for i in range(1, len(symbols)):
        try_add_bigram(i - 1, i)
    while queue:
        _, left, right, joined = heapq.heappop(queue)
        if symbols[left] is None or symbols[right] is None or symbols[left] + symbols[right] != joined:
            continue  # stale: one side was merged since
        rev_merge[joined] = (symbols[left], symbols[right])
        symbols[left], symbols[right] = joined, None
        nxt[left] = nxt[right]
        if nxt[right] < len(symbols):
            prev[nxt[right]] = left
        try_add_bigram(prev[left], left)
        try_add_bigram(left, nxt[left])

    out: list[int] = []

    def resegment(piece: str) -> None:
        if piece in vocab:
            out.append(vocab[piece])
        elif piece in rev_merge:
            for part in rev_merge[piece]:
                resegment(part)
        else:
            out.extend(vocab[f"<0x{b:02X}>"] for b in piece.encode("utf-8"))

    for s in symbols:
        if s is not None:
            resegment(s)
    return out


def spm_tokenize_with_specials(
    text: str, tokens: list[str], scores: list[float], specials: list[str], add_space_prefix: bool
) -> list[int]:
    vocab = {t: i for i, t in enumerate(tokens)}
    fragments: list[tuple[bool, str]] = [(False, text)]  # (is_special, text)
    for special in sorted(specials, key=len, reverse=True):
        split: list[tuple[bool, str]] = []
        for is_special, frag in fragments:
            if is_special or special not in frag:
                split.append((is_special, frag))
                continue
            pieces = frag.split(special)
            for i, piece in enumerate(pieces):
                if piece:
                    split.append((False, piece))
                if i < len(pieces) - 1:
                    split.append((True, special))
        fragments = split
    out: list[int] = []
    for is_special, frag in fragments:
        out.extend([vocab[frag]] if is_special else spm_tokenize(frag, tokens, scores, add_space_prefix))
    return out
