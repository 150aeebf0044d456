"""Export: copy a run's merged ONNX model folder, adapter file and report to a folder the user picks.

The run already wrote them under its run folder (engine/export.py); this only copies, with the engine's
atomic copy and free-space check so a full USB stick says so instead of leaving half a model.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.engine.errors import GenbaError
from app.engine.run_files import ADAPTER_FILE, EXPORT_DIR, REPORT_FILE
from app.engine.storage import OWNER_MARKER, atomic_copy, check_free_space, storage_error


def deliverable_files(run_dir: Path) -> list[Path]:
    """Files to export, relative to the run folder."""
    # Not our ownership marker: the copy belongs to the user, and the program must never replace it.
    files = [
        p.relative_to(run_dir)
        for p in sorted((run_dir / EXPORT_DIR).rglob("*"))
        if p.is_file() and p.name != OWNER_MARKER
    ]
    files += [Path(name) for name in (ADAPTER_FILE, REPORT_FILE) if (run_dir / name).is_file()]
    return files


def copy_deliverables(progress: Callable[[object], None], run_dir: str, target_parent: str) -> str:
    """Copy into a new folder ``target_parent/genba-<run name>``; returns that folder."""
    run = Path(run_dir)
    files = deliverable_files(run)
    if not any(f.parts[0] == EXPORT_DIR for f in files):
        raise GenbaError(
            "This run has no exported model to copy (it may have failed before writing it).",
            "この実行にはコピーできる書き出し済みモデルがありません（書き出し前に失敗した可能性があります）。",
            path=run,
        )
    dest = Path(target_parent) / f"genba-{run.name}"
    n = 2
    while dest.exists():
        dest = Path(target_parent) / f"genba-{run.name}-{n}"
        n += 1
    total = sum((run / f).stat().st_size for f in files)
    check_free_space(dest, total)
    done = 0
    for f in files:
        try:
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error(exc, dest / f.parent) from exc
        atomic_copy(run / f, dest / f)
        done += (run / f).stat().st_size
        progress(done / max(total, 1))
    return str(dest)
