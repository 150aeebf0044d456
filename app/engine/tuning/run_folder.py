"""The run folder: claimed only when it is new, empty or one of ours, and never over the model being tuned.

A run writes checkpoints, reports and a ``model/`` export into its folder and replaces that export when it
runs again, so pointing ``--out`` at a folder of the user's (or at the tuned model's own folder) would
overwrite their files. Such folders are refused before anything is written.
"""

from __future__ import annotations

from pathlib import Path

from app.engine.errors import GenbaError
from app.engine.models.catalog import DEFAULT_MODEL
from app.engine.run_files import CHECKPOINT, EXPORT_DIR, LOCK_FILE
from app.engine.storage import check_replaceable, owner_marker, write_owner_marker
from app.engine.tuning.config import TuneConfig


def _inside_or_equal(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_apart_from_model(out: Path, model: str) -> None:
    """Refuse a run folder whose export would cover the model, or one inside or equal to an ONNX model's folder.

    An ONNX model's folder holds its weights and tokenizer beside it, and a folder given as the model is searched
    for models, so a run never goes there. A GGUF model is one file: only the export must not cover it.
    """
    if model == DEFAULT_MODEL:
        return
    source = Path(model).resolve()
    model_folder = source if source.is_dir() else source.parent
    onnx_model = source.is_dir() or source.suffix.lower() == ".onnx"
    out = out.resolve()
    export = out / EXPORT_DIR
    swap_names = (export, export.with_name(EXPORT_DIR + ".partial"), export.with_name(EXPORT_DIR + ".old"))
    inside = onnx_model and _inside_or_equal(out, model_folder)
    if inside or any(_inside_or_equal(source, f) for f in swap_names):
        raise GenbaError(
            f"The output folder must be outside the model's folder ({model_folder}): the run writes its files "
            "and the tuned model there and would overwrite the model. Choose another output folder.",
            f"出力フォルダーはモデルのフォルダー（{model_folder}）の外にしてください。実行ファイルと調整済みモデルが"
            "そこに書き込まれ、モデルを上書きしてしまいます。別の出力フォルダーを選んでください。",
            path=out,
            field="out_dir",
        )


def claim_run_folder(config: TuneConfig) -> Path:
    """Create or reuse ``config.out_dir`` for a run and mark it as ours; raise ``GenbaError`` if it is not ours.

    Accepted: a folder that does not exist yet, an empty folder, or one of our run folders (a run folder
    from before the marker existed is accepted for ``resume`` when it holds a checkpoint).
    """
    out = Path(config.out_dir)
    _check_apart_from_model(out, config.model)
    if out.exists() and not out.is_dir():
        raise GenbaError(
            f"The output '{out.name}' is a file, not a folder. Choose a folder.",
            f"出力先「{out.name}」はファイルです。フォルダーを選んでください。",
            path=out,
            field="out_dir",
        )
    marker = owner_marker(out)
    ours = marker is not None and marker.get("kind") == "run"
    legacy_run = config.resume and (out / CHECKPOINT).is_file()
    # A lock alone is a run starting up: RunLock then says who holds it.
    if out.is_dir() and not ours and not legacy_run and any(p.name != LOCK_FILE for p in out.iterdir()):
        raise GenbaError(
            f"The output folder '{out.name}' already holds files that Genba Tuner did not write. Choose an empty "
            "or new folder: a run writes and replaces files there.",
            f"出力フォルダー「{out.name}」には Genba Tuner が書いたものではないファイルがあります。"
            "空のフォルダーか新しいフォルダーを選んでください（実行するとそこにファイルを書き込み、置き換えます）。",
            path=out,
            field="out_dir",
        )
    if config.export:
        check_replaceable(out / EXPORT_DIR)  # say it now, not after the run when the export is written
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GenbaError(
            f"Cannot create the output folder ({exc.strerror}). Choose another folder.",
            f"出力フォルダーを作成できません（{exc.strerror}）。別のフォルダーを選んでください。",
            path=out,
        ) from exc
    if not ours:
        write_owner_marker(out, "run")
    return out
