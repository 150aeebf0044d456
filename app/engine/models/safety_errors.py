"""The refusals the model-file checks share: damaged, and too big for this PC's memory."""

from __future__ import annotations

from pathlib import Path

from app.engine.errors import GenbaError


def format_bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def damaged(path: Path, what: str, *, field: str | None = None, detail: str = "") -> GenbaError:
    return GenbaError(
        f"This model file is damaged or incomplete ({what}). Copy it again from the original source.",
        f"このモデルファイルは壊れているか不完全です（{what}）。元のファイルからもう一度コピーしてください。",
        path=path,
        field=field,
        detail=detail,
    )


def too_big_for_memory(path: Path, needed: int, available: int) -> GenbaError:
    need, have = format_bytes(needed), format_bytes(available)
    return GenbaError(
        f"This model needs about {need} of memory, but only {have} is free. Close other programs or use a "
        "smaller model.",
        f"このモデルには約 {need} のメモリーが必要ですが、空きは {have} しかありません。ほかのプログラムを"
        "閉じるか、より小さいモデルを使ってください。",
        path=path,
    )
