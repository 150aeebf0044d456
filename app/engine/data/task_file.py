"""``genba_task.json``: how an exported model is used as a classifier (prompt, labels, token limit, output).

It sits beside every exported model so that plain onnxruntime plus this file scores exactly as the run did.
"""

from __future__ import annotations

import json
from pathlib import Path

from app.engine.data.prompting import PromptSpec
from app.engine.run_files import TASK_FILE


def task_contents(spec: PromptSpec, max_tokens: int, output: str | None = None) -> dict:
    """What ``genba_task.json`` holds: the prompt, the token limit the examples were cut to and, when the
    run fitted a head, the output holding its class scores (in the order of "labels")."""
    return spec.to_dict() | {"max_tokens": int(max_tokens)} | ({"output": output} if output else {})


def write_task_file(folder: Path, spec: PromptSpec, max_tokens: int, output: str | None = None) -> None:
    (folder / TASK_FILE).write_text(
        json.dumps(task_contents(spec, max_tokens, output), ensure_ascii=False, indent=2), encoding="utf-8"
    )
