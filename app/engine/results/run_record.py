"""A finished run as the report reads it: report.json, the checkpoint's history and settings, and the
held-out comparison of its exported model with the base model."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

from app.engine.errors import GenbaError
from app.engine.results.comparison import compare_held_out
from app.engine.results.report_text import TEXT
from app.engine.results.roi import RoiInputs
from app.engine.run_files import CHECKPOINT, EXPORT_DIR, REPORT_FILE
from app.engine.tuning.checkpoint import load_checkpoint
from app.engine.tuning.config import TuneConfig


@dataclass(frozen=True)
class RunRecord:
    """What the report shows about a run, read from its folder."""

    out_dir: str
    report: dict  # report.json as the engine wrote it
    evals: tuple[dict, ...]  # validation history from the checkpoint: step, val_accuracy, val_loss, ...
    config: dict | None  # TuneConfig.to_dict() from the checkpoint; None without one


def load_run(run_dir: str | Path) -> RunRecord:
    """Read ``report.json`` and, if present, the checkpoint's validation history and settings."""

    folder = Path(run_dir)
    path = folder / REPORT_FILE
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise GenbaError(
            "This folder holds no report.json: choose the folder of a finished run.",
            "このフォルダーには report.json がありません。終了した実行のフォルダーを選んでください。",
            path=path,
        ) from exc
    except (OSError, ValueError) as exc:
        raise GenbaError(
            "report.json cannot be read; the run folder may be damaged.",
            "report.json を読み込めません。実行フォルダーが壊れている可能性があります。",
            path=path,
            detail=repr(exc),
        ) from exc
    evals: tuple[dict, ...] = tuple(report.get("evals") or ())
    config = None
    if (folder / CHECKPOINT).is_file():
        _, _, state = load_checkpoint(folder)
        evals = evals or tuple(state.evals)
        config = state.info.get("config")
    return RunRecord(str(folder), report, evals, config)


def roi_inputs_for(run: RunRecord, **assumptions: float) -> RoiInputs:
    """ROI inputs from the run (energy, accuracy before/after) plus the site's own figures."""
    return RoiInputs.from_report(run.report, **assumptions)


def unchanged_examples(inputs: RoiInputs) -> frozenset[str]:
    """The example fields still holding their example value (to be marked "example" wherever shown)."""
    defaults = {f.name: f.default for f in fields(RoiInputs)}
    return frozenset(name for name in RoiInputs.EXAMPLE_FIELDS if getattr(inputs, name) == defaults[name])


def compare_run_held_out(run: RunRecord, share_cores: bool = False) -> dict:
    """Score the run's held-out rows (test, else validation) with the base model and the exported model.

    Returns ``split``, ``labels``, ``accuracy_before/after`` and ``confusion_before/after``
    (``[true][answer]`` counts), the shape the app's Results page also uses. Raises :class:`GenbaError` when
    it cannot: no exported model, no checkpoint with the settings, or an examples file that changed.
    """

    if run.config is None:
        raise GenbaError(*TEXT["no_config"], path=run.out_dir)
    exported = Path(run.out_dir) / EXPORT_DIR / "model.onnx"  # beside the report, even if the folder moved
    if not exported.is_file():
        raise GenbaError(*TEXT["no_comparison_model"], path=run.out_dir)
    cfg = TuneConfig.from_dict(run.config)
    return compare_held_out(cfg, exported, run.report.get("data_sha256"), share_cores).result
