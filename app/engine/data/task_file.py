"""``genba_task.json``: how an exported model is used as a classifier (prompt, labels, token limit, output).

It sits beside every exported model so that plain onnxruntime plus this file scores exactly as the run did.
"""

from __future__ import annotations

import json
from pathlib import Path

from app.engine.data.prompting import WORDS_MAX_TOKENS, PromptSpec, prompt_ends
from app.engine.run_files import TASK_FILE


def task_contents(
    spec: PromptSpec,
    max_tokens: int,
    output: str | None = None,
    long_text: str = "truncate",
    tokenizer=None,
    text_ids: bool = False,
) -> dict:
    """What ``genba_task.json`` holds: the prompt, the token limit the examples were cut to, how a longer
    text was cut and, when the run fitted a head, the output holding its class scores (in "labels" order).

    "head_tail" also writes ``keep_tokens`` = [head, tail] (needs ``tokenizer``): a caller with plain
    onnxruntime keeps ``ids[:head] + ids[-tail:]`` of a rendered prompt longer than ``max_tokens``.
    ``text_ids`` (the head's words read whole prompts, ``ClassHead.text_ids``; needs ``tokenizer``) writes
    ``text_ids`` = {"max_tokens", "keep_tokens"}: for such a prompt the caller also feeds the graph's optional
    input ``text_ids``, the prompt's ids whole up to that limit (the same head and tail beyond it).
    """
    task = spec.to_dict() | {"max_tokens": int(max_tokens)}
    if long_text != "truncate":
        task |= {"long_text": long_text}
        task |= {"keep_tokens": list(prompt_ends(tokenizer, spec, max_tokens))} if tokenizer else {}
    if text_ids:
        ends = list(prompt_ends(tokenizer, spec, WORDS_MAX_TOKENS))
        task |= {"text_ids": {"max_tokens": WORDS_MAX_TOKENS, "keep_tokens": ends}}
    return task | ({"output": output} if output else {})


def write_task_file(
    folder: Path,
    spec: PromptSpec,
    max_tokens: int,
    output: str | None = None,
    long_text: str = "truncate",
    tokenizer=None,
    text_ids: bool = False,
) -> None:
    task = task_contents(spec, max_tokens, output, long_text, tokenizer, text_ids)
    (folder / TASK_FILE).write_text(json.dumps(task, ensure_ascii=False, indent=2), encoding="utf-8")
