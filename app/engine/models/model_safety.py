"""Refuse hostile or broken model files before anything large is allocated or onnxruntime sees them.

Models arrive on users' USB sticks, so every file is treated as hostile: pickles (which run code when
loaded) are refused outright, GGUF headers are walked with a bounded parser before ``gguf.GGUFReader`` sees
them, and ONNX external-data references are confined to regular, singly-linked files inside the model's
folder (onnxruntime itself still follows hard links: CVE-2024-27318 / CVE-2024-5187). Each refusal is a
``GenbaError`` that names the file and says what was found and what was expected. The format checks are
in ``gguf_safety`` and ``onnx_safety``; this module refuses pickles and sends each file to its check.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import psutil

from app.engine.errors import GenbaError
from app.engine.models.gguf_import import SUPPORTED_ARCHITECTURES
from app.engine.models.gguf_safety import check_gguf
from app.engine.models.onnx_safety import check_onnx

PICKLE_EXTENSIONS = frozenset({".pt", ".pth", ".pkl", ".pickle", ".bin", ".ckpt", ".joblib"})

_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class ModelFileInfo:
    """A model file that passed the checks. ``size_bytes`` is the file itself, without external data."""

    path: Path
    kind: str  # "onnx" | "gguf"
    size_bytes: int
    external_data: tuple[str, ...]  # locations relative to the model's folder, sorted, each once


def _available_memory(available_bytes: int | None) -> int:
    return psutil.virtual_memory().available if available_bytes is None else available_bytes


def _unreadable(path: Path, exc: OSError, en: str, ja: str) -> GenbaError:
    """``en`` / ``ja``: whole sentences; the system's reason follows each in brackets."""
    return GenbaError(f"{en} ({exc.strerror}).", f"{ja}（{exc.strerror}）。", path=path, detail=repr(exc))


def check_no_pickle(path: str | os.PathLike[str]) -> None:
    """Refuse PyTorch checkpoints and pickles, by extension or by their first bytes."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise _unreadable(
            path, exc, "The model file could not be read", "モデルファイルを読み込めませんでした"
        ) from exc
    if suffix in PICKLE_EXTENSIONS:
        found = f"a '{suffix}' file"
    elif head == _ZIP_MAGIC:
        found = "a ZIP archive, the format of PyTorch checkpoints"
    elif len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:  # PROTO opcode of pickle protocols 2-5
        found = "a Python pickle"
    else:
        return
    raise GenbaError(
        f"This is {found}. PyTorch and pickle files can run arbitrary code when they are loaded, so Genba "
        "Tuner never opens them. Export the model to ONNX or GGUF and open that file instead.",
        f"このファイルは PyTorch / pickle 形式です（{found}）。この形式は読み込むだけで任意のプログラムを実行"
        "できるため、Genba Tuner は開きません。モデルを ONNX か GGUF に変換して、そのファイルを開いてください。",
        path=path,
    )


def check_model_file(
    path: str | os.PathLike[str],
    *,
    supported_architectures: Collection[str] = SUPPORTED_ARCHITECTURES,
    available_bytes: int | None = None,
) -> ModelFileInfo:
    """Check a .onnx or .gguf file (and its external data) without loading its weights.

    ``available_bytes`` is the memory the weights may use (default: what psutil reports free now).
    Raises ``GenbaError`` for anything hostile, damaged or unsupported.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _unreadable(
            path, exc, "The model file could not be opened", "モデルファイルを開けませんでした"
        ) from exc
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
        raise GenbaError(
            "This is not a regular file; expected a .onnx or .gguf model file.",
            "通常のファイルではありません。.onnx または .gguf のモデルファイルを指定してください。",
            path=path,
        )
    check_no_pickle(path)
    suffix = path.suffix.lower()
    if suffix == ".gguf":
        check_gguf(path, st.st_size, supported_architectures, _available_memory(available_bytes))
        return ModelFileInfo(path, "gguf", st.st_size, ())
    if suffix == ".onnx":
        external = check_onnx(path, st.st_size, _available_memory(available_bytes))
        return ModelFileInfo(path, "onnx", st.st_size, external)
    raise GenbaError(
        f"Unknown model file type '{suffix or '(none)'}'; expected .onnx or .gguf.",
        f"不明なモデルファイルの種類です（「{suffix or '（なし）'}」）。.onnx または .gguf を指定してください。",
        path=path,
    )
